import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakerAlert, decisionAlert, lifecycleAlert, targetAlert } from '#domain/alert';
import { decide } from '#domain/decide';
import { parsePolicy } from '#domain/policy';
import type { Signal } from '#domain/signal';
import {
  activeDecision,
  closedBreaker,
  detectorSignal,
  enforcingPolicy,
  guardDutySignal,
  HOUR,
  isoAt,
  manualBlock,
  manualUnblock,
  NOW,
  openBreaker,
} from '../support/signals';

const IP = '198.51.100.77';

function alertFor(
  signal: Signal,
  policy = enforcingPolicy(),
  current = undefined as Parameters<typeof decide>[1],
) {
  const result = decide(signal, current, { policy, now: NOW, breaker: closedBreaker() });
  return { result, alert: decisionAlert(signal, result) };
}

describe('decisionAlert', () => {
  it('states what was blocked, why, until when and how to undo it', () => {
    // Prepare
    const signal = guardDutySignal(IP);

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BLOCKED 198.51.100.77/32 (Backdoor:EC2/C&CActivity.B)');
    const lines = alert.message.split('\n');
    expect(lines[0]).toBe('Blocked ip 198.51.100.77/32.');
    expect(lines).toContain('Why: blocked for 4h (Backdoor:EC2/C&CActivity.B).');
    expect(lines).toContain('Source: guardduty, seen by Backdoor:EC2/C&CActivity.B, severity 8 (High).');
    expect(lines).toContain(
      'Workload: account 123456789012, region eu-west-1, vpcId vpc-0abc1234def567890, instanceId i-0abc1234def567890.',
    );
    expect(lines).toContain('Targets: networkAcls, networkFirewall.');
    expect(lines).toContain(`Until: ${isoAt(4 * HOUR)}.`);
    expect(alert.message).toContain(
      'Undo: send an Unblock Request (source egress-warden.manual) with detail {"indicator":"198.51.100.77/32"',
    );
  });

  it('says a permanent block lasts until it is unblocked', () => {
    // Prepare
    const signal = manualBlock(IP, { permanent: true });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.message).toContain('Until: permanent, until unblocked.');
    expect(alert.message).toContain('Undo:');
  });

  it('states the new expiry of an extended block', () => {
    // Prepare
    const signal = guardDutySignal(IP, { evidence: { key: 'guardduty:new', summary: 'again' } });

    // Act
    const { result, alert } = alertFor(signal, enforcingPolicy(), activeDecision(IP));

    // Assess
    expect(result.outcome).toBe('extended');
    expect(alert.subject).toContain('EXTENDED THE BLOCK ON 198.51.100.77/32');
    expect(alert.message).toContain(`Until: ${isoAt(4 * HOUR)}.`);
  });

  it.each([
    ['a sample finding', guardDutySignal(IP, { sample: true }), enforcingPolicy(), 'shadow'],
    ['a target in alert mode', guardDutySignal(IP), parsePolicy(), 'shadow'],
    ['a finding below the threshold', guardDutySignal(IP, { severity: 5 }), enforcingPolicy(), 'skipped'],
  ])('says "Would block" for %s, with no undo', (_, signal, policy, outcome) => {
    // Prepare
    const expected = 'Would block ip 198.51.100.77/32.';

    // Act
    const { result, alert } = alertFor(signal, policy);

    // Assess
    expect(result.outcome).toBe(outcome);
    expect(alert.subject).toContain('WOULD BLOCK 198.51.100.77/32');
    expect(alert.message.split('\n')[0]).toBe(expected);
    expect(alert.message).not.toContain('Undo:');
    expect(alert.message).not.toContain('Until:');
  });

  it('marks a sample finding as one', () => {
    // Prepare
    const signal = guardDutySignal(IP, { sample: true });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.message).toContain('severity 8 (High), sample finding.');
  });

  it('says "Did not block" and why for a protected indicator', () => {
    // Prepare
    const signal = manualBlock('169.254.169.254');

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] DID NOT BLOCK 169.254.169.254/32 (manual)');
    expect(alert.message).toContain(
      'Why: not blocked: 169.254.169.254/32 covers the instance metadata service',
    );
    expect(alert.message).not.toContain('Targets:');
  });

  it('says who unblocked what', () => {
    // Prepare
    const signal = manualUnblock(IP);

    // Act
    const { alert } = alertFor(signal, enforcingPolicy(), activeDecision(IP));

    // Assess
    expect(alert.subject).toBe('[Egress Warden] UNBLOCKED 198.51.100.77/32 (manual)');
    expect(alert.message).toContain('Why: unblocked by bob@example.com: false positive; re-blocking from');
    expect(alert.message).toMatch(/is suppressed until 2026-12-05T10:00:00.000Z\.$/m);
    expect(alert.attributes.outcome).toBe('unblocked');
  });

  it('carries attributes a subscription can filter on', () => {
    // Prepare
    const signal = detectorSignal('c2.example.com', { severity: 9.5 });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.attributes).toEqual({
      outcome: 'blocked',
      severity: 9.5,
      indicatorKind: 'domain',
      source: 'dns-log',
    });
  });

  it('keeps the evidence apart, summary first', () => {
    // Prepare
    const signal = guardDutySignal(IP);

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.evidence).toEqual([signal.evidence.summary, ...(signal.evidence.details ?? [])]);
    expect(alert.message).not.toContain(signal.evidence.details?.[0]);
  });

  it('keeps the subject on one line when the detector name has line breaks', () => {
    // Prepare
    const signal = detectorSignal(IP, { detector: 'dns\r\ntunnel\u2028x\tz' });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BLOCKED 198.51.100.77/32 (dns tunnel x z)');
  });

  it('property: the subject never has a line break or a control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (detector) => {
        const { alert } = alertFor(detectorSignal(IP, { detector }));
        expect(alert.subject).not.toMatch(/[\r\n\u2028\u2029\p{Cc}]/u);
      }),
    );
  });
});

describe('lifecycleAlert', () => {
  it('says that a block ended, why, and that a new offence blocks for longer', () => {
    // Prepare
    const decision = activeDecision(IP);

    // Act
    const alert = lifecycleAlert(decision, 'expired', `expired at ${decision.expiresAt}`);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] EXPIRED 198.51.100.77/32');
    expect(alert.subject).not.toMatch(/[\r\n]/);
    expect(alert.message).toContain(
      `The block on ip 198.51.100.77/32 ended: expired at ${decision.expiresAt}.`,
    );
    expect(alert.message).toContain('Offences in the repeat window: 1; a new offence blocks for longer.');
    expect(alert.evidence).toEqual(['An earlier finding']);
  });

  it('says LIFTED for a block lifted by the allowlist', () => {
    // Prepare
    const decision = activeDecision(IP);

    // Act
    const alert = lifecycleAlert(decision, 'lifted', 'lifted: allowlisted');

    // Assess
    expect(alert.subject).toBe('[Egress Warden] LIFTED 198.51.100.77/32');
    expect(alert.attributes).toMatchObject({ indicatorKind: 'ip', source: 'guardduty' });
  });
});

describe('breakerAlert', () => {
  it('says loudly that new blocks are suspended and how to resume', () => {
    // Prepare
    const state = openBreaker();

    // Act
    const alert = breakerAlert(state);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BREAKER OPEN: new blocks suspended, targets held');
    expect(alert.message).toContain(`opened at ${state.openedAt}: ${state.reason}.`);
    expect(alert.message).toContain('Reset Breaker');
    expect(alert.attributes).toMatchObject({ outcome: 'breaker-open', severity: 10 });
  });
});

describe('targetAlert', () => {
  it.each([
    ['overflow', 'OVERFLOW on networkAcls: blocks that do not fit'],
    ['failure', 'FAILED to update networkAcls'],
  ] as const)('names the target and the problem (%s)', (problem, subject) => {
    // Prepare
    const lines = ['198.51.100.77/32'];

    // Act
    const alert = targetAlert('networkAcls', problem, '3 blocks do not fit', lines);

    // Assess
    expect(alert.subject).toBe(`[Egress Warden] ${subject}`);
    expect(alert.message.startsWith('3 blocks do not fit\n')).toBe(true);
    expect(alert.attributes.outcome).toBe(problem);
    expect(alert.evidence).toEqual(lines);
  });
});
