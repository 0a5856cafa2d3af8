/**
 * Seeded log files for the detector benchmark: Route 53 Resolver query-log lines and VPC Flow Log lines as
 * AWS writes them to S3, mostly benign traffic with some tunnelling, DGA bursts, threat-intel hits, scans and
 * exfiltration mixed in. The records come from the test generators (test/support), chunk by chunk, so that a
 * file of any size is produced as a stream and never held whole. Same seed, same bytes.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import type { DnsQuery } from '#domain/detect/dns';
import { DEFAULT_FLOW_LOG_FIELDS } from '#shared/logs/flow-log';
import * as dns from '../test/support/dns-traffic';
import * as flows from '../test/support/flow-traffic';

/** Records generated at a time: enough to mix every scenario in, few enough to stay a few MiB. */
const CHUNK = 10_000;

/** Event time every file covers, from T0: an S3 flow-log file holds about 5 minutes, a busy one less. */
export const SPAN_MS = 10 * 60_000;

/** The fields of the generated flow logs, in the header line that starts every S3 file. */
export const FLOW_LOG_FIELDS: readonly string[] = [
  ...DEFAULT_FLOW_LOG_FIELDS,
  'flow-direction',
  'pkt-dst-aws-service',
  'traffic-path',
];

/** The domain the threat-intel feed of the DNS benchmark lists, and that some queries ask for. */
export const LISTED_DOMAIN = 'c2.bad.example';

/** Scanned hosts: a fixed set, so that a larger file has more records, not more keys. */
const VICTIMS = ['198.51.100.50', '198.51.100.51', '198.51.100.52', '198.51.100.53', '198.51.100.54'];

/**
 * One chunk of 10,000 flow records (about 98.7% benign; a port scan of 60 ports on one of 5 hosts, an
 * address scan of 40 hosts, 20 records of exfiltration carrying 50 MB and 10 flows to a listed C2 address, all
 * from one infected host), shuffled, over {@link SPAN_MS}: the lines, without the header.
 */
export function flowLogChunk(seed: number, chunk: number): string[] {
  const s = seed * 1_000_003 + chunk;
  const attacks = [
    ...flows.portScan(s, {
      target: VICTIMS[chunk % VICTIMS.length],
      ports: 60,
      from: 1 + ((chunk * 60) % 60_000),
      spreadMs: SPAN_MS,
    }),
    ...flows.addressScan(s, { hosts: 40, port: 22 + (chunk % 3), spreadMs: SPAN_MS }),
    ...flows.exfiltration(s, { bytes: 50e6, records: 20, spreadMs: SPAN_MS }),
    ...Array.from({ length: 10 }, (_, i) =>
      flows.flow({ dstAddr: flows.EXTERNAL.c2, start: flows.T0 + i * 60_000, srcPort: 51_000 + i }),
    ),
  ];
  const benign = flows.benignTraffic(s, CHUNK - attacks.length, flows.T0, SPAN_MS);
  return dns.shuffled(s, [...benign, ...attacks]).map((record) => record.raw);
}

/** Flow-log lines of one S3 file: the header, then `records` records, chunk by chunk ({@link flowLogChunk}). */
export function* flowLogLines(seed: number, records: number): Generator<string> {
  yield FLOW_LOG_FIELDS.join(' ');
  for (let chunk = 0, left = records; left > 0; chunk++) {
    const lines = flowLogChunk(seed, chunk);
    for (let i = 0; i < lines.length && left > 0; i++, left--) yield lines[i] as string;
  }
}

/**
 * Text of an endless flow-log file: the header, then `pool` distinct chunks ({@link flowLogChunk}) over and
 * over, each a block of lines. Generating records costs four times what gzip does, so the large files of the
 * memory benchmark repeat a pool; the chunks are larger than gzip's 32 KiB window, so repeating them does not
 * compress better, and a larger file gets more records, not more distinct keys.
 */
export function* flowLogText(seed: number, pool: number): Generator<string> {
  yield `${FLOW_LOG_FIELDS.join(' ')}\n`;
  const blocks = Array.from({ length: pool }, (_, chunk) => `${flowLogChunk(seed, chunk).join('\n')}\n`);
  for (let i = 0; ; i = (i + 1) % pool) yield blocks[i] as string;
}

/**
 * Query-log lines (one JSON record a line): about 97% benign queries from 20 hosts (AWS and CDN names,
 * package registries, reverse lookups, search-path NXDOMAIN noise); per 10,000 records 150 tunnel queries,
 * 100 NXDOMAIN names of a DGA burst, 20 queries for a listed domain and 10 DNS Firewall ALERT matches, over
 * {@link SPAN_MS}.
 */
export function* queryLogLines(seed: number, records: number): Generator<string> {
  for (let chunk = 0, left = records; left > 0; chunk++) {
    const s = seed * 1_000_003 + chunk;
    const attacks = [
      ...dns.tunnelQueries(s, { domain: 'exfil-tunnel.net', count: 150, src: '10.0.1.5', spanMs: SPAN_MS }),
      ...dns.dgaBurst(s, { count: 100, src: '10.0.1.6', spanMs: SPAN_MS }),
      ...Array.from({ length: 20 }, (_, i) =>
        dns.query({ name: LISTED_DOMAIN, at: dns.T0 + i * 30_000, srcAddr: '10.0.1.7' }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        dns.query({
          name: `update-${i}.alerted.example`,
          at: dns.T0 + i * 60_000,
          srcAddr: '10.0.1.8',
          firewallAction: 'ALERT',
          firewallRuleGroupId: 'rslvr-frg-0123456789abcdef',
          firewallDomainListId: 'rslvr-fdl-0123456789abcdef',
        }),
      ),
    ];
    const benign = dns.benignTraffic(s, { count: CHUNK - attacks.length, spanMs: SPAN_MS, hosts: 20 });
    const mixed = dns.shuffled(s, [...benign, ...attacks]);
    for (let i = 0; i < mixed.length && left > 0; i++, left--) yield (mixed[i] as DnsQuery).raw;
  }
}

/** `lines`, newline-terminated and gzip'd in memory: for the small inputs the throughput runs repeat. */
export function gzipLines(lines: Iterable<string>): Buffer {
  const text: string[] = [];
  for (const line of lines) text.push(line);
  return gzipSync(`${text.join('\n')}\n`);
}

/**
 * Writes `blocks` of text gzip'd to `path` until the compressed file reaches `targetBytes` (or the blocks end),
 * as a stream: one block and gzip's buffers in memory whatever the size. Returns the file's bytes.
 */
export async function writeGzipFile(
  path: string,
  blocks: Iterator<string>,
  targetBytes: number,
): Promise<number> {
  const gzip = createGzip();
  let bytes = 0;
  gzip.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  const done = pipeline(gzip, createWriteStream(path));
  for (let next = blocks.next(); !next.done && bytes < targetBytes; next = blocks.next()) {
    if (!gzip.write(next.value)) await once(gzip, 'drain');
  }
  gzip.end();
  await done;
  return bytes;
}
