import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  DnsBatch,
  type DnsContext,
  type DnsQuery,
  type DnsSignal,
  informationBytes,
  looksRandom,
} from '#domain/detect/dns';
import { type DnsSettingsInput, parseDnsSettings } from '#domain/detect/dns-settings';
import { domainFeedMatcher, parseDomainFeed } from '#domain/detect/domain-feeds';
import { parseIndicator } from '#domain/indicator';
import { ThreatSignalSchema } from '#shared/intake/threat-signal';
import {
  benignTraffic,
  dgaBurst,
  MINUTE,
  query,
  shuffled,
  T0,
  tunnelQueries,
  WindowFold,
} from '../../support/dns-traffic';

const FEED = parseDomainFeed(
  'urlhaus',
  '# URLhaus\n127.0.0.1\tlocalhost\n0.0.0.0 evil.example\n0.0.0.0 c2.bad.example\n',
);

function context(settings: DnsSettingsInput = {}, overrides: Partial<DnsContext> = {}): DnsContext {
  return {
    settings: parseDnsSettings(settings),
    allowlist: [],
    protectedDomains: [],
    feeds: domainFeedMatcher([FEED]),
    thresholds: { minSeverity: 7, alertMinSeverity: 4 },
    ...overrides,
  };
}

/** Runs batches through one in-memory store, as the detect-dns use case will: every signal they give. */
function detect(
  batches: readonly (readonly DnsQuery[])[],
  ctx: DnsContext = context(),
  fold = new WindowFold(),
) {
  const signals: DnsSignal[] = [];
  for (const records of batches) {
    const batch = new DnsBatch(ctx);
    for (const record of records) batch.add(record);
    signals.push(...batch.immediateSignals());
    signals.push(...batch.tunnelSignals(fold.addAndTotal(batch.tunnel.increments(), batch.tunnel.shape)));
    signals.push(...batch.dgaSignals(fold.addAndTotal(batch.dga.increments(), batch.dga.shape)));
  }
  return signals;
}

function expectValid(signals: readonly DnsSignal[]): void {
  for (const signal of signals) {
    const parsed = v.safeParse(ThreatSignalSchema, signal);
    expect(parsed.issues).toBeUndefined();
    expect(() => parseIndicator(signal.indicator)).not.toThrow();
    expect(signal.evidence.details.length).toBeGreaterThan(0);
  }
}

describe('threat-intel matches', () => {
  it('gives one signal per (feed name, source) naming the feed entry, with the query lines as evidence', () => {
    // Prepare
    const queries = [
      query({ name: 'a.evil.example' }),
      query({ name: 'b.evil.example', at: T0 + MINUTE }),
      query({ name: 'evil.example', srcAddr: '10.0.2.9', instanceId: 'i-0fedcba9876543210' }),
      query({ name: 'notevil.example' }),
    ];

    // Act
    const signals = detect([queries]);

    // Assess
    expectValid(signals);
    expect(signals.map((s) => [s.detector, s.indicator, s.severity])).toEqual([
      ['dns-intel', 'evil.example', 8],
      ['dns-intel', 'evil.example', 8],
    ]);
    const first = signals.find((s) => s.evidence.key.includes('10.0.1.5'));
    expect(first?.evidence.key).toBe('dns-intel evil.example 10.0.1.5 @2026-11-28T10:00:00.000Z');
    expect(first?.evidence.summary).toContain('urlhaus');
    expect(first?.evidence.details.filter((line) => line.startsWith('query: '))).toHaveLength(2);
    expect(first?.evidence.details[0]).toContain('i-0123456789abcdef0');
    expect(first?.workload).toEqual({
      account: '123456789012',
      region: 'us-east-1',
      vpcId: 'vpc-0abc1234',
      instanceId: 'i-0123456789abcdef0',
    });
  });

  it('gives the same evidence key when the same hits are replayed, and skips allowlisted names', () => {
    const queries = [query({ name: 'x.evil.example' }), query({ name: 'x.c2.bad.example' })];
    const ctx = context({}, { allowlist: ['bad.example'] });

    const once = detect([queries], ctx);
    const again = detect([queries], ctx);

    expect(once.map((s) => s.indicator)).toEqual(['evil.example']);
    expect(again).toEqual(once);
  });

  it('matches only the configured feeds', () => {
    const other = parseDomainFeed('hagezi', 'other.example\n');
    const ctx = context({ intel: { feeds: ['hagezi'] } }, { feeds: domainFeedMatcher([FEED, other]) });

    const signals = detect([[query({ name: 'evil.example' }), query({ name: 'www.other.example' })]], ctx);

    expect(signals.map((s) => s.indicator)).toEqual(['other.example']);
  });
});

describe('DNS Firewall ALERT matches', () => {
  const alert = query({
    name: 'miner.pool.example',
    firewallAction: 'ALERT',
    firewallRuleGroupId: 'rslvr-frg-01234567890abcdef',
    firewallDomainListId: 'rslvr-fdl-01234567890abcdef',
  });

  it('are promoted to signals naming the queried name when promote is on', () => {
    const signals = detect(
      [[alert, query({ name: 'x.example', firewallAction: 'BLOCK' })]],
      context({ firewallAlerts: { promote: true } }),
    );

    expectValid(signals);
    expect(signals.map((s) => [s.detector, s.indicator, s.severity])).toEqual([
      ['dns-firewall-alert', 'miner.pool.example', 7],
    ]);
    expect(signals[0]?.evidence.details.join('\n')).toContain('rslvr-fdl-01234567890abcdef');
  });

  it('are ignored by default', () => {
    expect(detect([[alert]])).toEqual([]);
  });
});

describe('tunnelling', () => {
  it('names the registered domain once 200 unique TXT names with long labels come from one source in 15 minutes', () => {
    const queries = tunnelQueries(1, { domain: 't.tunnel.example', count: 200 });

    const signals = detect([queries]);

    expectValid(signals);
    expect(signals.map((s) => [s.detector, s.indicator, s.severity])).toEqual([
      ['dns-tunnel', 'tunnel.example', 8],
    ]);
    const [signal] = signals;
    expect(signal?.evidence.key).toBe('dns-tunnel 10.0.1.5 tunnel.example @2026-11-28T10:05:00.000Z');
    expect(signal?.evidence.summary).toContain('200 unique names under tunnel.example');
    expect(signal?.evidence.details.join('\n')).toMatch(/a label of 50 characters/);
    expect(signal?.evidence.details.join('\n')).toMatch(/100% TXT/);
  });

  it('stays silent at 199 unique names (the threshold is inclusive at 200)', () => {
    expect(detect([tunnelQueries(1, { domain: 'tunnel.example', count: 199 })])).toEqual([]);
  });

  it('stays silent on 300 unique short A names (volume without a tunnel shape)', () => {
    const queries = tunnelQueries(2, { domain: 'cdn.example', count: 300, type: 'A', labelLength: 6 });

    expect(detect([queries])).toEqual([]);
  });

  it('counts per source: 150 names from each of two hosts is no tunnel', () => {
    const queries = [
      ...tunnelQueries(3, { domain: 'tunnel.example', count: 150, src: '10.0.1.5' }),
      ...tunnelQueries(4, { domain: 'tunnel.example', count: 150, src: '10.0.1.6' }),
    ];

    expect(detect([queries])).toEqual([]);
  });

  it('fires when a burst spans batches delivered late and out of order, and not for names outside the window', () => {
    // Prepare: 200 names over 14 minutes, delivered shuffled in 4 batches; 100 more 40 minutes earlier.
    const burst = shuffled(
      5,
      tunnelQueries(5, { domain: 'tunnel.example', count: 200, spanMs: 14 * MINUTE }),
    );
    const old = tunnelQueries(6, { domain: 'tunnel.example', count: 100, start: T0 - 40 * MINUTE });
    const batches = [
      old.slice(0, 50),
      burst.slice(0, 60),
      burst.slice(60, 120),
      old.slice(50),
      burst.slice(120),
    ];

    // Act
    const signals = detect(batches);

    // Assess: only the last batch completes the window (10:00-10:15): one signal.
    expect(signals.map((s) => s.evidence.key)).toEqual([
      'dns-tunnel 10.0.1.5 tunnel.example @2026-11-28T10:10:00.000Z',
    ]);
  });

  it('never counts names under benign or allowlisted domains', () => {
    const aws = tunnelQueries(7, { domain: 'abc.s3.amazonaws.com', count: 300 });
    const own = tunnelQueries(8, { domain: 'telemetry.corp.example', count: 300 });

    const signals = detect([[...aws, ...own]], context({ benignDomains: ['corp.example'] }));

    expect(signals).toEqual([]);
  });
});

describe('DGA', () => {
  it('alerts about the client (its address as an alert-only indicator) at 25 distinct random NXDOMAIN domains an hour', () => {
    const signals = detect([dgaBurst(9, { count: 25 })]);

    expectValid(signals);
    expect(signals.map((s) => [s.detector, s.indicator, s.severity])).toEqual([
      ['dns-dga', '10.0.1.5/32', 4],
    ]);
    const [signal] = signals;
    expect(signal?.severity).toBeLessThan(7);
    expect(signal?.workload?.instanceId).toBe('i-0123456789abcdef0');
    expect(signal?.evidence.summary).toContain('10.0.1.5 (i-0123456789abcdef0)');
    expect(signal?.evidence.key).toBe('dns-dga 10.0.1.5 @2026-11-28T10:25:00.000Z');
  });

  it('stays silent at 24 distinct domains', () => {
    expect(detect([dgaBurst(9, { count: 24 })])).toEqual([]);
  });

  it('stays silent when most NXDOMAIN names look like words (a misconfigured client, not a DGA)', () => {
    const words = ['staging', 'payments', 'frontend', 'database', 'reporting', 'analytics', 'inventory'];
    const queries = Array.from({ length: 40 }, (_, i) =>
      query({ name: `${words[i % words.length]}${i}.example`, rcode: 'NXDOMAIN', at: T0 + i * 1000 }),
    );

    expect(detect([queries])).toEqual([]);
  });

  it('counts search-path expansions as noise, not as distinct domains', () => {
    const queries = Array.from({ length: 300 }, (_, i) =>
      query({ name: `svc${i}x${i * 7}.ec2.internal.corp.example`, rcode: 'NXDOMAIN', at: T0 + i * 1000 }),
    );

    expect(detect([queries])).toEqual([]);
  });
});

describe('benign traffic', () => {
  it('gives no signal for a day-like mix of AWS, CDN, registry, reverse and search-path names', () => {
    const queries = benignTraffic(11, { count: 20_000 });

    const batch = new DnsBatch(context());
    for (const record of queries) batch.add(record);

    expect(detect([queries])).toEqual([]);
    expect(batch.stats.records).toBe(20_000);
    expect(batch.stats.benign).toBeGreaterThan(10_000);
    expect(batch.stats.excluded['reverse-lookup']).toBeGreaterThan(0);
    expect(batch.stats.excluded['search-path']).toBeGreaterThan(0);
    expect(batch.stats.excluded.internal).toBeGreaterThan(0);
  });

  it('never signals, whatever the seed, volume or batching (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 5 }),
        (seed, count, parts) => {
          const queries = benignTraffic(seed, { count, hosts: 2 });
          const size = Math.ceil(count / parts);
          const batches = Array.from({ length: parts }, (_, i) => queries.slice(i * size, (i + 1) * size));
          return detect(batches).length === 0;
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('the shape estimates', () => {
  it('scores hex-encoded data near 4 bits a character and repeated words far lower', () => {
    const hex = tunnelQueries(12, { domain: 'x.example', count: 10, labelLength: 64 }).map(
      (q) => q.name.split('.')[0] ?? '',
    );
    const words = Array.from(
      { length: 10 },
      () => 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    );

    expect(informationBytes(hex)).toBeGreaterThan((10 * 64 * 3.8) / 8);
    expect(informationBytes(words)).toBe(0);
  });

  it('tells random labels from words, and leaves short and IDN labels alone', () => {
    expect(['uhovosxkjkcg', 'qzxkjvbnmwplrt', 'a1b2c3d4e5'].map(looksRandom)).toEqual([true, true, true]);
    expect(['stackoverflow', 'payments', 'example', 'xn--bcher-kva', 'abc'].map(looksRandom)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
