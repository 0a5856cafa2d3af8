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
import {
  type CidrMatcher,
  type CidrSegments,
  type CidrSegmentTable,
  cidrMatcherFromSegments,
  cidrSegmentsOf,
  wordsValue,
} from './detect/cidr-matcher';
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
export const SUPERSET_SERVICE = 'AMAZON';

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
 * `infra/data/aws-ip-ranges.json`. `prefixes` and `segments` are base64 of byte strings of unsigned LEB128
 * varints. `prefixes` holds:
 *
 * * the groups: their count, then for each its index in `services` and its index in `regions`
 *   (space-separated names);
 * * the IPv4 rows: their count, then for each its prefix length, its network as a delta and its group index;
 * * the IPv6 rows, the same way.
 *
 * One row per published (prefix, service, region), sorted by network then prefix length. A delta is the
 * network minus the previous row's network, both shifted right by the row's host bits (a row's network has
 * none set), so a /24 costs the bits of a /24, not of a /32. Decoding therefore parses no CIDR text, and
 * makes no bigint: IPv4 networks are numbers, IPv6 networks four uint32 words.
 *
 * `segments` holds what a lookup searches (see `CidrSegments`): for IPv4, then IPv6, the count of
 * segments, then tokens that give each segment's owner, an index into the family's distinct prefixes in
 * row order. A token `t` is odd for `(t - 1) / 2` segments in a row that each own the prefix after the
 * previous segment's, whole. An even `t` is one segment, `t / 2 = 4 * zigzag(owner - previous owner) +
 * 2 * s + e` (the previous owner of the first segment is -1): with `s` it starts at its owner's network,
 * else right after the previous segment; with `e` it ends at its owner's last address, else right before
 * the next segment, which then starts at its own owner's network. Loading therefore sweeps and sorts nothing.
 */
export interface AwsIpRangesSnapshot {
  readonly source: string;
  readonly syncToken: string;
  readonly createDate: string;
  readonly services: string;
  readonly regions: string;
  readonly prefixes: string;
  readonly segments: string;
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
  const table = tableOf(prefixes);
  const segments = sweptSegments(table);
  return indexAwsIpRanges(
    `${source} (syncToken ${syncToken}, createDate ${createDate})`,
    syncToken,
    createDate,
    table.groups,
    { prefixes: table.v4, segments: segments.v4 },
    () => ({ prefixes: table.v6, segments: segments.v6 }),
  );
}

let snapshot: AwsIpRanges | undefined;

/**
 * The ranges shipped with the package, indexed on first use and then shared. The IPv6 half is decoded on the
 * first IPv6 lookup: most invocations never make one, and every function loads the snapshot at cold start.
 */
export function awsIpRangesSnapshot(): AwsIpRanges {
  if (!snapshot) {
    const { source, syncToken, createDate } = AWS_IP_RANGES_SNAPSHOT;
    const decoded = decodeSnapshot(AWS_IP_RANGES_SNAPSHOT);
    snapshot = indexAwsIpRanges(
      `the snapshot shipped with the package (syncToken ${syncToken}, createDate ${createDate}, ${source})`,
      syncToken,
      createDate,
      decoded.groups,
      decoded.v4,
      decoded.v6,
    );
  }
  return snapshot;
}

/** Every (prefix, service, region) the shipped snapshot holds, in address order: for listings and checks. */
export function awsIpRangesSnapshotPrefixes(): AwsIpPrefix[] {
  const { groups, v4, v6 } = decodeSnapshot(AWS_IP_RANGES_SNAPSHOT);
  const rows = (prefixes: FamilyPrefixes) =>
    Array.from({ length: prefixes.prefixLengths.length }, (_, index) => {
      const cidr = cidrOf(prefixes, index);
      return groupsListing(groups, prefixes, index).map(({ service, region }) => ({ cidr, service, region }));
    }).flat();
  return [...rows(v4.prefixes), ...rows(v6().prefixes)];
}

/** The segments the shipped snapshot carries, as loading decodes them: for checks. */
export function awsIpRangesSnapshotSegments(): CidrSegmentTable {
  const { v4, v6 } = decodeSnapshot(AWS_IP_RANGES_SNAPSHOT);
  const { prefixes, segments } = v6();
  return {
    v4: v4.segments,
    v6: segments,
    size: v4.prefixes.prefixLengths.length + prefixes.prefixLengths.length,
  };
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
 * Networks are uint32 words, as segments hold addresses: one per IPv4 prefix, four per IPv6 prefix.
 */
interface FamilyPrefixes {
  readonly family: 4 | 6;
  readonly networks: Uint32Array;
  readonly prefixLengths: Uint8Array;
  readonly firsts: ArrayLike<number>;
  readonly listedBy: ArrayLike<number>;
}

/** Published prefixes as numbers: what a parsed file and the decoded snapshot both become. */
interface PrefixTable {
  readonly groups: readonly Group[];
  readonly v4: FamilyPrefixes;
  readonly v6: FamilyPrefixes;
}

/** One family's distinct prefixes and the segments a lookup searches. */
interface IndexedFamily {
  readonly prefixes: FamilyPrefixes;
  readonly segments: CidrSegments;
}

/** The groups that list prefix `index`. */
function groupsListing(groups: readonly Group[], prefixes: FamilyPrefixes, index: number): Group[] {
  const listing: Group[] = [];
  for (let row = prefixes.firsts[index] as number; row < (prefixes.firsts[index + 1] as number); row++) {
    listing.push(groups[prefixes.listedBy[row] as number] as Group);
  }
  return listing;
}

/** The network of prefix `index` as a bigint. */
function networkOf(prefixes: FamilyPrefixes, index: number): bigint {
  const words = prefixes.family === 4 ? 1 : 4;
  return wordsValue(prefixes.networks, words * index, words);
}

/** The CIDR text of prefix `index`. */
function cidrOf(prefixes: FamilyPrefixes, index: number): string {
  return formatRange({
    family: prefixes.family,
    network: networkOf(prefixes, index),
    prefixLength: prefixes.prefixLengths[index] as number,
  });
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
  const family = (which: 4 | 6): FamilyPrefixes => {
    const words = which === 4 ? 1 : 4;
    const sorted = rows
      .filter((row) => row.range.family === which)
      .sort((a, b) => compareRanges(a.range, b.range));
    const networks: number[] = [];
    const prefixLengths: number[] = [];
    const firsts: number[] = [];
    sorted.forEach(({ range }, row) => {
      const previous = sorted[row - 1]?.range;
      if (!previous || compareRanges(previous, range) !== 0) {
        for (let word = words - 1; word >= 0; word--) {
          networks.push(Number((range.network >> BigInt(32 * word)) & 0xffffffffn));
        }
        prefixLengths.push(range.prefixLength);
        firsts.push(row);
      }
    });
    firsts.push(sorted.length);
    return {
      family: which,
      networks: Uint32Array.from(networks),
      prefixLengths: Uint8Array.from(prefixLengths),
      firsts,
      listedBy: sorted.map((row) => row.group),
    };
  };
  return { groups, v4: family(4), v6: family(6) };
}

/** The segments of a table's prefixes, by the sweep: for a file read at run time. */
function sweptSegments(table: PrefixTable): CidrSegmentTable {
  const v6Networks = Array.from({ length: table.v6.prefixLengths.length }, (_, index) =>
    networkOf(table.v6, index),
  );
  return cidrSegmentsOf(table.v4, { networks: v6Networks, prefixLengths: table.v6.prefixLengths });
}

/** A reader of the unsigned LEB128 varints of a base64 string. */
interface VarintReader {
  /** The next varint, exact up to 2^53. */
  next(): number;
  /**
   * Adds the next varint, shifted left by `shift` bits, to the 128-bit value held as eight 16-bit groups, most
   * significant first; true when the varint was not 0. Bits past the 128th are dropped. Groups rather than
   * words keep every intermediate a small integer, which code that has not been optimised yet adds cheaply.
   */
  addTo(groups: Uint16Array, shift: number): boolean;
}

function varintReader(base64: string): VarintReader {
  // atob, not Buffer: the domain runs on any JavaScript runtime; one char code per byte.
  const bytes = atob(base64);
  let at = 0;
  return {
    next() {
      let value = 0;
      let scale = 1;
      for (;;) {
        const byte = bytes.charCodeAt(at++);
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 0x80;
      }
    },
    addTo(groups, shift) {
      let any = false;
      for (let bit = shift; ; bit += 7) {
        const byte = bytes.charCodeAt(at++);
        const chunk = byte & 0x7f;
        if (chunk !== 0) {
          any = true;
          // Seven bits at `bit`: at most 22 bits in the group they start in, then the carry.
          let carry = chunk << (bit % 16);
          for (let group = 7 - (bit >> 4); group >= 0 && carry > 0; group--) {
            const sum = (groups[group] as number) + carry;
            groups[group] = sum & 0xffff;
            carry = sum >> 16;
          }
        }
        if (byte < 0x80) return any;
      }
    },
  };
}

/**
 * Decodes the shipped snapshot (format: {@link AwsIpRangesSnapshot}): the groups and IPv4 now, IPv6 the first
 * time `v6` is called (each family's rows and segments follow the other's, so IPv4 is always read first).
 */
function decodeSnapshot(encoded: AwsIpRangesSnapshot): {
  groups: Group[];
  v4: IndexedFamily;
  v6: () => IndexedFamily;
} {
  const rows = varintReader(encoded.prefixes);
  const segments = varintReader(encoded.segments);
  const groups = decodeGroups(rows, encoded);
  const v4Prefixes = decodeV4Rows(rows);
  const v4 = { prefixes: v4Prefixes, segments: decodeV4Segments(segments, v4Prefixes) };
  let v6: IndexedFamily | undefined;
  return {
    groups,
    v4,
    v6: () => {
      if (!v6) {
        const v6Prefixes = decodeV6Rows(rows);
        v6 = { prefixes: v6Prefixes, segments: decodeV6Segments(segments, v6Prefixes) };
      }
      return v6;
    },
  };
}

/** The groups: `SERVICE region` pairs that rows refer to by index. */
function decodeGroups(varints: VarintReader, encoded: AwsIpRangesSnapshot): Group[] {
  const read = varints.next;
  const services = encoded.services.split(' ');
  const regions = encoded.regions.split(' ');
  return Array.from({ length: read() }, () => ({
    service: services[read()] as string,
    region: regions[read()] as string,
  }));
}

/** The distinct IPv4 prefixes of the rows, IPv4 networks as numbers. */
function decodeV4Rows(varints: VarintReader): FamilyPrefixes {
  const read = varints.next;
  // Rows come sorted, so the rows of one prefix are adjacent: a row with the previous row's prefix length and
  // a delta of 0 lists the same prefix again.
  const v4Rows = read();
  const v4 = {
    networks: new Uint32Array(v4Rows),
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
  return {
    family: 4,
    networks: v4.networks.subarray(0, v4Count),
    prefixLengths: v4.prefixLengths.subarray(0, v4Count),
    firsts: v4.firsts.subarray(0, v4Count + 1),
    listedBy: v4.listedBy,
  };
}

/** The distinct IPv6 prefixes of the rows, networks as four uint32 words, made with no bigint. */
function decodeV6Rows(varints: VarintReader): FamilyPrefixes {
  const read = varints.next;
  const v6Rows = read();
  const v6 = {
    networks: new Uint32Array(4 * v6Rows),
    prefixLengths: new Uint8Array(v6Rows),
    firsts: new Uint32Array(v6Rows + 1),
    listedBy: new Uint16Array(v6Rows),
  };
  // The previous row's network as 16-bit groups: its low host bits cleared, then the delta added.
  const network6 = new Uint16Array(8);
  let v6Count = 0;
  for (let row = 0; row < v6Rows; row++) {
    const prefixLength = read();
    for (let group = 7, host = 128 - prefixLength; group >= 0 && host > 0; group--, host -= 16) {
      network6[group] = host >= 16 ? 0 : (network6[group] as number) & ~((1 << host) - 1);
    }
    const moved = varints.addTo(network6, 128 - prefixLength);
    if (row === 0 || moved || prefixLength !== v6.prefixLengths[v6Count - 1]) {
      for (let word = 0; word < 4; word++) {
        v6.networks[4 * v6Count + word] =
          (network6[2 * word] as number) * 0x10000 + (network6[2 * word + 1] as number);
      }
      v6.prefixLengths[v6Count] = prefixLength;
      v6.firsts[v6Count] = row;
      v6Count++;
    }
    v6.listedBy[row] = read();
  }
  v6.firsts[v6Count] = v6Rows;
  return {
    family: 6,
    networks: v6.networks.subarray(0, 4 * v6Count),
    prefixLengths: v6.prefixLengths.subarray(0, v6Count),
    firsts: v6.firsts.subarray(0, v6Count + 1),
    listedBy: v6.listedBy,
  };
}

/** Sets the low `count` bits of the 128-bit value held as four uint32 words at `words[at]` to `bit` (0 or 1). */
function setLowBits(words: Uint32Array, at: number, count: number, bit: 0 | 1): void {
  for (let word = 3, left = count; word >= 0 && left > 0; word--, left -= 32) {
    // A mask of the low `count` bits of this word, as a number: shifts are 32-bit and `1 << 32` is 1.
    const mask = left >= 32 ? 0xffffffff : 2 ** left - 1;
    const value = words[at + word] as number;
    words[at + word] = bit === 1 ? (value | mask) >>> 0 : value - (value % (mask + 1));
  }
}

/**
 * Decodes the IPv4 segments (format: {@link AwsIpRangesSnapshot}) against the IPv4 prefixes: each boundary is
 * an owner's network, its last address, or next to the segment before or after it.
 */
function decodeV4Segments(varints: VarintReader, prefixes: FamilyPrefixes): CidrSegments {
  const read = varints.next;
  const v4Count = read();
  const v4 = {
    firsts: new Uint32Array(v4Count),
    lasts: new Uint32Array(v4Count),
    owners: new Uint32Array(v4Count),
  };
  const v4Networks = prefixes.networks;
  const v4Lengths = prefixes.prefixLengths;
  let owner = -1;
  let pending = false;
  let run = 0;
  for (let index = 0; index < v4Count; index++) {
    let startsAtNetwork = true;
    let endsAtLast = true;
    if (run > 0) {
      run--;
      owner++;
    } else {
      const token = read();
      if (token % 2 === 1) {
        run = (token - 1) / 2 - 1;
        owner++;
      } else {
        const fields = token / 2;
        owner += unzigzag(Math.floor(fields / 4));
        startsAtNetwork = (fields & 2) !== 0;
        endsAtLast = (fields & 1) !== 0;
      }
    }
    const network = v4Networks[owner] as number;
    const first = startsAtNetwork ? network : (v4.lasts[index - 1] as number) + 1;
    if (pending) v4.lasts[index - 1] = first - 1;
    v4.firsts[index] = first;
    v4.owners[index] = owner;
    pending = !endsAtLast;
    if (endsAtLast) v4.lasts[index] = network + 2 ** (32 - (v4Lengths[owner] as number)) - 1;
  }
  return { family: 4, ...v4 };
}

/**
 * decodeV4Segments for IPv6, the addresses as four uint32 words each. The token loop is written out in both:
 * a shared token reader costs a call per segment in code V8 has not optimised yet, about 2.5 ms of a cold start.
 */
function decodeV6Segments(varints: VarintReader, prefixes: FamilyPrefixes): CidrSegments {
  const read = varints.next;
  const v6Count = read();
  const v6 = {
    firsts: new Uint32Array(4 * v6Count),
    lasts: new Uint32Array(4 * v6Count),
    owners: new Uint32Array(v6Count),
  };
  const v6Networks = prefixes.networks;
  const v6Lengths = prefixes.prefixLengths;
  let owner = -1;
  let pending = false;
  let run = 0;
  for (let index = 0; index < v6Count; index++) {
    let startsAtNetwork = true;
    let endsAtLast = true;
    if (run > 0) {
      run--;
      owner++;
    } else {
      const token = read();
      if (token % 2 === 1) {
        run = (token - 1) / 2 - 1;
        owner++;
      } else {
        const fields = token / 2;
        owner += unzigzag(Math.floor(fields / 4));
        startsAtNetwork = (fields & 2) !== 0;
        endsAtLast = (fields & 1) !== 0;
      }
    }
    const at = 4 * index;
    if (startsAtNetwork) {
      copyWords(v6Networks, 4 * owner, v6.firsts, at);
    } else {
      copyWords(v6.lasts, at - 4, v6.firsts, at);
      step(v6.firsts, at, 1);
    }
    if (pending) {
      copyWords(v6.firsts, at, v6.lasts, at - 4);
      step(v6.lasts, at - 4, -1);
    }
    v6.owners[index] = owner;
    pending = !endsAtLast;
    if (endsAtLast) {
      copyWords(v6Networks, 4 * owner, v6.lasts, at);
      setLowBits(v6.lasts, at, 128 - (v6Lengths[owner] as number), 1);
    }
  }
  return { family: 6, ...v6 };
}

/** Copies the four words of a 128-bit value: no typed-array views, which cost an allocation each. */
function copyWords(from: Uint32Array, fromAt: number, to: Uint32Array, toAt: number): void {
  to[toAt] = from[fromAt] as number;
  to[toAt + 1] = from[fromAt + 1] as number;
  to[toAt + 2] = from[fromAt + 2] as number;
  to[toAt + 3] = from[fromAt + 3] as number;
}

/** The signed integer a zigzag-coded one stands for: 0, -1, 1, -2, 2… */
function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Adds `by` (1 or -1) to the 128-bit value held as four uint32 words at `words[at]`, carrying or borrowing. */
function step(words: Uint32Array, at: number, by: 1 | -1): void {
  for (let word = 3; word >= 0; word--) {
    const value = (words[at + word] as number) + by;
    words[at + word] = value;
    // No carry once a word neither wrapped past its top nor borrowed below 0.
    if (value >= 0 && value <= 0xffffffff) return;
  }
}

/**
 * Builds the index: one entry per distinct published prefix, its services and regions merged. The match
 * for a prefix (its CIDR text, merged services and regions) is made the first time a lookup reports it, and
 * the IPv6 half is asked for on the first IPv6 lookup.
 */
function indexAwsIpRanges(
  source: string,
  syncToken: string,
  createDate: string,
  groups: readonly Group[],
  v4: IndexedFamily,
  v6: () => IndexedFamily,
): AwsIpRanges {
  const matchers: { 4?: CidrMatcher<number>; 6?: CidrMatcher<number> } = {};
  const matches = { 4: [] as (AwsIpMatch | undefined)[], 6: [] as (AwsIpMatch | undefined)[] };
  const familyOf = (family: 4 | 6): IndexedFamily => (family === 4 ? v4 : v6());
  // Each segment's owner is the index of its prefix in its family's prefixes, and so is the value it stands for.
  const matcherOf = (family: 4 | 6): CidrMatcher<number> => {
    let matcher = matchers[family];
    if (!matcher) {
      const { prefixes, segments } = familyOf(family);
      const owners = indices(prefixes.prefixLengths.length);
      matcher = cidrMatcherFromSegments(
        family === 4
          ? { v4: segments, v6: NO_V6_SEGMENTS, size: owners.length }
          : { v4: NO_V4_SEGMENTS, v6: segments, size: owners.length },
        { v4: owners, v6: owners },
      );
      matchers[family] = matcher;
    }
    return matcher;
  };
  const matchOf = (family: 4 | 6, index: number): AwsIpMatch => {
    const cached = matches[family][index];
    if (cached) return cached;
    const prefixes = familyOf(family).prefixes;
    const listing = groupsListing(groups, prefixes, index);
    const named = [...new Set(listing.map((group) => group.service))]
      .filter((service) => service !== SUPERSET_SERVICE)
      .sort();
    const match: AwsIpMatch = {
      cidr: cidrOf(prefixes, index),
      services: named.length > 0 ? named : [SUPERSET_SERVICE],
      region: [...new Set(listing.map((group) => group.region))].sort().join(', '),
      rentable: named.length > 0 && named.every((service) => RENTABLE_SERVICES.has(service)),
    };
    matches[family][index] = match;
    return match;
  };
  matcherOf(4);
  return {
    source,
    syncToken,
    createDate,
    get size() {
      return matcherOf(4).size + matcherOf(6).size;
    },
    lookup: (range) => {
      const index = matcherOf(range.family).lookup(range);
      return index === null ? null : matchOf(range.family, index);
    },
  };
}

/** No segments, for the family a matcher does not hold. */
const NO_V4_SEGMENTS: CidrSegments = {
  family: 4,
  firsts: new Uint32Array(0),
  lasts: new Uint32Array(0),
  owners: new Uint32Array(0),
};
const NO_V6_SEGMENTS: CidrSegments = { ...NO_V4_SEGMENTS, family: 6 };

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
