/**
 * Seeded generators for the flow-log detectors: feeds of many CIDRs, and flow records for scans, exfiltration
 * bursts, threat-intel hits and benign traffic. The same seed gives the same data, in tests and in the bench.
 */
import { formatRange } from '#domain/cidr';
import { buildCidrMatcher, type CidrEntry, type CidrMatcher } from '#domain/detect/cidr-matcher';

/** A small, fast, seeded PRNG (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer in [min, max]. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One of `items`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** The dotted quad of a 32-bit number. */
export function ipv4Text(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/**
 * `count` canonical CIDRs, IPv4 (nine in ten, /8 to /32, clustered so that many nest and repeat) and IPv6
 * (/16 to /128 under 2001:db8::/32 and 2a00::/12), each labelled `feed-<n>`.
 */
export function randomCidrEntries(count: number, seed: number): CidrEntry<string>[] {
  const random = seededRandom(seed);
  const entries: CidrEntry<string>[] = [];
  for (let index = 0; index < count; index++) {
    if (random() < 0.9) {
      // A few thousand /16 clusters: entries there nest inside each other and inside the wider ones.
      const cluster = randomInt(random, 0, 4095) << 20;
      const address = (cluster | randomInt(random, 0, (1 << 20) - 1)) >>> 0;
      const prefixLength = random() < 0.02 ? randomInt(random, 8, 15) : randomInt(random, 16, 32);
      const hostBits = BigInt(32 - prefixLength);
      const network = (BigInt(address) >> hostBits) << hostBits;
      entries.push({ range: { family: 4, network, prefixLength }, value: `feed-${index % 7}` });
    } else {
      const base = random() < 0.5 ? 0x20010db8n << 96n : 0x2a00n << 112n;
      const address =
        base | (BigInt(randomInt(random, 0, 0xffff)) << 80n) | BigInt(randomInt(random, 0, 255));
      const prefixLength = randomInt(random, 16, 128);
      const hostBits = BigInt(128 - prefixLength);
      const network = (address >> hostBits) << hostBits;
      entries.push({ range: { family: 6, network, prefixLength }, value: `feed-${index % 7}` });
    }
  }
  return entries;
}

/** `count` addresses as text, mostly inside the clusters `randomCidrEntries` draws from, some anywhere. */
export function randomLookupAddresses(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const addresses: string[] = [];
  for (let index = 0; index < count; index++) {
    if (random() < 0.9) {
      const address = random() < 0.8 ? randomInt(random, 0, 0xffffffff) : randomInt(random, 0, 4095) << 20;
      addresses.push(ipv4Text(address >>> 0));
    } else {
      const base = random() < 0.5 ? 0x20010db8n << 96n : 0x2a00n << 112n;
      const address =
        base | (BigInt(randomInt(random, 0, 0xffff)) << 80n) | BigInt(randomInt(random, 0, 255));
      addresses.push(formatRange({ family: 6, network: address, prefixLength: 128 }).replace(/\/128$/, ''));
    }
  }
  return addresses;
}

/**
 * The matcher workload the bench times and a test checks: index `cidrs` random CIDRs, then look up `lookups`
 * random addresses. Returns the matcher and, per address, the label found (or null).
 */
export function runCidrMatcherWorkload(
  cidrs: number,
  lookups: number,
  seed = 1,
): {
  matcher: CidrMatcher<string>;
  entries: CidrEntry<string>[];
  addresses: string[];
  found: (string | null)[];
} {
  const entries = randomCidrEntries(cidrs, seed);
  const addresses = randomLookupAddresses(lookups, seed + 1);
  const matcher = buildCidrMatcher(entries);
  const found = addresses.map((address) => matcher.lookupAddress(address));
  return { matcher, entries, addresses, found };
}
