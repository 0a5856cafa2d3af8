/**
 * Writes `shared/domain/aws-ip-ranges-snapshot.ts`, the AWS ip-ranges every function ships with, from the
 * readable data file `infra/data/aws-ip-ranges.json` (`npm run gen:ip-ranges`). The module holds the
 * prefixes in the compact encoding that `AwsIpRangesSnapshot` describes, so that a cold start decodes
 * numbers instead of parsing 12,000 CIDRs, and the bundle carries a quarter of the text.
 *
 * To refresh: `npm run gen:ip-ranges -- --from <ip-ranges.json> <source> <archive> <archiveCommit>` first
 * rewrites the data file from AWS's current file (https://ip-ranges.amazonaws.com/ip-ranges.json), then
 * the module; a test fails while the two disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { type AwsIpPrefix, readAwsIpRangesContent, SUPERSET_SERVICE } from '#domain/aws-ip-ranges';
import { type CidrRange, compareRanges, formatRange, lastAddress, toRange } from '#domain/cidr';
import { type CidrSegments, cidrSegmentsOf, wordsValue } from '#domain/detect/cidr-matcher';
import { InvalidInputError } from '#domain/errors';
import { parseWith } from '#domain/validate';

/** The readable data file. */
export const IP_RANGES_DATA_FILE = fileURLToPath(new URL('data/aws-ip-ranges.json', import.meta.url));

/** The generated module every function bundles. */
export const IP_RANGES_SNAPSHOT_MODULE = fileURLToPath(
  new URL('../shared/domain/aws-ip-ranges-snapshot.ts', import.meta.url),
);

const NOTE =
  'The prefixes of https://ip-ranges.amazonaws.com/ip-ranges.json as published then, grouped by "SERVICE region" and space-separated, except each AMAZON entry whose prefix another service also lists (every service implies AMAZON). npm run gen:ip-ranges writes shared/domain/aws-ip-ranges-snapshot.ts from this file.';

const DataSchema = v.object({
  source: v.pipe(v.string(), v.minLength(1)),
  archive: v.pipe(v.string(), v.minLength(1)),
  archiveCommit: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'must be a 40-digit commit id')),
  note: v.string(),
  syncToken: v.string(),
  createDate: v.string(),
  groups: v.record(v.pipe(v.string(), v.regex(/^\S+ \S+$/, 'must be "SERVICE region"')), v.string()),
});

/**
 * The data file: AWS's prefixes grouped by `SERVICE region` (space-separated CIDRs, an `AMAZON` entry left
 * out where another service lists its prefix), with the dates AWS gave them and where they were archived.
 * A JSON object of groups rather than AWS's own shape: a quarter of the size (AWS's shape is over the 1 MiB
 * the formatter checks), and a refresh shows as a change to the groups that changed.
 */
export type IpRangesData = v.InferOutput<typeof DataSchema>;

/** Reads the data file's content. Throws InvalidInputError naming the field and the value that is wrong. */
export function readIpRangesData(json: unknown): IpRangesData {
  return parseWith(DataSchema, json, 'aws-ip-ranges.json');
}

/** The data in AWS's `ip-ranges.json` shape, as `parseAwsIpRanges` reads it. */
export function ipRangesJsonOf(data: IpRangesData): {
  syncToken: string;
  createDate: string;
  prefixes: { ip_prefix: string; region: string; service: string }[];
  ipv6_prefixes: { ipv6_prefix: string; region: string; service: string }[];
} {
  const rows = Object.entries(data.groups).flatMap(([group, cidrs]) => {
    const [service = '', region = ''] = group.split(' ');
    return cidrs.split(' ').map((cidr) => ({ cidr, service, region }));
  });
  return {
    syncToken: data.syncToken,
    createDate: data.createDate,
    prefixes: rows
      .filter((row) => !row.cidr.includes(':'))
      .map(({ cidr, region, service }) => ({ ip_prefix: cidr, region, service })),
    ipv6_prefixes: rows
      .filter((row) => row.cidr.includes(':'))
      .map(({ cidr, region, service }) => ({ ipv6_prefix: cidr, region, service })),
  };
}

/**
 * The data file's content for AWS's `ip-ranges.json`: grouped, each `AMAZON` entry whose prefix another
 * service lists left out. Throws InvalidInputError naming the field when the file is not valid.
 */
export function groupIpRanges(
  json: unknown,
  provenance: { source: string; archive: string; archiveCommit: string },
): IpRangesData {
  const { syncToken, createDate, prefixes } = readAwsIpRangesContent(json);
  const listedByAService = new Set(prefixes.filter((p) => p.service !== SUPERSET_SERVICE).map((p) => p.cidr));
  const groups: Record<string, string> = {};
  for (const { cidr, service, region } of prefixes) {
    if (service === SUPERSET_SERVICE && listedByAService.has(cidr)) continue;
    const key = `${service} ${region}`;
    groups[key] = groups[key] === undefined ? cidr : `${groups[key]} ${cidr}`;
  }
  const sorted = Object.fromEntries(Object.entries(groups).sort(([a], [b]) => (a < b ? -1 : 1)));
  return readIpRangesData({ ...provenance, note: NOTE, syncToken, createDate, groups: sorted });
}

/** The text of the snapshot module for the data file's content. Throws InvalidInputError for a bad CIDR. */
export function renderAwsIpRangesSnapshot(data: IpRangesData): string {
  const { source, archive, archiveCommit } = data;
  const { syncToken, createDate, prefixes } = readAwsIpRangesContent(ipRangesJsonOf(data));
  const { services, regions, bytes, segments } = encode(prefixes);
  return `/**
 * AWS's published IP ranges as shipped with the package. Generated by \`npm run gen:ip-ranges\` from
 * infra/data/aws-ip-ranges.json: edit that file, not this one.
 *
 * Source: \`ip-ranges.json\` (https://ip-ranges.amazonaws.com/ip-ranges.json), syncToken ${syncToken},
 * createDate ${createDate}, as archived in ${archive}
 * (commit ${archiveCommit}).
 * ${prefixes.length} rows (prefix, service, region); an \`AMAZON\` row whose prefix another service also lists
 * is left out, since every service implies \`AMAZON\`. The encoding is described on \`AwsIpRangesSnapshot\`.
 * A deployment can load a fresher file at run time (\`readAwsIpRanges\` in the adapters, then the policy
 * context's \`awsIpRanges\`).
 */
import type { AwsIpRangesSnapshot } from './aws-ip-ranges';

/** The snapshot; see the file header for its source and date. */
export const AWS_IP_RANGES_SNAPSHOT: AwsIpRangesSnapshot = {
  source: ${quote(source)},
  syncToken: ${quote(syncToken)},
  createDate: ${quote(createDate)},
  services:
    ${quote(services.join(' '))},
  regions:
    ${quote(regions.join(' '))},
  prefixes:
    ${quote(Buffer.from(bytes).toString('base64'))},
  segments:
    ${quote(Buffer.from(segments).toString('base64'))},
};
`;
}

/** A single-quoted literal, as the formatter writes it. */
function quote(text: string): string {
  if (/['\\\n]/.test(text)) throw new InvalidInputError(`${JSON.stringify(text)} cannot be quoted plainly`);
  return `'${text}'`;
}

/** The encoding that `AwsIpRangesSnapshot` describes. */
function encode(prefixes: readonly AwsIpPrefix[]): {
  services: string[];
  regions: string[];
  bytes: number[];
  segments: number[];
} {
  const services = [...new Set(prefixes.map((p) => p.service))].sort();
  const regions = [...new Set(prefixes.map((p) => p.region))].sort();
  // The most used groups first, so that most rows spend one byte on theirs.
  const uses = new Map<string, number>();
  for (const { service, region } of prefixes) {
    const key = `${service} ${region}`;
    uses.set(key, (uses.get(key) ?? 0) + 1);
  }
  const groups = [...uses.keys()].sort(
    (a, b) => (uses.get(b) as number) - (uses.get(a) as number) || (a < b ? -1 : 1),
  );
  const groupIndex = new Map(groups.map((key, index) => [key, index]));
  const rows = prefixes
    .map((p) => ({ range: toRange(p.cidr), group: groupIndex.get(`${p.service} ${p.region}`) as number }))
    .sort((a, b) => compareRanges(a.range, b.range) || a.group - b.group);

  const bytes: number[] = [];
  const write = (value: bigint | number) => writeVarint(bytes, value);
  write(groups.length);
  for (const key of groups) {
    const [service = '', region = ''] = key.split(' ');
    write(services.indexOf(service));
    write(regions.indexOf(region));
  }
  for (const family of [4, 6] as const) {
    const ofFamily = rows.filter((row) => row.range.family === family);
    write(ofFamily.length);
    let previous = 0n;
    for (const { range, group } of ofFamily) {
      const hostBits = BigInt((family === 4 ? 32 : 128) - range.prefixLength);
      write(range.prefixLength);
      write((range.network >> hostBits) - (previous >> hostBits));
      write(group);
      previous = range.network;
    }
  }
  return { services, regions, bytes, segments: encodeSegments(rows.map((row) => row.range)) };
}

/** Appends `value` as an unsigned LEB128 varint. */
function writeVarint(bytes: number[], value: bigint | number): void {
  let rest = BigInt(value);
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
}

/**
 * The `segments` of `AwsIpRangesSnapshot`: the sweep's segments of the distinct prefixes among `sorted` (in
 * address order, as the rows are), each told by its owner and where its ends lie. Throws InvalidInputError
 * if a segment cannot be told so, which the sweep never makes: a segment starts at its owner's network or
 * where its parent resumes after a child, and ends at its owner's last address or where a child starts.
 */
function encodeSegments(sorted: readonly CidrRange[]): number[] {
  const distinct = sorted.filter(
    (range, index) => index === 0 || compareRanges(sorted[index - 1] as CidrRange, range) !== 0,
  );
  const of = (family: 4 | 6) => distinct.filter((range) => range.family === family);
  const columns = <N>(family: 4 | 6, toN: (network: bigint) => N) => ({
    networks: of(family).map((range) => toN(range.network)),
    prefixLengths: of(family).map((range) => range.prefixLength),
  });
  const table = cidrSegmentsOf(
    columns(4, Number),
    columns(6, (network) => network),
  );
  const bytes: number[] = [];
  for (const segments of [table.v4, table.v6]) {
    const owners = of(segments.family);
    const list = segmentList(segments);
    writeVarint(bytes, list.length);
    let previous = -1;
    let run = 0;
    const flush = () => {
      if (run > 0) writeVarint(bytes, 2 * run + 1);
      run = 0;
    };
    list.forEach(({ first, last, owner }, index) => {
      const range = owners[owner] as CidrRange;
      const startsAtNetwork = first === range.network;
      const endsAtLast = last === lastAddress(range);
      const next = list[index + 1];
      if (
        (!startsAtNetwork && first !== (list[index - 1]?.last ?? -1n) + 1n) ||
        (!endsAtLast &&
          (!next || next.first !== last + 1n || next.first !== (owners[next.owner] as CidrRange).network))
      ) {
        throw new InvalidInputError(
          `segment ${first}-${last} of ${formatRange(range)} starts or ends where no neighbour does`,
          `segments.v${segments.family}[${index}]`,
        );
      }
      if (owner === previous + 1 && startsAtNetwork && endsAtLast) {
        run++;
      } else {
        flush();
        const delta = owner - previous;
        const zigzag = delta >= 0 ? 2 * delta : -2 * delta - 1;
        writeVarint(bytes, 2 * (4 * zigzag + (startsAtNetwork ? 2 : 0) + (endsAtLast ? 1 : 0)));
      }
      previous = owner;
    });
    flush();
  }
  return bytes;
}

/** Segments as bigints: the addresses `first` to `last`, both included, belong to entry `owner`. */
function segmentList(segments: CidrSegments): { first: bigint; last: bigint; owner: number }[] {
  const words = segments.family === 4 ? 1 : 4;
  const address = (from: Uint32Array, index: number) => wordsValue(from, words * index, words);
  return Array.from(segments.owners, (owner, index) => ({
    first: address(segments.firsts, index),
    last: address(segments.lasts, index),
    owner,
  }));
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, from, source, archive, archiveCommit] = process.argv.slice(2);
  if (flag === '--from') {
    if (!from || !source || !archive || !archiveCommit) {
      throw new InvalidInputError(
        'usage: --from <ip-ranges.json> <source> <archive> <archiveCommit>',
        'argv',
      );
    }
    const data = groupIpRanges(readJson(from), { source, archive, archiveCommit });
    writeFileSync(IP_RANGES_DATA_FILE, `${JSON.stringify(data, null, 2)}\n`);
  }
  writeFileSync(
    IP_RANGES_SNAPSHOT_MODULE,
    renderAwsIpRangesSnapshot(readIpRangesData(readJson(IP_RANGES_DATA_FILE))),
  );
}
