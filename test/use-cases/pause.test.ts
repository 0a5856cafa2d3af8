import { describe, expect, it } from 'vitest';
import { MANUAL_SOURCE } from '#shared/intake/manual';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { handleEvent } from '#shared/use-cases/handle-event';
import { loadEvent } from '../support/events';
import { createWarden, HOUR, manualSignal, targetState, type Warden } from '../support/warden';

const BOB = 'arn:aws:iam::123456789012:user/bob';

function brake(type: 'Pause' | 'Resume', warden: Warden, reason = 'bad rollout') {
  return {
    id: `${type}-${warden.clock.now().toISOString()}`,
    source: MANUAL_SOURCE,
    'detail-type': type,
    time: warden.clock.now().toISOString(),
    detail: { requestedBy: BOB, reason },
  };
}

/** A manual block of `indicator` for `ttl`, decided now. */
async function block(indicator: string, warden: Warden, ttlMs = 24 * HOUR): Promise<void> {
  const signal = manualSignal(indicator, warden);
  const request = { requestedBy: BOB, reason: 'test', ...signal.request, ttlMs };
  await decideSignal({ ...signal, request }, warden.deps);
}

describe('pause and resume (the emergency brake)', () => {
  it('records a pause with who, when and why, in the store, the audit trail and an alert', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const report = await handleEvent(loadEvent('manual/pause.json'), warden.deps);

    // Assess
    expect(report.pauses).toEqual([expect.objectContaining({ outcome: 'paused', requestedBy: BOB })]);
    expect(await warden.store.getPause()).toMatchObject({ paused: true, by: BOB, version: 1 });
    const trail = await warden.store.listAudit('PAUSE');
    expect(trail).toEqual([expect.objectContaining({ event: 'paused', actor: BOB })]);
    const alert = warden.alerts.published.at(-1);
    expect(alert?.subject).toBe(`[Egress Warden] PAUSED by ${BOB}: new blocks are shadowed`);
    expect(alert?.message).toContain('payments rollout');
    expect(alert?.message).toContain('does not open what is already blocked');
  });

  it('is idempotent: pausing a paused warden writes nothing and sends no alert', async () => {
    // Prepare
    const warden = createWarden();
    await handleEvent(brake('Pause', warden), warden.deps);
    const alerts = warden.alerts.published.length;

    // Act
    const report = await handleEvent(brake('Pause', warden, 'again'), warden.deps);

    // Assess
    expect(report.pauses).toEqual([expect.objectContaining({ outcome: 'already-paused' })]);
    expect((await warden.store.getPause()).version).toBe(1);
    expect(warden.alerts.published).toHaveLength(alerts);
  });

  it('while paused, decides a new block in shadow, holds enforce, still removes an expiry, and blocks again after resume', async () => {
    // Prepare: one block in force before the pause, expiring in 4 h.
    const warden = createWarden();
    await block('203.0.113.45', warden, 4 * HOUR);
    await reconcile(warden.deps);
    expect(targetState(warden).domains).toEqual([]);
    const before = targetState(warden).acl.filter((e) => e.action === 'deny' && e.ruleNumber <= 18);
    expect(before.map((e) => e.cidr)).toEqual(['203.0.113.45/32']);

    // Act: pause, then a new block arrives.
    await handleEvent(brake('Pause', warden), warden.deps);
    await block('evil.example.com', warden);
    const paused = await reconcile(warden.deps);

    // Assess: the new block is a shadow, nothing new reached a target, the old block is still in force.
    const shadow = await warden.store.get('evil.example.com');
    expect(shadow?.status).toBe('shadow');
    expect(shadow?.reason).toMatch(
      /^shadow: Egress Warden is paused \(by arn:aws:iam::123456789012:user\/bob: bad rollout\)/,
    );
    expect(targetState(warden).domains).toEqual([]);
    expect(paused.targets.map((t) => t.mode)).toEqual(['alert', 'alert', 'alert']);
    expect(
      targetState(warden)
        .acl.filter((e) => e.ruleNumber <= 18)
        .map((e) => e.cidr),
    ).toEqual(['203.0.113.45/32']);

    // Act: the block in force expires while paused.
    warden.clock.advance(5 * HOUR);
    const expiry = await reconcile(warden.deps);

    // Assess: the expiry reached the ACL.
    expect(expiry.ended.map((e) => e.indicator)).toEqual(['203.0.113.45/32']);
    expect(targetState(warden).acl.filter((e) => e.ruleNumber <= 18)).toEqual([]);

    // Act: resume, and the block is asked for again.
    await handleEvent(brake('Resume', warden, 'reviewed'), warden.deps);
    await block('evil.example.com', warden);
    const resumed = await reconcile(warden.deps);

    // Assess
    expect((await warden.store.get('evil.example.com'))?.status).toBe('active');
    expect(resumed.targets.map((t) => t.mode)).toEqual(['enforce', 'enforce', 'enforce']);
    expect(targetState(warden).domains).toContain('evil.example.com');
    expect((await warden.store.listAudit('PAUSE')).map((r) => r.event)).toEqual(['paused', 'resumed']);
    expect(warden.alerts.published.map((a) => a.subject)).toContain(
      `[Egress Warden] RESUMED by ${BOB}: new blocks are enforced again`,
    );
  });

  it('says so when resuming a warden that is not paused, and writes nothing', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const report = await handleEvent(brake('Resume', warden), warden.deps);

    // Assess
    expect(report.pauses).toEqual([expect.objectContaining({ outcome: 'not-paused' })]);
    expect((await warden.store.getPause()).version).toBe(0);
    expect(await warden.store.listAudit('PAUSE')).toEqual([]);
  });
});
