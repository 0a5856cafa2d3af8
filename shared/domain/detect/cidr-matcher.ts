/**
 * Longest-prefix matching over many CIDRs (AWS's ip-ranges, IP threat feeds of 100,000 entries): the entries
 * are split once into sorted, disjoint segments of the address space, each owned by the most specific entry
 * that covers it, so that a lookup is one binary search, whatever the number of entries. CIDR blocks are
 * always nested or disjoint, so nested and duplicate entries are all this has to handle.
 */
import ipaddr from 'ipaddr.js';
import { type CidrRange, lastAddress } from '../cidr';

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
 * buildCidrMatcher for entries already split by family into columns, for bulk data (AWS's ip-ranges) that
 * can skip making a range object, and a bigint, per IPv4 entry. Columns already in address order (wider
 * first at the same address) are not sorted again. Same rules as buildCidrMatcher: nested or disjoint
 * networks, the later of two equal ranges wins.
 */
export function buildCidrMatcherFromColumns<T>(
  v4Columns: CidrColumns<number, T>,
  v6Columns: CidrColumns<bigint, T>,
): CidrMatcher<T> {
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
  const lookupV4 = (start: number, end: number): T | null => {
    const found = lastStartingAtOrBefore(v4.starts, end);
    return found >= 0 && (v4.limits[found] as number) > start ? (v4.values[found] as T) : null;
  };
  const lookupV6 = (start: bigint, end: bigint): T | null => {
    const found = lastStartingAtOrBefore(v6.starts, end);
    return found >= 0 && (v6.limits[found] as bigint) > start ? (v6.values[found] as T) : null;
  };
  return {
    size: v4.distinct + v6.distinct,
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

/** The index of the last start ≤ `end`, or -1: the only segment that can reach into a range ending at `end`. */
function lastStartingAtOrBefore<N extends number | bigint>(
  starts: ArrayLike<N> & { readonly length: number },
  end: N,
): number {
  let low = 0;
  let high = starts.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((starts[middle] as N) <= end) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** An array of addresses: a Float64Array for IPv4, an array of bigints for IPv6. */
interface Boundaries<N> {
  [index: number]: N;
  slice(start: number, end: number): ArrayLike<N>;
}

/** Disjoint segments in address order: segment `i` is `[starts[i], limits[i])` and belongs to `values[i]`. */
interface Segments<N extends number | bigint, T> {
  readonly starts: ArrayLike<N>;
  readonly limits: ArrayLike<N>;
  readonly values: T[];
  /** Distinct networks among the entries. */
  readonly distinct: number;
}

/**
 * Sweeps the entries in address order (wider first at the same address) with a stack of the open ones: the
 * address space between two entry boundaries belongs to the innermost open entry. `limits[i]` is the first
 * address after entry `i`, so the sweep only compares addresses and needs no arithmetic on them. Written as
 * one loop with no calls: it runs once per cold start over every AWS prefix, mostly before V8 optimises it.
 */
function segmentsOf<N extends number | bigint, T>(
  columns: CidrColumns<N, T>,
  limits: ArrayLike<N>,
  room: (count: number) => Boundaries<N>,
): Segments<N, T> {
  const { networks, prefixLengths, values } = columns;
  const count = networks.length;
  // Each entry opens at most one segment before it (its parent's, up to it) and one when it closes.
  const starts = room(2 * count);
  const ends = room(2 * count);
  const owners: T[] = [];
  const openLimits: N[] = [];
  const openValues: T[] = [];
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
        starts[owners.length] = cursor;
        ends[owners.length] = limit;
        owners.push(openValues[open] as T);
      }
      cursor = limit;
    }
    if (done) break;
    if (index === 0 || network !== networks[index - 1] || prefixLengths[index] !== prefixLengths[index - 1]) {
      distinct++;
    }
    if (open > 0 && cursor < network) {
      starts[owners.length] = cursor;
      ends[owners.length] = network;
      owners.push(openValues[open - 1] as T);
    }
    openLimits[open] = limits[index] as N;
    openValues[open] = values[index] as T;
    open++;
    cursor = network;
  }
  return {
    starts: starts.slice(0, owners.length),
    limits: ends.slice(0, owners.length),
    values: owners,
    distinct,
  };
}

/**
 * The columns in address order, wider first at the same address, equal ranges in input order (so the later
 * one ends innermost and wins). Columns already in that order, as generated data is, are used as they are.
 */
function inAddressOrder<N extends number | bigint, T>(columns: CidrColumns<N, T>): CidrColumns<N, T> {
  const { networks, prefixLengths, values } = columns;
  let sorted = true;
  for (let index = 1; index < networks.length && sorted; index++) {
    const previous = networks[index - 1] as N;
    const current = networks[index] as N;
    sorted =
      previous < current ||
      (previous === current && (prefixLengths[index - 1] as number) <= (prefixLengths[index] as number));
  }
  if (sorted) return columns;
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
    values: order.map((index) => values[index] as T),
  };
}
