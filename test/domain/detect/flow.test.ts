import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { buildCidrMatcher } from '#domain/detect/cidr-matcher';
import { scannedNetwork } from '#domain/detect/flow';
import { indexIpFeeds, parseIpFeed } from '#domain/detect/ip-feeds';
import { type ThreatSignalDetail, ThreatSignalSchema } from '#shared/intake/threat-signal';
import {
  addressScan,
  benignTraffic,
  detect,
  EXTERNAL,
  exfiltration,
  flow,
  HOSTS,
  portScan,
  T0,
  testDetector,
  VPC,
} from '../../support/flow-traffic';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every signal a detector emits must be a valid Threat Signal detail, by type and by schema. */
function expectValid(signals: readonly ThreatSignalDetail[]): void {
  for (const signal of signals) {
    const result = v.safeParse(ThreatSignalSchema, signal);
    expect(result.issues?.map((issue) => issue.message) ?? []).toEqual([]);
  }
}

describe('flow-threat-intel', () => {
  it('names a listed destination, with the source, its instance and the log line as evidence', async () => {
    // Prepare
    const record = flow({ dstAddr: EXTERNAL.c2, bytes: 5_000 });
    // Act
    const signals = await detect(testDetector(), [[record]]);
    // Assess
    expectValid(signals);
    expect(signals).toHaveLength(1);
    const [signal] = signals;
    expect(signal).toMatchObject({
      source: 'flow-log',
      detector: 'flow-threat-intel',
      indicator: '198.51.100.7/32',
      severity: 8,
      observedAt: new Date(record.end).toISOString(),
      workload: {
        account: '123456789012',
        vpcId: VPC.id,
        instanceId: HOSTS.infected.instanceId,
        eniId: HOSTS.infected.interfaceId,
      },
    });
    expect(signal?.evidence.summary).toContain('listed in 198.51.100.7/32 by feodo');
    expect(signal?.evidence.summary).toContain(`from ${HOSTS.infected.addr}`);
    expect(signal?.evidence.details).toContain(record.raw);
    expect(signal?.evidence.key).toBe('flow-log:flow-threat-intel:198.51.100.7:2026-11-28T10:00:00.000Z');
  });

  it('matches inside a listed network and names the address, not the network', async () => {
    const signals = await detect(testDetector(), [[flow({ dstAddr: '198.51.100.200' })]]);
    expect(signals.map((signal) => signal.indicator)).toEqual(['198.51.100.200/32']);
    expect(signals[0]?.evidence.summary).toContain('198.51.100.128/25 by spamhaus-drop (SBL000001)');
  });

  it('raises severity for 25 MB sent and for a known-bad port, saying why', async () => {
    const signals = await detect(testDetector(), [
      [
        flow({ dstAddr: EXTERNAL.c2, dstPort: 9001, bytes: 20_000_000 }),
        flow({ dstAddr: EXTERNAL.c2, bytes: 5_000_000 }),
      ],
    ]);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.severity).toBe(10);
    expect(signals[0]?.evidence.details[0]).toBe(
      'severity 10: base 8 for flow-threat-intel; +1: 25000000 bytes sent, at least 25000000; +1: known-bad destination port 9001',
    );
  });

  it('ignores ingress, and traffic from outside the VPC when the direction is not logged', async () => {
    const signals = await detect(testDetector(), [
      [
        flow({ dstAddr: EXTERNAL.c2, flowDirection: 'ingress' }),
        flow({ srcAddr: EXTERNAL.c2, dstAddr: '198.51.100.130', flowDirection: undefined }),
      ],
    ]);
    expect(signals).toEqual([]);
  });

  it('counts egress by its source when the direction is not logged', async () => {
    const signals = await detect(testDetector(), [
      [flow({ dstAddr: EXTERNAL.c2, flowDirection: undefined })],
    ]);
    expect(signals.map((signal) => signal.indicator)).toEqual(['198.51.100.7/32']);
  });

  it('matches IPv6 destinations and names them canonically, however the log spells them', async () => {
    const intel = indexIpFeeds([
      parseIpFeed(
        'spamhaus-drop-v6',
        'spamhaus-drop',
        '{"cidr":"2001:db8:bad::/48","sblid":"SBL6","rir":"ripencc"}',
      ),
    ]);
    const record = flow({
      srcAddr: '2001:db8:1234:1::5',
      dstAddr: '2001:DB8:BAD:0:0:0:0:7',
      flowDirection: undefined,
    });
    const signals = await detect(testDetector({}, { intel }), [[record]]);
    expectValid(signals);
    expect(signals.map((signal) => signal.indicator)).toEqual(['2001:db8:bad::7/128']);
  });

  it('is off without feeds', async () => {
    const signals = await detect(testDetector({}, { intel: buildCidrMatcher([]) }), [
      [flow({ dstAddr: EXTERNAL.c2 })],
    ]);
    expect(signals).toEqual([]);
  });
});

describe('flow-port-scan', () => {
  it('names the scanned host once 15 distinct ports failed within 5 minutes, the scanner in the evidence', async () => {
    // Prepare
    const records = portScan(1, { ports: 15, spreadMs: 4 * MINUTE + 59_000 });
    // Act
    const signals = await detect(testDetector(), [records]);
    // Assess
    expectValid(signals);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      detector: 'flow-port-scan',
      indicator: '198.51.100.50/32',
      severity: 5,
    });
    expect(signals[0]?.evidence.summary).toContain(`by ${HOSTS.infected.addr}`);
    expect(signals[0]?.evidence.details).toContain(`scanning source: ${HOSTS.infected.addr}`);
    expect(signals[0]?.workload?.instanceId).toBe(HOSTS.infected.instanceId);
  });

  it('stays silent at 14 ports, and when the 15 are spread over more than the window', async () => {
    expect(await detect(testDetector(), [portScan(2, { ports: 14 })])).toEqual([]);
    const slow = portScan(3, { ports: 15, from: 1000 }).map((record, index) =>
      flow({ ...record, start: T0 + index * MINUTE, end: T0 + index * MINUTE }),
    );
    expect(await detect(testDetector(), [slow])).toEqual([]);
  });

  it('counts only failed attempts: established connections to many ports are no scan', async () => {
    const established = portScan(4, { ports: 20 }).map((record) =>
      flow({ ...record, action: 'ACCEPT', tcpFlags: 19 }),
    );
    expect(await detect(testDetector(), [established])).toEqual([]);
  });

  it('raises severity when a scanned port is a known-bad one', async () => {
    const signals = await detect(testDetector(), [portScan(5, { ports: 15, from: 9025 })]);
    expect(signals[0]?.severity).toBe(6);
    expect(signals[0]?.evidence.details[0]).toContain('+1: known-bad destination port 9030');
  });
});

describe('flow-address-scan', () => {
  it('names the swept subnet once 25 hosts failed on one port, the scanner in the evidence', async () => {
    const signals = await detect(testDetector(), [addressScan(1, { hosts: 25 })]);
    expectValid(signals);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      detector: 'flow-address-scan',
      indicator: '203.0.113.0/27',
      severity: 4,
    });
    expect(signals[0]?.evidence.summary).toContain(`on port 22 by ${HOSTS.infected.addr}`);
  });

  it('stays silent at 24 hosts', async () => {
    expect(await detect(testDetector(), [addressScan(2, { hosts: 24 })])).toEqual([]);
  });

  it('names the densest /24, narrowed to the hosts probed there', async () => {
    expect(scannedNetwork(['192.0.2.9', '198.51.100.1', '198.51.100.6', '203.0.113.1'])).toBe(
      '198.51.100.0/29',
    );
    expect(scannedNetwork(['203.0.113.1', '192.0.2.9'])).toBe('192.0.2.9/32');
    expect(scannedNetwork(['2001:db8:1::1', '2001:db8:1::ff', '2001:db8:2::1'])).toBe('2001:db8:1::/120');
    expect(scannedNetwork(['-'])).toBeUndefined();
  });
});

describe('flow-volume', () => {
  it('names the destination once 1 GB left for it within the hour', async () => {
    const signals = await detect(testDetector(), [exfiltration(1, { bytes: 1_000_000_000, records: 40 })]);
    expectValid(signals);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ detector: 'flow-volume', indicator: '192.0.2.200/32', severity: 6 });
    // The window ends with the newest record's 5-minute bucket.
    expect(signals[0]?.evidence.summary).toMatch(
      /^1000000000 bytes from 10\.0\.1\.5 to 192\.0\.2\.200 \(threshold 1000000000\) between 2026-11-28T09:[0-5][05]:00\.000Z and 2026-11-28T10:[0-5][05]:00\.000Z$/,
    );
  });

  it('stays silent one byte below the threshold', async () => {
    expect(await detect(testDetector(), [exfiltration(2, { bytes: 999_999_999, records: 40 })])).toEqual([]);
  });

  it('leaves out AWS service traffic as the record names it, or by the published ranges when it does not', async () => {
    const s3 = (fields: object) =>
      exfiltration(3, { bytes: 5e9, records: 10, target: EXTERNAL.s3, ...fields });
    expect(await detect(testDetector(), [s3({ pktDstAwsService: 'S3' })])).toEqual([]);
    expect(await detect(testDetector(), [s3({ trafficPath: 7 })])).toEqual([]);
    expect(await detect(testDetector(), [s3({})])).toEqual([]);
  });

  it('still counts EC2 addresses, which anyone can rent', async () => {
    const toEc2 = (fields: object) =>
      exfiltration(4, { bytes: 2e9, records: 10, target: EXTERNAL.ec2, ...fields });
    expect(await detect(testDetector(), [toEc2({ pktDstAwsService: 'EC2' })])).toHaveLength(1);
    expect(await detect(testDetector(), [toEc2({})])).toHaveLength(1);
  });

  it('leaves out private and VPC destinations and a server’s replies', async () => {
    expect(
      await detect(testDetector(), [exfiltration(5, { bytes: 5e9, records: 10, target: '10.0.9.9' })]),
    ).toEqual([]);
    expect(
      await detect(testDetector(), [exfiltration(6, { bytes: 5e9, records: 10, target: '172.16.0.1' })]),
    ).toEqual([]);
    expect(
      await detect(testDetector(), [
        exfiltration(7, { bytes: 5e9, records: 10, srcPort: 443, dstPort: 50_000 }),
      ]),
    ).toEqual([]);
  });

  it('raises severity when the bytes went to a known-bad port', async () => {
    const signals = await detect(testDetector(), [
      exfiltration(12, { bytes: 2e9, records: 10, dstPort: 4444 }),
    ]);
    expect(signals.map((signal) => signal.severity)).toEqual([7]);
    expect(signals[0]?.evidence.details[0]).toBe(
      'severity 7: base 6 for flow-volume; +1: known-bad destination port 4444',
    );
  });

  it('never signals a known-bad port on its own', async () => {
    const records = [25, 4444, 6667, 9001, 9050].map((port) =>
      flow({ dstAddr: EXTERNAL.dropZone, dstPort: port }),
    );
    expect(await detect(testDetector(), [records])).toEqual([]);
  });
});

describe('windows across batches', () => {
  it('adds up a burst spread over batches, late and out of order, into one window and one key', async () => {
    // Prepare: 1 GB over 40 records, delivered newest first in four batches
    const records = exfiltration(8, { bytes: 1_000_000_000, records: 40 }).sort((a, b) => b.start - a.start);
    const batches = [0, 1, 2, 3].map((part) => records.slice(part * 10, part * 10 + 10));
    // Act
    const signals = await detect(testDetector(), batches);
    // Assess: only the last batch crosses the threshold; the key is the one a single batch gives
    expect(signals).toHaveLength(1);
    const single = await detect(testDetector(), [records]);
    expect(signals[0]?.evidence.key).toBe(single[0]?.evidence.key);
    expect(signals[0]?.evidence.summary).toBe(single[0]?.evidence.summary);
  });

  it('does not count a late record older than the window of the key’s newest bucket', async () => {
    const windows = new InMemoryDetectorStateStore();
    const detector = testDetector();
    const recent = exfiltration(9, {
      bytes: 600_000_000,
      records: 5,
      start: T0 + 2 * HOUR,
      spreadMs: MINUTE,
    });
    const old = exfiltration(10, { bytes: 600_000_000, records: 5, start: T0, spreadMs: MINUTE });
    expect(await detect(detector, [recent, old], windows)).toEqual([]);
  });

  it('gives the same evidence key to a repeat within the window, and to a replay of the same records', async () => {
    const detector = testDetector();
    const windows = new InMemoryDetectorStateStore();
    const scan = portScan(11, { ports: 15, spreadMs: 30_000 });
    const first = await detect(detector, [scan], windows);
    const repeat = await detect(
      detector,
      [portScan(12, { ports: 3, from: 2000, start: T0 + MINUTE })],
      windows,
    );
    const replay = await detect(testDetector(), [scan]);
    expect(first).toHaveLength(1);
    expect(repeat.map((signal) => signal.evidence.key)).toEqual([first[0]?.evidence.key]);
    expect(replay).toEqual(first);
  });
});

describe('benign traffic', () => {
  it('gives no signal for an hour of a small VPC’s normal traffic', async () => {
    const records = benignTraffic(42, 5_000);
    const batches = Array.from({ length: 10 }, (_, index) => records.slice(index * 500, index * 500 + 500));
    expect(await detect(testDetector(), batches)).toEqual([]);
  });

  it('never gives a signal, whatever the seed, batch size and order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        async (seed, batchSize, reverse) => {
          const records = benignTraffic(seed, 800);
          if (reverse) records.reverse();
          const batches = [];
          for (let index = 0; index < records.length; index += batchSize) {
            batches.push(records.slice(index, index + batchSize));
          }
          expect(await detect(testDetector(), batches)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('evidence', () => {
  it('keeps the configured number of lines, each clipped, within the Threat Signal limits', async () => {
    const long = 'x'.repeat(10_000);
    const records = portScan(13, { ports: 40 }).map((record) => ({
      ...record,
      raw: `${record.raw} ${long}`,
    }));
    const signals = await detect(testDetector({ evidenceLines: 20, portScan: { ports: 2 } }), [records]);
    expectValid(signals);
    expect(signals[0]?.evidence.details.filter((line) => line.includes('xxx'))).toHaveLength(20);
  });

  it('counts the records it leaves out', async () => {
    const batch = testDetector().batch();
    batch.add(flow({ dstAddr: '-' }));
    batch.add(flow({ dstAddr: EXTERNAL.c2, flowDirection: 'ingress' }));
    batch.add(flow({ dstAddr: EXTERNAL.c2, start: Number.NaN }));
    batch.add(flow({ dstAddr: EXTERNAL.c2, bytes: 1.5 }));
    batch.add(flow({ dstAddr: EXTERNAL.c2 }));
    expect(batch.counts).toEqual({ records: 5, notEgress: 1, unreadable: 3 });
    const intel = batch.windows().find((window) => window.detection === 'flow-threat-intel');
    expect(intel?.increments).toEqual([
      expect.objectContaining({ key: 'flow-threat-intel 198.51.100.7', count: 1 }),
    ]);
  });
});
