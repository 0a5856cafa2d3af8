/**
 * Longest-prefix matching over many CIDRs (AWS's ip-ranges, IP threat feeds of 100,000 entries): the entries
 * are split once into sorted, disjoint segments of the address space, each owned by the most specific entry
 * that covers it, so that a lookup is one binary search, whatever the number of entries. CIDR blocks are
 * always nested or disjoint, so nested and duplicate entries are all this has to handle.
 */
import ipaddr from 'ipaddr.js';
import { type CidrRange, formatRange, lastAddress } from '../cidr';
import { InvalidInputError } from '../errors';

/** One entry to index: a network and what it stands for. */
export interface CidrEntry<T> {
  readonly range: CidrRange;
  readonly value: T;
}

/** An index of networks; lookups never scan. */
export interface CidrMatcher<T> {
  /** Entries indexed (duplicates of one range count once). */
  readonly size: number;
  /**
   * For a single address, the value of the most specific entry that contains it; for a wider network, the
   * value of an entry that overlaps it (the most specific one at the overlap); null when none does.
   */
  lookup(range: CidrRange): T | null;
  /**
   * lookup for an address as written in a log (`203.0.113.9`, `2001:db8::1`); null when no entry contains it
   * or when the text is no address. The IPv4 path does no bigint arithmetic: it runs once per flow record.
   */
  lookupAddress(address: string): T | null;
  /** lookup for an address already read with {@link addressValue}, for callers that look one up in several. */
  lookupValue(address: AddressValue): T | null;
}

/** An address as a number: a `number` is IPv4, a `bigint` IPv6. */
export type AddressValue = number | bigint;

/** Reads an address as written in a log; undefined when it is none (`-`, a name, another notation). */
export function addressValue(text: string): AddressValue | undefined {
  return ipv4Number(text) ?? (text.includes(':') ? ipv6Number(text) : undefined);
}

/** Networks of one family as parallel columns: IPv4 networks as numbers, IPv6 networks as bigints. */
export interface CidrColumns<N extends number | bigint, T> {
  readonly networks: ArrayLike<N>;
  readonly prefixLengths: ArrayLike<number>;
  readonly values: ArrayLike<T>;
}

/**
 * Sorted, disjoint segments of one family's address space, each owned by one entry: what a matcher searches.
 * Addresses are unsigned 32-bit words, one per IPv4 address and four per IPv6 address (most significant
 * first), so that a matcher can be loaded from typed arrays with no bigint; ends are inclusive, so that the
 * last address of the space fits.
 */
export interface CidrSegments {
  readonly family: 4 | 6;
  /** The first address of each segment. */
  readonly firsts: Uint32Array;
  /** The last address of each segment, included in it. */
  readonly lasts: Uint32Array;
  /** The entry that owns each segment: an index into the values the matcher is built with. */
  readonly owners: Uint32Array;
}

/** Both families' segments and the number of distinct entries they index. */
export interface CidrSegmentTable {
  readonly v4: CidrSegments;
  readonly v6: CidrSegments;
  /** Distinct networks among the entries, counting those that nested entries cover entirely. */
  readonly size: number;
}

/**
 * Builds the index. Entries are nested or disjoint, as CIDR blocks are; for two entries with the same range,
 * the later one wins, so callers merge duplicates first when both matter.
 */
export function buildCidrMatcher<T>(entries: Iterable<CidrEntry<T>>): CidrMatcher<T> {
  const v4 = { networks: [] as number[], prefixLengths: [] as number[], values: [] as T[] };
  const v6 = { networks: [] as bigint[], prefixLengths: [] as number[], values: [] as T[] };
  for (const { range, value } of entries) {
    if (range.family === 4) {
      v4.networks.push(Number(range.network));
      v4.prefixLengths.push(range.prefixLength);
      v4.values.push(value);
    } else {
      v6.networks.push(range.network);
      v6.prefixLengths.push(range.prefixLength);
      v6.values.push(value);
    }
  }
  return buildCidrMatcherFromColumns(v4, v6);
}

/**
 * buildCidrMatcher for entries already split by family into columns, IPv4 networks as numbers (no bigint per
 * IPv4 entry). Columns already in address order (wider first at the same address) are not sorted again. Same rules as buildCidrMatcher: nested or disjoint
 * networks, the later of two equal ranges wins.
 */
export function buildCidrMatcherFromColumns<T>(
  v4Columns: CidrColumns<number, T>,
  v6Columns: CidrColumns<bigint, T>,
): CidrMatcher<T> {
  return cidrMatcherFromSegments(cidrSegmentsOf(v4Columns, v6Columns), {
    v4: v4Columns.values,
    v6: v6Columns.values,
  });
}

/**
 * The segments of columns of entries (see buildCidrMatcherFromColumns for the rules), each owned by the index
 * of its entry in its family's columns: what a generator writes so that loading data needs no sweep.
 */
export function cidrSegmentsOf(
  v4Columns: Omit<CidrColumns<number, unknown>, 'values'>,
  v6Columns: Omit<CidrColumns<bigint, unknown>, 'values'>,
): CidrSegmentTable {
  // IPv4 runs on doubles: every 32-bit address (and 2^32, the end of the space) is exact in a double, and
  // number arithmetic and comparison are far cheaper than bigint's. IPv6 needs all 128 bits: bigint.
  const v4Sorted = inAddressOrder(v4Columns);
  const v4Limits = new Float64Array(v4Sorted.networks.length);
  for (let index = 0; index < v4Limits.length; index++) {
    v4Limits[index] =
      (v4Sorted.networks[index] as number) + 2 ** (32 - (v4Sorted.prefixLengths[index] as number));
  }
  const v6Sorted = inAddressOrder(v6Columns);
  const v6Limits = new Array<bigint>(v6Sorted.networks.length);
  for (let index = 0; index < v6Limits.length; index++) {
    v6Limits[index] =
      (v6Sorted.networks[index] as bigint) + (1n << BigInt(128 - (v6Sorted.prefixLengths[index] as number)));
  }
  const v4 = segmentsOf(v4Sorted, v4Limits, (count) => new Float64Array(count));
  const v6 = segmentsOf(v6Sorted, v6Limits, (count) => new Array<bigint>(count));
  const v4Firsts = new Uint32Array(v4.count);
  const v4Lasts = new Uint32Array(v4.count);
  for (let index = 0; index < v4.count; index++) {
    v4Firsts[index] = v4.starts[index] as number;
    v4Lasts[index] = (v4.limits[index] as number) - 1;
  }
  const v6Firsts = new Uint32Array(4 * v6.count);
  const v6Lasts = new Uint32Array(4 * v6.count);
  for (let index = 0; index < v6.count; index++) {
    writeWords(v6.starts[index] as bigint, v6Firsts, 4 * index);
    writeWords((v6.limits[index] as bigint) - 1n, v6Lasts, 4 * index);
  }
  return {
    v4: { family: 4, firsts: v4Firsts, lasts: v4Lasts, owners: v4.owners },
    v6: { family: 6, firsts: v6Firsts, lasts: v6Lasts, owners: v6.owners },
    size: v4.distinct + v6.distinct,
  };
}

/**
 * A matcher over ready segments (a generated snapshot's): segment owners index `values` of their family.
 * Checks, in one pass over the numbers, that each family's segments are sorted and disjoint and that every
 * owner has a value; throws InvalidInputError naming the segment and its addresses when not.
 */
export function cidrMatcherFromSegments<T>(
  segments: CidrSegmentTable,
  values: { readonly v4: ArrayLike<T>; readonly v6: ArrayLike<T> },
): CidrMatcher<T> {
  checkSegments(segments.v4, values.v4.length);
  checkSegments(segments.v6, values.v6.length);
  const { firsts: v4Firsts, lasts: v4Lasts, owners: v4Owners } = segments.v4;
  const { firsts: v6Firsts, lasts: v6Lasts, owners: v6Owners } = segments.v6;
  const v4Values = values.v4;
  const v6Values = values.v6;
  const lookupV4 = (first: number, last: number): T | null => {
    // The last segment starting at or before `last` is the only one that can reach into [first, last].
    let low = 0;
    let high = v4Firsts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((v4Firsts[middle] as number) <= last) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found >= 0 && (v4Lasts[found] as number) >= first
      ? (v4Values[v4Owners[found] as number] as T)
      : null;
  };
  // The probe's first address at 0, its last at 4: one buffer, since a lookup runs to completion.
  const probe = new Uint32Array(8);
  const lookupV6 = (first: bigint, last: bigint): T | null => {
    writeWords(first, probe, 0);
    writeWords(last, probe, 4);
    let low = 0;
    let high = v6Owners.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (compareWords(v6Firsts, 4 * middle, probe, 4) <= 0) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found >= 0 && compareWords(v6Lasts, 4 * found, probe, 0) >= 0
      ? (v6Values[v6Owners[found] as number] as T)
      : null;
  };
  return {
    size: segments.size,
    lookup(range) {
      const end = lastAddress(range);
      return range.family === 4 ? lookupV4(Number(range.network), Number(end)) : lookupV6(range.network, end);
    },
    lookupAddress(address) {
      const value = addressValue(address);
      return value === undefined ? null : this.lookupValue(value);
    },
    lookupValue(address) {
      return typeof address === 'number' ? lookupV4(address, address) : lookupV6(address, address);
    },
  };
}

/** Throws InvalidInputError unless the segments are sorted, disjoint, well formed and owned by a value. */
function checkSegments(segments: CidrSegments, valueCount: number): void {
  const { family, firsts, lasts, owners } = segments;
  const words = family === 4 ? 1 : 4;
  const field = `segments.v${family}`;
  if (firsts.length !== owners.length * words || lasts.length !== owners.length * words) {
    throw new InvalidInputError(
      `${firsts.length / words} first addresses, ${lasts.length / words} last addresses and ${owners.length} owners: one of each per segment`,
      field,
    );
  }
  // IPv4 apart, on plain numbers: this runs over every segment of the snapshot at each cold start.
  for (let index = 0; index < owners.length; index++) {
    const broken =
      family === 4
        ? (firsts[index] as number) > (lasts[index] as number) ||
          (index > 0 && (lasts[index - 1] as number) >= (firsts[index] as number))
        : compareWords(firsts, 4 * index, lasts, 4 * index) > 0 ||
          (index > 0 && compareWords(lasts, 4 * index - 4, firsts, 4 * index) >= 0);
    if (broken || (owners[index] as number) >= valueCount) throw segmentError(segments, index, valueCount);
  }
}

/** Why segment `index` is refused: it ends before it starts, does not follow the one before, or has no value. */
function segmentError(segments: CidrSegments, index: number, valueCount: number): InvalidInputError {
  const { family, firsts, lasts, owners } = segments;
  const words = family === 4 ? 1 : 4;
  const at = words * index;
  const field = `segments.v${family}[${index}]`;
  const segment = `${wordsText(family, firsts, at)}-${wordsText(family, lasts, at)}`;
  if (compareWords(firsts, at, lasts, at, words) > 0) {
    return new InvalidInputError(`segment ${segment} ends before it starts`, field);
  }
  if (index > 0 && compareWords(lasts, at - words, firsts, at, words) >= 0) {
    return new InvalidInputError(
      `segment ${segment} starts at or before the end of the one before it (${wordsText(family, lasts, at - words)}): segments must be sorted and disjoint`,
      field,
    );
  }
  return new InvalidInputError(`owner ${owners[index]} has no value (${valueCount} values)`, field);
}

/** An address held as words, as text, for messages. */
function wordsText(family: 4 | 6, words: Uint32Array, at: number): string {
  const value = wordsValue(words, at, family === 4 ? 1 : 4);
  const cidr = formatRange({ family, network: value, prefixLength: family === 4 ? 32 : 128 });
  return cidr.slice(0, cidr.indexOf('/'));
}

/** The address held as `count` uint32 words at `at` (most significant first), as a bigint. */
export function wordsValue(words: ArrayLike<number>, at: number, count: number): bigint {
  let value = 0n;
  for (let word = 0; word < count; word++) value = (value << 32n) | BigInt(words[at + word] as number);
  return value;
}

/** Writes a 128-bit address as four uint32 words, most significant first, at `at`. */
function writeWords(value: bigint, into: Uint32Array, at: number): void {
  into[at] = Number(value >> 96n);
  into[at + 1] = Number((value >> 64n) & 0xffffffffn);
  into[at + 2] = Number((value >> 32n) & 0xffffffffn);
  into[at + 3] = Number(value & 0xffffffffn);
}

/** Compares two addresses held as `words` uint32 words each (most significant first): -1, 0 or 1. */
function compareWords(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number, words = 4): number {
  for (let word = 0; word < words; word++) {
    const x = a[aAt + word] as number;
    const y = b[bAt + word] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The dotted-quad IPv4 address as a number, or undefined when `text` is not one (no other notations). */
export function ipv4Number(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (code >= 48 && code <= 57) {
      // A leading zero would be octal to some readers; canonical addresses never have one.
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (code - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/**
 * An IPv6 address (no zone, no prefix) as a bigint, or undefined. IPv4-mapped addresses stay IPv6 here.
 * Hand-written because flow logs carry one or two addresses a record: ipaddr.js takes ten times longer.
 * The rare dotted-quad tail (`::ffff:192.0.2.1`) goes to ipaddr.js.
 */
export function ipv6Number(text: string): bigint | undefined {
  if (text.includes('.')) {
    if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return undefined;
    return ipaddr.IPv6.parse(text).parts.reduce((sum, part) => (sum << 16n) | BigInt(part), 0n);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  let value = 0n;
  for (let index = 0; index < 8; index += 2) {
    value = (value << 32n) | BigInt((groups[index] as number) * 65_536 + (groups[index + 1] as number));
  }
  return value;
}

/** The 16-bit groups of one side of `::` (`''` is none), or undefined when one is not 1-4 hex digits. */
function groupsOf(side: string): number[] | undefined {
  if (side === '') return [];
  const groups: number[] = [];
  for (const group of side.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

/** An array of addresses: a Float64Array for IPv4, an array of bigints for IPv6. */
interface Boundaries<N> {
  [index: number]: N;
}

/** Entries of one family in address order, each with its index in the columns it came from. */
interface SortedColumns<N extends number | bigint> {
  readonly networks: ArrayLike<N>;
  readonly prefixLengths: ArrayLike<number>;
  readonly ids: ArrayLike<number>;
}

/**
 * Disjoint segments in address order: segment `i`, for `i` below `count`, is `[starts[i], limits[i])` and
 * belongs to the entry `owners[i]`.
 */
interface SweptSegments<N extends number | bigint> {
  readonly count: number;
  readonly starts: Boundaries<N>;
  readonly limits: Boundaries<N>;
  readonly owners: Uint32Array;
  /** Distinct networks among the entries. */
  readonly distinct: number;
}

/**
 * Sweeps the entries in address order (wider first at the same address) with a stack of the open ones: the
 * address space between two entry boundaries belongs to the innermost open entry. `limits[i]` is the first
 * address after entry `i`, so the sweep only compares addresses and needs no arithmetic on them. Written as
 * one loop with no calls, for the threat feeds of 100,000 entries it indexes.
 */
function segmentsOf<N extends number | bigint>(
  columns: SortedColumns<N>,
  limits: ArrayLike<N>,
  room: (count: number) => Boundaries<N>,
): SweptSegments<N> {
  const { networks, prefixLengths, ids } = columns;
  const count = networks.length;
  // Each entry opens at most one segment before it (its parent's, up to it) and one when it closes.
  const starts = room(2 * count);
  const ends = room(2 * count);
  const owners = new Uint32Array(2 * count);
  let segments = 0;
  const openLimits: N[] = [];
  const openIds: number[] = [];
  let open = 0;
  let cursor = networks[0] as N;
  let distinct = 0;
  for (let index = 0; index <= count; index++) {
    const done = index === count;
    const network = networks[index] as N;
    while (open > 0 && (done || (openLimits[open - 1] as N) <= network)) {
      open--;
      const limit = openLimits[open] as N;
      if (cursor < limit) {
        starts[segments] = cursor;
        ends[segments] = limit;
        owners[segments] = openIds[open] as number;
        segments++;
      }
      cursor = limit;
    }
    if (done) break;
    if (index === 0 || network !== networks[index - 1] || prefixLengths[index] !== prefixLengths[index - 1]) {
      distinct++;
    }
    if (open > 0 && cursor < network) {
      starts[segments] = cursor;
      ends[segments] = network;
      owners[segments] = openIds[open - 1] as number;
      segments++;
    }
    openLimits[open] = limits[index] as N;
    openIds[open] = ids[index] as number;
    open++;
    cursor = network;
  }
  return { count: segments, starts, limits: ends, owners: owners.slice(0, segments), distinct };
}

/**
 * The columns in address order, wider first at the same address, equal ranges in input order (so the later
 * one ends innermost and wins), each with its index in the input. Columns already in that order, as
 * generated data is, are not sorted again.
 */
function inAddressOrder<N extends number | bigint>(
  columns: Omit<CidrColumns<N, unknown>, 'values'>,
): SortedColumns<N> {
  const { networks, prefixLengths } = columns;
  let sorted = true;
  for (let index = 1; index < networks.length && sorted; index++) {
    const previous = networks[index - 1] as N;
    const current = networks[index] as N;
    sorted =
      previous < current ||
      (previous === current && (prefixLengths[index - 1] as number) <= (prefixLengths[index] as number));
  }
  if (sorted) {
    const ids = new Uint32Array(networks.length);
    for (let index = 0; index < ids.length; index++) ids[index] = index;
    return { networks, prefixLengths, ids };
  }
  const order = Array.from({ length: networks.length }, (_, index) => index).sort((a, b) =>
    networks[a] === networks[b]
      ? (prefixLengths[a] as number) - (prefixLengths[b] as number)
      : (networks[a] as N) < (networks[b] as N)
        ? -1
        : 1,
  );
  return {
    networks: order.map((index) => networks[index] as N),
    prefixLengths: order.map((index) => prefixLengths[index] as number),
    ids: order,
  };
}
