import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coveringKeys, type DecideContext, type DecideResult, decide } from '#domain/decide';
import type { BreakerState, Decision } from '#domain/decision';
import { parsePolicy } from '#domain/policy';
import {
  AUDIT_BUDGET_BYTES,
  EVIDENCE_BUDGET_BYTES,
  jsonBytes,
  RECORD_BUDGET_BYTES,
} from '#domain/record-budget';
import type { Signal } from '#domain/signal';
import {
  activeDecision,
  C2_FINDING,
  closedBreaker,
  DAY,
  detectorSignal,
  enforcingPolicy,
  expired,
  guardDutySignal,
  HOUR,
  isoAt,
  MINUTE,
  manualBlock,
  manualUnblock,
  maximalSignal,
  NOW,
  openBreaker,
  shifted,
  VPC_CONTEXT,
  WIDE_CHARACTERS,
} from '../support/signals';

const IP = '198.51.100.77';
const DOMAIN = 'c2.example.com';

function context(overrides: Partial<DecideContext> = {}): DecideContext {
  return { policy: enforcingPolicy(), now: NOW, breaker: closedBreaker(), ...overrides };
}

/** The record a result writes; fails the test when there is none. */
function written(result: DecideResult): Decision {
  if (!result.decision) throw new Error(`expected a decision, got ${result.outcome}: ${result.reason}`);
  return result.decision;
}

/** A new GuardDuty finding (its own evidence key) at `now`. */
function findingAt(now: Date, id: string, indicator = IP): Signal {
  return guardDutySignal(indicator, {
    observedAt: now.toISOString(),
    evidence: { key: `guardduty:${id}`, summary: `finding ${id}` },
  });
}

function blockDurationOf(result: DecideResult, now: Date): number | null {
  return result.expiresAt === null ? null : Date.parse(result.expiresAt) - now.getTime();
}

describe('decide', () => {
  describe('a first offence', () => {
    it('blocks for 4 hours from now and records the offence', () => {
      // Prepare
      const signal = guardDutySignal(IP);

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      const decision = written(result);
      expect(result.outcome).toBe('blocked');
      expect(result.expiresAt).toBe(isoAt(4 * HOUR));
      expect(result.notify).toBe(true);
      expect(decision).toMatchObject({
        key: '198.51.100.77/32',
        status: 'active',
        expiresAt: isoAt(4 * HOUR),
        offences: [NOW.toISOString()],
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
        severity: 8,
        source: 'guardduty',
        detector: C2_FINDING,
        version: 1,
        evidence: [signal.evidence],
        seen: [{ key: signal.evidence.key, at: signal.observedAt }],
        workloads: [signal.workload],
      });
      expect(decision.reason).toContain('blocked for 4h');
    });

    it('writes one audit record saying who blocked what, when and why', () => {
      // Prepare
      const signal = guardDutySignal(IP);

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.audit).toEqual([
        {
          key: '198.51.100.77/32',
          at: NOW.toISOString(),
          event: 'blocked',
          actor: `guardduty:${C2_FINDING}`,
          reason: written(result).reason,
          source: 'guardduty',
          expiresAt: isoAt(4 * HOUR),
          evidence: signal.evidence,
        },
      ]);
    });

    it('counts the new block against the breaker', () => {
      // Prepare
      const breaker = closedBreaker([{ minute: isoAt(-10 * MINUTE), count: 1 }], 4);

      // Act
      const result = decide(guardDutySignal(IP), undefined, context({ breaker }));

      // Assess
      expect(result.breaker).toEqual({
        open: false,
        recentBlocks: [
          { minute: isoAt(-10 * MINUTE), count: 1 },
          { minute: NOW.toISOString(), count: 1 },
        ],
        version: 5,
      });
    });
  });

  describe('repeat offences', () => {
    it('escalates 4h → 8h → 24h → 7d and stays at the 7d cap', () => {
      // Prepare
      const expected = [4 * HOUR, 8 * HOUR, 24 * HOUR, 7 * DAY, 7 * DAY, 7 * DAY];
      const durations: (number | null)[] = [];
      const offenceCounts: number[] = [];
      let current: Decision | undefined;
      let now = NOW;

      // Act
      for (const [i] of expected.entries()) {
        const result = decide(findingAt(now, `finding-${i}`), current, context({ now }));
        durations.push(blockDurationOf(result, now));
        offenceCounts.push(written(result).offences.length);
        current = expired(written(result));
        // The next offence comes a day after the block ended.
        now = shifted(DAY, new Date(written(result).expiresAt ?? ''));
      }

      // Assess
      expect(durations).toEqual(expected);
      expect(offenceCounts).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('says in the reason that a block is a repeat offence', () => {
      // Prepare
      const first = written(decide(findingAt(NOW, 'one'), undefined, context()));
      const now = shifted(DAY);

      // Act
      const result = decide(findingAt(now, 'two'), expired(first), context({ now }));

      // Assess
      expect(result.reason).toBe(`blocked for 8h (${C2_FINDING}; repeat offence #2 within the window)`);
    });

    it('escalates a repeat 29 days after the previous block ended, however long ago it started', () => {
      // Prepare: a 7-day block, ended 29 days ago, started 36 days ago.
      const previous = expired(
        activeDecision(IP, {
          createdAt: isoAt(-36 * DAY),
          updatedAt: isoAt(-36 * DAY),
          expiresAt: isoAt(-29 * DAY),
          offences: [isoAt(-39 * DAY), isoAt(-38 * DAY), isoAt(-37 * DAY), isoAt(-36 * DAY)],
        }),
      );

      // Act
      const result = decide(findingAt(NOW, 'again'), previous, context());

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(result.expiresAt).toBe(isoAt(7 * DAY));
      expect(written(result).offences).toHaveLength(5);
    });

    it('starts again at 4h when the previous block ended more than 30 days ago', () => {
      // Prepare
      const previous = expired(
        activeDecision(IP, {
          expiresAt: isoAt(-31 * DAY),
          offences: [isoAt(-33 * DAY), isoAt(-32 * DAY)],
        }),
      );

      // Act
      const result = decide(findingAt(NOW, 'much-later'), previous, context());

      // Assess
      expect(result.expiresAt).toBe(isoAt(4 * HOUR));
      expect(written(result).offences).toEqual([NOW.toISOString()]);
      expect(result.reason).not.toContain('repeat');
    });

    it('uses the configured ladder and repeat window', () => {
      // Prepare
      const policy = enforcingPolicy({ blockDurations: ['1h', '2h'], repeatWindow: '2d' });
      const previous = expired(
        activeDecision(IP, { expiresAt: isoAt(-47 * HOUR), offences: [isoAt(-48 * HOUR)] }),
      );
      const tooOld = expired(
        activeDecision(IP, { expiresAt: isoAt(-49 * HOUR), offences: [isoAt(-50 * HOUR)] }),
      );

      // Act
      const repeat = decide(findingAt(NOW, 'x'), previous, context({ policy }));
      const fresh = decide(findingAt(NOW, 'x'), tooOld, context({ policy }));

      // Assess
      expect(repeat.expiresAt).toBe(isoAt(2 * HOUR));
      expect(fresh.expiresAt).toBe(isoAt(HOUR));
    });

    it('does not count a block that an operator unblocked, only the blocks before it', () => {
      // Prepare: a 4-hour block that expired, then an 8-hour one that an operator unblocked as a mistake.
      const first = isoAt(-3 * DAY);
      const second = isoAt(-2 * DAY);
      const blocked = activeDecision(IP, {
        offences: [first, second],
        expiresAt: isoAt(-2 * DAY + 8 * HOUR),
        seen: [],
      });
      const unblocked = written(
        decide(manualUnblock(IP), blocked, context({ now: shifted(-2 * DAY + HOUR) })),
      );

      // Act
      const result = decide(findingAt(NOW, 'new'), unblocked, context());

      // Assess
      expect(unblocked.offences).toEqual([first]);
      expect(result.expiresAt).toBe(isoAt(8 * HOUR));
      expect(written(result).offences).toEqual([first, NOW.toISOString()]);
    });

    it('treats a record still marked active after its expiry as ended, and escalates', () => {
      // Prepare: the enforcer has not marked it expired yet.
      const stale = activeDecision(IP, { expiresAt: isoAt(-MINUTE), offences: [isoAt(-4 * HOUR - MINUTE)] });

      // Act
      const result = decide(findingAt(NOW, 'new'), stale, context());

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(result.expiresAt).toBe(isoAt(8 * HOUR));
      expect(written(result).offences).toEqual([isoAt(-4 * HOUR - MINUTE), NOW.toISOString()]);
      expect(result.breaker).toBeDefined();
    });

    it('keeps the offences of an earlier block in a shadow record, for when enforcing starts', () => {
      // Prepare
      const previous = expired(
        activeDecision(IP, { expiresAt: isoAt(-DAY), offences: [isoAt(-DAY - 4 * HOUR)] }),
      );
      const watching = decide(
        findingAt(NOW, 'watched'),
        previous,
        context({ policy: parsePolicy({}, VPC_CONTEXT) }),
      );
      const now = shifted(HOUR);

      // Act
      const result = decide(findingAt(now, 'enforced'), written(watching), context({ now }));

      // Assess
      expect(written(watching).status).toBe('shadow');
      expect(written(watching).offences).toEqual([isoAt(-DAY - 4 * HOUR)]);
      expect(result.expiresAt).toBe(isoAt(8 * HOUR, now));
    });

    it('property: a block never lasts longer than the cap, and never less than the one before within the window', () => {
      const policy = enforcingPolicy();
      const cap = 7 * DAY;
      const window = 30 * DAY;
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 60 * DAY }), { minLength: 1, maxLength: 12 }),
          (gaps) => {
            let current: Decision | undefined;
            let previous: number | undefined;
            let ended = NOW;
            for (const [i, gap] of gaps.entries()) {
              const now = shifted(gap, ended);
              const result = decide(findingAt(now, `p-${i}`), current, context({ policy, now }));
              const duration = blockDurationOf(result, now) ?? Number.POSITIVE_INFINITY;
              expect(result.outcome).toBe('blocked');
              expect(duration).toBeLessThanOrEqual(cap);
              expect(duration).toBeGreaterThanOrEqual(4 * HOUR);
              if (previous !== undefined && gap <= window) expect(duration).toBeGreaterThanOrEqual(previous);
              if (previous !== undefined && gap > window + MINUTE) expect(duration).toBe(4 * HOUR);
              previous = duration;
              current = expired(written(result));
              ended = new Date(written(result).expiresAt ?? '');
            }
          },
        ),
      );
    });
  });

  describe('a repeat while the block is active', () => {
    it('extends to the later expiry without escalating', () => {
      // Prepare
      const current = activeDecision(IP);
      const signal = findingAt(NOW, 'second');

      // Act
      const result = decide(signal, current, context());

      // Assess
      const decision = written(result);
      expect(result.outcome).toBe('extended');
      expect(result.expiresAt).toBe(isoAt(4 * HOUR));
      expect(decision).toMatchObject({
        status: 'active',
        expiresAt: isoAt(4 * HOUR),
        offences: current.offences,
        createdAt: current.createdAt,
        updatedAt: NOW.toISOString(),
        evidence: [...current.evidence, signal.evidence],
        seen: [{ key: signal.evidence.key, at: signal.observedAt }, ...current.seen],
        version: current.version + 1,
      });
      expect(result.audit.map((a) => a.event)).toEqual(['extended']);
    });

    it('keeps the current expiry when it is later than the new one', () => {
      // Prepare
      const current = activeDecision(IP, { expiresAt: isoAt(6 * DAY) });

      // Act
      const result = decide(findingAt(NOW, 'second'), current, context());

      // Assess
      expect(result.outcome).toBe('extended');
      expect(written(result).expiresAt).toBe(isoAt(6 * DAY));
    });

    it('extends by the current tier, not the next one', () => {
      // Prepare: the second block in a run (8h tier), two hours in.
      const current = activeDecision(IP, {
        offences: [isoAt(-3 * DAY), isoAt(-2 * HOUR)],
        expiresAt: isoAt(6 * HOUR),
      });

      // Act
      const result = decide(findingAt(NOW, 'third'), current, context());

      // Assess
      expect(result.expiresAt).toBe(isoAt(8 * HOUR));
      expect(written(result).offences).toEqual(current.offences);
    });

    it('adds the targets of the repeat to the block', () => {
      // Prepare
      const current = activeDecision(IP, { targets: ['networkFirewall'] });

      // Act
      const result = decide(findingAt(NOW, 'second'), current, context());

      // Assess
      expect(written(result).targets).toEqual(['networkFirewall', 'networkAcls']);
    });

    it('raises the severity to the highest seen', () => {
      // Prepare
      const current = activeDecision(IP, { severity: 7 });

      // Act
      const result = decide(guardDutySignal(IP, { severity: 9.5 }), current, context());

      // Assess
      expect(written(result).severity).toBe(9.5);
    });

    it('is not counted against the breaker', () => {
      // Prepare
      const breaker = closedBreaker();

      // Act
      const result = decide(findingAt(NOW, 'second'), activeDecision(IP), context({ breaker }));

      // Assess
      expect(result.outcome).toBe('extended');
      expect(result.breaker).toBeUndefined();
    });

    it('extends when the same finding is seen again later', () => {
      // Prepare
      const first = guardDutySignal(IP, { observedAt: isoAt(-HOUR) });
      const current = written(decide(first, undefined, context({ now: shifted(-HOUR) })));
      const republished = guardDutySignal(IP, { observedAt: NOW.toISOString() });

      // Act
      const result = decide(republished, current, context());

      // Assess
      expect(result.outcome).toBe('extended');
      expect(written(result).expiresAt).toBe(isoAt(4 * HOUR));
      expect(written(result).seen).toContainEqual({ key: first.evidence.key, at: NOW.toISOString() });
    });

    it('makes the block permanent when an operator asks for it', () => {
      // Prepare
      const current = activeDecision(IP);

      // Act
      const result = decide(manualBlock(IP, { permanent: true }), current, context());

      // Assess
      expect(result.outcome).toBe('extended');
      expect(written(result).expiresAt).toBeNull();
    });
  });

  describe('replays', () => {
    it('skips an exact replay of the same evidence as a duplicate, writing nothing', () => {
      // Prepare
      const signal = guardDutySignal(IP);
      const current = written(decide(signal, undefined, context()));

      // Act
      const result = decide(signal, current, context({ now: shifted(5 * MINUTE) }));

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'duplicate', notify: false, audit: [] });
      expect(result.decision).toBeUndefined();
      expect(result.breaker).toBeUndefined();
    });

    it('keeps the newest 100 seen evidence keys, newest first, as a list', () => {
      // Prepare: a record that already remembers 100 keys, newest first.
      const seen = Array.from({ length: 100 }, (_, i) => ({
        key: `guardduty:finding-${i}`,
        at: isoAt(-(i + 1) * MINUTE),
      }));
      const current = activeDecision(IP, { seen });
      const signal = guardDutySignal(IP, { evidence: { key: 'guardduty:newest', summary: 'A new finding' } });

      // Act
      const result = decide(signal, current, context());

      // Assess
      expect(result.outcome).toBe('extended');
      expect(written(result).seen).toStrictEqual([
        { key: 'guardduty:newest', at: signal.observedAt },
        ...seen.slice(0, 99),
      ]);
    });

    it('recognises a replay of any remembered key, the oldest included', () => {
      // Prepare
      const seen = Array.from({ length: 100 }, (_, i) => ({
        key: `guardduty:finding-${i}`,
        at: isoAt(-(i + 1) * MINUTE),
      }));
      const current = activeDecision(IP, { seen });
      const replay = guardDutySignal(IP, {
        observedAt: isoAt(-100 * MINUTE),
        evidence: { key: 'guardduty:finding-99', summary: 'The oldest finding' },
      });

      // Act
      const result = decide(replay, current, context());

      // Assess
      expect(result.skipReason).toBe('duplicate');
    });

    it('skips evidence observed before what was already acted on', () => {
      // Prepare
      const current = written(decide(guardDutySignal(IP), undefined, context()));
      const older = guardDutySignal(IP, { observedAt: isoAt(-HOUR) });

      // Act
      const result = decide(older, current, context());

      // Assess
      expect(result.skipReason).toBe('duplicate');
      expect(result.decision).toBeUndefined();
    });

    it('skips a replay after the block ended, so that it does not block again', () => {
      // Prepare
      const signal = guardDutySignal(IP);
      const ended = expired(written(decide(signal, undefined, context())));

      // Act
      const result = decide(signal, ended, context({ now: shifted(5 * HOUR) }));

      // Assess
      expect(result.skipReason).toBe('duplicate');
      expect(result.decision).toBeUndefined();
    });

    it('skips a replayed unblock request, so that it cannot lift a later block', () => {
      // Prepare
      const unblock = manualUnblock(IP, { observedAt: isoAt(-2 * HOUR) });
      const unblocked = written(decide(unblock, activeDecision(IP), context({ now: shifted(-2 * HOUR) })));
      const blockedAgain = written(
        decide(findingAt(shifted(-HOUR), 'later'), unblocked, context({ now: shifted(-HOUR) })),
      );

      // Act
      const result = decide(unblock, blockedAgain, context());

      // Assess
      expect(blockedAgain.status).toBe('active');
      expect(result.skipReason).toBe('duplicate');
      expect(result.decision).toBeUndefined();
    });
  });

  describe('thresholds', () => {
    it('skips a GuardDuty finding below the enforcement threshold and alerts on what it would have done', () => {
      // Prepare
      const signal = guardDutySignal(IP, { severity: 5 });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'below-threshold', notify: true });
      expect(result.reason).toBe(
        'severity 5 is below the enforcement threshold 7; would have blocked 198.51.100.77/32 for 4h',
      );
      expect(result.targets).toEqual(['networkAcls', 'networkFirewall']);
      expect(result.expiresAt).toBe(isoAt(4 * HOUR));
      expect(result.decision).toBeUndefined();
      expect(result.breaker).toBeUndefined();
      expect(result.audit).toEqual([]);
    });

    it('says how long a repeat offender would have been blocked', () => {
      // Prepare
      const previous = expired(activeDecision(IP, { expiresAt: isoAt(-DAY) }));

      // Act
      const result = decide(guardDutySignal(IP, { severity: 6 }), previous, context());

      // Assess
      expect(result.reason).toContain('would have blocked 198.51.100.77/32 for 8h');
    });

    it.each([
      [4, true],
      [3.9, false],
      [0, false],
    ])('alerts on severity %d below the threshold: %s', (severity, notify) => {
      // Prepare
      const signal = guardDutySignal(IP, { severity });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.skipReason).toBe('below-threshold');
      expect(result.notify).toBe(notify);
    });

    it('blocks at exactly the threshold', () => {
      // Prepare
      const signal = guardDutySignal(IP, { severity: 7 });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.outcome).toBe('blocked');
    });

    it('applies the detector thresholds to signals from the log detectors', () => {
      // Prepare
      const policy = enforcingPolicy({ detectors: { minSeverity: 5 }, guardDuty: { minSeverity: 9 } });

      // Act
      const detector = decide(detectorSignal(DOMAIN, { severity: 6 }), undefined, context({ policy }));
      const guardDuty = decide(guardDutySignal(DOMAIN, { severity: 6 }), undefined, context({ policy }));

      // Assess
      expect(detector.outcome).toBe('blocked');
      expect(guardDuty.skipReason).toBe('below-threshold');
    });

    it('applies no threshold to an operator', () => {
      // Prepare
      const signal = manualBlock(IP, {}, { severity: 0 });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.outcome).toBe('blocked');
    });
  });

  describe('shadow mode', () => {
    it('records a GuardDuty sample finding as shadow, blocking nothing', () => {
      // Prepare
      const signal = guardDutySignal(IP, { sample: true });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      const decision = written(result);
      expect(result.outcome).toBe('shadow');
      expect(result.notify).toBe(true);
      expect(result.reason).toBe(
        'shadow: a GuardDuty sample finding; would have blocked 198.51.100.77/32 for 4h',
      );
      expect(decision.status).toBe('shadow');
      expect(decision.offences).toEqual([]);
      expect(result.breaker).toBeUndefined();
      expect(result.audit.map((a) => a.event)).toEqual(['shadow']);
    });

    it('records a block on targets in alert mode only as shadow: a fresh deployment watches', () => {
      // Prepare
      const policy = parsePolicy({}, VPC_CONTEXT);

      // Act
      const result = decide(guardDutySignal(IP), undefined, context({ policy }));

      // Assess
      expect(result.outcome).toBe('shadow');
      expect(written(result).status).toBe('shadow');
      expect(result.targets).toEqual(['networkAcls', 'networkFirewall']);
      expect(result.expiresAt).toBe(isoAt(4 * HOUR));
      expect(result.reason).toContain('networkAcls, networkFirewall in alert mode');
    });

    it('blocks on the enforcing targets only when the others are in alert mode', () => {
      // Prepare
      const policy = parsePolicy({ targets: { networkFirewall: { mode: 'enforce' } } }, VPC_CONTEXT);

      // Act
      const result = decide(guardDutySignal(IP), undefined, context({ policy }));

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(written(result).targets).toEqual(['networkFirewall']);
    });

    it('leaves an active block alone when a sample finding names it', () => {
      // Prepare
      const current = activeDecision(IP);

      // Act
      const result = decide(guardDutySignal(IP, { sample: true }), current, context());

      // Assess
      expect(result.outcome).toBe('shadow');
      expect(result.decision).toBeUndefined();
      expect(result.audit).toEqual([]);
    });
  });

  describe('targets', () => {
    it.each([
      [DOMAIN, {}, ['dnsFirewall', 'networkFirewall']],
      [DOMAIN, { networkFirewall: { domainRules: false } }, ['dnsFirewall']],
      [IP, {}, ['networkAcls', 'networkFirewall']],
      ['203.0.113.0/24', {}, ['networkAcls', 'networkFirewall']],
      ['2001:db8::7', {}, ['networkAcls', 'networkFirewall']],
      [IP, { networkAcls: { mode: 'off' as const } }, ['networkFirewall']],
      [DOMAIN, { dnsFirewall: { mode: 'off' as const } }, ['networkFirewall']],
    ])('blocks %s on the targets for its kind (%j)', (indicator, targets, expected) => {
      // Prepare
      const policy = enforcingPolicy({ targets });

      // Act
      const result = decide(guardDutySignal(indicator), undefined, context({ policy }));

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(written(result).targets).toEqual(expected);
    });

    it('skips a block when every target for the kind is off', () => {
      // Prepare
      const policy = enforcingPolicy({
        targets: { networkAcls: { mode: 'off' }, networkFirewall: { mode: 'off' } },
      });

      // Act
      const automated = decide(guardDutySignal(IP), undefined, context({ policy }));
      const manual = decide(manualBlock(IP), undefined, context({ policy }));

      // Assess
      expect(automated).toMatchObject({ outcome: 'skipped', skipReason: 'no-target', notify: false });
      expect(manual).toMatchObject({ outcome: 'skipped', skipReason: 'no-target', notify: true });
      expect(manual.decision).toBeUndefined();
    });

    it('narrows a manual block to the targets it names', () => {
      // Prepare
      const signal = manualBlock(IP, { targets: ['networkFirewall', 'dnsFirewall'] });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(written(result).targets).toEqual(['networkFirewall']);
    });
  });

  describe('manual blocks', () => {
    it('blocks for the requested time', () => {
      // Prepare
      const signal = manualBlock(IP, { ttlMs: 90 * MINUTE });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(written(result)).toMatchObject({
        expiresAt: isoAt(90 * MINUTE),
        requestedBy: 'alice@example.com',
        source: 'manual',
      });
      expect(result.reason).toBe('blocked for 90m (alice@example.com: incident IR-42)');
      expect(result.audit[0]?.actor).toBe('alice@example.com');
    });

    it('blocks for good when asked to', () => {
      // Prepare
      const signal = manualBlock(IP, { permanent: true });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result.expiresAt).toBeNull();
      expect(written(result).expiresAt).toBeNull();
      expect(result.reason).toContain('permanent');
    });

    it('blocks for the manual default of 24 hours otherwise', () => {
      // Prepare
      const signal = manualBlock(DOMAIN);

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(written(result).expiresAt).toBe(isoAt(24 * HOUR));
    });

    it('uses the configured manual default', () => {
      // Prepare
      const policy = enforcingPolicy({ manualDefaultTtl: 'P2D' });

      // Act
      const result = decide(manualBlock(DOMAIN), undefined, context({ policy }));

      // Assess
      expect(written(result).expiresAt).toBe(isoAt(2 * DAY));
    });
  });

  describe('unblock requests', () => {
    it('unblocks an active block and records who did it', () => {
      // Prepare
      const current = activeDecision(IP);
      const signal = manualUnblock(IP);

      // Act
      const result = decide(signal, current, context());

      // Assess
      const decision = written(result);
      expect(result.outcome).toBe('unblocked');
      expect(result.notify).toBe(true);
      expect(decision).toMatchObject({
        status: 'unblocked',
        reason:
          'unblocked by bob@example.com: false positive; re-blocking from the evidence already seen ' +
          `(guardduty:earlier-finding) is suppressed until ${isoAt(7 * DAY)}`,
        updatedAt: NOW.toISOString(),
        offences: [],
        version: current.version + 1,
      });
      expect(result.audit).toEqual([
        expect.objectContaining({ event: 'unblocked', actor: 'bob@example.com', key: '198.51.100.77/32' }),
      ]);
    });

    it.each([
      ['shadow', activeDecision(IP, { status: 'shadow' })],
      ['past its expiry', activeDecision(IP, { expiresAt: isoAt(-MINUTE) })],
    ])('skips an indicator that is not blocked (%s)', (_, current) => {
      // Prepare
      const signal = manualUnblock(IP);

      // Act
      const result = decide(signal, current, context());

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'not-blocked', audit: [] });
      expect(result.decision).toBeUndefined();
    });

    it.each([
      ['expired', expired(activeDecision(IP, { expiresAt: isoAt(-HOUR) }))],
      ['already unblocked', activeDecision(IP, { status: 'unblocked' })],
      ['unknown', undefined],
    ])(
      'skips an indicator that is not blocked (%s), recording the request for a block delivered after it',
      (_, current) => {
        // Prepare
        const signal = manualUnblock(IP);

        // Act
        const result = decide(signal, current, context());

        // Assess
        expect(result).toMatchObject({
          outcome: 'skipped',
          skipReason: 'not-blocked',
          audit: [{ event: 'skipped' }],
        });
        expect(written(result)).toMatchObject({
          status: 'unblocked',
          version: (current?.version ?? 0) + 1,
          seen: expect.arrayContaining([{ key: signal.evidence.key, at: signal.observedAt }]),
        });
      },
    );

    it('skips a block requested before the unblock that SQS delivered first, and takes one requested after', () => {
      // Prepare
      const unblock = manualUnblock(IP, { observedAt: isoAt(-MINUTE) });
      const unblocked = written(decide(unblock, undefined, context()));
      const earlier = manualBlock(IP, {}, { observedAt: isoAt(-2 * MINUTE) });
      const later = manualBlock(
        IP,
        {},
        { observedAt: isoAt(0), evidence: { key: 'manual:event-block-2', summary: 'again' } },
      );

      // Act
      const stale = decide(earlier, unblocked, context());
      const fresh = decide(later, unblocked, context());

      // Assess
      expect(stale).toMatchObject({ outcome: 'skipped', skipReason: 'suppressed', notify: true });
      expect(stale.reason).toMatch(/^superseded: /);
      expect(stale.decision).toBeUndefined();
      expect(fresh.outcome).toBe('blocked');
    });
  });

  describe('protection', () => {
    it('never blocks a guard-railed indicator, and says why', () => {
      // Prepare
      const signal = manualBlock('169.254.169.254', { permanent: true });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'guard-rail', notify: true, audit: [] });
      expect(result.reason).toContain('the instance metadata service');
      expect(result.decision).toBeUndefined();
      expect(result.breaker).toBeUndefined();
    });

    it('never blocks an allowlisted indicator, and says why', () => {
      // Prepare
      const policy = enforcingPolicy({ allowlist: { domains: ['partner.example.com'] } });

      // Act
      const result = decide(guardDutySignal('api.partner.example.com'), undefined, context({ policy }));

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'allowlisted', notify: true });
      expect(result.reason).toBe(
        'not blocked: api.partner.example.com overlaps the allowlisted domain partner.example.com',
      );
      expect(result.decision).toBeUndefined();
    });
  });

  describe('the breaker', () => {
    function fullBreaker(count: number, ago = 30 * MINUTE): BreakerState {
      return closedBreaker([{ minute: isoAt(-ago), count }]);
    }

    it('trips on the 51st new automated block within an hour', () => {
      // Prepare
      let breaker = closedBreaker([], 0);
      const results: DecideResult[] = [];

      // Act
      for (let i = 1; i <= 51; i++) {
        const now = shifted(i * 1000);
        const result = decide(
          findingAt(now, `f${i}`, `198.51.100.${i}`),
          undefined,
          context({ now, breaker }),
        );
        results.push(result);
        breaker = result.breaker ?? breaker;
      }

      // Assess
      expect(results.slice(0, 50).every((r) => r.outcome === 'blocked')).toBe(true);
      const last = results[50];
      expect(last).toMatchObject({ outcome: 'skipped', skipReason: 'breaker-open', notify: true });
      expect(last?.decision).toBeUndefined();
      expect(last?.breaker).toMatchObject({ open: true, openedAt: isoAt(51_000), version: 51 });
      expect(last?.reason).toContain('more than 50 new blocks within 1h');
      expect(last?.reason).toContain('would have blocked 198.51.100.51/32 for 4h');
    });

    it('forgets blocks older than the window', () => {
      // Prepare
      const breaker = closedBreaker([
        ...fullBreaker(50, 61 * MINUTE).recentBlocks,
        { minute: isoAt(-MINUTE), count: 1 },
      ]);

      // Act
      const result = decide(guardDutySignal(IP), undefined, context({ breaker }));

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(result.breaker?.recentBlocks).toEqual([
        { minute: isoAt(-MINUTE), count: 1 },
        { minute: NOW.toISOString(), count: 1 },
      ]);
    });

    it('keeps one count a minute however many blocks the window allows', () => {
      // Prepare
      const policy = enforcingPolicy({ breaker: { maxNewBlocksPerHour: 5000 } });
      let breaker = closedBreaker([], 0);

      // Act
      for (let i = 0; i < 1200; i++) {
        const now = shifted(i * 100);
        const result = decide(
          findingAt(now, `g${i}`, `198.51.${100 + (i >> 8)}.${i & 255}`),
          undefined,
          context({ now, breaker, policy }),
        );
        breaker = result.breaker ?? breaker;
      }

      // Assess
      expect(breaker.open).toBe(false);
      expect(breaker.recentBlocks).toHaveLength(2);
      expect(breaker.recentBlocks.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(1200);
    });

    it('uses the configured limit', () => {
      // Prepare
      const policy = enforcingPolicy({ breaker: { maxNewBlocksPerHour: 2 } });

      // Act
      const result = decide(guardDutySignal(IP), undefined, context({ policy, breaker: fullBreaker(2) }));

      // Assess
      expect(result.skipReason).toBe('breaker-open');
      expect(result.breaker?.open).toBe(true);
    });

    it('skips every new automated block while it is open, without writing it again', () => {
      // Prepare
      const breaker = openBreaker();

      // Act
      const results = [guardDutySignal(IP), detectorSignal(DOMAIN)].map((s) =>
        decide(s, undefined, context({ breaker })),
      );

      // Assess
      for (const result of results) {
        expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'breaker-open' });
        expect(result.decision).toBeUndefined();
        expect(result.breaker).toBeUndefined();
      }
    });

    it('neither counts nor stops a manual block', () => {
      // Prepare
      const open = openBreaker();
      const full = fullBreaker(50);

      // Act
      const whileOpen = decide(manualBlock(IP), undefined, context({ breaker: open }));
      const whileFull = decide(manualBlock(IP), undefined, context({ breaker: full }));

      // Assess
      expect(whileOpen.outcome).toBe('blocked');
      expect(whileFull.outcome).toBe('blocked');
      expect(whileOpen.breaker).toBeUndefined();
      expect(whileFull.breaker).toBeUndefined();
    });

    it('still extends an active block while it is open', () => {
      // Prepare
      const breaker = openBreaker();

      // Act
      const result = decide(findingAt(NOW, 'again'), activeDecision(IP), context({ breaker }));

      // Assess
      expect(result.outcome).toBe('extended');
      expect(result.breaker).toBeUndefined();
    });
  });

  describe('versions', () => {
    it('writes every change to a record as the previous version plus one', () => {
      // Prepare
      const steps: ((current: Decision | undefined) => DecideResult)[] = [
        (c) => decide(guardDutySignal(IP, { sample: true }), c, context()),
        (c) => decide(findingAt(shifted(MINUTE), 'a'), c, context({ now: shifted(MINUTE) })),
        (c) => decide(findingAt(shifted(2 * MINUTE), 'b'), c, context({ now: shifted(2 * MINUTE) })),
        (c) => decide(manualUnblock(IP), c, context({ now: shifted(3 * MINUTE) })),
        (c) => decide(manualBlock(IP), c, context({ now: shifted(4 * MINUTE) })),
      ];
      let current: Decision | undefined;
      const versions: number[] = [];

      // Act
      for (const step of steps) {
        const decision = written(step(current));
        versions.push(decision.version);
        current = decision;
      }

      // Assess
      expect(versions).toEqual([1, 2, 3, 4, 5]);
      expect(current?.status).toBe('active');
    });

    it('property: any sequence of signals only ever writes version + 1', () => {
      const policy = enforcingPolicy();
      const step = fc.record({
        kind: fc.constantFrom('finding', 'replay', 'sample', 'low', 'manual', 'unblock'),
        minutes: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      });
      fc.assert(
        fc.property(fc.array(step, { maxLength: 20 }), (steps) => {
          let current: Decision | undefined;
          let now = NOW;
          for (const [i, { kind, minutes }] of steps.entries()) {
            now = shifted(minutes * MINUTE, now);
            const observedAt = now.toISOString();
            const evidence = { key: kind === 'replay' ? 'guardduty:same' : `k-${i}`, summary: kind };
            const signal =
              kind === 'manual'
                ? manualBlock(IP, {}, { evidence, observedAt })
                : kind === 'unblock'
                  ? manualUnblock(IP, { evidence, observedAt })
                  : guardDutySignal(IP, {
                      evidence,
                      observedAt,
                      sample: kind === 'sample',
                      severity: kind === 'low' ? 5 : 8,
                    });
            const result = decide(signal, current, context({ policy, now }));
            if (result.decision) {
              expect(result.decision.version).toBe((current?.version ?? 0) + 1);
              current = result.decision;
            }
          }
        }),
      );
    });
  });

  describe('the evidence budget', () => {
    it('keeps the newest evidence within its byte budget and drops older entries', () => {
      // Prepare
      const first = decide(maximalSignal(IP, 1, 'é'), undefined, context());
      const now = shifted(MINUTE);

      // Act
      const second = decide(
        maximalSignal(IP, 2, 'é', { observedAt: now.toISOString() }),
        written(first),
        context({ now }),
      );

      // Assess
      const decision = written(second);
      expect(second.outcome).toBe('extended');
      expect(jsonBytes(decision.evidence)).toBeLessThanOrEqual(EVIDENCE_BUDGET_BYTES);
      expect(decision.evidence.at(-1)?.key.startsWith('2:')).toBe(true);
      expect(jsonBytes(decision)).toBeLessThanOrEqual(RECORD_BUDGET_BYTES);
    });

    it('cuts the details of a huge signal with a visible notice, in the record and in the audit', () => {
      // Act
      const result = decide(maximalSignal(IP, 1), undefined, context());

      // Assess
      const details = written(result).evidence.at(-1)?.details ?? [];
      expect(details[0]).toBe(`0:${'x'.repeat(4090)}`);
      expect(details.at(-1)).toMatch(/^… [0-9]+ more lines \/ [0-9,]+ bytes dropped$/);
      expect(result.audit[0]?.evidence).toEqual(written(result).evidence.at(-1));
      expect(jsonBytes(result.audit[0])).toBeLessThanOrEqual(AUDIT_BUDGET_BYTES);
    });

    it('property: no sequence of maximal signals, unblocks and blocks makes a record or an audit entry outgrow its budget', () => {
      const policy = enforcingPolicy();
      const step = fc.record({
        kind: fc.constantFrom('finding', 'finding', 'finding', 'manual', 'unblock'),
        char: fc.constantFrom(...WIDE_CHARACTERS),
        minutes: fc.integer({ min: 1, max: 6 * 60 }),
      });
      let largest = 0;
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
          let current: Decision | undefined;
          let now = NOW;
          for (const [i, { kind, char, minutes }] of steps.entries()) {
            now = shifted(minutes * MINUTE, now);
            const observedAt = now.toISOString();
            const long = char.repeat(1024 / char.length);
            const signal =
              kind === 'manual'
                ? manualBlock(
                    IP,
                    { requestedBy: long, reason: long },
                    { observedAt, evidence: { key: `m-${i}-${long}`, summary: long } },
                  )
                : kind === 'unblock'
                  ? manualUnblock(IP, {
                      observedAt,
                      evidence: { key: `u-${i}-${long}`, summary: long },
                      request: { requestedBy: long, reason: long },
                    })
                  : maximalSignal(IP, i, char, { observedAt, severity: 9 });
            const result = decide(signal, current, context({ policy, now }));
            for (const entry of result.audit)
              expect(jsonBytes(entry)).toBeLessThanOrEqual(AUDIT_BUDGET_BYTES);
            if (result.decision) {
              const size = jsonBytes(result.decision);
              largest = Math.max(largest, size);
              expect(size).toBeLessThanOrEqual(RECORD_BUDGET_BYTES);
              current = result.decision;
            }
          }
        }),
        { numRuns: 60 },
      );
      expect(largest).toBeGreaterThan(EVIDENCE_BUDGET_BYTES);
    });
  });

  describe('after an unblock', () => {
    const REPUBLISHED = 6 * HOUR;

    /** An active block fed by the finding `guardduty:earlier-finding`, unblocked now by bob. */
    function unblockedNow(policy = enforcingPolicy()): Decision {
      return written(decide(manualUnblock(IP), activeDecision(IP), context({ policy })));
    }

    /** GuardDuty re-publishing the finding that fed the block, `after` from now. */
    function republished(after: number): Signal {
      return guardDutySignal(IP, {
        observedAt: isoAt(after),
        evidence: { key: 'guardduty:earlier-finding', summary: 'An earlier finding' },
      });
    }

    it('does not block again when GuardDuty re-publishes the same finding, and names the unblock', () => {
      // Prepare
      const unblocked = unblockedNow();
      const now = shifted(REPUBLISHED);

      // Act
      const result = decide(republished(REPUBLISHED), unblocked, context({ now }));

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'suppressed', audit: [] });
      expect(result.decision).toBeUndefined();
      expect(result.breaker).toBeUndefined();
      expect(result.reason).toBe(
        `suppressed: guardduty:earlier-finding was unblocked by bob@example.com at ${NOW.toISOString()}; ` +
          `it may not block ${IP}/32 again until ${isoAt(7 * DAY)}`,
      );
    });

    it('blocks from the same finding again once the suppression is over, at the bottom of the ladder', () => {
      // Prepare
      const unblocked = unblockedNow();
      const now = shifted(7 * DAY + MINUTE);

      // Act
      const result = decide(republished(7 * DAY + MINUTE), unblocked, context({ now }));

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(result.expiresAt).toBe(isoAt(4 * HOUR, now));
    });

    it('still blocks on a new finding, from the bottom of the ladder', () => {
      // Prepare
      const unblocked = unblockedNow();
      const now = shifted(REPUBLISHED);

      // Act
      const result = decide(findingAt(now, 'a-different-finding'), unblocked, context({ now }));

      // Assess
      expect(result.outcome).toBe('blocked');
      expect(result.expiresAt).toBe(isoAt(4 * HOUR, now));
    });

    it("still takes an operator's block", () => {
      // Prepare
      const unblocked = unblockedNow();
      const now = shifted(HOUR);

      // Act
      const result = decide(
        manualBlock(IP, {}, { observedAt: now.toISOString() }),
        unblocked,
        context({ now }),
      );

      // Assess
      expect(result.outcome).toBe('blocked');
    });

    it('uses the configured suppression period', () => {
      // Prepare
      const policy = enforcingPolicy({ unblockSuppression: '1d' });
      const unblocked = unblockedNow(policy);
      const now = shifted(DAY + MINUTE);

      // Act
      const within = decide(
        republished(REPUBLISHED),
        unblocked,
        context({ policy, now: shifted(REPUBLISHED) }),
      );
      const after = decide(republished(DAY + MINUTE), unblocked, context({ policy, now }));

      // Assess
      expect(unblocked.suppressions).toEqual([
        { key: 'guardduty:earlier-finding', by: 'bob@example.com', at: NOW.toISOString(), until: isoAt(DAY) },
      ]);
      expect(within.skipReason).toBe('suppressed');
      expect(after.outcome).toBe('blocked');
    });
  });

  describe('an unblock of an indicator under a wider block', () => {
    it.each([
      ['a.b.evil.com', ['b.evil.com', '*.b.evil.com', 'evil.com', '*.evil.com']],
      ['*.a.evil.com', ['a.evil.com', 'evil.com', '*.evil.com']],
      ['evil.com', []],
      ['*.evil.com', ['evil.com']],
      ['evil.co.uk', []],
    ])('looks for the blocks that cover the name %s', (name, expected) => {
      // Act
      const keys = coveringKeys(guardDutySignal(name).indicator, enforcingPolicy());

      // Assess
      expect(keys).toEqual(expected);
    });

    it('looks for every wider network down to the widest one the guard rails allow', () => {
      // Act
      const v4 = coveringKeys(guardDutySignal('198.51.100.77').indicator, enforcingPolicy());
      const v6 = coveringKeys(
        guardDutySignal('2001:db8:1234:5678::/64').indicator,
        enforcingPolicy({ guardRails: { minPrefixLengthV6: 56 } }),
      );

      // Assess
      expect(v4).toHaveLength(16);
      expect(v4.slice(0, 3)).toEqual(['198.51.100.76/31', '198.51.100.76/30', '198.51.100.72/29']);
      expect(v4.at(-1)).toBe('198.51.0.0/16');
      expect(v6).toEqual([
        '2001:db8:1234:5678::/63',
        '2001:db8:1234:5678::/62',
        '2001:db8:1234:5678::/61',
        '2001:db8:1234:5670::/60',
        '2001:db8:1234:5660::/59',
        '2001:db8:1234:5640::/58',
        '2001:db8:1234:5600::/57',
        '2001:db8:1234:5600::/56',
      ]);
    });

    it('names the active block that covers the address and says to unblock that instead', () => {
      // Prepare
      const covering = activeDecision('198.51.100.0/24', { expiresAt: isoAt(3 * HOUR) });

      // Act
      const result = decide(manualUnblock(IP), undefined, context({ covering: [covering] }));

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'not-blocked', notify: true });
      expect(result.reason).toBe(
        `${IP}/32 is not blocked itself, but the active block on 198.51.100.0/24 (until ${isoAt(3 * HOUR)}) ` +
          'covers it; unblock 198.51.100.0/24 instead',
      );
      expect(result.targets).toEqual(covering.targets);
      expect(result.decision).toBeUndefined();
    });

    it('ignores covering records that are not blocking', () => {
      // Prepare
      const ended = expired(activeDecision('198.51.100.0/24', { expiresAt: isoAt(-HOUR) }));

      // Act
      const result = decide(manualUnblock(IP), undefined, context({ covering: [ended] }));

      // Assess
      expect(result).toMatchObject({ outcome: 'skipped', skipReason: 'not-blocked', notify: false });
      expect(result.reason).toBe(`${IP}/32 is not blocked; nothing to unblock`);
    });
  });

  describe('event times', () => {
    const FUTURE = '2099-01-01T00:00:00.000Z';

    it('uses now for a time in the future, and says so in the reason and the audit', () => {
      // Prepare
      const signal = guardDutySignal(IP, { observedAt: FUTURE });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      const note = `observed time ${FUTURE} is in the future; used ${NOW.toISOString()}`;
      expect(result.outcome).toBe('blocked');
      expect(written(result).seen).toEqual([{ key: signal.evidence.key, at: NOW.toISOString() }]);
      expect(result.reason).toContain(note);
      expect(written(result).reason).toContain(note);
      expect(result.audit[0]?.reason).toContain(note);
    });

    it('does not let a future-dated signal make a later genuine one a duplicate', () => {
      // Prepare
      const poisoned = decide(guardDutySignal(IP, { observedAt: FUTURE }), undefined, context());
      const now = shifted(HOUR);

      // Act
      const genuine = decide(
        guardDutySignal(IP, { observedAt: now.toISOString() }),
        written(poisoned),
        context({ now }),
      );

      // Assess
      expect(genuine.outcome).toBe('extended');
    });

    it('accepts a time within five minutes of clock skew as it is', () => {
      // Prepare
      const signal = guardDutySignal(IP, { observedAt: isoAt(4 * MINUTE) });

      // Act
      const result = decide(signal, undefined, context());

      // Assess
      expect(written(result).seen).toEqual([{ key: signal.evidence.key, at: isoAt(4 * MINUTE) }]);
      expect(result.reason).not.toContain('future');
    });

    it('does not treat a seen time already stored in the future as a replay barrier', () => {
      // Prepare: a record written before times were clamped.
      const current = activeDecision(IP, { seen: [{ key: 'guardduty:earlier-finding', at: FUTURE }] });
      const signal = guardDutySignal(IP, {
        evidence: { key: 'guardduty:earlier-finding', summary: 'An earlier finding' },
      });

      // Act
      const result = decide(signal, current, context());

      // Assess
      expect(result.outcome).toBe('extended');
      expect(written(result).seen).toEqual([{ key: 'guardduty:earlier-finding', at: NOW.toISOString() }]);
    });
  });

  describe('shadow reasons', () => {
    it('records an archived GuardDuty finding as shadow only', () => {
      // Act
      const result = decide(guardDutySignal(IP, { archived: true }), undefined, context());

      // Assess
      expect(result.outcome).toBe('shadow');
      expect(result.reason).toBe(`shadow: an archived GuardDuty finding; would have blocked ${IP}/32 for 4h`);
      expect(result.breaker).toBeUndefined();
    });

    it("calls a detector's sample a sample signal, not a GuardDuty finding", () => {
      // Act
      const result = decide(detectorSignal(DOMAIN, { sample: true }), undefined, context());

      // Assess
      expect(result.outcome).toBe('shadow');
      expect(result.reason).toBe(`shadow: a sample signal; would have blocked ${DOMAIN} for 4h`);
    });
  });
});
