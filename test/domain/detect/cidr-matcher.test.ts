import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { type CidrRange, formatRange, rangeContains, rangesOverlap, toRange } from '#domain/cidr';
import {
  buildCidrMatcher,
  buildCidrMatcherFromColumns,
  type CidrEntry,
  type CidrSegments,
  cidrMatcherFromSegments,
  ipv4Number,
  ipv6Number,
} from '#domain/detect/cidr-matcher';
import { InvalidInputError } from '#domain/errors';
import { runCidrMatcherWorkload } from '../../support/flow-traffic';

const BITS = { 4: 32, 6: 128 } as const;

function range(family: 4 | 6, address: bigint, prefixLength: number): CidrRange {
  const hostBits = BigInt(BITS[family] - prefixLength);
  return { family, network: (address >> hostBits) << hostBits, prefixLength };
}

/** The reference: scan every entry, keep the most specific that contains the address (the later on a tie). */
function naiveLookup<T>(entries: readonly CidrEntry<T>[], address: CidrRange): T | null {
  let best: CidrEntry<T> | undefined;
  for (const entry of entries) {
    if (
      rangeContains(entry.range, address) &&
      (!best || entry.range.prefixLength >= best.range.prefixLength)
    ) {
      best = entry;
    }
  }
  return best ? best.value : null;
}

// Networks and addresses inside one IPv4 /20 or IPv6 /116, so that random sets nest, overlap and repeat.
const nearbyRange = (minLength: number) =>
  fc
    .tuple(
      fc.constantFrom<4 | 6>(4, 6),
      fc.bigInt({ min: 0n, max: 4095n }),
      fc.integer({ min: minLength, max: 32 }),
    )
    .map(([family, offset, length]) =>
      family === 4
        ? range(4, 0xc6336000n + offset, length)
        : range(6, (0x20010db8n << 96n) | offset, length + 96),
    );

const entriesArbitrary = fc
  .array(nearbyRange(18), { maxLength: 40 })
  .map((ranges) => ranges.map((r, index) => ({ range: r, value: `entry-${index}` })));

describe('buildCidrMatcher', () => {
  it('finds, for any address, the most specific entry a scan of all entries finds', () => {
    fc.assert(
      fc.property(
        entriesArbitrary,
        fc.array(nearbyRange(32), { minLength: 1, maxLength: 30 }),
        (entries, addresses) => {
          // Prepare
          const matcher = buildCidrMatcher(entries);
          for (const address of addresses) {
            const full = range(address.family, address.network, BITS[address.family]);
            // Act
            const found = matcher.lookup(full);
            // Assess
            expect(found).toBe(naiveLookup(entries, full));
            expect(matcher.lookupAddress(formatRange(full).split('/')[0] as string)).toBe(found);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds an overlapping entry for a wider network exactly when one overlaps it', () => {
    fc.assert(
      fc.property(entriesArbitrary, nearbyRange(18), (entries, network) => {
        const matcher = buildCidrMatcher(entries);
        const found = matcher.lookup(network);
        const overlapping = entries.filter((entry) => rangesOverlap(entry.range, network));
        if (overlapping.length === 0) expect(found).toBeNull();
        else expect(overlapping.map((entry) => entry.value)).toContain(found);
      }),
      { numRuns: 300 },
    );
  });

  it('answers for the most specific of nested entries and the later of two equal ones', () => {
    // Prepare
    const entries = [
      { range: toRange('10.0.0.0/8'), value: 'wide' },
      { range: toRange('10.1.0.0/16'), value: 'narrow' },
      { range: toRange('10.1.2.3/32'), value: 'host' },
      { range: toRange('10.1.0.0/16'), value: 'narrow, listed again' },
      { range: toRange('2001:db8::/32'), value: 'v6' },
    ];
    // Act
    const matcher = buildCidrMatcher(entries);
    // Assess
    expect(matcher.size).toBe(4);
    expect(matcher.lookupAddress('10.200.0.1')).toBe('wide');
    expect(matcher.lookupAddress('10.1.255.255')).toBe('narrow, listed again');
    expect(matcher.lookupAddress('10.1.2.3')).toBe('host');
    expect(matcher.lookupAddress('10.1.2.4')).toBe('narrow, listed again');
    expect(matcher.lookupAddress('11.0.0.0')).toBeNull();
    expect(matcher.lookupAddress('2001:db8:ffff::1')).toBe('v6');
    expect(matcher.lookupAddress('2001:db9::1')).toBeNull();
  });

  it('finds nothing for text that is no address', () => {
    const matcher = buildCidrMatcher([{ range: toRange('0.0.0.0/0'), value: 'all' }]);
    for (const text of [
      '',
      '-',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3.4.5',
      '1..2.3',
      'fe80::1%eth0',
      'x',
    ]) {
      expect(matcher.lookupAddress(text)).toBeNull();
    }
    expect(matcher.lookupAddress('0.0.0.0')).toBe('all');
    expect(matcher.lookupAddress('255.255.255.255')).toBe('all');
  });

  it('reads every dotted quad as the number ipaddr.js would', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        const text = formatRange({ family: 4, network: BigInt(value), prefixLength: 32 }).split(
          '/',
        )[0] as string;
        expect(ipv4Number(text)).toBe(value);
      }),
    );
  });

  it('indexes 100,000 CIDRs and answers 100,000 lookups as a longest-prefix table does', () => {
    // Prepare and Act (the bench times the same workload: runCidrMatcherWorkload in test/support/flow-traffic.ts)
    const { matcher, entries, addresses, found } = runCidrMatcherWorkload(100_000, 100_000, 7);
    // Assess: against an independent table of every entry by (family, prefix length, network)
    const table = new Map<string, string>();
    for (const entry of entries) {
      table.set(`${entry.range.family} ${entry.range.prefixLength} ${entry.range.network}`, entry.value);
    }
    expect(matcher.size).toBe(table.size);
    let hits = 0;
    addresses.forEach((text, index) => {
      const address = toRange(text.includes(':') ? `${text}/128` : `${text}/32`);
      let expected: string | null = null;
      for (let length = BITS[address.family]; length >= 0 && expected === null; length--) {
        const network = range(address.family, address.network, length).network;
        expected = table.get(`${address.family} ${length} ${network}`) ?? null;
      }
      if (expected !== null) hits++;
      expect(found[index]).toBe(expected);
    });
    // Both outcomes are well represented, so the comparison means something.
    expect(hits).toBeGreaterThan(10_000);
    expect(addresses.length - hits).toBeGreaterThan(10_000);
  });
});

/** Splits entries into the columns of buildCidrMatcherFromColumns, IPv4 networks as numbers. */
function columnsOf<T>(entries: readonly CidrEntry<T>[]) {
  const of = (family: 4 | 6) => entries.filter((entry) => entry.range.family === family);
  return {
    v4: {
      networks: of(4).map((entry) => Number(entry.range.network)),
      prefixLengths: of(4).map((entry) => entry.range.prefixLength),
      values: of(4).map((entry) => entry.value),
    },
    v6: {
      networks: of(6).map((entry) => entry.range.network),
      prefixLengths: of(6).map((entry) => entry.range.prefixLength),
      values: of(6).map((entry) => entry.value),
    },
  };
}

// Anywhere in either space, any prefix length, so that /0, /32 and the last address of the space all occur.
const anyRange = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 }))
    .map(([address, length]) => range(4, address, length)),
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }))
    .map(([address, length]) => range(6, address, length)),
  fc.constantFrom(range(4, 0xffffffffn, 32), range(4, 0n, 32), range(6, (1n << 128n) - 1n, 128)),
);

describe('buildCidrMatcherFromColumns', () => {
  it('finds, for any address or network, what buildCidrMatcher finds, whether the columns come sorted or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(nearbyRange(18), anyRange), { maxLength: 40 }),
        fc.array(fc.oneof(nearbyRange(18), nearbyRange(32), anyRange), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (ranges, probes, sorted) => {
          // Prepare
          const entries = ranges.map((r, index) => ({ range: r, value: `entry-${index}` }));
          const ordered = sorted
            ? [...entries].sort((a, b) =>
                a.range.network === b.range.network
                  ? a.range.prefixLength - b.range.prefixLength
                  : a.range.network < b.range.network
                    ? -1
                    : 1,
              )
            : entries;
          const reference = buildCidrMatcher(ordered);
          const { v4, v6 } = columnsOf(ordered);

          // Act
          const matcher = buildCidrMatcherFromColumns(v4, v6);

          // Assess
          expect(matcher.size).toBe(reference.size);
          for (const probe of probes) {
            expect(matcher.lookup(probe)).toBe(reference.lookup(probe));
            const full = range(probe.family, probe.network, BITS[probe.family]);
            expect(matcher.lookup(full)).toBe(naiveLookup(ordered, full));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers at both ends of the IPv4 space, where a double must still be exact', () => {
    // Prepare
    const v4 = {
      networks: [0, 0, 0xffffff00, 0xffffffff],
      prefixLengths: [0, 32, 24, 32],
      values: ['all', 'zero', 'top /24', 'last'],
    };
    const none = { networks: [], prefixLengths: [], values: [] };

    // Act
    const matcher = buildCidrMatcherFromColumns(v4, none);

    // Assess
    expect(matcher.size).toBe(4);
    expect(matcher.lookupAddress('0.0.0.0')).toBe('zero');
    expect(matcher.lookupAddress('0.0.0.1')).toBe('all');
    expect(matcher.lookupAddress('255.255.254.255')).toBe('all');
    expect(matcher.lookupAddress('255.255.255.0')).toBe('top /24');
    expect(matcher.lookupAddress('255.255.255.254')).toBe('top /24');
    expect(matcher.lookupAddress('255.255.255.255')).toBe('last');
    expect(matcher.lookupAddress('::1')).toBeNull();
  });
});

/** One segment as bigints: the addresses `first` to `last`, both included, belong to entry `owner`. */
interface Segment {
  readonly first: bigint;
  readonly last: bigint;
  readonly owner: number;
}

/**
 * The segments of entries made independently of the matcher: cut the space at every entry boundary, give each
 * piece the most specific entry containing it (the later on a tie), as a scan does.
 */
function referenceSegments(entries: readonly CidrEntry<string>[], family: 4 | 6): Segment[] {
  const ofFamily = entries
    .map((entry, index) => ({ ...entry, index }))
    .filter((e) => e.range.family === family);
  const cuts = [...new Set(ofFamily.flatMap((e) => [e.range.network, lastOf(e.range) + 1n]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const segments: Segment[] = [];
  for (let index = 0; index + 1 < cuts.length; index++) {
    const first = cuts[index] as bigint;
    let owner: (typeof ofFamily)[number] | undefined;
    for (const entry of ofFamily) {
      if (entry.range.network <= first && first <= lastOf(entry.range)) {
        if (!owner || entry.range.prefixLength >= owner.range.prefixLength) owner = entry;
      }
    }
    if (owner) segments.push({ first, last: (cuts[index + 1] as bigint) - 1n, owner: owner.index });
  }
  return segments;
}

function lastOf(range: CidrRange): bigint {
  return range.network + (1n << BigInt(BITS[range.family] - range.prefixLength)) - 1n;
}

/** Segments in the matcher's layout: one uint32 word per IPv4 address, four per IPv6 address. */
function layout(family: 4 | 6, segments: readonly Segment[]): CidrSegments {
  const words = family === 4 ? 1 : 4;
  const firsts = new Uint32Array(segments.length * words);
  const lasts = new Uint32Array(segments.length * words);
  segments.forEach(({ first, last }, index) => {
    for (let word = 0; word < words; word++) {
      const shift = BigInt(32 * (words - 1 - word));
      firsts[index * words + word] = Number((first >> shift) & 0xffffffffn);
      lasts[index * words + word] = Number((last >> shift) & 0xffffffffn);
    }
  });
  return { family, firsts, lasts, owners: Uint32Array.from(segments, (segment) => segment.owner) };
}

// Networks around the places where a 128-bit value crosses a word or the end of its space.
const edgeRange = fc
  .tuple(
    fc.constantFrom(0n, 1n << 32n, 1n << 64n, 1n << 96n, (1n << 128n) - 1n),
    fc.bigInt({ min: -4096n, max: 4096n }),
    fc.integer({ min: 0, max: 128 }),
  )
  .map(([edge, offset, length]) => {
    const value = edge + offset;
    return range(6, value < 0n ? 0n : value >= 1n << 128n ? (1n << 128n) - 1n : value, length);
  });

describe('cidrMatcherFromSegments', () => {
  it('answers for any address or network exactly as buildCidrMatcher does, at the edges of each space too', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(nearbyRange(18), anyRange, edgeRange), { maxLength: 30 }),
        fc.array(fc.oneof(nearbyRange(18), nearbyRange(32), anyRange, edgeRange), {
          minLength: 1,
          maxLength: 30,
        }),
        (ranges, probes) => {
          // Prepare
          const entries = ranges.map((r, index) => ({ range: r, value: `entry-${index}` }));
          const reference = buildCidrMatcher(entries);
          const values = entries.map((entry) => entry.value);

          // Act
          const matcher = cidrMatcherFromSegments(
            {
              v4: layout(4, referenceSegments(entries, 4)),
              v6: layout(6, referenceSegments(entries, 6)),
              size: reference.size,
            },
            { v4: values, v6: values },
          );

          // Assess
          expect(matcher.size).toBe(reference.size);
          for (const probe of probes) {
            expect(matcher.lookup(probe)).toBe(reference.lookup(probe));
            const full = range(probe.family, probe.network, BITS[probe.family]);
            expect(matcher.lookup(full)).toBe(naiveLookup(entries, full));
            const text = formatRange(full).split('/')[0] as string;
            expect(matcher.lookupAddress(text)).toBe(reference.lookupAddress(text));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers at the last address of the IPv6 space and on both sides of 2^64', () => {
    // Prepare
    const top = (1n << 128n) - 1n;
    const v6 = layout(6, [
      { first: (1n << 64n) - 1n, last: (1n << 64n) - 1n, owner: 0 },
      { first: 1n << 64n, last: (1n << 65n) - 1n, owner: 1 },
      { first: top, last: top, owner: 2 },
    ]);
    const none = layout(4, []);

    // Act
    const matcher = cidrMatcherFromSegments(
      { v4: none, v6, size: 3 },
      { v4: [], v6: ['below 2^64', 'from 2^64', 'last'] },
    );

    // Assess
    expect(matcher.lookupAddress('0:0:0:0:ffff:ffff:ffff:ffff')).toBe('below 2^64');
    expect(matcher.lookupAddress('0:0:0:1::')).toBe('from 2^64');
    expect(matcher.lookupAddress('0:0:0:1:ffff:ffff:ffff:ffff')).toBe('from 2^64');
    expect(matcher.lookupAddress('0:0:0:2::')).toBeNull();
    expect(matcher.lookupAddress('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('last');
    expect(matcher.lookupAddress('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toBeNull();
    expect(matcher.lookup(toRange('::/0'))).toBe('last');
    expect(matcher.lookupAddress('0.0.0.0')).toBeNull();
  });

  it('refuses IPv4 segments out of order, naming the segment and its addresses', () => {
    // Prepare
    const v4 = layout(4, [
      { first: 0xc0000200n, last: 0xc00002ffn, owner: 0 },
      { first: 0xc0000100n, last: 0xc00001ffn, owner: 1 },
    ]);

    // Act
    const build = () =>
      cidrMatcherFromSegments({ v4, v6: layout(6, []), size: 2 }, { v4: ['a', 'b'], v6: [] });

    // Assess
    expect(build).toThrow(InvalidInputError);
    expect(build).toThrow(/segments\.v4\[1\].*192\.0\.1\.0-192\.0\.1\.255.*192\.0\.2\.255/);
  });

  it('refuses overlapping IPv6 segments, and one that ends before it starts', () => {
    // Prepare
    const overlapping = layout(6, [
      { first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) + 0xffn, owner: 0 },
      { first: (0x20010db8n << 96n) + 0xffn, last: (0x20010db8n << 96n) + 0x1ffn, owner: 1 },
    ]);
    const backwards = layout(6, [{ first: 1n << 64n, last: (1n << 64n) - 1n, owner: 0 }]);
    const values = { v4: [], v6: ['a', 'b'] };

    // Act
    const fromOverlapping = () =>
      cidrMatcherFromSegments({ v4: layout(4, []), v6: overlapping, size: 2 }, values);
    const fromBackwards = () =>
      cidrMatcherFromSegments({ v4: layout(4, []), v6: backwards, size: 1 }, values);

    // Assess
    expect(fromOverlapping).toThrow(/segments\.v6\[1\].*2001:db8::ff-2001:db8::1ff/);
    expect(fromBackwards).toThrow(/segments\.v6\[0\].*ends before it starts/);
  });

  it('refuses a segment whose owner has no value, and columns of different lengths', () => {
    // Prepare
    const v4 = layout(4, [{ first: 0n, last: 255n, owner: 3 }]);
    const uneven: CidrSegments = { ...v4, lasts: new Uint32Array(2) };

    // Act
    const unowned = () => cidrMatcherFromSegments({ v4, v6: layout(6, []), size: 1 }, { v4: ['a'], v6: [] });
    const ragged = () =>
      cidrMatcherFromSegments({ v4: uneven, v6: layout(6, []), size: 1 }, { v4: ['a'], v6: [] });

    // Assess
    expect(unowned).toThrow(/segments\.v4\[0\].*owner 3/);
    expect(ragged).toThrow(/segments\.v4.*1 first.*2 last/);
  });
});

describe('ipv6Number', () => {
  it('reads every IPv6 address as ipaddr.js does, in any spelling', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const expected = ipaddr.IPv6.parse(text).parts.reduce((sum, part) => (sum << 16n) | BigInt(part), 0n);
        expect(ipv6Number(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is no IPv6 address', () => {
    for (const text of [
      '',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::',
      '::1%eth0',
      '1:2:3:4:5:6:7::8',
    ]) {
      expect(ipv6Number(text)).toBeUndefined();
    }
  });
});
