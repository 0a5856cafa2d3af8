import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENFORCE_STATUS_LIST_CAP } from '#ports/decision-store';
import { runEnforce } from '#shared/runtime/enforce-run';
import { createTelemetry } from '#shared/runtime/telemetry';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { toEnforceStatus } from '#shared/use-cases/enforce/status';
import { handleEvent } from '#shared/use-cases/handle-event';
import { loadEvent } from '../support/events';
import { type CapturedOutput, captureOutput } from '../support/lambda-events';
import { ACL_ID, createWarden, MINUTE, manualSignal, sampleSignal, type Warden } from '../support/warden';

const DOMAIN = 'guarddutyc2activityb.com';
const IP = '198.51.100.77/32';

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

async function run(warden: Warden): Promise<ReconcileReport> {
  const telemetry = createTelemetry();
  const report = await runEnforce(async () => warden.deps, telemetry);
  telemetry.metrics.publishStoredMetrics();
  return report;
}

async function blockDomainAndIp(warden: Warden): Promise<void> {
  await decideSignal(sampleSignal('guardduty/c2-domain.json', warden), warden.deps);
  await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
}

describe('the enforce status record', () => {
  it('records after a run its time, each target’s mode, result and room, the breaker and the pause', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await handleEvent(loadEvent('manual/pause.json'), warden.deps);

    // Act
    await run(warden);

    // Assess
    const status = await warden.store.getEnforceStatus();
    expect(status?.at).toBe(warden.clock.now().toISOString());
    expect(status?.durationMs).toBeGreaterThanOrEqual(0);
    expect(status?.pause).toMatchObject({ paused: true, by: 'arn:aws:iam::123456789012:user/bob' });
    expect(status?.breaker).toEqual({ open: false });
    // Paused after the blocks were decided: every target holds them, as in alert mode.
    expect(status?.targets.map((t) => [t.target, t.mode, t.status, t.changes, t.held])).toEqual([
      ['dnsFirewall', 'alert', 'held', 0, 1],
      ['networkAcls', 'alert', 'held', 0, 1],
      ['networkFirewall', 'alert', 'held', 0, 1],
    ]);
    // The usual allow and the default deny of each family; nothing of ours while paused.
    expect(status?.targets[1]?.usage).toEqual([
      { what: `${ACL_ID} IPv4 egress entries`, used: 2, limit: 20 },
      { what: `${ACL_ID} IPv6 egress entries`, used: 2, limit: 20 },
    ]);
    expect(status?.targets[0]?.usage).toEqual([{ what: 'domains', used: 0, limit: 100_000 }]);
    expect(status?.targets[2]?.usage?.map((u) => [u.what, u.limit])).toEqual([
      ['rule capacity', 1000],
      ['rules bytes', 2_000_000],
    ]);
  });

  it('counts what a run enforced against each target’s room', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);

    // Act
    await run(warden);

    // Assess
    const status = await warden.store.getEnforceStatus();
    expect(status?.targets.map((t) => t.status)).toEqual(['applied', 'applied', 'applied']);
    expect(status?.targets[0]?.usage).toEqual([{ what: 'domains', used: 2, limit: 100_000 }]);
    expect(status?.targets[1]?.usage?.[0]).toEqual({
      what: `${ACL_ID} IPv4 egress entries`,
      used: 3,
      limit: 20,
    });
    expect(status?.targets[2]?.usage?.[0]).toEqual({ what: 'rule capacity', used: 3, limit: 1000 });
  });

  it('keeps at most 20 warnings a target, says how many were cut, and cuts long texts', () => {
    // Prepare
    const warnings = Array.from({ length: 500 }, (_, i) => `warning ${i} ${'x'.repeat(2000)}`);
    const report: ReconcileReport = {
      at: '2026-11-28T10:00:00.000Z',
      ended: [],
      deferred: 0,
      cutShort: false,
      alerts: { sent: 0, repeated: 0, failures: [] },
      targets: [
        {
          target: 'networkAcls',
          mode: 'enforce',
          status: 'applied',
          changes: 1,
          held: 0,
          overflow: Array.from({ length: 10_000 }, (_, i) => `198.51.${i >> 8}.${i & 255}/32`),
          warnings,
        },
      ],
    };

    // Act
    const status = toEnforceStatus(report, {
      at: report.at,
      durationMs: 12.3,
      breaker: { open: false, recentBlocks: [], version: 0 },
      pause: { paused: false, version: 0 },
    });

    // Assess
    const [target] = status.targets;
    expect(target?.warnings).toHaveLength(ENFORCE_STATUS_LIST_CAP);
    expect(target?.warningsCut).toBe(480);
    expect(target?.overflowCount).toBe(10_000);
    expect(target?.warnings[0]).toMatch(/… \(1510 more characters\)$/);
    expect(Buffer.byteLength(JSON.stringify(status))).toBeLessThan(20_000);
  });
});

describe('drift repaired', () => {
  it('puts back entries removed by hand and removes entries added by hand, alerts once and counts them', async () => {
    // Prepare: a converged first run.
    const warden = createWarden();
    await blockDomainAndIp(warden);
    const first = await run(warden);
    warden.clock.advance(MINUTE);
    // By hand: the domain's entries and the ACL deny deleted, a foreign name added to our list.
    await warden.dnsFirewall.updateDomains('REMOVE', [`*.${DOMAIN}`, DOMAIN]);
    await warden.dnsFirewall.updateDomains('ADD', ['hand-added.example.org']);
    const deny = warden.networkAcls.snapshot()[0]?.egress.find((entry) => entry.cidr === IP);
    await warden.networkAcls.deleteEgressEntry(ACL_ID, deny?.ruleNumber ?? 0);
    // And a new block decided since: ordinary work, not drift.
    await decideSignal(manualSignal('new.example.net', warden), warden.deps);
    const alertsBefore = warden.alerts.published.length;

    // Act
    const second = await run(warden);

    // Assess
    expect(first.drift).toBeUndefined();
    expect(second.drift).toEqual([
      { target: 'dnsFirewall', restored: [DOMAIN], removed: ['hand-added.example.org'] },
      { target: 'networkAcls', restored: [IP], removed: [] },
    ]);
    expect(warden.dnsFirewall.snapshot()).toContain(DOMAIN);
    expect(warden.dnsFirewall.snapshot()).not.toContain('hand-added.example.org');
    const drift = warden.alerts.published.slice(alertsBefore).filter((a) => a.subject.includes('DRIFT'));
    expect(drift).toHaveLength(1);
    expect(drift[0]?.subject).toBe('[Egress Warden] DRIFT REPAIRED: 3 entries on dnsFirewall, networkAcls');
    expect(drift[0]?.evidence).toEqual([
      `dnsFirewall: restored ${DOMAIN} (its entry had gone)`,
      'dnsFirewall: removed hand-added.example.org (no active decision wants it)',
      `networkAcls: restored ${IP} (its entry had gone)`,
    ]);
    expect((await warden.store.getEnforceStatus())?.driftRepaired).toBe(3);
    const metric = output.metric('DriftRepaired').at(-1);
    expect(metric?.DriftRepaired).toBe(3);
  });

  it('reports no drift for an unblock, an expiry or a run with nothing changed by hand', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await run(warden);
    warden.clock.advance(MINUTE);
    await decideSignal(manualSignal(DOMAIN, warden, 'Unblock Request'), warden.deps);

    // Act
    const unblocked = await run(warden);
    const quiet = await run(warden);

    // Assess
    expect(unblocked.targets[0]?.removed).toEqual([DOMAIN]);
    expect(unblocked.drift).toBeUndefined();
    expect(quiet.drift).toBeUndefined();
    expect(warden.alerts.published.some((a) => a.subject.includes('DRIFT'))).toBe(false);
  });

  it('reports nothing on the first run, which has no previous record to compare with', async () => {
    // Prepare
    const warden = createWarden();
    await warden.dnsFirewall.updateDomains('ADD', ['hand-added.example.org']);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(report.targets[0]?.removed).toEqual(['hand-added.example.org']);
    expect(report.drift).toBeUndefined();
  });
});
