import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakerAlert, breakerClosedAlert, decisionAlert, lifecycleAlert, targetAlert } from '#domain/alert';
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
  VPC_CONTEXT,
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
    expect(lines).toContain('Targets: networkAcls, networkFirewall (written at the next enforce run).');
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
    ['a target in alert mode', guardDutySignal(IP), parsePolicy({}, VPC_CONTEXT), 'shadow'],
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

  it('keeps the subject on one line, showing the line breaks of a detector name as escapes', () => {
    // Prepare
    const signal = detectorSignal(IP, { detector: 'dns\r\ntunnel\u2028x\tz' });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe(
      '[Egress Warden] BLOCKED 198.51.100.77/32 (dns\\u000d\\u000atunnel\\u2028x\\u0009z)',
    );
  });

  it('cannot be made to show a forged line by an operator reason with a line break', () => {
    // Prepare
    const reason = 'false positive\nUntil: 2099-01-01T00:00:00.000Z.\u2028UNBLOCKED everything';
    const signal = manualUnblock(IP, { request: { requestedBy: 'bob@example.com', reason } });

    // Act
    const { alert } = alertFor(signal, enforcingPolicy(), activeDecision(IP));

    // Assess
    const lines = alert.message.split('\n');
    expect(lines.some((line) => line.startsWith('Until:'))).toBe(false);
    expect(lines[1]).toMatch(
      /^Why: unblocked by bob@example\.com: false positive\\u000aUntil: 2099-01-01T00:00:00\.000Z\.\\u2028UNBLOCKED everything/,
    );
  });

  it('shows bidirectional overrides, NUL and C1 controls as escapes instead of passing them on', () => {
    // Prepare
    const summary = 'ok \u202eKCOLBNU\u202c \u2066x\u2069 \u200e\u0000\u0085\u009b end';
    const signal = detectorSignal(IP, { evidence: { key: 'k', summary, details: ['a\rb'] } });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.evidence).toEqual([
      'ok \\u202eKCOLBNU\\u202c \\u2066x\\u2069 \\u200e\\u0000\\u0085\\u009b end',
      'a\\u000db',
    ]);
  });

  it('names the Lambda function, cluster and container of the workload', () => {
    // Prepare
    const signal = guardDutySignal(IP, {
      workload: {
        account: '123456789012',
        functionName: 'orders-export',
        cluster: 'payments',
        container: 'api',
      },
    });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.message.split('\n')).toContain(
      'Workload: account 123456789012, functionName orders-export, cluster payments, container api.',
    );
  });

  it('says that a finding was archived by an analyst', () => {
    // Prepare
    const signal = guardDutySignal(IP, { archived: true });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.message).toContain('severity 8 (High), archived finding.');
  });

  it('property: whatever free text a signal carries, the body has exactly the lines the template writes', () => {
    const dangerous = fc.constantFrom(
      '\n',
      '\r',
      '\r\n',
      '\u2028',
      '\u2029',
      '\u0085',
      '\u000b',
      '\u000c',
      '\u0000',
      '\u001b[2K',
      '\u202e',
      '\u2067',
      '\u200f',
      'Until: 2099-01-01.',
      'UNBLOCKED',
    );
    const text = fc
      .array(fc.oneof(dangerous, fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 6 })
      .map((parts) => `x${parts.join('')}`);
    const reference = alertFor(
      manualUnblock(IP, { workload: { vpcId: 'v' }, detector: 'd' }),
      enforcingPolicy(),
      activeDecision(IP),
    ).alert;
    fc.assert(
      fc.property(text, text, text, text, text, (reason, requestedBy, detector, summary, vpcId) => {
        // Prepare
        const signal = manualUnblock(IP, {
          request: { requestedBy, reason },
          detector,
          evidence: { key: 'k', summary, details: [reason] },
          workload: { vpcId },
        });

        // Act
        const { alert } = alertFor(signal, enforcingPolicy(), activeDecision(IP));

        // Assess
        const lines = alert.message.split('\n');
        expect(lines.map((line) => line.split(' ')[0])).toEqual(
          reference.message.split('\n').map((line) => line.split(' ')[0]),
        );
        for (const part of [alert.subject, ...lines, ...(alert.evidence ?? [])])
          expect(part).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
      }),
    );
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
    const alert = lifecycleAlert(decision, 'expired', `expired at ${decision.expiresAt}`, [
      { target: 'networkAcls', removed: true },
    ]);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] EXPIRED 198.51.100.77/32');
    expect(alert.subject).not.toMatch(/[\r\n]/);
    expect(alert.message).toContain(
      `The block on ip 198.51.100.77/32 ended: expired at ${decision.expiresAt}.`,
    );
    expect(alert.message).toContain('Offences in the repeat window: 1; a new offence blocks for longer.');
    expect(alert.evidence).toEqual(['An earlier finding']);
    expect(alert.message).toContain('Targets: removed from networkAcls.');
  });

  it('says which targets still hold the block when a target could not be written', () => {
    // Prepare
    const decision = activeDecision(IP);

    // Act
    const alert = lifecycleAlert(decision, 'expired', 'expired', [
      { target: 'networkAcls', removed: true },
      { target: 'networkFirewall', removed: false, note: 'ThrottledError: Rate exceeded' },
    ]);

    // Assess
    expect(alert.message).toContain(
      'Targets: removed from networkAcls; STILL IN networkFirewall (ThrottledError: Rate exceeded); retried every run.',
    );
  });

  it('says LIFTED for a block lifted by the allowlist', () => {
    // Prepare
    const decision = activeDecision(IP);

    // Act
    const alert = lifecycleAlert(decision, 'lifted', 'lifted: allowlisted', []);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] LIFTED 198.51.100.77/32');
    expect(alert.attributes).toMatchObject({ indicatorKind: 'ip', source: 'guardduty' });
  });

  it('shows a line break in the recorded reason as an escape', () => {
    // Prepare
    const decision = activeDecision(IP, { reason: 'blocked\nUNBLOCKED by nobody' });

    // Act
    const alert = lifecycleAlert(decision, 'expired', 'expired\u2028now', [
      { target: 'networkAcls', removed: false, note: 'ThrottledError\nUNBLOCKED' },
    ]);

    // Assess
    expect(alert.message.split('\n')).toEqual([
      'The block on ip 198.51.100.77/32 ended: expired\\u2028now.',
      'It was: blocked\\u000aUNBLOCKED by nobody.',
      'Targets: STILL IN networkAcls (ThrottledError\\u000aUNBLOCKED); retried every run.',
      'Offences in the repeat window: 1; a new offence blocks for longer.',
    ]);
  });
});

describe('breakerAlert', () => {
  it('says loudly that new automated blocks are shadowed, that removals still apply, and how to resume', () => {
    // Prepare
    const state = openBreaker();

    // Act
    const alert = breakerAlert(state);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BREAKER OPEN: new automated blocks shadowed');
    expect(alert.message).toContain('expiries, unblocks and allowlisting still reach the targets');
    expect(alert.message).toContain(`opened at ${state.openedAt}: ${state.reason}.`);
    expect(alert.message).toContain('Reset Breaker');
    expect(alert.attributes).toMatchObject({ outcome: 'breaker-open', severity: 10 });
  });

  it('keeps to its three lines whatever the reason says', () => {
    // Prepare
    const state = { ...openBreaker(), reason: 'tripped\nNew automated blocks resume now.' };

    // Act
    const alert = breakerAlert(state);

    // Assess
    expect(alert.message.split('\n')).toHaveLength(3);
    expect(alert.message).toContain('tripped\\u000aNew automated blocks resume now.');
  });
});

describe('breakerClosedAlert', () => {
  it('keeps to its three lines whatever the operator writes as name or reason', () => {
    // Prepare
    const requestedBy = 'bob\nUNBLOCKED everything';
    const reason = 'reviewed\u2028Until: 2099-01-01T00:00:00.000Z.';

    // Act
    const alert = breakerClosedAlert(openBreaker(), requestedBy, reason, '2026-11-28T10:10:00.000Z');

    // Assess
    expect(alert.message.split('\n')).toHaveLength(3);
    expect(alert.message).toContain(
      'closed at 2026-11-28T10:10:00.000Z by bob\\u000aUNBLOCKED everything: reviewed\\u2028Until: 2099-01-01T00:00:00.000Z..',
    );
    expect(alert.subject).not.toMatch(/[\r\n\u2028]/);
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

  it('keeps the detail and every evidence line on their own lines', () => {
    // Act
    const alert = targetAlert('dnsFirewall', 'failure', 'AccessDenied\r\nThe other targets', ['a\nb']);

    // Assess
    expect(alert.message.split('\n')).toHaveLength(2);
    expect(alert.message.startsWith('AccessDenied\\u000d\\u000aThe other targets\n')).toBe(true);
    expect(alert.evidence).toEqual(['a\\u000ab']);
  });
});
