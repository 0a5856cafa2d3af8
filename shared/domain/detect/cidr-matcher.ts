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

/**
 * Builds the index. Entries are nested or disjoint, as CIDR blocks are; for two entries with the same range,
 * the later one wins, so callers merge duplicates first when both matter.
 */
export function buildCidrMatcher<T>(entries: Iterable<CidrEntry<T>>): CidrMatcher<T> {
  const byFamily: { 4: CidrEntry<T>[]; 6: CidrEntry<T>[] } = { 4: [], 6: [] };
  const distinct = new Set<string>();
  for (const entry of entries) {
    byFamily[entry.range.family].push(entry);
    distinct.add(`${entry.range.family} ${entry.range.network} ${entry.range.prefixLength}`);
  }
  const v4 = segmentsOf(byFamily[4]);
  const v6 = segmentsOf(byFamily[6]);
  // IPv4 segments as doubles: every 32-bit address is exact in a double, and comparing numbers is far
  // cheaper than comparing bigints.
  const v4Starts = Float64Array.from(v4.starts, Number);
  const v4Ends = Float64Array.from(v4.ends, Number);
  const lookupV4 = (start: number, end: number): T | null => {
    const found = lastStartingAtOrBefore(v4Starts, end);
    return found >= 0 && (v4Ends[found] as number) >= start ? (v4.values[found] as T) : null;
  };
  const lookupV6 = (start: bigint, end: bigint): T | null => {
    const found = lastStartingAtOrBefore(v6.starts, end);
    return found >= 0 && (v6.ends[found] as bigint) >= start ? (v6.values[found] as T) : null;
  };
  return {
    size: distinct.size,
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

interface Segments<T> {
  readonly starts: bigint[];
  readonly ends: bigint[];
  readonly values: T[];
}

/**
 * Sweeps the entries in address order (wider first at the same address) with a stack of the open ones: the
 * address space between two entry boundaries belongs to the innermost open entry.
 */
function segmentsOf<T>(entries: CidrEntry<T>[]): Segments<T> {
  const sorted = entries
    .map((entry) => ({ entry, end: lastAddress(entry.range) }))
    .sort((a, b) =>
      a.entry.range.network === b.entry.range.network
        ? a.entry.range.prefixLength - b.entry.range.prefixLength
        : a.entry.range.network < b.entry.range.network
          ? -1
          : 1,
    );
  const segments: Segments<T> = { starts: [], ends: [], values: [] };
  const open: { entry: CidrEntry<T>; end: bigint }[] = [];
  let cursor = 0n;
  const emit = (start: bigint, end: bigint, owner: CidrEntry<T>) => {
    if (start > end) return;
    segments.starts.push(start);
    segments.ends.push(end);
    segments.values.push(owner.value);
  };
  const close = () => {
    const top = open.pop() as { entry: CidrEntry<T>; end: bigint };
    emit(cursor, top.end, top.entry);
    cursor = top.end + 1n;
  };
  for (const item of sorted) {
    while (open.length > 0 && (open.at(-1) as { end: bigint }).end < item.entry.range.network) close();
    const parent = open.at(-1);
    if (parent) emit(cursor, item.entry.range.network - 1n, parent.entry);
    open.push(item);
    cursor = item.entry.range.network;
  }
  while (open.length > 0) close();
  return segments;
}
