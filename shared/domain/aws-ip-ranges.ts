/**
 * AWS's published IP ranges (`ip-ranges.json`) as the guard rails need them: which networks are AWS's own
 * service space, and which single addresses anyone can rent (EC2, Global Accelerator) and so stay blockable.
 * Parsed once into a sorted array of disjoint segments, so that a check is one binary search, not a scan of
 * some 11,000 prefixes. The snapshot shipped with the package is decoded straight into numbers (see
 * {@link AwsIpRangesSnapshot}): every function loads it at cold start, so it must cost a few milliseconds.
 */
import * as v from 'valibot';
import { AWS_IP_RANGES_SNAPSHOT } from './aws-ip-ranges-snapshot';
import { type CidrRange, compareRanges, formatRange, fromCanonicalCidr, toRange } from './cidr';
import { buildCidrMatcherFromColumns } from './detect/cidr-matcher';
import { InvalidInputError } from './errors';
import { type Indicator, parseIndicator } from './indicator';
import { parseWith } from './validate';

/**
 * Services whose addresses customers rent one at a time: an attacker can run a host on an EC2 Elastic IP or
 * behind an accelerator's two static addresses, so a single such address may be blocked. Every other service
 * (S3, DynamoDB, CloudFront's shared edges, API Gateway, Route 53, the `AMAZON` space not listed under EC2…)
 * is AWS's own or shared by many customers, and stays reachable.
 */
export const RENTABLE_SERVICES: ReadonlySet<string> = new Set(['EC2', 'GLOBALACCELERATOR']);

/** `AMAZON` lists every prefix again; it says nothing about a prefix that another service also lists. */
const SUPERSET_SERVICE = 'AMAZON';

/** One published prefix: `ip_prefix` or `ipv6_prefix` with its `service` and `region`. */
export interface AwsIpPrefix {
  readonly cidr: string;
  readonly service: string;
  readonly region: string;
}

/** The published prefix that decides about a network, as lookup finds it. */
export interface AwsIpMatch {
  /** The canonical CIDR as published. */
  readonly cidr: string;
  /** The services that list it, `AMAZON` left out unless it is the only one. */
  readonly services: readonly string[];
  readonly region: string;
  /** True when only EC2 or Global Accelerator (and `AMAZON`) list it: one address there may be blocked. */
  readonly rentable: boolean;
}

/** AWS's ranges, indexed. */
export interface AwsIpRanges {
  /** Where the data came from (`snapshot …` or a file path) and its `syncToken` and `createDate`. */
  readonly source: string;
  readonly syncToken: string;
  readonly createDate: string;
  /** Distinct published prefixes. */
  readonly size: number;
  /**
   * For a single address, the most specific published prefix that contains it; for a wider network, a
   * published prefix that overlaps it (the most specific one at the overlap); null when none does.
   */
  lookup(range: CidrRange): AwsIpMatch | null;
}

/**
 * The compact form shipped with the package, written by `npm run gen:ip-ranges` from
 * `infra/data/aws-ip-ranges.json`. `prefixes` is base64 of a byte string of unsigned LEB128 varints:
 *
 * * the groups: their count, then for each its index in `services` and its index in `regions`
 *   (space-separated names);
 * * the IPv4 rows: their count, then for each its prefix length, its network as a delta and its group index;
 * * the IPv6 rows, the same way.
 *
 * One row per published (prefix, service, region), sorted by network then prefix length. A delta is the
 * network minus the previous row's network, both shifted right by the row's host bits (a row's network has
 * none set), so a /24 costs the bits of a /24, not of a /32. Decoding therefore parses no CIDR text, and
 * IPv4 stays in numbers.
 */
export interface AwsIpRangesSnapshot {
  readonly source: string;
  readonly syncToken: string;
  readonly createDate: string;
  readonly services: string;
  readonly regions: string;
  readonly prefixes: string;
}

const IpRangesSchema = v.object({
  syncToken: v.string(),
  createDate: v.string(),
  prefixes: v.pipe(
    v.array(v.object({ ip_prefix: v.string(), region: v.string(), service: v.string() })),
    v.minLength(1, 'must list at least one prefix: an empty file would lift every AWS guard rail'),
  ),
  ipv6_prefixes: v.array(v.object({ ipv6_prefix: v.string(), region: v.string(), service: v.string() })),
});

/** The validated content of an `ip-ranges.json`: its dates and every prefix with a canonical CIDR. */
export interface AwsIpRangesContent {
  readonly syncToken: string;
  readonly createDate: string;
  readonly prefixes: readonly AwsIpPrefix[];
}

/**
 * Reads the content of AWS's `ip-ranges.json` (already read and JSON-decoded) into its prefixes, IPv4 then
 * IPv6 as listed. Throws InvalidInputError naming the field and the value that is wrong.
 */
export function readAwsIpRangesContent(json: unknown): AwsIpRangesContent {
  const raw = parseWith(IpRangesSchema, json, 'ip-ranges');
  return {
    syncToken: raw.syncToken,
    createDate: raw.createDate,
    prefixes: [
      ...raw.prefixes.map((p, i) => ({
        cidr: canonicalCidr(p.ip_prefix, `ip-ranges.prefixes[${i}].ip_prefix`, 4),
        service: p.service,
        region: p.region,
      })),
      ...raw.ipv6_prefixes.map((p, i) => ({
        cidr: canonicalCidr(p.ipv6_prefix, `ip-ranges.ipv6_prefixes[${i}].ipv6_prefix`, 6),
        service: p.service,
        region: p.region,
      })),
    ],
  };
}

/**
 * Parses the content of AWS's `ip-ranges.json` (already read and JSON-decoded) and indexes it. `source` says
 * where it came from, for messages. Throws InvalidInputError naming the field and the value that is wrong.
 */
export function parseAwsIpRanges(json: unknown, source: string): AwsIpRanges {
  const { syncToken, createDate, prefixes } = readAwsIpRangesContent(json);
  return indexAwsIpRanges(
    `${source} (syncToken ${syncToken}, createDate ${createDate})`,
    syncToken,
    createDate,
    tableOf(prefixes),
  );
}

let snapshot: AwsIpRanges | undefined;

/** The ranges shipped with the package, indexed on first use and then shared. */
export function awsIpRangesSnapshot(): AwsIpRanges {
  if (!snapshot) {
    const { source, syncToken, createDate } = AWS_IP_RANGES_SNAPSHOT;
    snapshot = indexAwsIpRanges(
      `the snapshot shipped with the package (syncToken ${syncToken}, createDate ${createDate}, ${source})`,
      syncToken,
      createDate,
      decodeSnapshot(AWS_IP_RANGES_SNAPSHOT),
    );
  }
  return snapshot;
}

/** Every (prefix, service, region) the shipped snapshot holds, in address order: for listings and checks. */
export function awsIpRangesSnapshotPrefixes(): AwsIpPrefix[] {
  const table = decodeSnapshot(AWS_IP_RANGES_SNAPSHOT);
  const rows = (family: 4 | 6, prefixes: FamilyPrefixes<number | bigint>) =>
    Array.from({ length: prefixes.networks.length }, (_, index) => {
      const network = BigInt(prefixes.networks[index] as number | bigint);
      const cidr = formatRange({ family, network, prefixLength: prefixes.prefixLengths[index] as number });
      return groupsListing(table, prefixes, index).map(({ service, region }) => ({ cidr, service, region }));
    }).flat();
  return [...rows(4, table.v4), ...rows(6, table.v6)];
}

function canonicalCidr(value: string, field: string, family: 4 | 6): string {
  const indicator = parseIndicator(value, field);
  if (indicator.kind === 'domain' || indicator.family !== family) {
    throw new InvalidInputError(`${JSON.stringify(value)} is not an IPv${family} CIDR`, field);
  }
  return indicator.value;
}

/** One `SERVICE region` pair of the published list. */
interface Group {
  readonly service: string;
  readonly region: string;
}

/**
 * The distinct published prefixes of one family, sorted by network then prefix length, and the groups that
 * list each: prefix `i` is listed by `listedBy[firsts[i]]` up to, not including, `listedBy[firsts[i + 1]]`.
 */
interface FamilyPrefixes<N extends number | bigint> {
  readonly networks: ArrayLike<N>;
  readonly prefixLengths: ArrayLike<number>;
  readonly firsts: ArrayLike<number>;
  readonly listedBy: ArrayLike<number>;
}

/** Published prefixes as numbers: what a parsed file and the decoded snapshot both become. */
interface PrefixTable {
  readonly groups: readonly Group[];
  readonly v4: FamilyPrefixes<number>;
  readonly v6: FamilyPrefixes<bigint>;
}

/** The groups that list prefix `index`. */
function groupsListing(
  table: PrefixTable,
  prefixes: FamilyPrefixes<number | bigint>,
  index: number,
): Group[] {
  const groups: Group[] = [];
  for (let row = prefixes.firsts[index] as number; row < (prefixes.firsts[index + 1] as number); row++) {
    groups.push(table.groups[prefixes.listedBy[row] as number] as Group);
  }
  return groups;
}

/** Sorts parsed prefixes (canonical CIDRs) into a table. */
function tableOf(prefixes: readonly AwsIpPrefix[]): PrefixTable {
  const groups: Group[] = [];
  const groupIndex = new Map<string, number>();
  const rows = prefixes.map(({ cidr, service, region }) => {
    const key = `${service} ${region}`;
    let group = groupIndex.get(key);
    if (group === undefined) {
      group = groups.push({ service, region }) - 1;
      groupIndex.set(key, group);
    }
    // Canonical: readAwsIpRangesContent checked each CIDR.
    return { range: fromCanonicalCidr(cidr), group };
  });
  const family = <N extends number | bigint>(
    which: 4 | 6,
    toN: (network: bigint) => N,
  ): FamilyPrefixes<N> => {
    const sorted = rows
      .filter((row) => row.range.family === which)
      .sort((a, b) => compareRanges(a.range, b.range));
    const networks: N[] = [];
    const prefixLengths: number[] = [];
    const firsts: number[] = [];
    sorted.forEach(({ range }, row) => {
      const previous = sorted[row - 1]?.range;
      if (!previous || compareRanges(previous, range) !== 0) {
        networks.push(toN(range.network));
        prefixLengths.push(range.prefixLength);
        firsts.push(row);
      }
    });
    firsts.push(sorted.length);
    return { networks, prefixLengths, firsts, listedBy: sorted.map((row) => row.group) };
  };
  return { groups, v4: family(4, Number), v6: family(6, (network) => network) };
}

/** Decodes the shipped snapshot (format: {@link AwsIpRangesSnapshot}). */
function decodeSnapshot(encoded: AwsIpRangesSnapshot): PrefixTable {
  // atob, not Buffer: the domain runs on any JavaScript runtime; one char code per byte.
  const bytes = atob(encoded.prefixes);
  let at = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes.charCodeAt(at++);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const readBig = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes.charCodeAt(at++);
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
    }
  };
  const services = encoded.services.split(' ');
  const regions = encoded.regions.split(' ');
  const groups = Array.from({ length: read() }, () => ({
    service: services[read()] as string,
    region: regions[read()] as string,
  }));

  // Rows come sorted, so the rows of one prefix are adjacent: a row with the previous row's prefix length and
  // a delta of 0 lists the same prefix again.
  const v4Rows = read();
  const v4 = {
    networks: new Float64Array(v4Rows),
    prefixLengths: new Uint8Array(v4Rows),
    firsts: new Uint32Array(v4Rows + 1),
    listedBy: new Uint16Array(v4Rows),
  };
  let v4Count = 0;
  let network4 = 0;
  for (let row = 0; row < v4Rows; row++) {
    const prefixLength = read();
    // Powers of two rather than shifts: JavaScript shifts are 32-bit signed, and a /0 shifts by 32.
    const size = 2 ** (32 - prefixLength);
    const delta = read();
    if (row === 0 || delta !== 0 || prefixLength !== v4.prefixLengths[v4Count - 1]) {
      network4 = (Math.floor(network4 / size) + delta) * size;
      v4.networks[v4Count] = network4;
      v4.prefixLengths[v4Count] = prefixLength;
      v4.firsts[v4Count] = row;
      v4Count++;
    }
    v4.listedBy[row] = read();
  }
  v4.firsts[v4Count] = v4Rows;

  const v6Rows = read();
  const v6 = {
    networks: [] as bigint[],
    prefixLengths: new Uint8Array(v6Rows),
    firsts: new Uint32Array(v6Rows + 1),
    listedBy: new Uint16Array(v6Rows),
  };
  let network6 = 0n;
  for (let row = 0; row < v6Rows; row++) {
    const prefixLength = read();
    const delta = readBig();
    const v6Count = v6.networks.length;
    if (row === 0 || delta !== 0n || prefixLength !== v6.prefixLengths[v6Count - 1]) {
      const hostBits = BigInt(128 - prefixLength);
      network6 = ((network6 >> hostBits) + delta) << hostBits;
      v6.networks.push(network6);
      v6.prefixLengths[v6Count] = prefixLength;
      v6.firsts[v6Count] = row;
    }
    v6.listedBy[row] = read();
  }
  v6.firsts[v6.networks.length] = v6Rows;
  return {
    groups,
    v4: {
      networks: v4.networks.subarray(0, v4Count),
      prefixLengths: v4.prefixLengths.subarray(0, v4Count),
      firsts: v4.firsts.subarray(0, v4Count + 1),
      listedBy: v4.listedBy,
    },
    v6: {
      networks: v6.networks,
      prefixLengths: v6.prefixLengths.subarray(0, v6.networks.length),
      firsts: v6.firsts.subarray(0, v6.networks.length + 1),
      listedBy: v6.listedBy,
    },
  };
}

/**
 * Builds the index: one entry per distinct published prefix, its services and regions merged. The match
 * for a prefix (its CIDR text, merged services and regions) is made the first time a lookup reports it.
 */
function indexAwsIpRanges(
  source: string,
  syncToken: string,
  createDate: string,
  table: PrefixTable,
): AwsIpRanges {
  // Each entry's value is its index in its family's prefixes.
  const matcher = buildCidrMatcherFromColumns(
    { ...table.v4, values: indices(table.v4.networks.length) },
    { ...table.v6, values: indices(table.v6.networks.length) },
  );
  const matches = { 4: [] as (AwsIpMatch | undefined)[], 6: [] as (AwsIpMatch | undefined)[] };
  const matchOf = (family: 4 | 6, index: number): AwsIpMatch => {
    const prefixes = table[family === 4 ? 'v4' : 'v6'];
    const cached = matches[family][index];
    if (cached) return cached;
    const groups = groupsListing(table, prefixes, index);
    const named = [...new Set(groups.map((group) => group.service))]
      .filter((service) => service !== SUPERSET_SERVICE)
      .sort();
    const match: AwsIpMatch = {
      cidr: formatRange({
        family,
        network: BigInt(prefixes.networks[index] as number | bigint),
        prefixLength: prefixes.prefixLengths[index] as number,
      }),
      services: named.length > 0 ? named : [SUPERSET_SERVICE],
      region: [...new Set(groups.map((group) => group.region))].sort().join(', '),
      rentable: named.length > 0 && named.every((service) => RENTABLE_SERVICES.has(service)),
    };
    matches[family][index] = match;
    return match;
  };
  return {
    source,
    syncToken,
    createDate,
    size: matcher.size,
    lookup: (range) => {
      const index = matcher.lookup(range);
      return index === null ? null : matchOf(range.family, index);
    },
  };
}

/** 0, 1, … count - 1. */
function indices(count: number): Uint32Array {
  const all = new Uint32Array(count);
  for (let index = 0; index < count; index++) all[index] = index;
  return all;
}

/**
 * Whether an address (as a log writes it) is AWS's own service space (S3, DynamoDB, CloudFront…): never an
 * address customers rent (EC2 Elastic IPs, Global Accelerator), and false for anything that is no address.
 */
export function isAwsServiceAddress(ranges: AwsIpRanges, address: string): boolean {
  let indicator: Indicator;
  try {
    indicator = parseIndicator(address, 'address');
  } catch {
    return false;
  }
  return indicator.kind !== 'domain' && ranges.lookup(toRange(indicator.value))?.rentable === false;
}
