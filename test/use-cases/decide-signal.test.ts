import { describe, expect, it } from 'vitest';
import type { Decision } from '#domain/decision';
import { ThrottledError } from '#domain/errors';
import type { DecisionStore } from '#ports/decision-store';
import { decideSignal, resetBreaker } from '#shared/use-cases/decide-signal';
import { type GuardDutyEvent, loadEvent } from '../support/events';
import { maximalSignal } from '../support/signals';
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
      '[Egress Warden] BLOCKED 198.51.100.77/32 (C2 IP, severity 8) for 4h',
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

  it('alerts EXTENDED when a repeat moves the end of the block, and says nothing when it does not', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
    warden.clock.advance(HOUR);
    const later = loadEvent<GuardDutyEvent>('guardduty/c2-ip-republished.json');
    later.detail.service.eventLastSeen = '2026-11-28T10:55:00.000Z';
    await decideSignal(signalFrom(later, warden), warden.deps);
    const manual = manualSignal('198.51.100.77', warden);
    const sameEnd = {
      ...manual,
      request: { requestedBy: 'alice@example.com', reason: 'same', ttlMs: 4 * HOUR },
    };

    // Act
    const unchanged = await decideSignal(sameEnd, warden.deps);

    // Assess
    expect(unchanged).toMatchObject({ outcome: 'extended', expiresAt: at(5 * HOUR) });
    expect(warden.alerts.published.map((alert) => alert.subject)).toEqual([
      '[Egress Warden] BLOCKED 198.51.100.77/32 (C2 IP, severity 8) for 4h',
      '[Egress Warden] EXTENDED 198.51.100.77/32 (C2 IP, severity 8) for 4h',
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
      '[Egress Warden] NOT BLOCKED 0.0.0.0/0 (manual, severity 8)',
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
    // Recorded, so that a block requested earlier but delivered later sees that it is stale.
    expect(warden.store.snapshot().decisions).toMatchObject([
      { key: '203.0.113.45/32', status: 'unblocked' },
    ]);
    expect(await warden.store.listActive()).toEqual([]);
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
      '[Egress Warden] WOULD BLOCK uploads.droppoint-example.org (drop point domain, severity 5) for 4h',
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
    const reset =
      (await resetBreaker('bob@example.com', 'reviewed the burst', warden.deps)).outcome === 'closed';
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

  it('lifts a block after two maximal signals: every write of the record fits the store', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(maximalSignal('198.51.100.77', 1, 'é', { observedAt: at(0) }), warden.deps);
    warden.clock.advance(MINUTE);
    await decideSignal(maximalSignal('198.51.100.77', 2, '€', { observedAt: at(MINUTE) }), warden.deps);
    warden.clock.advance(MINUTE);

    // Act
    const report = await decideSignal(manualSignal('198.51.100.77', warden, 'Unblock Request'), warden.deps);

    // Assess
    expect(report.outcome).toBe('unblocked');
    expect(await warden.store.listActive()).toEqual([]);
    expect((await warden.store.listAudit('198.51.100.77/32')).map((a) => a.event)).toEqual([
      'blocked',
      'extended',
      'unblocked',
    ]);
  });

  it('does not block again when GuardDuty re-publishes a finding an operator unblocked, and says so', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
    warden.clock.advance(HOUR);
    const unblock = await decideSignal(manualSignal('198.51.100.77', warden, 'Unblock Request'), warden.deps);
    warden.clock.advance(5 * HOUR);
    const again = loadEvent<GuardDutyEvent>('guardduty/c2-ip-republished.json');
    again.detail.service.eventLastSeen = at(6 * HOUR - MINUTE);

    // Act
    const report = await decideSignal(signalFrom(again, warden), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', skipReason: 'suppressed' });
    expect(report.reason).toContain(`unblocked by bob@example.com at ${at(HOUR)}`);
    expect(report.reason).toContain(`until ${at(HOUR + 7 * 24 * HOUR)}`);
    expect(await warden.store.listActive()).toEqual([]);
    expect(unblock.reason).toContain(`is suppressed until ${at(HOUR + 7 * 24 * HOUR)}`);
    const alert = warden.alerts.published.find((a) => a.subject.includes('UNBLOCKED'));
    expect(alert?.message).toContain('(guardduty:b5d6e7f8091a2b3c4d5e6f708192a3b4) is suppressed until');
  });

  it('says which block covers an address an operator asks to unblock, and what to unblock instead', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(manualSignal('203.0.113.0/24', warden), warden.deps);
    warden.clock.advance(MINUTE);

    // Act
    const report = await decideSignal(manualSignal('203.0.113.45', warden, 'Unblock Request'), warden.deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', skipReason: 'not-blocked' });
    expect(report.reason).toBe(
      `203.0.113.45/32 is not blocked itself, but the active block on 203.0.113.0/24 (until ${at(7 * 24 * HOUR)}) ` +
        'covers it; unblock 203.0.113.0/24 instead',
    );
    expect(warden.alerts.published.at(-1)?.subject).toBe(
      '[Egress Warden] NOT UNBLOCKED 203.0.113.45/32 by bob@example.com',
    );
    expect(warden.alerts.published.at(-1)?.message).toContain('unblock 203.0.113.0/24 instead');
    expect(await warden.store.listActive()).toHaveLength(1);
  });

  it('says which blocked domain covers a name an operator asks to unblock', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(manualSignal('*.evil-c2.example', warden), warden.deps);

    // Act
    const report = await decideSignal(
      manualSignal('cdn.api.evil-c2.example', warden, 'Unblock Request'),
      warden.deps,
    );

    // Assess
    expect(report.reason).toContain('the active block on *.evil-c2.example');
    expect(report.reason).toContain('unblock *.evil-c2.example instead');
  });

  it('looks covering blocks up only when the indicator is not blocked itself, all at once', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(manualSignal('203.0.113.45', warden), warden.deps);
    const reads = readCounting(warden.deps.store);
    const deps = { ...warden.deps, store: reads.store };

    // Act
    await decideSignal(manualSignal('203.0.113.45', warden, 'Unblock Request'), deps);
    const whenBlocked = reads.keys.length;
    await decideSignal(manualSignal('203.0.113.46', warden, 'Unblock Request'), deps);

    // Assess
    expect(whenBlocked).toBe(1);
    expect(reads.keys.slice(1, 4)).toEqual(['203.0.113.46/32', '203.0.113.46/31', '203.0.113.44/30']);
    expect(reads.keys.at(-1)).toBe('203.0.0.0/16');
    expect(reads.keys).toHaveLength(1 + 1 + 16);
    expect(reads.peakInFlight).toBeGreaterThanOrEqual(16);
  });

  it('records 200 concurrent new blocks against one breaker: none fails, and the count is exact', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ breaker: { maxNewBlocksPerHour: 1000 } }) });
    const signals = Array.from({ length: 200 }, (_, i) =>
      flowSignal(`198.51.${100 + (i >> 8)}.${i & 255}`, 8, warden),
    );
    const timers = new VirtualTimers();
    const random = seededRandom(42);

    // Act
    const reports = await timers.runUntilSettled(
      Promise.all(
        signals.map((signal) => decideSignal(signal, warden.deps, { sleep: timers.delay, random })),
      ),
    );

    // Assess
    expect(reports.every((report) => report.outcome === 'blocked')).toBe(true);
    expect(await warden.store.listActive()).toHaveLength(200);
    const breaker = warden.store.snapshot().breaker;
    expect(breaker.recentBlocks.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(200);
    expect(breaker.open).toBe(false);
    expect(timers.waits.length).toBeGreaterThan(0);
    expect(Math.max(...timers.waits)).toBeLessThanOrEqual(1000);
  });

  it('waits at random below a doubling ceiling after each lost conditional write', async () => {
    // Prepare
    const warden = createWarden();
    const timers = new VirtualTimers();
    const signals = [1, 3, 5].map((i) => flowSignal(`198.51.100.${i}`, 8, warden));

    // Act
    await timers.runUntilSettled(
      Promise.all(
        signals.map((signal) =>
          decideSignal(signal, warden.deps, { sleep: timers.delay, random: () => 0.999 }),
        ),
      ),
    );

    // Assess
    expect([...new Set(timers.waits)].sort((a, b) => a - b).slice(0, 2)).toEqual([24, 49]);
  });

  it('closes the breaker on request, alerts who closed it and why, and reports it', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ breaker: { maxNewBlocksPerHour: 1 } }) });
    await decideSignal(flowSignal('198.51.100.1', 8, warden), warden.deps);
    await decideSignal(flowSignal('198.51.100.3', 8, warden), warden.deps);
    warden.clock.advance(10 * MINUTE);

    // Act
    const report = await resetBreaker('bob@example.com', 'reviewed the burst', warden.deps);
    const again = await resetBreaker('bob@example.com', 'twice', warden.deps);

    // Assess
    expect(report).toEqual({
      outcome: 'closed',
      requestedBy: 'bob@example.com',
      reason: 'reviewed the burst',
      at: at(10 * MINUTE),
      openedAt: at(0),
      openReason: 'more than 1 new blocks within 1h',
    });
    expect(again).toMatchObject({ outcome: 'already-closed' });
    const closed = warden.alerts.published.filter((a) => a.subject.includes('BREAKER CLOSED'));
    expect(closed).toHaveLength(1);
    expect(closed[0]?.message).toContain('bob@example.com');
    expect(closed[0]?.message).toContain('reviewed the burst');
    expect(warden.store.snapshot().breaker.open).toBe(false);
  });
});

/** A store that records the keys `get` is asked for and how many reads were in flight at once. */
function readCounting(store: DecisionStore): { store: DecisionStore; keys: string[]; peakInFlight: number } {
  const result = { keys: [] as string[], peakInFlight: 0, store };
  let inFlight = 0;
  result.store = {
    get: async (key: string): Promise<Decision | undefined> => {
      result.keys.push(key);
      inFlight++;
      result.peakInFlight = Math.max(result.peakInFlight, inFlight);
      await Promise.resolve();
      inFlight--;
      return store.get(key);
    },
    put: (decision, expected) => store.put(decision, expected),
    listActive: () => store.listActive(),
    listActiveBlocks: () => store.listActiveBlocks(),
    listDueBefore: (time) => store.listDueBefore(time),
    appendAudit: (records) => store.appendAudit(records),
    listAudit: (key) => store.listAudit(key),
    getBreaker: () => store.getBreaker(),
    putBreaker: (state, expected) => store.putBreaker(state, expected),
    getNetworkAclLedger: () => store.getNetworkAclLedger(),
    putNetworkAclLedger: (ledger, expected) => store.putNetworkAclLedger(ledger, expected),
    getCatchUpWatermark: () => store.getCatchUpWatermark(),
    putCatchUpWatermark: (watermark, expected) => store.putCatchUpWatermark(watermark, expected),
    getVpcCidrs: () => store.getVpcCidrs(),
    putVpcCidrs: (record) => store.putVpcCidrs(record),
    claimAlert: (slot, fingerprint, at, until) => store.claimAlert(slot, fingerprint, at, until),
    releaseAlerts: (slots, at) => store.releaseAlerts(slots, at),
    getPause: () => store.getPause(),
    putPause: (state, expected) => store.putPause(state, expected),
    getEnforceStatus: () => store.getEnforceStatus(),
    putEnforceStatus: (status) => store.putEnforceStatus(status),
  };
  return result;
}

/** A deterministic stand-in for Math.random (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Virtual time for retry delays: `delay(ms)` resolves when the clock reaches it. Once every promise job has
 * run, the clock jumps to the next wake-up and wakes everyone due then together, so that writers who wait
 * the same time collide again as they would on a real table; tests wait for nothing.
 */
class VirtualTimers {
  readonly waits: number[] = [];
  #now = 0;
  #pending: { at: number; order: number; resolve: () => void }[] = [];
  #order = 0;

  readonly delay = (ms: number): Promise<void> => {
    this.waits.push(ms);
    return new Promise((resolve) => {
      this.#pending.push({ at: this.#now + ms, order: this.#order++, resolve });
    });
  };

  async runUntilSettled<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const done = promise.finally(() => {
      settled = true;
    });
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      this.#pending.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#pending[0];
      if (!next) continue;
      this.#now = next.at;
      const due = this.#pending.filter((timer) => timer.at === next.at);
      this.#pending = this.#pending.filter((timer) => timer.at !== next.at);
      for (const timer of due) timer.resolve();
    }
    return done;
  }
}
