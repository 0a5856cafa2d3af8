import { describe, expect, it } from 'vitest';
import { ThrottledError } from '#domain/errors';
import { decideSignal, resetBreaker } from '#shared/use-cases/decide-signal';
import { type GuardDutyEvent, loadEvent } from '../support/events';
import {
  createWarden,
  flowSignal,
  HOUR,
  MINUTE,
  manualSignal,
  policyWith,
  START,
  sampleSignal,
  signalFrom,
} from '../support/warden';

const at = (ms: number) => new Date(START.getTime() + ms).toISOString();

describe('decideSignal', () => {
  it('blocks a first offence for 4 hours, with an audit entry and one alert', async () => {
    // Prepare
    const warden = createWarden();
    const signal = sampleSignal('guardduty/c2-ip-outbound.json', warden);

    // Act
    const report = await decideSignal(signal, warden.deps);

    // Assess
    expect(report).toEqual({
      indicator: '198.51.100.77/32',
      outcome: 'blocked',
      reason: 'blocked for 4h (Backdoor:EC2/C&CActivity.B)',
      source: 'guardduty',
      expiresAt: at(4 * HOUR),
      targets: ['networkAcls', 'networkFirewall'],
    });
    expect(await warden.store.get('198.51.100.77/32')).toMatchObject({
      status: 'active',
      expiresAt: at(4 * HOUR),
    });
    expect(await warden.store.listAudit('198.51.100.77/32')).toMatchObject([
      { event: 'blocked', actor: 'guardduty:Backdoor:EC2/C&CActivity.B' },
    ]);
    expect(warden.alerts.published.map((a) => a.subject)).toEqual([
      '[Egress Warden] BLOCKED 198.51.100.77/32 (Backdoor:EC2/C&CActivity.B)',
    ]);
  });

  it('never blocks a re-published finding twice', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
    const before = warden.store.snapshot();
    warden.clock.advance(6 * HOUR - MINUTE);

    // Act
    const replay = await decideSignal(sampleSignal('guardduty/c2-ip-republished.json', warden), warden.deps);

    // Assess
    expect(replay).toMatchObject({ outcome: 'skipped', skipReason: 'duplicate' });
    expect(warden.store.snapshot()).toEqual(before);
    expect(warden.alerts.published).toHaveLength(1);
  });

  it('extends an active block when the same finding is seen again later, without a second block', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
    warden.clock.advance(HOUR);
    const later = loadEvent<GuardDutyEvent>('guardduty/c2-ip-republished.json');
    later.detail.service.eventLastSeen = '2026-11-28T10:55:00.000Z';

    // Act
    const report = await decideSignal(signalFrom(later, warden), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'extended', expiresAt: at(5 * HOUR) });
    expect(await warden.store.listActive()).toMatchObject([
      { key: '198.51.100.77/32', expiresAt: at(5 * HOUR), offences: [START.toISOString()] },
    ]);
    expect((await warden.store.listAudit('198.51.100.77/32')).map((a) => a.event)).toEqual([
      'blocked',
      'extended',
    ]);
  });

  it('refuses to block 0.0.0.0/0 and records nothing', async () => {
    // Prepare
    const warden = createWarden();
    const signal = signalFrom(loadEvent('invalid/manual-block-everything.json'), warden);

    // Act
    const report = await decideSignal(signal, warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', skipReason: 'guard-rail', targets: [] });
    expect(report.reason).toMatch(/wider than \/16/);
    expect(warden.store.snapshot().decisions).toEqual([]);
    expect(warden.alerts.published.map((a) => a.subject)).toEqual([
      '[Egress Warden] DID NOT BLOCK 0.0.0.0/0 (manual)',
    ]);
  });

  it('records one block when two deliveries of a new indicator race', async () => {
    // Prepare
    const warden = createWarden();
    const signal = sampleSignal('guardduty/c2-domain.json', warden);

    // Act
    const reports = await Promise.all([decideSignal(signal, warden.deps), decideSignal(signal, warden.deps)]);

    // Assess
    const outcomes = reports.map((r) => r.outcome).sort();
    expect(outcomes[0]).toBe('blocked');
    expect(['extended', 'skipped']).toContain(outcomes[1]);
    expect(reports.filter((r) => r.outcome === 'skipped').map((r) => r.skipReason)).not.toContain(
      'breaker-open',
    );
    expect(await warden.store.listActive()).toHaveLength(1);
    expect(warden.store.snapshot().breaker.recentBlocks.map((bucket) => bucket.count)).toEqual([1]);
  });

  it('unblocks an active block on request', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(manualSignal('203.0.113.45', warden), warden.deps);
    warden.clock.advance(5 * MINUTE);

    // Act
    const report = await decideSignal(manualSignal('203.0.113.45', warden, 'Unblock Request'), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'unblocked', targets: ['networkAcls', 'networkFirewall'] });
    expect(report.reason).toMatch(/^unblocked by bob@example.com/);
    expect(await warden.store.listActive()).toEqual([]);
    expect((await warden.store.get('203.0.113.45/32'))?.status).toBe('unblocked');
  });

  it('says there is nothing to unblock for an indicator that is not blocked', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const report = await decideSignal(manualSignal('203.0.113.45', warden, 'Unblock Request'), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', skipReason: 'not-blocked' });
    expect(warden.store.snapshot().decisions).toEqual([]);
  });

  it('alerts on a finding below the enforcement threshold without blocking it', async () => {
    // Prepare
    const warden = createWarden();
    const signal = sampleSignal('guardduty/medium-severity-drop-point.json', warden);

    // Act
    const report = await decideSignal(signal, warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', skipReason: 'below-threshold' });
    expect(await warden.store.listActive()).toEqual([]);
    expect(warden.alerts.published.map((a) => a.subject)).toEqual([
      '[Egress Warden] WOULD BLOCK uploads.droppoint-example.org (Trojan:EC2/DropPoint!DNS)',
    ]);
  });

  it('keeps a GuardDuty sample finding in shadow', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const report = await decideSignal(sampleSignal('guardduty/sample-finding.json', warden), warden.deps);

    // Assess
    expect(report.outcome).toBe('shadow');
    expect(await warden.store.listActive()).toEqual([]);
    expect((await warden.store.get('pool.coinminer-sample.net'))?.status).toBe('shadow');
  });

  it('only shadows when every target is in alert mode', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ targets: {} }) });

    // Act
    const report = await decideSignal(sampleSignal('guardduty/c2-domain.json', warden), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'shadow', targets: ['dnsFirewall', 'networkFirewall'] });
    expect(await warden.store.listActive()).toEqual([]);
  });

  it('opens the breaker after too many new blocks, alerts once, and a reset closes it', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ breaker: { maxNewBlocksPerHour: 2 } }) });
    await decideSignal(flowSignal('198.51.100.1', 8, warden), warden.deps);
    await decideSignal(flowSignal('198.51.100.3', 8, warden), warden.deps);

    // Act
    const tripped = await decideSignal(flowSignal('198.51.100.5', 8, warden), warden.deps);
    const whileOpen = await decideSignal(flowSignal('198.51.100.7', 8, warden), warden.deps);
    const reset = await resetBreaker('bob@example.com', 'reviewed the burst', warden.deps);
    const afterReset = await decideSignal(flowSignal('198.51.100.9', 8, warden), warden.deps);

    // Assess
    expect([tripped.skipReason, whileOpen.skipReason]).toEqual(['breaker-open', 'breaker-open']);
    expect(reset).toBe(true);
    expect(afterReset.outcome).toBe('blocked');
    expect(warden.alerts.published.filter((a) => a.subject.includes('BREAKER OPEN'))).toHaveLength(1);
    expect((await warden.store.listActive()).map((d) => d.key).sort()).toEqual([
      '198.51.100.1/32',
      '198.51.100.3/32',
      '198.51.100.9/32',
    ]);
  });

  it('still takes a manual block while the breaker is open', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ breaker: { maxNewBlocksPerHour: 1 } }) });
    await decideSignal(flowSignal('198.51.100.1', 8, warden), warden.deps);
    await decideSignal(flowSignal('198.51.100.3', 8, warden), warden.deps);

    // Act
    const report = await decideSignal(manualSignal('203.0.113.45', warden), warden.deps);

    // Assess
    expect(warden.store.snapshot().breaker.open).toBe(true);
    expect(report.outcome).toBe('blocked');
  });

  it('keeps the decision when its alert cannot be published, and says so', async () => {
    // Prepare
    const warden = createWarden();
    warden.alerts.injectFailure(new ThrottledError('Rate exceeded', 'Throttling'));

    // Act
    const report = await decideSignal(sampleSignal('guardduty/c2-domain.json', warden), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'blocked', alertError: 'Rate exceeded' });
    expect(await warden.store.listActive()).toHaveLength(1);
  });
});
