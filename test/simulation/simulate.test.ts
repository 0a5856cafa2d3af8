import { beforeAll, describe, expect, it } from 'vitest';
import type { Outcome, SkipReason } from '#domain/decision';
import { loadEvents } from '#shared/cli/load-events';
import { parseSimulationConfig } from '#shared/simulation/config';
import { type SimulationInput, type SimulationResult, simulate } from '#shared/simulation/simulate';
import { EVENTS_DIR, loadEvent, type ManualEvent, type ThreatSignalEvent } from '../support/events';
import { ACL_ID, reservedDenyCidrs } from '../support/warden';

/** The newest event time in events/, which the CLI uses as "now" for the bundled samples. */
const NOW = new Date('2026-11-28T09:53:00.000Z');
const HOUR = 3_600_000;
const in4Hours = new Date(NOW.getTime() + 4 * HOUR).toISOString();

let inputs: SimulationInput[];

beforeAll(async () => {
  const loaded = await loadEvents([EVENTS_DIR]);
  expect(loaded.rejected).toEqual([]);
  inputs = loaded.inputs;
});

/** The outcomes for one indicator, in the order they were decided. */
function outcomesFor(result: SimulationResult, indicator: string): (Outcome | `skipped:${SkipReason}`)[] {
  return result.decisions
    .filter((d) => d.indicator === indicator)
    .map((d) => (d.skipReason ? `skipped:${d.skipReason}` : d.outcome) as Outcome | `skipped:${SkipReason}`);
}

/** The deny entries Egress Warden owns (the reserved range 1-18) in the sample ACL, as CIDRs. */
function reservedDenies(result: SimulationResult): string[] {
  return reservedDenyCidrs(result.targets.networkAcls[ACL_ID] ?? []);
}

/** A manual Block Request for `indicator`, as a simulation input. */
function blockRequest(indicator: string): SimulationInput {
  const event = loadEvent<ManualEvent>('manual/block-request.json');
  event.id = `block-${indicator}`;
  event.detail = { ...event.detail, indicator };
  return { name: `block ${indicator}`, event };
}

describe('simulate on the bundled sample events', () => {
  let result: SimulationResult;

  beforeAll(async () => {
    result = await simulate(inputs, parseSimulationConfig(), { now: NOW });
  });

  it('reads every sample', () => {
    // Assess
    expect(inputs).toHaveLength(17);
  });

  it('blocks the C2 domain on the DNS Firewall and the Network Firewall for 4 hours', () => {
    // Act
    const decision = result.decisions.find((d) => d.indicator === 'guarddutyc2activityb.com');

    // Assess
    expect(decision).toMatchObject({
      outcome: 'blocked',
      source: 'guardduty',
      expiresAt: in4Hours,
      targets: ['dnsFirewall', 'networkFirewall'],
    });
  });

  it('blocks the C2 IP address once and treats the re-published finding as a duplicate', () => {
    // Assess
    expect(outcomesFor(result, '198.51.100.77/32')).toEqual(['blocked', 'skipped:duplicate']);
  });

  it('keeps the sample finding in shadow', () => {
    // Assess
    expect(outcomesFor(result, 'pool.coinminer-sample.net')).toEqual(['shadow']);
  });

  it('does not block the medium-severity finding but alerts about it', () => {
    // Assess
    expect(outcomesFor(result, 'uploads.droppoint-example.org')).toEqual(['skipped:below-threshold']);
    const digest = result.alerts.find((a) => a.subject.startsWith('[Egress Warden] DIGEST'));
    expect(digest?.message.split('\n')).toContainEqual(
      expect.stringMatching(/^WOULD BLOCK +uploads\.droppoint-example\.org +drop point domain, severity 5 /),
    );
  });

  it('ignores the inbound SSH brute force, saying why', () => {
    // Act
    const decision = result.decisions.find((d) =>
      d.indicator.startsWith('UnauthorizedAccess:EC2/SSHBruteForce'),
    );

    // Assess
    expect(decision).toMatchObject({ outcome: 'skipped', skipReason: 'not-handled', targets: [] });
    expect(decision?.reason).toMatch(/INBOUND/);
  });

  it('skips the allowlisted partner domain', () => {
    // Assess
    expect(outcomesFor(result, 'telemetry.partner-cdn.example.net')).toEqual(['skipped:allowlisted']);
  });

  it('blocks and then unblocks 203.0.113.45, leaving nothing for it on any target', () => {
    // Assess
    expect(outcomesFor(result, '203.0.113.45/32')).toEqual(['blocked', 'unblocked']);
    expect(reservedDenies(result)).not.toContain('203.0.113.45/32');
    expect(result.targets.networkFirewall.ips).not.toContain('203.0.113.45/32');
    expect(result.targets.networkFirewall.rules).not.toContain('203.0.113.45');
  });

  it('blocks the permanent CIDR on the network ACL only', () => {
    // Act
    const decision = result.decisions.find((d) => d.indicator === '198.51.100.128/25');

    // Assess
    expect(decision).toMatchObject({ outcome: 'blocked', expiresAt: null, targets: ['networkAcls'] });
    expect(reservedDenies(result)).toContain('198.51.100.128/25');
    expect(result.targets.networkFirewall.ips).not.toContain('198.51.100.128/25');
  });

  it('blocks the domain the DNS tunnel detector reported', () => {
    // Assess
    expect(outcomesFor(result, 'x7f3a9.tunnel-example.org')).toEqual(['blocked']);
  });

  it('refuses to block 0.0.0.0/0', () => {
    // Act
    const decision = result.decisions.find((d) => d.indicator === '0.0.0.0/0');

    // Assess
    expect(decision).toMatchObject({ outcome: 'skipped', skipReason: 'guard-rail', targets: [] });
  });

  it('rejects the three invalid inputs, each naming its field', () => {
    // Act
    const rejected = result.rejected.map((r) => [r.input.slice(EVENTS_DIR.length), r.error.split(':')[0]]);

    // Assess
    expect(rejected).toEqual([
      ['invalid/guardduty-placeholder-domain.json', 'detail.service.action.dnsRequestAction.domain'],
      ['invalid/manual-missing-requested-by.json', 'detail.requestedBy'],
      ['invalid/manual-rule-injection.json', 'detail.indicator'],
    ]);
  });

  it('writes each blocked domain and its subdomains to the DNS Firewall list', () => {
    // Assess
    expect(result.targets.dnsFirewall.domains).toEqual([
      '*.guarddutyc2activityb.com',
      '*.x7f3a9.tunnel-example.org',
      'guarddutyc2activityb.com',
      'x7f3a9.tunnel-example.org',
    ]);
  });

  it('writes the IP blocks to the network ACL as canonical CIDRs, leaving the other entries alone', () => {
    // Act
    const entries = result.targets.networkAcls[ACL_ID] ?? [];

    // Assess
    expect(reservedDenies(result)).toEqual(['198.51.100.128/25', '198.51.100.77/32']);
    expect(entries.filter((e) => e.ruleNumber > 18)).toEqual([
      { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow' },
      { ruleNumber: 101, cidr: '::/0', action: 'allow' },
      { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny' },
      { ruleNumber: 32768, cidr: '::/0', action: 'deny' },
    ]);
  });

  it('writes drop rules for the blocked IP and domains to the Network Firewall', () => {
    // Act
    const { ips, domains, rules } = result.targets.networkFirewall;

    // Assess
    expect(ips).toEqual(['198.51.100.77/32']);
    expect(domains).toEqual(['guarddutyc2activityb.com', 'x7f3a9.tunnel-example.org']);
    const lines = rules.split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(line).toMatch(/^drop (ip|tls|http) .*msg:"egress-warden block .*sid:\d+;/);
  });

  it('refuses, under the default configuration, the allowlisted range and the protected domain', async () => {
    // Prepare
    const requests = [blockRequest('192.0.2.7'), blockRequest('mail.corp.example.com')];

    // Act
    const refused = await simulate(requests, parseSimulationConfig(), { now: NOW });

    // Assess
    expect(refused.decisions.map((d) => [d.indicator, d.skipReason])).toEqual([
      ['192.0.2.7/32', 'allowlisted'],
      ['mail.corp.example.com', 'guard-rail'],
    ]);
  });

  it('gives the same result on every run', async () => {
    // Act
    const again = await simulate(inputs, parseSimulationConfig(), { now: NOW });

    // Assess
    expect(again).toEqual(result);
  });
});

describe('simulate with an input that fails unexpectedly', () => {
  it('reports that input as rejected and goes on with the others', async () => {
    // Prepare: an event whose fields cannot even be read, between two good requests.
    const unreadable = new Proxy(
      {},
      {
        get() {
          throw new TypeError('field cannot be read');
        },
        ownKeys() {
          throw new TypeError('fields cannot be listed');
        },
      },
    );
    const requests = [
      blockRequest('198.51.100.10'),
      { name: 'unreadable.json', event: unreadable },
      blockRequest('198.51.100.11'),
    ];

    // Act
    const result = await simulate(requests, parseSimulationConfig(), { now: NOW });

    // Assess
    expect(result.rejected).toEqual([
      { input: 'unreadable.json', error: expect.stringContaining('cannot be') },
    ]);
    expect(result.decisions.map((d) => d.indicator)).toEqual(['198.51.100.10/32', '198.51.100.11/32']);
  });
});

describe('simulate with the emergency brake', () => {
  it('reports the sample pause and resume, in order, with who and why', async () => {
    // Act
    const result = await simulate(
      [
        { name: 'pause', event: loadEvent<ManualEvent>('manual/pause.json') },
        { name: 'resume', event: loadEvent<ManualEvent>('manual/resume.json') },
      ],
      parseSimulationConfig(),
      { now: NOW },
    );

    // Assess
    expect(result.pauses.map((p) => [p.outcome, p.requestedBy])).toEqual([
      ['paused', 'arn:aws:iam::123456789012:user/bob'],
      ['resumed', 'arn:aws:iam::123456789012:user/bob'],
    ]);
  });
});

describe('simulate with a Reset Breaker request', () => {
  it('reports the reset and alerts that the breaker closed', async () => {
    // Prepare: a breaker of one block, tripped by the second automated block.
    const config = parseSimulationConfig({
      policy: { breaker: { maxNewBlocksPerHour: 1 }, targets: { networkAcls: { mode: 'enforce' } } },
    });
    const signal = (indicator: string, id: string): SimulationInput => {
      const event = loadEvent<ThreatSignalEvent>('detectors/dns-tunnel-signal.json');
      event.id = id;
      event.detail = { ...event.detail, source: 'flow-log', indicator, evidence: { summary: 'beaconing' } };
      return { name: id, event };
    };
    const reset = {
      name: 'reset',
      event: {
        source: 'egress-warden.manual',
        'detail-type': 'Reset Breaker',
        time: NOW.toISOString(),
        detail: { reason: 'reviewed the burst', requestedBy: 'bob@example.com' },
      },
    };

    // Act
    const result = await simulate(
      [signal('198.51.100.10', 'a'), signal('198.51.100.11', 'b'), reset],
      config,
      { now: NOW },
    );

    // Assess
    expect(result.breakerResets).toEqual([
      expect.objectContaining({
        outcome: 'closed',
        requestedBy: 'bob@example.com',
        reason: 'reviewed the burst',
      }),
    ]);
    expect(result.alerts.filter((a) => a.subject.includes('BREAKER CLOSED'))).toHaveLength(1);
  });
});

describe('simulate, then five hours later', () => {
  let result: SimulationResult;

  beforeAll(async () => {
    result = await simulate(inputs, parseSimulationConfig(), { now: NOW, advanceMs: 5 * HOUR });
  });

  it('ends the 4-hour blocks and reports them as expired', () => {
    // Act
    const ended = result.reconciles[1]?.ended ?? [];

    // Assess
    expect(ended.map((e) => e.indicator).sort()).toEqual([
      '198.51.100.77/32',
      'guarddutyc2activityb.com',
      'x7f3a9.tunnel-example.org',
    ]);
    for (const e of ended) expect(e.reason).toMatch(/^expired at /);
    expect(result.alerts.filter((a) => a.subject.includes('EXPIRED'))).toHaveLength(3);
  });

  it('lists the blocks that ended among the decisions, as unblocked', () => {
    // Act
    const ended = result.decisions.filter((d) => d.reason.startsWith('expired at '));

    // Assess
    expect(ended.map((d) => [d.indicator, d.outcome]).sort()).toEqual([
      ['198.51.100.77/32', 'unblocked'],
      ['guarddutyc2activityb.com', 'unblocked'],
      ['x7f3a9.tunnel-example.org', 'unblocked'],
    ]);
  });

  it('removes them from every target and keeps the permanent CIDR', () => {
    // Assess
    expect(result.targets.dnsFirewall.domains).toEqual([]);
    expect(result.targets.networkFirewall).toEqual({ ips: [], domains: [], rules: '' });
    expect(reservedDenies(result)).toEqual(['198.51.100.128/25']);
  });
});
