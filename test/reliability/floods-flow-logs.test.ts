/**
 * A day of VPC Flow Logs for a busy VPC through the real flow detector use case (header line, parser,
 * detections, window state, publisher), one S3 file per 5 minutes, generated as a stream so that no file is
 * ever held whole. Planted in the benign traffic: a port scan delivered in two files, an address scan, 1.2 GB
 * of exfiltration over three files, and flows to a listed C2 address in every file. Memory must stay flat as
 * files go by, each threat must be found in its window, and each must come out as one signal (one evidence
 * key; intake drops the repeats), not one per file. The default run covers two hours, so that the longest
 * window (1 h) fills up and then has to stay flat; the long run covers the day.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import type { FlowRecord } from '#domain/detect/flow';
import type { FileLine } from '#shared/logs/lines';
import { detectLogLines } from '#shared/use-cases/detect-log';
import { FLOW_LOG_FIELDS } from '../../bench/log-generators';
import {
  addressScan,
  benignTraffic,
  EXTERNAL,
  exfiltration,
  flow,
  HOSTS,
  portScan,
  T0,
  testDetector,
} from '../support/flow-traffic';
import { LONG, sized } from './long';

const FILE_MS = 5 * 60_000;
const HOUR_MS = 60 * 60_000;
const FILES = sized(24, 288);
/** Files in the longest window (1 h): until then the window state fills up, after that it must stay flat. */
const WINDOW_FILES = 12;
const RECORDS_PER_FILE = sized(10_000, 100_000);
const CHUNK = 2_500;
/** Where the threats are planted, by file index (file k covers T0 + k × 5 min). */
const AT = {
  portScan: 2,
  addressScan: Math.floor(FILES / 2),
  // An hour-aligned file, so that the three files fall in one hour-long volume window.
  volume: LONG ? 12 * 12 : 0,
};

/** The threats planted in file `k`: records, each with its raw line. */
function plantedIn(k: number): FlowRecord[] {
  const start = T0 + k * FILE_MS;
  const planted: FlowRecord[] = [
    // Three flows to the listed C2 address in every file.
    ...[0, 1, 2].map((i) => flow({ dstAddr: EXTERNAL.c2, start: start + i * 60_000, srcPort: 51_000 + i })),
  ];
  // Refused attempts: these files' format has no tcp-flags field, so a SYN-only record would not read as failed.
  const scan = portScan(7, { ports: 24, start: T0 + AT.portScan * FILE_MS, spreadMs: 4 * 60_000 }).map(
    ({ raw: _raw, tcpFlags: _flags, ...fields }) => flow({ ...fields, action: 'REJECT' }),
  );
  // The port scan's last six records arrive late, in the next file, as S3 delivery often makes them.
  if (k === AT.portScan) planted.push(...scan.slice(0, 18));
  if (k === AT.portScan + 1) planted.push(...scan.slice(18));
  if (k === AT.addressScan) planted.push(...addressScan(8, { hosts: 30, start, spreadMs: 4 * 60_000 }));
  if (k >= AT.volume && k < AT.volume + 3) {
    planted.push(...exfiltration(9 + k, { bytes: 400_000_000, records: 40, start, spreadMs: 4 * 60_000 }));
  }
  return planted;
}

/** The lines of file `k`, header first, benign traffic chunk by chunk with the planted records among it. */
async function* fileLines(k: number, sample: () => void): AsyncGenerator<FileLine> {
  let lineNumber = 1;
  yield { kind: 'line', line: FLOW_LOG_FIELDS.join(' '), lineNumber };
  const planted = plantedIn(k);
  for (let done = 0; done < RECORDS_PER_FILE; done += CHUNK) {
    const records = benignTraffic(k * 1_000 + done / CHUNK, CHUNK, T0 + k * FILE_MS, FILE_MS);
    if (done === 0) records.push(...planted);
    for (const record of records) yield { kind: 'line', line: record.raw, lineNumber: ++lineNumber };
    sample();
  }
}

const MB = 1024 * 1024;

// A full collection between files, so that what a file leaves behind is measured rather than its garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe(`a day of flow logs (${FILES} files of ${RECORDS_PER_FILE} records)`, () => {
  it(
    'keeps memory flat, finds each planted threat in its window, and signals each once',
    async () => {
      // Prepare
      const deps = {
        detector: testDetector(),
        state: new InMemoryDetectorStateStore(),
        publisher: new InMemoryThreatSignalPublisher(),
      };
      const detectors = { flows: async () => deps, dns: () => Promise.reject(new Error('no DNS logs here')) };
      const peaks = { rss: [] as number[], heapUsed: [] as number[] };
      const retained: number[] = [];
      let peak = { rss: 0, heapUsed: 0 };
      const sample = () => {
        const { rss, heapUsed } = process.memoryUsage();
        peak = { rss: Math.max(peak.rss, rss), heapUsed: Math.max(peak.heapUsed, heapUsed) };
      };
      let records = 0;

      // Act
      const started = performance.now();
      for (let k = 0; k < FILES; k++) {
        const report = await detectLogLines('flow-log', fileLines(k, sample), detectors);
        records += report.records;
        expect(report.malformed.count).toBe(0);
        peaks.rss.push(peak.rss);
        peaks.heapUsed.push(peak.heapUsed);
        collectGarbage();
        retained.push(process.memoryUsage().heapUsed);
      }
      const seconds = (performance.now() - started) / 1000;

      // Assess: one evidence key per planted threat and window, in the window it was planted
      const keys = [...new Set(deps.publisher.published.map((signal) => signal.evidence.key))].sort();
      const iso = (ms: number) => new Date(ms).toISOString();
      const hours = Array.from({ length: Math.ceil(FILES / 12) }, (_, h) => T0 + h * HOUR_MS);
      expect(keys).toEqual(
        [
          `flow-log:flow-port-scan:${HOSTS.infected.addr} ${EXTERNAL.victim}:${iso(T0 + AT.portScan * FILE_MS)}`,
          `flow-log:flow-address-scan:${HOSTS.infected.addr} 22:${iso(T0 + AT.addressScan * FILE_MS)}`,
          `flow-log:flow-volume:${HOSTS.infected.addr} ${EXTERNAL.dropZone}:${iso(T0 + AT.volume * FILE_MS)}`,
          ...hours.map((hour) => `flow-log:flow-threat-intel:${EXTERNAL.c2}:${iso(hour)}`),
        ].sort(),
      );
      expect(records).toBe(FILES * RECORDS_PER_FILE + 24 + 30 + 120 + 3 * FILES);
      // ... and memory flat once the longest window is full: after the last file within 10 % (heap left after a
      // full collection) and 25 % (peak RSS) of what they were one file after the first hour
      const settled = (values: readonly number[]) => ({
        hour: values[WINDOW_FILES] ?? 0,
        last: values.at(-1) ?? 0,
      });
      const heap = settled(retained);
      const rss = settled(peaks.rss);
      const mb = (bytes: number) => Math.round(bytes / MB);
      console.info(
        `${records} flow records in ${FILES} files: ${Math.round(records / seconds)} records/s; ` +
          `heap retained after file ${WINDOW_FILES + 1} ${mb(heap.hour)} MB, after file ${FILES} ${mb(heap.last)} MB; ` +
          `peak RSS ${mb(rss.hour)} → ${mb(rss.last)} MB, peak heap ${mb(Math.max(...peaks.heapUsed))} MB; ` +
          `${deps.publisher.published.length} signals published, ${keys.length} distinct`,
      );
      expect(heap.last).toBeLessThanOrEqual(heap.hour * 1.1);
      expect(rss.last).toBeLessThanOrEqual(rss.hour * 1.25);
    },
    sized(60_000, 3_600_000),
  );
});
