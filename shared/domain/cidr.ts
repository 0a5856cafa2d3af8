/**
 * CIDR arithmetic on canonical CIDR strings, with bigint addresses so IPv4 and IPv6 share one code path.
 * Every function accepts only the canonical form that indicators carry (network address, explicit prefix,
 * IPv6 lowercase and compressed) so that two spellings of one network can never become two entries.
 */
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from './errors';

/** A network as numbers: `network` is the first address, with every host bit clear. */
export interface CidrRange {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/**
 * Parses a canonical CIDR string such as `198.51.100.0/24` or `2001:db8::/32`. Throws InvalidInputError for
 * anything else: a bare address, host bits set, a prefix out of range, or a non-canonical spelling (the
 * message gives the canonical one when there is one).
 */
export function toRange(cidr: string): CidrRange {
  const slash = cidr.indexOf('/');
  if (slash < 0)
    throw new InvalidInputError(`${JSON.stringify(cidr)} is not a CIDR: the prefix length is missing`);
  const address = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  const family = address.includes(':') ? 6 : 4;
  // ipaddr.js also accepts `1.2.3`, octal and hex IPv4 and zone ids, and reads `::1.2.3.4` as
  // `::ffff:1.2.3.4`; canonical input never has any of those, so they are refused before parsing.
  const valid =
    family === 4
      ? /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && ipaddr.IPv4.isValidFourPartDecimal(address)
      : /^[0-9a-fA-F:]+$/.test(address) && ipaddr.IPv6.isValid(address);
  if (!valid || !/^\d{1,3}$/.test(prefixText)) {
    throw new InvalidInputError(`${JSON.stringify(cidr)} is not a CIDR`);
  }
  const parsed = ipaddr.parse(address);
  const prefixLength = Number(prefixText);
  if (prefixLength > BITS[family]) {
    throw new InvalidInputError(`${JSON.stringify(cidr)} has a prefix longer than ${BITS[family]} bits`);
  }
  const value = parsed.toByteArray().reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  const range: CidrRange = { family, network: value & netmask(family, prefixLength), prefixLength };
  if (range.network !== value) {
    throw new InvalidInputError(
      `${JSON.stringify(cidr)} has host bits set; the network is ${formatRange(range)}`,
    );
  }
  const canonical = formatRange(range);
  if (canonical !== cidr) {
    throw new InvalidInputError(`${JSON.stringify(cidr)} is not canonical; write ${canonical}`);
  }
  return range;
}

/**
 * Parses a CIDR already known to be canonical, the fast path for bulk data (AWS's ip-ranges: the adapter checks
 * a fresh file with {@link toRange}, and a test checks the snapshot shipped with the package). It skips the
 * checks and the canonical round trip that make toRange about ten times slower; use toRange for anything else.
 */
export function fromCanonicalCidr(cidr: string): CidrRange {
  const slash = cidr.indexOf('/');
  const address = cidr.slice(0, slash);
  const prefixLength = Number(cidr.slice(slash + 1));
  if (!address.includes(':')) {
    let value = 0;
    for (const octet of address.split('.')) value = value * 256 + Number(octet);
    return { family: 4, network: BigInt(value), prefixLength };
  }
  let value = 0n;
  for (const part of ipaddr.IPv6.parse(address).parts) value = (value << 16n) | BigInt(part);
  return { family: 6, network: value, prefixLength };
}

/**
 * Formats a range canonically: dotted decimal for IPv4; for IPv6 lowercase hexadecimal with leading zeros
 * dropped and the longest run of two or more zero groups (the first on a tie) written `::` (RFC 5952).
 * IPv4-mapped addresses stay hexadecimal (`::ffff:c000:201`), as ipaddr.js prints them.
 */
export function formatRange(range: CidrRange): string {
  return `${formatAddress(range.family, range.network)}/${range.prefixLength}`;
}

/** True when both are of the same family and every address of `inner` is in `outer`. Throws InvalidInputError. */
export function cidrContains(outer: string, inner: string): boolean {
  return rangeContains(toRange(outer), toRange(inner));
}

/** True when the two networks share at least one address. Throws InvalidInputError. */
export function cidrOverlaps(a: string, b: string): boolean {
  return rangesOverlap(toRange(a), toRange(b));
}

/** cidrContains on ranges already parsed, for callers that test one network against many. */
export function rangeContains(outer: CidrRange, inner: CidrRange): boolean {
  return (
    outer.family === inner.family &&
    inner.prefixLength >= outer.prefixLength &&
    (inner.network & netmask(outer.family, outer.prefixLength)) === outer.network
  );
}

/** cidrOverlaps on ranges already parsed. */
export function rangesOverlap(a: CidrRange, b: CidrRange): boolean {
  // Two CIDR blocks are either nested or disjoint.
  return rangeContains(a, b) || rangeContains(b, a);
}

/**
 * The smallest list of CIDRs that covers exactly the same addresses: contained networks and duplicates are
 * dropped and sibling halves are merged into their parent, repeatedly. Never widens the cover. Sorted by
 * family (IPv4 first), then address, then prefix length. Throws InvalidInputError for a non-canonical CIDR.
 *
 * `mayMerge` is asked before two halves become their parent; when it says no, the halves stay apart. The
 * guard rails use it so that two blockable halves never become a network they would refuse (the two halves
 * of the NAT64 `/96`, two single EC2 addresses). It should be monotone (refusing a network refuses every
 * network that contains it), which the guard rails are: then the result is still the smallest cover.
 */
export function aggregateCidrs(
  cidrs: readonly string[],
  mayMerge: (parent: CidrRange) => boolean = () => true,
): string[] {
  const ranges = cidrs.map(toRange).sort(compareRanges);
  const merged: CidrRange[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && rangeContains(last, range)) continue;
    merged.push(range);
    for (;;) {
      const right = merged.at(-1);
      const left = merged.at(-2);
      if (!left || !right) break;
      const parent = siblingParent(left, right);
      if (!parent || !mayMerge(parent)) break;
      merged.splice(-2, 2, parent);
    }
  }
  return merged.map(formatRange);
}

/** The last address of a range: its network with every host bit set. */
export function lastAddress(range: CidrRange): bigint {
  return (
    range.network | (~netmask(range.family, range.prefixLength) & ((1n << BigInt(BITS[range.family])) - 1n))
  );
}

/** Orders ranges by family (IPv4 first), then network address, then prefix length (wider first). */
export function compareRanges(a: CidrRange, b: CidrRange): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefixLength - b.prefixLength;
}

/** The parent of two adjacent halves of the same network, or undefined when they are not such a pair. */
function siblingParent(left: CidrRange, right: CidrRange): CidrRange | undefined {
  if (left.family !== right.family || left.prefixLength !== right.prefixLength || left.prefixLength === 0) {
    return undefined;
  }
  const prefixLength = left.prefixLength - 1;
  const parent = left.network & netmask(left.family, prefixLength);
  const size = 1n << BigInt(BITS[left.family] - left.prefixLength);
  if (parent !== left.network || right.network !== left.network + size) return undefined;
  return { family: left.family, network: parent, prefixLength };
}

function netmask(family: 4 | 6, prefixLength: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return (all >> BigInt(prefixLength)) ^ all;
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, index) =>
    Number((value >> BigInt(112 - index * 16)) & 0xffffn),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
