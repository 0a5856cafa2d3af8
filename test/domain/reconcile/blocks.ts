import fc from 'fast-check';
import type { BlockEntry } from '#domain/block';
import { formatRange, toRange } from '#domain/cidr';
import type { DomainIndicator, Indicator, NetworkIndicator } from '#domain/indicator';

/** A network indicator from a canonical CIDR, as the parser would produce it. */
export function network(cidr: string): NetworkIndicator {
  const { family, prefixLength } = toRange(cidr);
  return {
    kind: prefixLength === (family === 4 ? 32 : 128) ? 'ip' : 'cidr',
    value: cidr,
    family,
    prefixLength,
  };
}

/** A domain indicator from a normalised name. */
export function domain(name: string): DomainIndicator {
  const wildcard = name.startsWith('*.');
  const bare = wildcard ? name.slice(2) : name;
  return { kind: 'domain', value: name, wildcard, registeredDomain: bare.split('.').slice(-2).join('.') };
}

/** A permanent block; severity 5 and a fixed start unless given. */
export function block(indicator: Indicator, severity = 5, since = '2026-11-01T00:00:00.000Z'): BlockEntry {
  return { indicator, severity, since, expiresAt: null };
}

const sinceArb = fc.constantFrom(
  '2026-11-01T00:00:00.000Z',
  '2026-11-02T00:00:00.000Z',
  '2026-11-02T01:00:00+01:00',
  '2026-11-03T12:30:00.000Z',
);

/** IPv4 networks in 198.51.100.0/24 and 203.0.113.0/24, so that siblings and nested networks are common. */
export const ipv4Indicator = fc
  .tuple(
    fc.constantFrom(0xc6336400n, 0xcb007100n),
    fc.bigInt({ min: 0n, max: 255n }),
    fc.integer({ min: 26, max: 32 }),
  )
  .map(([base, offset, length]) => {
    const host = BigInt(32 - length);
    return network(
      formatRange({ family: 4, network: ((base + offset) >> host) << host, prefixLength: length }),
    );
  });

/** IPv6 networks in 2001:db8::/120. */
export const ipv6Indicator = fc
  .tuple(fc.bigInt({ min: 0n, max: 255n }), fc.integer({ min: 122, max: 128 }))
  .map(([offset, length]) => {
    const host = BigInt(128 - length);
    const address = (0x20010db8n << 96n) + offset;
    return network(formatRange({ family: 6, network: (address >> host) << host, prefixLength: length }));
  });

/** Domains from a small set of names, with and without the wildcard. */
const domainIndicator = fc
  .tuple(
    fc.constantFrom('evil', 'bad', 'c2', 'exfil', 'miner', 'x'),
    fc.constantFrom('example.com', 'example.net', 'com'),
    fc.boolean(),
  )
  .map(([label, parent, wildcard]) => domain(`${wildcard ? '*.' : ''}${label}.${parent}`));

/** A block of any kind, with a random severity and start. */
function blockArb(indicator: fc.Arbitrary<Indicator>): fc.Arbitrary<BlockEntry> {
  return fc
    .tuple(indicator, fc.integer({ min: 0, max: 10 }), sinceArb)
    .map(([value, severity, since]) => block(value, severity, since));
}

/** Blocks of every kind. */
export const anyBlocks = fc.array(blockArb(fc.oneof(ipv4Indicator, ipv6Indicator, domainIndicator)), {
  maxLength: 40,
});
