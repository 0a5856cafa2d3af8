/**
 * Seeded generators for the flow-log detectors: feeds of many CIDRs, and flow records for scans, exfiltration
 * bursts, threat-intel hits and benign traffic. The same seed gives the same data, in tests and in the bench.
 */

import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { awsIpRangesSnapshot, isAwsServiceAddress as isAwsService } from '#domain/aws-ip-ranges';
import { formatRange } from '#domain/cidr';
import { buildCidrMatcher, type CidrEntry, type CidrMatcher } from '#domain/detect/cidr-matcher';
import {
  FlowDetector,
  type FlowDetectorContext,
  type FlowRecord,
  type FlowSignal,
} from '#domain/detect/flow';
import { type FlowDetectorSettingsInput, parseFlowDetectorSettings } from '#domain/detect/flow-settings';
import { indexIpFeeds, parseIpFeed } from '#domain/detect/ip-feeds';
import type { DetectorStateStore } from '#ports/detector-state';

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

// ---------------------------------------------------------------------------------------------------------
// Flow records

/** The protected VPC of the flow tests. */
export const VPC = {
  id: 'vpc-0abc1234def567890',
  cidrs: ['10.0.0.0/16', '2001:db8:1234::/56'],
  /** The VPC resolver (base + 2) and the Amazon Time Sync Service. */
  resolver: '10.0.0.2',
  timeSync: '169.254.169.123',
} as const;

/** Hosts inside the VPC: the compromised one and its neighbours. */
export const HOSTS = {
  infected: { addr: '10.0.1.5', instanceId: 'i-0123456789abcdef0', interfaceId: 'eni-0123456789abcdef0' },
  web: { addr: '10.0.2.10', instanceId: 'i-0fedcba9876543210', interfaceId: 'eni-0fedcba9876543210' },
  app: { addr: '10.0.3.20', instanceId: 'i-0aaaabbbbccccdddd', interfaceId: 'eni-0aaaabbbbccccdddd' },
} as const;

/** External addresses the scenarios use (documentation ranges, plus real AWS service and EC2 addresses). */
export const EXTERNAL = {
  /** Listed by the test feeds. */
  c2: '198.51.100.7',
  c2Network: '198.51.100.128/25',
  /** A host scanned port by port. */
  victim: '198.51.100.50',
  /** The subnet swept by an address scan. */
  sweptSubnet: '203.0.113',
  /** Where data leaves to. */
  dropZone: '192.0.2.200',
  /** In S3's published range (us-east-1) and in EC2's. */
  s3: '52.216.10.20',
  ec2: '52.4.10.20',
} as const;

/** The start of every flow scenario: 2026-11-28T10:00:00Z. */
export const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

/** A flow record from `HOSTS.infected` with the given fields; `raw` is a v5-style line of those fields. */
export function flow(fields: Partial<FlowRecord> & Pick<FlowRecord, 'dstAddr'>): FlowRecord {
  const record = {
    start: T0,
    end: (fields.start ?? T0) + 30_000,
    srcAddr: HOSTS.infected.addr,
    srcPort: 49_152,
    dstPort: 443,
    protocol: 6,
    bytes: 1_200,
    packets: 10,
    action: 'ACCEPT' as const,
    flowDirection: 'egress' as const,
    vpcId: VPC.id,
    subnetId: 'subnet-0123456789abcdef0',
    instanceId: HOSTS.infected.instanceId,
    interfaceId: HOSTS.infected.interfaceId,
    account: '123456789012',
    ...fields,
  };
  const raw = [
    5,
    record.account,
    record.interfaceId,
    record.srcAddr,
    record.dstAddr,
    record.srcPort ?? '-',
    record.dstPort ?? '-',
    record.protocol ?? '-',
    record.packets ?? '-',
    record.bytes ?? '-',
    Math.floor(record.start / 1000),
    Math.floor(record.end / 1000),
    record.action,
    'OK',
    record.flowDirection ?? '-',
    record.pktDstAwsService ?? '-',
    record.trafficPath ?? '-',
  ].join(' ');
  return { ...record, raw: fields.raw ?? raw };
}

/** Failed attempts from `HOSTS.infected` to `target` on `ports` distinct ports, over `spreadMs`. */
export function portScan(
  seed: number,
  options: { target?: string; ports: number; start?: number; spreadMs?: number; from?: number },
): FlowRecord[] {
  const random = seededRandom(seed);
  const first = options.from ?? randomInt(random, 1, 1000);
  return Array.from({ length: options.ports }, (_, index) => {
    const start = (options.start ?? T0) + Math.floor(random() * (options.spreadMs ?? 60_000));
    return flow({
      dstAddr: options.target ?? EXTERNAL.victim,
      srcPort: 40_000 + index,
      dstPort: first + index,
      start,
      bytes: 60,
      packets: 1,
      // Half are refused by the network ACL, half never get past the SYN.
      ...(random() < 0.5 ? { action: 'REJECT' as const } : { tcpFlags: 2 }),
    });
  });
}

/** Failed attempts from `HOSTS.infected` to `hosts` hosts of `EXTERNAL.sweptSubnet`.0/24 on one port. */
export function addressScan(
  seed: number,
  options: { hosts: number; port?: number; start?: number; spreadMs?: number },
): FlowRecord[] {
  const random = seededRandom(seed);
  return Array.from({ length: options.hosts }, (_, index) =>
    flow({
      dstAddr: `${EXTERNAL.sweptSubnet}.${index + 1}`,
      srcPort: 40_000 + randomInt(random, 0, 20_000),
      dstPort: options.port ?? 22,
      start: (options.start ?? T0) + Math.floor(random() * (options.spreadMs ?? 60_000)),
      bytes: 60,
      packets: 1,
      action: 'REJECT',
    }),
  );
}

/** `records` accepted records from `HOSTS.infected` to `target` carrying `bytes` in all, over `spreadMs`. */
export function exfiltration(
  seed: number,
  options: {
    bytes: number;
    records: number;
    target?: string;
    start?: number;
    spreadMs?: number;
  } & Partial<FlowRecord>,
): FlowRecord[] {
  const random = seededRandom(seed);
  const { bytes, records, target, start, spreadMs, ...fields } = options;
  const each = Math.floor(bytes / records);
  return Array.from({ length: records }, (_, index) =>
    flow({
      dstAddr: target ?? EXTERNAL.dropZone,
      srcPort: 50_000 + index,
      dstPort: 443,
      start: (start ?? T0) + Math.floor(random() * (spreadMs ?? 50 * 60_000)),
      bytes: index === records - 1 ? bytes - each * (records - 1) : each,
      packets: 1_000,
      ...fields,
    }),
  );
}

/**
 * Benign traffic that must give no signal: NTP to the Time Sync Service and DNS to the VPC resolver, S3
 * through a gateway endpoint and over the internet (the record naming the service, or not), intra-VPC
 * calls, clients fetching from the web, a web server's replies (large, and to many client ports), replies a
 * stateless NACL refused, and ingress from the internet that the VPC refused.
 */
export function benignTraffic(seed: number, count: number, start = T0, spreadMs = 60 * 60_000): FlowRecord[] {
  const random = seededRandom(seed);
  const hosts = Object.values(HOSTS);
  const records: FlowRecord[] = [];
  for (let index = 0; index < count; index++) {
    const host = pick(random, hosts);
    const at = start + Math.floor(random() * spreadMs);
    const own = {
      srcAddr: host.addr,
      instanceId: host.instanceId,
      interfaceId: host.interfaceId,
      start: at,
      end: at + randomInt(random, 0, 60_000),
      srcPort: randomInt(random, 32_768, 60_999),
      ...(random() < 0.3 ? { flowDirection: undefined } : {}),
    };
    const external = `192.0.2.${randomInt(random, 1, 150)}`;
    const kind = randomInt(random, 0, 8);
    switch (kind) {
      case 0:
        records.push(
          flow({ ...own, dstAddr: VPC.timeSync, protocol: 17, srcPort: 123, dstPort: 123, bytes: 76 }),
        );
        break;
      case 1:
        records.push(
          flow({
            ...own,
            dstAddr: VPC.resolver,
            protocol: 17,
            dstPort: 53,
            bytes: randomInt(random, 60, 512),
          }),
        );
        break;
      case 2:
        records.push(
          flow({
            ...own,
            dstAddr: EXTERNAL.s3,
            bytes: randomInt(random, 1e8, 2e9),
            ...(random() < 0.5
              ? { pktDstAwsService: 'S3', trafficPath: 7 }
              : random() < 0.5
                ? { pktDstAwsService: 'S3', trafficPath: 8 }
                : {}),
          }),
        );
        break;
      case 3:
        records.push(
          flow({
            ...own,
            dstAddr: `10.0.${randomInt(random, 0, 255)}.${randomInt(random, 1, 254)}`,
            dstPort: randomInt(random, 1, 65_535),
            bytes: randomInt(random, 60, 5e8),
            ...(random() < 0.3 ? { action: 'REJECT' as const } : {}),
          }),
        );
        break;
      case 4:
        records.push(
          flow({
            ...own,
            dstAddr: external,
            dstPort: pick(random, [80, 443]),
            bytes: randomInt(random, 500, 5e6),
          }),
        );
        break;
      case 5:
        // The web server's replies: its port 443 to a client's ephemeral port, up to 2 GB in a record.
        records.push(
          flow({
            ...own,
            srcPort: 443,
            dstAddr: external,
            dstPort: randomInt(random, 1024, 65_535),
            bytes: randomInt(random, 500, 2e9),
          }),
        );
        break;
      case 6:
        // Replies a stateless network ACL refused: REJECTs to ephemeral ports (detection.md §6.2).
        records.push(
          flow({
            ...own,
            srcPort: 443,
            dstAddr: external,
            dstPort: randomInt(random, 32_768, 65_535),
            action: 'REJECT',
            bytes: 40,
          }),
        );
        break;
      case 7:
        // Internet background scanning refused at the VPC's edge: ingress, never counted.
        records.push(
          flow({
            ...own,
            srcAddr: `203.0.113.${randomInt(random, 1, 254)}`,
            dstAddr: host.addr,
            dstPort: randomInt(random, 1, 65_535),
            action: 'REJECT',
            flowDirection: random() < 0.5 ? 'ingress' : undefined,
          }),
        );
        break;
      default:
        // IPv6 egress to the web.
        records.push(
          flow({
            ...own,
            srcAddr: '2001:db8:1234:1::5',
            dstAddr: `2001:db8:ffff::${randomInt(random, 1, 4095).toString(16)}`,
            bytes: randomInt(random, 500, 5e6),
          }),
        );
    }
  }
  return records;
}

/** The test feeds: a Feodo-style list naming `EXTERNAL.c2`, a DROP line listing `EXTERNAL.c2Network`. */
export function testIntel() {
  return indexIpFeeds([
    parseIpFeed('feodo', 'plain', `# test\n${EXTERNAL.c2}\n`),
    parseIpFeed(
      'spamhaus-drop',
      'spamhaus-drop',
      `{"cidr":"${EXTERNAL.c2Network}","sblid":"SBL000001","rir":"arin"}`,
    ),
  ]);
}

/** AWS's own service space by the snapshot shipped with the package; rentable EC2 addresses are not. */
export function isAwsServiceAddress(address: string): boolean {
  return isAwsService(awsIpRangesSnapshot(), address);
}

/** The detector of the tests: VPC, snapshot, test feeds, and `settings` over the defaults. */
export function testDetector(
  settings: FlowDetectorSettingsInput = {},
  context: Partial<FlowDetectorContext> = {},
) {
  return new FlowDetector(parseFlowDetectorSettings(settings), {
    vpcCidrs: VPC.cidrs,
    isAwsAddress: isAwsServiceAddress,
    intel: testIntel(),
    ...context,
  });
}

/** Runs batches through the detector and a window store as the use case will: every signal, in order. */
export async function detect(
  detector: FlowDetector,
  batches: readonly (readonly FlowRecord[])[],
  store: DetectorStateStore = new InMemoryDetectorStateStore(),
): Promise<FlowSignal[]> {
  const signals: FlowSignal[] = [];
  for (const records of batches) {
    const batch = detector.batch();
    for (const record of records) batch.add(record);
    for (const { detection, shape, increments } of batch.windows()) {
      signals.push(...batch.signals(detection, await store.addAndTotal(increments, shape)));
    }
  }
  return signals;
}
