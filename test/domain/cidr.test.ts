import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  aggregateCidrs,
  type CidrRange,
  cidrContains,
  cidrOverlaps,
  compareRanges,
  formatRange,
  fromCanonicalCidr,
  toRange,
} from '#domain/cidr';
import { InvalidInputError } from '#domain/errors';
import { IP_RANGES_DATA_FILE, ipRangesJsonOf, readIpRangesData } from '../../infra/ip-ranges-snapshot';

const BITS = { 4: 32, 6: 128 } as const;

/** A canonical CIDR from any address and prefix: the host bits are cleared. */
function canonical(family: 4 | 6, address: bigint, prefixLength: number): string {
  const hostBits = BigInt(BITS[family] - prefixLength);
  return formatRange({ family, network: (address >> hostBits) << hostBits, prefixLength });
}

function coveredBy(cidrs: readonly string[], address: CidrRange): boolean {
  return cidrs.some((cidr) => cidrContains(cidr, formatRange(address)));
}

// Networks inside one /20 (or one IPv6 /116) so that random sets often hold siblings and nested networks.
const nearbyCidr = fc
  .tuple(fc.constantFrom<4 | 6>(4, 6), fc.bigInt({ min: 0n, max: 4095n }), fc.integer({ min: 20, max: 32 }))
  .map(([family, offset, length]) =>
    family === 4
      ? canonical(4, 0xc6336000n + offset, length)
      : canonical(6, (0x20010db8n << 96n) | offset, length + 96),
  );

const anyCidr = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 }))
    .map(([a, l]) => canonical(4, a, l)),
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }))
    .map(([a, l]) => canonical(6, a, l)),
);

/** Addresses that matter for a set: both ends of each network, their outside neighbours, and random ones. */
function probeAddresses(cidrs: readonly string[], random: readonly CidrRange[]): CidrRange[] {
  const probes = [...random];
  for (const cidr of cidrs) {
    const { family, network, prefixLength } = toRange(cidr);
    const last = network + (1n << BigInt(BITS[family] - prefixLength)) - 1n;
    const max = (1n << BigInt(BITS[family])) - 1n;
    for (const address of [network - 1n, network, last, last + 1n]) {
      if (address >= 0n && address <= max)
        probes.push({ family, network: address, prefixLength: BITS[family] });
    }
  }
  return probes;
}

const randomAddress = fc
  .tuple(fc.constantFrom<4 | 6>(4, 6), fc.bigInt({ min: 0n, max: 8191n }))
  .map(
    ([family, offset]): CidrRange =>
      family === 4
        ? { family, network: 0xc6336000n + offset - 2048n, prefixLength: 32 }
        : { family, network: (0x20010db8n << 96n) + offset - 2048n, prefixLength: 128 },
  );

describe('toRange', () => {
  it('parses canonical IPv4 and IPv6 CIDRs into numbers', () => {
    // Act
    const v4 = toRange('198.51.100.0/24');
    const v6 = toRange('2001:db8::/32');

    // Assess
    expect(v4).toEqual({ family: 4, network: 0xc6336400n, prefixLength: 24 });
    expect(v6).toEqual({ family: 6, network: 0x20010db8n << 96n, prefixLength: 32 });
  });

  it.each([
    ['a bare address', '198.51.100.7'],
    ['host bits set', '198.51.100.7/24'],
    ['a prefix too long', '198.51.100.0/33'],
    ['a prefix with a leading zero', '10.0.0.0/08'],
    ['a short IPv4 form', '10.1/16'],
    ['an octet with a leading zero', '010.0.0.0/8'],
    ['an octet over 255', '256.0.0.0/8'],
    ['uppercase IPv6', '2001:DB8::/32'],
    ['uncompressed IPv6', '2001:db8:0:0:0:0:0:0/32'],
    ['a zero run compressed that is not the longest', '2001:db8::1:0:0:0:1/128'],
    ['an IPv4 tail', '::ffff:192.0.2.1/128'],
    ['a zone id', 'fe80::1%eth0/128'],
    ['an empty string', ''],
    ['an empty prefix', '10.0.0.0/'],
  ])('rejects %s', (_case, cidr) => {
    // Act
    const parse = () => toRange(cidr);

    // Assess
    expect(parse).toThrow(InvalidInputError);
  });

  it('names the canonical form when a CIDR is spelled another way', () => {
    // Act
    const parse = () => toRange('2001:DB8:0:0::/64');

    // Assess
    expect(parse).toThrow(/write 2001:db8::\/64/);
  });
});

describe('formatRange', () => {
  it.each([
    [{ family: 6, network: 0n, prefixLength: 0 }, '::/0'],
    [{ family: 6, network: 1n, prefixLength: 128 }, '::1/128'],
    [{ family: 6, network: 0x20010db8000000000001000000000001n, prefixLength: 128 }, '2001:db8::1:0:0:1/128'],
    [
      { family: 6, network: 0x20010db8000000010001000100010001n, prefixLength: 128 },
      '2001:db8:0:1:1:1:1:1/128',
    ],
    [{ family: 6, network: 0x20010db8000000000000000100000000n, prefixLength: 128 }, '2001:db8::1:0:0/128'],
    [{ family: 4, network: 0n, prefixLength: 0 }, '0.0.0.0/0'],
  ] as const)('writes %o as %s (RFC 5952)', (range, expected) => {
    // Act
    const text = formatRange(range);

    // Assess
    expect(text).toBe(expected);
  });

  it('writes every IPv6 address as ipaddr.js does and reads it back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (address) => {
        // Prepare
        const bytes = Array.from({ length: 16 }, (_, index) =>
          Number((address >> BigInt(120 - index * 8)) & 0xffn),
        );

        // Act
        const text = formatRange({ family: 6, network: address, prefixLength: 128 });

        // Assess
        expect(text).toBe(`${ipaddr.fromByteArray(bytes).toString()}/128`);
        expect(toRange(text).network).toBe(address);
      }),
    );
  });
});

describe('cidrContains', () => {
  it('contains itself and its subnets, not its supernets', () => {
    // Assess
    expect(cidrContains('198.51.100.0/24', '198.51.100.0/24')).toBe(true);
    expect(cidrContains('198.51.100.0/24', '198.51.100.128/25')).toBe(true);
    expect(cidrContains('198.51.100.128/25', '198.51.100.0/24')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::/48')).toBe(true);
  });

  it('never contains across families, even for the whole address space', () => {
    // Assess
    expect(cidrContains('0.0.0.0/0', '::/128')).toBe(false);
    expect(cidrContains('::/0', '0.0.0.0/32')).toBe(false);
  });

  it('throws InvalidInputError for a non-canonical argument', () => {
    // Assess
    expect(() => cidrContains('198.51.100.1/24', '198.51.100.0/24')).toThrow(InvalidInputError);
  });
});

describe('cidrOverlaps', () => {
  it('sees nested networks as overlapping in both orders and disjoint ones as not', () => {
    // Assess
    expect(cidrOverlaps('198.51.100.0/24', '198.51.100.7/32')).toBe(true);
    expect(cidrOverlaps('198.51.100.7/32', '198.51.100.0/24')).toBe(true);
    expect(cidrOverlaps('198.51.100.0/25', '198.51.100.128/25')).toBe(false);
    expect(cidrOverlaps('0.0.0.0/0', '::/0')).toBe(false);
  });
});

describe('aggregateCidrs', () => {
  it('merges sibling halves repeatedly into their parent', () => {
    // Act
    const result = aggregateCidrs(['198.51.100.0/26', '198.51.100.64/26', '198.51.100.128/25']);

    // Assess
    expect(result).toEqual(['198.51.100.0/24']);
  });

  it('drops contained networks and duplicates', () => {
    // Act
    const result = aggregateCidrs([
      '198.51.100.7/32',
      '198.51.100.0/24',
      '198.51.100.0/24',
      '2001:db8::1/128',
      '2001:db8::/64',
    ]);

    // Assess
    expect(result).toEqual(['198.51.100.0/24', '2001:db8::/64']);
  });

  it('does not merge adjacent networks that are not halves of one parent', () => {
    // Act
    const result = aggregateCidrs(['198.51.101.0/24', '198.51.102.0/24']);

    // Assess
    expect(result).toEqual(['198.51.101.0/24', '198.51.102.0/24']);
  });

  it('sorts IPv4 before IPv6, then by address, whatever the input order', () => {
    // Act
    const result = aggregateCidrs(['2001:db8::/32', '203.0.113.0/24', '192.0.2.0/24', '::1/128']);

    // Assess
    expect(result).toEqual(['192.0.2.0/24', '203.0.113.0/24', '::1/128', '2001:db8::/32']);
  });

  it('merges the two halves of the whole space into /0 and returns nothing for nothing', () => {
    // Assess
    expect(aggregateCidrs(['0.0.0.0/1', '128.0.0.0/1'])).toEqual(['0.0.0.0/0']);
    expect(aggregateCidrs([])).toEqual([]);
  });

  it('keeps two halves apart when the merge is vetoed, and asks about every parent it would make', () => {
    // Prepare
    const asked: string[] = [];
    const mayMerge = (parent: CidrRange) => {
      asked.push(formatRange(parent));
      return parent.prefixLength >= 24;
    };

    // Act
    const result = aggregateCidrs(
      ['198.51.100.0/25', '198.51.100.128/25', '198.51.101.0/24', '192.0.2.0/25', '192.0.2.128/25'],
      mayMerge,
    );

    // Assess
    expect(result).toEqual(['192.0.2.0/24', '198.51.100.0/24', '198.51.101.0/24']);
    expect(asked).toEqual(['192.0.2.0/24', '198.51.100.0/24', '198.51.100.0/23']);
  });

  it('never returns a network the veto refused, and still covers exactly the same addresses', () => {
    const refuse = fc.integer({ min: 0, max: 32 });
    fc.assert(
      fc.property(
        fc.array(nearbyCidr, { maxLength: 40 }),
        refuse,
        fc.array(randomAddress, { maxLength: 20 }),
        (cidrs, shortest, random) => {
          // Prepare
          const mayMerge = (parent: CidrRange) => parent.prefixLength >= shortest;

          // Act
          const result = aggregateCidrs(cidrs, mayMerge);

          // Assess
          const inputs = new Set(cidrs);
          for (const cidr of result) {
            if (!inputs.has(cidr)) expect(mayMerge(toRange(cidr))).toBe(true);
          }
          for (const address of probeAddresses(cidrs, random)) {
            expect(coveredBy(result, address)).toBe(coveredBy(cidrs, address));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('covers exactly the same addresses as its input', () => {
    fc.assert(
      fc.property(
        fc.array(nearbyCidr, { maxLength: 40 }),
        fc.array(randomAddress, { maxLength: 40 }),
        (cidrs, random) => {
          // Act
          const result = aggregateCidrs(cidrs);

          // Assess
          for (const address of probeAddresses(cidrs, random)) {
            expect(coveredBy(result, address)).toBe(coveredBy(cidrs, address));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is idempotent, sorted, free of overlaps and never longer than its input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(nearbyCidr, anyCidr), { maxLength: 40 }), (cidrs) => {
        // Act
        const result = aggregateCidrs(cidrs);

        // Assess
        expect(aggregateCidrs(result)).toEqual(result);
        expect(aggregateCidrs([...cidrs].reverse())).toEqual(result);
        expect(result.length).toBeLessThanOrEqual(cidrs.length);
        for (let index = 1; index < result.length; index++) {
          const previous = result[index - 1] ?? '';
          const current = result[index] ?? '';
          expect(compareRanges(toRange(previous), toRange(current))).toBeLessThan(0);
          expect(cidrOverlaps(previous, current)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('fromCanonicalCidr', () => {
  it("reads every CIDR of AWS's ip-ranges data file exactly as toRange does, so each is canonical", () => {
    // Prepare
    const data = ipRangesJsonOf(readIpRangesData(JSON.parse(readFileSync(IP_RANGES_DATA_FILE, 'utf8'))));
    const cidrs = [...data.prefixes.map((p) => p.ip_prefix), ...data.ipv6_prefixes.map((p) => p.ipv6_prefix)];

    // Act
    const mismatched = cidrs.filter((cidr) => {
      const fast = fromCanonicalCidr(cidr);
      const checked = toRange(cidr);
      return (
        fast.family !== checked.family ||
        fast.network !== checked.network ||
        fast.prefixLength !== checked.prefixLength
      );
    });

    // Assess
    expect(cidrs.length).toBeGreaterThan(10_000);
    expect(mismatched).toEqual([]);
  });

  it('reads back any canonical IPv4 or IPv6 CIDR as the range it was formatted from', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4 as const, 6 as const),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.nat(128),
        (family, bits, length) => {
          // Prepare: a network with its host bits cleared, in its canonical form.
          const width = family === 4 ? 32 : 128;
          const prefixLength = length % (width + 1);
          const host = (1n << BigInt(width - prefixLength)) - 1n;
          const range: CidrRange = { family, network: (bits % (1n << BigInt(width))) & ~host, prefixLength };

          // Act
          const read = fromCanonicalCidr(formatRange(range));

          // Assess
          expect(read).toEqual(range);
        },
      ),
    );
  });
});
