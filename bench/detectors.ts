/**
 * The log detectors' cost. Throughput: the same gzip'd query-log and flow-log bytes, read the way an S3 object
 * is (readLogObject, in 64 KiB chunks), through the parser and the detector (detectDns / detectFlows on the
 * in-memory state store and publisher), against the parse-only floor on the same bytes (`parseOnly`), runs
 * interleaved (floor, detector, floor, detector…) so that each pair sees the same machine load. Memory: flow-log
 * files of two sizes, written to disk as a stream, each streamed through the detector in its own Node process,
 * whose peak is its own. Also the CIDR matcher workload of the flow-log tests (100,000 CIDRs, 100,000 lookups).
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import { buildCidrMatcher } from '#domain/detect/cidr-matcher';
import type { DnsContext } from '#domain/detect/dns';
import { parseDnsSettings } from '#domain/detect/dns-settings';
import { domainFeedMatcher, parseDomainFeed } from '#domain/detect/domain-feeds';
import type { WindowIncrement, WindowShape, WindowTotal } from '#domain/detect/window';
import type { DetectorStateStore } from '#ports/detector-state';
import { parseFlowLogLines } from '#shared/logs/flow-log';
import { readLogObject } from '#shared/logs/lines';
import { parseOnly } from '#shared/logs/parse-only';
import { parseQueryLogLines } from '#shared/logs/query-log';
import type { LogKind } from '#shared/logs/s3-object-created';
import { detectDns } from '#shared/use-cases/detect-dns';
import { detectFlows } from '#shared/use-cases/detect-flows';
import { runCidrMatcherWorkload, testDetector } from '../test/support/flow-traffic';
import {
  flowLogLines,
  flowLogText,
  gzipLines,
  LISTED_DOMAIN,
  queryLogLines,
  writeGzipFile,
} from './log-generators';
import { median } from './measure';

const run = promisify(execFile);

/** The chunk size of an S3 GetObject body stream. */
const BODY_CHUNK_BYTES = 64 * 1024;

/** One side of a throughput comparison, medians over the runs. */
export interface Speed {
  /** Records per second of wall-clock time. */
  readonly recordsPerSecond: number;
  /** Records per second of CPU time (user + system, gunzip's thread included): the speed of one core. */
  readonly recordsPerCpuSecond: number;
}

/** One log kind's throughput figures. */
export interface ThroughputFigures {
  readonly records: number;
  /** The gzip'd input, bytes. */
  readonly bytes: number;
  readonly floor: Speed;
  readonly detector: Speed;
  /** Detector over floor, per core (CPU time): the target is ≥ 0.5. */
  readonly ratio: number;
  /** The same ratio on wall-clock time. */
  readonly wallRatio: number;
  /** What the detector published from one run: `detector indicator`. */
  readonly signals: readonly string[];
}

/** One flow-log file streamed through the detector in its own process. */
export interface MemoryFigures {
  /** The gzip'd file's size, bytes. */
  readonly bytes: number;
  readonly records: number;
  readonly seconds: number;
  /** Distinct window keys the detector counted, and increments (key and bucket) it wrote to the store. */
  readonly distinctKeys: number;
  readonly increments: number;
  /** The process before the file: modules loaded, detector built. */
  readonly baseline: { readonly rss: number; readonly heapUsed: number };
  /** Peaks: RSS from the kernel (maxRSS), heapUsed sampled every 10 ms. */
  readonly peak: { readonly rss: number; readonly heapUsed: number };
  readonly signals: number;
}

/** The CIDR matcher workload: index building and lookups, medians. */
export interface CidrMatcherFigures {
  readonly cidrs: number;
  readonly lookups: number;
  readonly buildMs: number;
  readonly lookupsPerSecond: number;
  /** Lookups that found a CIDR. */
  readonly matched: number;
}

/** What Bench 5 measured. */
export interface DetectorFigures {
  readonly runs: number;
  readonly dns: ThroughputFigures;
  readonly flows: ThroughputFigures;
  readonly memory: {
    readonly files: readonly MemoryFigures[];
    /** Largest file over the first: size, and peak RSS / heapUsed (1 = flat). */
    readonly sizeRatio: number;
    readonly rssRatio: number;
    readonly heapUsedRatio: number;
  };
  readonly cidrMatcher: CidrMatcherFigures;
}

/** Options of {@link benchDetectors}. */
export interface DetectorBenchOptions {
  /** Interleaved runs of each floor and detector. */
  readonly runs: number;
  readonly flowRecords: number;
  readonly dnsRecords: number;
  /** Sizes of the gzip'd flow-log files of the memory benchmark, bytes. */
  readonly fileBytes: readonly number[];
}

/** The DNS detector's context: default settings, the policy's default thresholds, a feed listing one name. */
function dnsContext(): DnsContext {
  return {
    settings: parseDnsSettings({}),
    allowlist: [],
    protectedDomains: [],
    feeds: domainFeedMatcher([parseDomainFeed('bench', `0.0.0.0 ${LISTED_DOMAIN}\n`)]),
    thresholds: { minSeverity: 7, alertMinSeverity: 4 },
  };
}

/** `bytes` as an S3 GetObject body delivers it: 64 KiB chunks. */
async function* body(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += BODY_CHUNK_BYTES) {
    yield bytes.subarray(start, start + BODY_CHUNK_BYTES);
  }
}

/** Runs `work` and returns its wall-clock and CPU milliseconds. */
async function clocked<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const wallMs = performance.now() - start;
  const { user, system } = process.cpuUsage(cpu);
  return { result, wallMs, cpuMs: (user + system) / 1000 };
}

/** A published signal as `detector indicator`. */
const describe = (signal: { detector: string; indicator: string }) =>
  `${signal.detector} ${signal.indicator}`;

/** The detector of one log kind over `bytes`, on fresh state: the records read and the signals published. */
function detectorOf(kind: LogKind): (bytes: Uint8Array) => Promise<{ records: number; signals: string[] }> {
  if (kind === 'query-log') {
    const context = dnsContext();
    return async (bytes) => {
      const publisher = new InMemoryThreatSignalPublisher();
      const lines = readLogObject(body(bytes), 'bench.log.gz');
      const report = await detectDns(parseQueryLogLines(lines), {
        context,
        state: new InMemoryDetectorStateStore(),
        publisher,
        baseline: new InMemoryDomainBaselineStore(),
      });
      return { records: report.records, signals: publisher.published.map(describe) };
    };
  }
  // Built once, as a Lambda container builds it once for all its invocations.
  const detector = testDetector();
  return async (bytes) => {
    const publisher = new InMemoryThreatSignalPublisher();
    const lines = readLogObject(body(bytes), 'bench.log.gz');
    const report = await detectFlows(parseFlowLogLines(lines), {
      detector,
      state: new InMemoryDetectorStateStore(),
      publisher,
    });
    return { records: report.records, signals: publisher.published.map(describe) };
  };
}

/**
 * Throughput of both detectors against their floors, on inputs generated once: `runs` interleaved rounds of
 * flow floor, flow detector, DNS floor, DNS detector, after one untimed round to warm the JIT.
 */
export async function benchDetectorThroughput(
  options: Pick<DetectorBenchOptions, 'runs' | 'flowRecords' | 'dnsRecords'>,
): Promise<{ flows: ThroughputFigures; dns: ThroughputFigures }> {
  const kinds = [
    { kind: 'flow-log' as const, bytes: gzipLines(flowLogLines(1, options.flowRecords)) },
    { kind: 'query-log' as const, bytes: gzipLines(queryLogLines(1, options.dnsRecords)) },
  ].map(({ kind, bytes }) => ({
    kind,
    bytes,
    detect: detectorOf(kind),
    floor: [] as { wallMs: number; cpuMs: number }[],
    detector: [] as { wallMs: number; cpuMs: number }[],
    records: 0,
    signals: [] as string[],
  }));
  for (let round = 0; round <= options.runs; round++) {
    for (const side of kinds) {
      const floor = await clocked(() => parseOnly(side.kind, body(side.bytes)));
      const detector = await clocked(() => side.detect(side.bytes));
      if (floor.result.records + floor.result.statusRecords !== detector.result.records) {
        throw new Error(
          `${side.kind}: the floor read ${floor.result.records} records, the detector ${detector.result.records}`,
        );
      }
      side.records = detector.result.records;
      side.signals = detector.result.signals;
      if (round === 0) continue;
      side.floor.push(floor);
      side.detector.push(detector);
    }
  }
  const figures = kinds.map((side): ThroughputFigures => {
    const speed = (times: readonly { wallMs: number; cpuMs: number }[]): Speed => ({
      recordsPerSecond: side.records / (median(times.map((t) => t.wallMs)) / 1000),
      recordsPerCpuSecond: side.records / (median(times.map((t) => t.cpuMs)) / 1000),
    });
    const floor = speed(side.floor);
    const detector = speed(side.detector);
    return {
      records: side.records,
      bytes: side.bytes.length,
      floor,
      detector,
      ratio: detector.recordsPerCpuSecond / floor.recordsPerCpuSecond,
      wallRatio: detector.recordsPerSecond / floor.recordsPerSecond,
      signals: side.signals,
    };
  });
  const [flows, dns] = figures as [ThroughputFigures, ThroughputFigures];
  return { flows, dns };
}

/**
 * Peak memory of the flow detector over one generated file per size in `fileBytes`: each written to a
 * temporary directory as a stream (a pool of 32 distinct chunks repeated), then streamed through
 * readLogObject → parseFlowLogLines → detectFlows in a fresh Node process.
 */
export async function benchFlowLogMemory(
  fileBytes: readonly number[],
  progress: (text: string) => void = () => {},
): Promise<DetectorFigures['memory']> {
  const directory = await mkdtemp(join(tmpdir(), 'egress-warden-bench-'));
  const files: MemoryFigures[] = [];
  try {
    for (const target of fileBytes) {
      const path = join(directory, `flows-${target}.log.gz`);
      progress(`Bench 5: writing a ${(target / 1e6).toFixed(0)} MB flow-log file`);
      const bytes = await writeGzipFile(path, flowLogText(2, 32), target);
      progress(`Bench 5: streaming it through the flow detector in a child process`);
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--stream-flow-log', path],
        { maxBuffer: 1024 * 1024 },
      );
      files.push({ ...(JSON.parse(stdout) as Omit<MemoryFigures, 'bytes'>), bytes });
      await rm(path);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  const first = files[0];
  const last = files[files.length - 1];
  if (!first || !last) throw new RangeError('the memory benchmark needs at least one file size');
  return {
    files,
    sizeRatio: last.bytes / first.bytes,
    rssRatio: last.peak.rss / first.peak.rss,
    heapUsedRatio: last.peak.heapUsed / first.peak.heapUsed,
  };
}

/** The CIDR matcher workload, timed: the build and the lookups again on its own inputs, medians of `runs`. */
export function benchCidrMatcher(cidrs: number, lookups: number, runs: number): CidrMatcherFigures {
  const workload = runCidrMatcherWorkload(cidrs, lookups);
  const buildTimes: number[] = [];
  const lookupTimes: number[] = [];
  let matched = 0;
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    const matcher = buildCidrMatcher(workload.entries);
    buildTimes.push(performance.now() - start);
    start = performance.now();
    matched = 0;
    for (const address of workload.addresses) if (matcher.lookupAddress(address) !== null) matched++;
    lookupTimes.push(performance.now() - start);
  }
  return {
    cidrs,
    lookups,
    buildMs: median(buildTimes),
    lookupsPerSecond: lookups / (median(lookupTimes) / 1000),
    matched,
  };
}

/** Bench 5: throughput, memory and the CIDR matcher, in that order. */
export async function benchDetectors(
  options: DetectorBenchOptions,
  progress: (text: string) => void = () => {},
): Promise<DetectorFigures> {
  progress('Bench 5: detector throughput against the parse-only floor');
  const { flows, dns } = await benchDetectorThroughput(options);
  const memory = await benchFlowLogMemory(options.fileBytes, progress);
  progress('Bench 5: CIDR matcher workload');
  const cidrMatcher = benchCidrMatcher(100_000, 100_000, options.runs);
  return { runs: options.runs, dns, flows, memory, cidrMatcher };
}

/** The state store of the memory runs: in memory, counting the distinct keys and increments it is given. */
class CountingStore implements DetectorStateStore {
  readonly #store = new InMemoryDetectorStateStore();
  readonly keys = new Set<string>();
  increments = 0;

  addAndTotal(increments: readonly WindowIncrement[], shape: WindowShape): Promise<WindowTotal[]> {
    for (const increment of increments) this.keys.add(increment.key);
    this.increments += increments.length;
    return this.#store.addAndTotal(increments, shape);
  }
}

/** The child process of {@link benchFlowLogMemory}: streams one file and prints its MemoryFigures as JSON. */
async function streamFlowLog(path: string): Promise<void> {
  const detector = testDetector();
  const state = new CountingStore();
  const publisher = new InMemoryThreatSignalPublisher();
  const { rss, heapUsed } = process.memoryUsage();
  const peak = { rss, heapUsed };
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  }, 10);
  const started = performance.now();
  const lines = readLogObject(createReadStream(path, { highWaterMark: BODY_CHUNK_BYTES }), path);
  const report = await detectFlows(parseFlowLogLines(lines), { detector, state, publisher });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sample);
  const figures: Omit<MemoryFigures, 'bytes'> = {
    records: report.records,
    seconds,
    distinctKeys: state.keys.size,
    increments: state.increments,
    baseline: { rss, heapUsed },
    // maxRSS is in KiB on Linux.
    peak: { rss: Math.max(peak.rss, process.resourceUsage().maxRSS * 1024), heapUsed: peak.heapUsed },
    signals: publisher.published.length,
  };
  process.stdout.write(JSON.stringify(figures));
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const flag = process.argv.indexOf('--stream-flow-log');
  const path = flag >= 0 ? process.argv[flag + 1] : undefined;
  if (!path) throw new Error('usage: node --import tsx bench/detectors.ts --stream-flow-log <file.log.gz>');
  await streamFlowLog(path);
}
