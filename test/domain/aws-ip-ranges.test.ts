import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AwsIpPrefix,
  type AwsIpRanges,
  awsIpRangesSnapshot,
  awsIpRangesSnapshotPrefixes,
  awsIpRangesSnapshotSegments,
  parseAwsIpRanges,
} from '#domain/aws-ip-ranges';
import { type CidrRange, compareRanges, formatRange, toRange } from '#domain/cidr';
import { cidrSegmentsOf } from '#domain/detect/cidr-matcher';
import {
  groupIpRanges,
  IP_RANGES_DATA_FILE,
  IP_RANGES_SNAPSHOT_MODULE,
  ipRangesJsonOf,
  readIpRangesData,
  renderAwsIpRangesSnapshot,
} from '../../infra/ip-ranges-snapshot';

const DATA = ipRangesJsonOf(readIpRangesData(JSON.parse(readFileSync(IP_RANGES_DATA_FILE, 'utf8'))));

/** The data file's prefixes as `cidr service region` lines. */
function dataTriples(): string[] {
  return [
    ...DATA.prefixes.map((p) => `${p.ip_prefix} ${p.service} ${p.region}`),
    ...DATA.ipv6_prefixes.map((p) => `${p.ipv6_prefix} ${p.service} ${p.region}`),
  ];
}

const BITS = { 4: 32, 6: 128 } as const;

function lastOf(range: CidrRange): bigint {
  return range.network + (1n << BigInt(BITS[range.family] - range.prefixLength)) - 1n;
}

function address(family: 4 | 6, value: bigint): CidrRange {
  return { family, network: value, prefixLength: BITS[family] };
}

/** The probes (as CIDRs) on which the two indexes answer differently: none, when they agree. */
function differences(probes: readonly CidrRange[], a: AwsIpRanges, b: AwsIpRanges): string[] {
  return probes
    .filter((probe) => JSON.stringify(a.lookup(probe)) !== JSON.stringify(b.lookup(probe)))
    .map(formatRange);
}

function network(family: 4 | 6, value: bigint, prefixLength: number): CidrRange {
  const hostBits = BigInt(BITS[family] - prefixLength);
  return { family, network: (value >> hostBits) << hostBits, prefixLength };
}

describe('the ip-ranges snapshot shipped with the package', () => {
  it('is exactly what the generator writes from the data file, so the two cannot drift', () => {
    // Prepare
    const committed = readFileSync(IP_RANGES_SNAPSHOT_MODULE, 'utf8');

    // Act
    const generated = renderAwsIpRangesSnapshot(
      readIpRangesData(JSON.parse(readFileSync(IP_RANGES_DATA_FILE, 'utf8'))),
    );

    // Assess
    expect(generated === committed).toBe(true);
  });

  it('weighs less than 90 KB', () => {
    // Assess
    expect(readFileSync(IP_RANGES_SNAPSHOT_MODULE).length).toBeLessThan(90_000);
  });

  it("decodes to exactly the data file's (cidr, service, region) triples", () => {
    // Act
    const decoded = awsIpRangesSnapshotPrefixes().map(
      (p: AwsIpPrefix) => `${p.cidr} ${p.service} ${p.region}`,
    );

    // Assess
    expect(decoded).toHaveLength(11_980);
    expect(decoded.length).toBe(dataTriples().length);
    expect(new Set(decoded)).toEqual(new Set(dataTriples()));
  });

  it('ships the segments a sweep makes of its distinct prefixes, so that loading it sweeps nothing', () => {
    // Prepare: the distinct published prefixes of each family in address order, as the snapshot numbers them.
    const distinct = [...new Set(dataTriples().map((line) => line.split(' ')[0] as string))]
      .map(toRange)
      .sort(compareRanges);
    const columns = <N>(family: 4 | 6, toN: (network: bigint) => N) => {
      const ranges = distinct.filter((range) => range.family === family);
      return {
        networks: ranges.map((range) => toN(range.network)),
        prefixLengths: ranges.map((range) => range.prefixLength),
      };
    };
    const swept = cidrSegmentsOf(
      columns(4, Number),
      columns(6, (network) => network),
    );

    // Act
    const shipped = awsIpRangesSnapshotSegments();

    // Assess
    expect(shipped).toEqual(swept);
    expect(shipped.v4.owners.length).toBeGreaterThan(9_000);
    expect(shipped.v6.owners.length).toBeGreaterThan(3_000);
  });

  it('carries the data file’s syncToken and createDate', () => {
    // Act
    const ranges = awsIpRangesSnapshot();

    // Assess
    expect(ranges.syncToken).toBe(DATA.syncToken);
    expect(ranges.createDate).toBe(DATA.createDate);
    expect(ranges.source).toContain(`syncToken ${DATA.syncToken}`);
    expect(ranges.size).toBe(new Set(dataTriples().map((line) => line.split(' ')[0])).size);
  });

  describe('looks up exactly as parseAwsIpRanges over the data file', () => {
    const snapshot = awsIpRangesSnapshot();
    const parsed = parseAwsIpRanges(DATA, 'infra/data/aws-ip-ranges.json');
    const published = [
      ...DATA.prefixes.map((p) => p.ip_prefix),
      ...DATA.ipv6_prefixes.map((p) => p.ipv6_prefix),
    ];

    it('for every published prefix, its first and last address and just outside it', () => {
      // Prepare
      const probes = published.flatMap((cidr) => {
        const range = toRange(cidr);
        const last = lastOf(range);
        const max = (1n << BigInt(BITS[range.family])) - 1n;
        return [range.network - 1n, range.network, last, last + 1n]
          .filter((value) => value >= 0n && value <= max)
          .map((value) => address(range.family, value));
      });

      // Act
      const differing = differences(probes, snapshot, parsed);

      // Assess
      expect(differing).toEqual([]);
      const found = probes.filter((probe) => snapshot.lookup(probe) !== null);
      expect(found.length).toBeGreaterThan(published.length * 2);
    });

    it('for every published prefix as a network', () => {
      // Prepare
      const ranges = published.map(toRange);

      // Act
      const differing = differences(ranges, snapshot, parsed);

      // Assess
      expect(differing).toEqual([]);
      expect(ranges.every((range) => snapshot.lookup(range) !== null)).toBe(true);
    });

    it('for random IPv4 and IPv6 addresses and networks', () => {
      // Prepare: random values anywhere, and values near published prefixes, where answers differ most.
      const near = fc
        .tuple(fc.constantFrom(...published), fc.bigInt({ min: -4096n, max: 4096n }), fc.nat(128))
        .map(([cidr, offset, length]) => {
          const range = toRange(cidr);
          const max = (1n << BigInt(BITS[range.family])) - 1n;
          const value = range.network + offset;
          const clamped = value < 0n ? 0n : value > max ? max : value;
          return network(range.family, clamped, length % (BITS[range.family] + 1));
        });
      const anywhere = fc.oneof(
        fc
          .tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 8, max: 32 }))
          .map(([value, length]) => network(4, value, length)),
        fc
          .tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 16, max: 128 }))
          .map(([value, length]) => network(6, value, length)),
        fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value) => address(4, value)),
        fc.bigInt({ min: 0x2400n << 112n, max: (0x2a06n << 112n) - 1n }).map((value) => address(6, value)),
      );
      const probes = fc.sample(fc.oneof(near, anywhere), { numRuns: 5_000, seed: 20_260_822 });

      // Act
      const fromSnapshot = probes.map((probe) => snapshot.lookup(probe));
      const fromFile = probes.map((probe) => parsed.lookup(probe));

      // Assess
      expect(fromSnapshot).toEqual(fromFile);
      expect(probes).toHaveLength(5_000);
      expect(fromSnapshot.filter((match) => match !== null).length).toBeGreaterThan(1_000);
    });
  });

  it('answers for an address with the most specific published prefix, services and regions merged, as a scan does', () => {
    // Prepare: the reference scans every triple of the data file.
    const triples = dataTriples().map((line) => {
      const [cidr = '', service = '', region = ''] = line.split(' ');
      const range = toRange(cidr);
      return { cidr, service, region, range, last: lastOf(range) };
    });
    const scan = (probe: CidrRange) => {
      const containing = triples.filter(
        (t) => t.range.family === probe.family && t.range.network <= probe.network && probe.network <= t.last,
      );
      if (containing.length === 0) return null;
      const longest = Math.max(...containing.map((t) => t.range.prefixLength));
      const chosen = containing.filter((t) => t.range.prefixLength === longest);
      const named = [...new Set(chosen.map((t) => t.service))].filter((s) => s !== 'AMAZON').sort();
      return {
        cidr: chosen[0]?.cidr,
        services: named.length > 0 ? named : ['AMAZON'],
        region: [...new Set(chosen.map((t) => t.region))].sort().join(', '),
        rentable: named.length > 0 && named.every((s) => s === 'EC2' || s === 'GLOBALACCELERATOR'),
      };
    };
    const picks = fc.sample(fc.constantFrom(...triples), { numRuns: 400, seed: 7 });
    const probes = picks.flatMap(({ range, last }) => [
      address(range.family, range.network),
      address(range.family, (range.network + last) / 2n),
      address(range.family, last + 1n),
    ]);

    // Act
    const found = probes.map((probe) => awsIpRangesSnapshot().lookup(probe));

    // Assess
    expect(found).toEqual(probes.map(scan));
    expect(found.filter((match) => match?.rentable).length).toBeGreaterThan(10);
    expect(found.filter((match) => match?.services.length === 2).length).toBeGreaterThan(0);
  });
});

describe('groupIpRanges', () => {
  it("groups AWS's file by service and region, leaving out an AMAZON entry another service lists", () => {
    // Prepare
    const json = {
      syncToken: '1',
      createDate: '2026-01-01-00-00-00',
      prefixes: [
        { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'AMAZON' },
        { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'EC2' },
        { ip_prefix: '198.51.100.0/24', region: 'us-east-1', service: 'AMAZON' },
        { ip_prefix: '203.0.113.0/24', region: 'us-east-1', service: 'EC2' },
      ],
      ipv6_prefixes: [{ ipv6_prefix: '2001:db8::/32', region: 'GLOBAL', service: 'AMAZON' }],
    };
    const provenance = { source: 'a test', archive: 'nowhere', archiveCommit: 'a'.repeat(40) };

    // Act
    const data = groupIpRanges(json, provenance);

    // Assess
    expect(data.groups).toEqual({
      'AMAZON GLOBAL': '2001:db8::/32',
      'AMAZON us-east-1': '198.51.100.0/24',
      'EC2 us-east-1': '192.0.2.0/24 203.0.113.0/24',
    });
    expect(data).toMatchObject({ ...provenance, syncToken: '1', createDate: '2026-01-01-00-00-00' });
  });

  it('refuses a data file without a commit id, naming the field', () => {
    // Act
    const read = () =>
      readIpRangesData({ ...JSON.parse(readFileSync(IP_RANGES_DATA_FILE, 'utf8')), archiveCommit: 'main' });

    // Assess
    expect(read).toThrow(/archiveCommit/);
  });
});
