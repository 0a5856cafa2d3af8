import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  breakerAlert,
  breakerClosedAlert,
  decisionAlert,
  digestAlert,
  lifecycleAlert,
  targetAlert,
} from '#domain/alert';
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
const BUS = 'egress-warden-bus';

function alertFor(
  signal: Signal,
  policy = enforcingPolicy(),
  current = undefined as Parameters<typeof decide>[1],
) {
  const result = decide(signal, current, { policy, now: NOW, breaker: closedBreaker() });
  return { result, alert: decisionAlert(signal, result, { now: NOW.toISOString(), busName: BUS }) };
}

describe('decisionAlert', () => {
  it('says what was blocked, why, on which workload and targets, until when, and how to undo it', () => {
    // Prepare
    const signal = guardDutySignal('evil.example.com', { detector: 'Backdoor:EC2/C&CActivity.B!DNS' });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BLOCKED evil.example.com (C2 domain, severity 8) for 4h');
    expect(alert.message).toBe(
      [
        'BLOCKED domain evil.example.com for 4h.',
        'Why: blocked for 4h (Backdoor:EC2/C&CActivity.B!DNS).',
        'Seen by: C2 domain (Backdoor:EC2/C&CActivity.B!DNS), source guardduty, severity 8 (High), observed 2026-11-28T10:00:00.000Z.',
        'Workload: account 123456789012, region eu-west-1, vpcId vpc-0abc1234def567890, instanceId i-0abc1234def567890.',
        'Targets: dnsFirewall, networkFirewall (written at the next enforce run).',
        `Until: ${isoAt(4 * HOUR)}.`,
        'To undo it:',
        "  egress-warden unblock evil.example.com --reason 'why it is safe'",
        `  aws events put-events --entries '[{"Source":"egress-warden.manual","DetailType":"Unblock Request","EventBusName":"egress-warden-bus","Detail":"{\\"indicator\\":\\"evil.example.com\\",\\"reason\\":\\"why it is safe\\",\\"requestedBy\\":\\"your name\\"}"}]'`,
      ].join('\n'),
    );
    expect(alert.indicators).toEqual(['evil.example.com']);
    expect(alert.row).toEqual({
      outcome: 'BLOCKED',
      indicator: 'evil.example.com',
      reason: 'C2 domain, severity 8',
      until: isoAt(4 * HOUR),
    });
  });

  it('gives an undo command a POSIX shell runs as written, whatever the indicator', () => {
    // Prepare
    const signal = manualBlock('*.example.com');

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.nextSteps?.[0]).toBe("egress-warden unblock '*.example.com' --reason 'why it is safe'");
    const entries = /--entries '(.*)'$/.exec(alert.nextSteps?.[1] ?? '')?.[1] ?? '';
    const [entry] = JSON.parse(entries) as { EventBusName: string; Detail: string }[];
    expect(entry?.EventBusName).toBe(BUS);
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ indicator: '*.example.com' });
  });

  it('says a permanent block lasts until it is unblocked', () => {
    // Prepare
    const signal = manualBlock(IP, { permanent: true });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BLOCKED 198.51.100.77/32 (manual, severity 8) permanently');
    expect(alert.message.split('\n').slice(0, 3)).toEqual([
      'BLOCKED ip 198.51.100.77/32 permanently.',
      'Why: blocked for good (permanent) (alice@example.com: incident IR-42).',
      'Requested by: alice@example.com (manual request), severity 8 (High), observed 2026-11-28T10:00:00.000Z.',
    ]);
    expect(alert.message).toContain('Until: permanent, until unblocked.');
    expect(alert.message).toContain('To undo it:');
  });

  it('states the new expiry of an extended block', () => {
    // Prepare
    const signal = guardDutySignal(IP, { evidence: { key: 'guardduty:new', summary: 'again' } });

    // Act
    const { result, alert } = alertFor(signal, enforcingPolicy(), activeDecision(IP));

    // Assess
    expect(result.outcome).toBe('extended');
    expect(alert.subject).toBe('[Egress Warden] EXTENDED 198.51.100.77/32 (C2 IP, severity 8) for 4h');
    expect(alert.message).toContain(`Until: ${isoAt(4 * HOUR)}.`);
  });

  it.each([
    ['a sample finding', guardDutySignal(IP, { sample: true }), enforcingPolicy(), 'shadow'],
    ['a target in alert mode', guardDutySignal(IP), parsePolicy({}, VPC_CONTEXT), 'shadow'],
    ['a finding below the threshold', guardDutySignal(IP, { severity: 5 }), enforcingPolicy(), 'skipped'],
  ])(
    'says WOULD BLOCK for %s, with how to block it for real instead of an undo',
    (_, signal, policy, outcome) => {
      // Prepare
      const severity = signal.severity;

      // Act
      const { result, alert } = alertFor(signal, policy);

      // Assess
      expect(result.outcome).toBe(outcome);
      expect(alert.subject).toBe(
        `[Egress Warden] WOULD BLOCK 198.51.100.77/32 (C2 IP, severity ${severity}) for 4h`,
      );
      expect(alert.message.split('\n')[0]).toBe('WOULD BLOCK ip 198.51.100.77/32 for 4h.');
      expect(alert.message).not.toContain('To undo it:');
      expect(alert.message.split('\n').slice(-3)).toEqual([
        'Nothing was blocked. To block it now, or to see why:',
        "  egress-warden block 198.51.100.77/32 --reason 'why it must be blocked'",
        '  egress-warden explain 198.51.100.77/32',
      ]);
    },
  );

  it('marks a sample finding as one', () => {
    // Prepare
    const signal = guardDutySignal(IP, { sample: true });

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.message).toContain('severity 8 (High), sample finding, observed');
  });

  it('says NOT BLOCKED and why for a protected indicator', () => {
    // Prepare
    const signal = manualBlock('169.254.169.254');

    // Act
    const { alert } = alertFor(signal);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] NOT BLOCKED 169.254.169.254/32 (manual, severity 8)');
    expect(alert.row?.reason).toMatch(
      /^not blocked: 169\.254\.169\.254\/32 covers the instance metadata service/,
    );
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
    expect(alert.subject).toBe('[Egress Warden] UNBLOCKED 198.51.100.77/32 by bob@example.com');
    expect(alert.message).toBe(
      [
        'UNBLOCKED ip 198.51.100.77/32.',
        'Why: unblocked by bob@example.com: false positive; re-blocking from the evidence already seen (guardduty:earlier-finding) is suppressed until 2026-12-05T10:00:00.000Z.',
        'Requested by: bob@example.com (manual request), severity 8 (High), observed 2026-11-28T10:00:00.000Z.',
        'Targets: networkAcls, networkFirewall (removed at the next enforce run).',
        'To see its history:',
        '  egress-warden explain 198.51.100.77/32',
      ].join('\n'),
    );
    expect(alert.attributes.outcome).toBe('unblocked');
  });

  it('carries attributes a subscription can filter on: outcome, severity, targets, indicator kind, source', () => {
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
      targets: ['dnsFirewall', 'networkFirewall'],
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
      '[Egress Warden] BLOCKED 198.51.100.77/32 (dns\\u000d\\u000atunnel\\u2028x\\u0009z, severity 8) for 4h',
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
    expect(alert.message).toContain('severity 8 (High), archived finding, observed');
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
    expect(alert.subject).toBe('[Egress Warden] EXPIRED 198.51.100.77/32 (C2 IP, severity 8)');
    expect(alert.message).toBe(
      [
        `The block on ip 198.51.100.77/32 ended: expired at ${decision.expiresAt}.`,
        'It was: blocked for 4h (Backdoor:EC2/C&CActivity.B).',
        'Targets: removed from networkAcls.',
        'Offences in the repeat window: 1; a new offence blocks for longer.',
      ].join('\n'),
    );
    expect(alert.evidence).toEqual(['An earlier finding']);
    expect(alert.indicators).toEqual(['198.51.100.77/32']);
    expect(alert.row).toMatchObject({ outcome: 'EXPIRED', indicator: '198.51.100.77/32' });
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
    expect(alert.subject).toBe('[Egress Warden] LIFTED 198.51.100.77/32 (C2 IP, severity 8)');
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
    const alert = breakerAlert(state, BUS);

    // Assess
    expect(alert.subject).toBe('[Egress Warden] BREAKER OPEN: new automated blocks shadowed');
    expect(alert.message).toBe(
      [
        `The blast-radius breaker opened at ${state.openedAt}: ${state.reason}.`,
        'New automated blocks are shadowed until an operator resets the breaker; blocks already in force, manual blocks, expiries, unblocks and allowlisting still reach the targets.',
        'Review the recent decisions (egress-warden list), then reset it:',
        "  egress-warden reset-breaker --reason 'reviewed the recent blocks'",
        `  aws events put-events --entries '[{"Source":"egress-warden.manual","DetailType":"Reset Breaker","EventBusName":"egress-warden-bus","Detail":"{\\"reason\\":\\"reviewed the recent blocks\\",\\"requestedBy\\":\\"your name\\"}"}]'`,
      ].join('\n'),
    );
    expect(alert.attributes).toMatchObject({ outcome: 'breaker-open', severity: 10 });
    expect(alert.row).toBeUndefined();
  });

  it('keeps to its lines whatever the reason says', () => {
    // Prepare
    const state = { ...openBreaker(), reason: 'tripped\nNew automated blocks resume now.' };

    // Act
    const alert = breakerAlert(state);

    // Assess
    expect(alert.message.split('\n')).toHaveLength(5);
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
    expect(alert.message.split('\n')).toHaveLength(4);
    expect(alert.message.startsWith('AccessDenied\\u000d\\u000aThe other targets\n')).toBe(true);
    expect(alert.evidence).toEqual(['a\\u000ab']);
  });

  it('says which target failed, why, that it is retried, and where to look', () => {
    // Act
    const alert = targetAlert(
      'dnsFirewall',
      'failure',
      'Updating dnsFirewall failed: ThrottledError: Rate exceeded (request 7f3c9a2e-1b4d-4c8e-9f00-123456789abc)',
    );

    // Assess
    expect(alert.subject).toBe('[Egress Warden] FAILED to update dnsFirewall');
    expect(alert.message).toBe(
      [
        'Updating dnsFirewall failed: ThrottledError: Rate exceeded (request 7f3c9a2e-1b4d-4c8e-9f00-123456789abc)',
        'The other targets were updated; the next reconcile retries this one.',
        'Identical alerts are sent again only after the repeat interval, or after the problem cleared.',
        'Look further: egress-warden status',
      ].join('\n'),
    );
    expect(alert.attributes).toMatchObject({ outcome: 'failure', targets: ['dnsFirewall'] });
    expect(alert.repeat).toEqual({
      slot: 'failure:dnsFirewall',
      fingerprint: 'updating dnsfirewall failed: throttlederror: rate exceeded (request <id>)',
    });
  });

  it('gives two occurrences of one failure the same fingerprint, and another failure another', () => {
    // Act
    const first = targetAlert(
      'networkFirewall',
      'failure',
      'InvalidTokenException at 2026-11-28T10:00:01.123Z, try 3',
    );
    const again = targetAlert(
      'networkFirewall',
      'failure',
      'InvalidTokenException at 2026-11-28T10:01:00.001Z, try 1',
    );
    const other = targetAlert('networkFirewall', 'failure', 'AccessDeniedException: not authorized');

    // Assess
    expect(again.repeat).toEqual(first.repeat);
    expect(other.repeat?.fingerprint).not.toBe(first.repeat?.fingerprint);
  });
});

describe('digestAlert', () => {
  it('puts a burst in one message with a table of outcome, indicator, reason and until', () => {
    // Prepare
    const blocked = ['c2-a.example.com', 'c2-b.example.com', 'c2-c.example.com'].map(
      (domain) => alertFor(guardDutySignal(domain, { detector: 'Backdoor:EC2/C&CActivity.B!DNS' })).alert,
    );
    const expired = lifecycleAlert(activeDecision(IP), 'expired', 'expired at 2026-11-28T10:00:00.000Z', []);
    const failed = targetAlert('networkAcls', 'failure', 'Updating networkAcls failed: AccessDenied');
    const shadow = alertFor(guardDutySignal('203.0.113.9', { sample: true })).alert;

    // Act
    const alert = digestAlert([...blocked, expired, failed, shadow]);

    // Assess
    expect(alert.subject).toBe(
      '[Egress Warden] DIGEST of 6 alerts: 3 BLOCKED, 1 EXPIRED, 1 FAILED, 1 WOULD BLOCK',
    );
    const until = isoAt(4 * HOUR);
    expect(alert.message).toBe(
      [
        '6 alerts in one run, sent as one message. Each is in the audit trail: egress-warden explain <indicator>.',
        '',
        'OUTCOME      INDICATOR         REASON                                     UNTIL',
        `BLOCKED      c2-a.example.com  C2 domain, severity 8                      ${until}`,
        `BLOCKED      c2-b.example.com  C2 domain, severity 8                      ${until}`,
        `BLOCKED      c2-c.example.com  C2 domain, severity 8                      ${until}`,
        'EXPIRED      198.51.100.77/32  expired at 2026-11-28T10:00:00.000Z        -',
        'FAILED       networkAcls       Updating networkAcls failed: AccessDenied  -',
        `WOULD BLOCK  203.0.113.9/32    C2 IP, severity 8                          ${until}`,
      ].join('\n'),
    );
    expect(alert.attributes).toEqual({
      outcome: 'digest',
      severity: 8,
      indicatorKind: 'mixed',
      source: 'egress-warden',
      targets: ['dnsFirewall', 'networkAcls', 'networkFirewall'],
    });
    expect(alert.indicators).toEqual([
      'c2-a.example.com',
      'c2-b.example.com',
      'c2-c.example.com',
      '198.51.100.77/32',
      '203.0.113.9/32',
    ]);
  });

  it('keeps a forged line in a reason inside its row', () => {
    // Prepare
    const failed = targetAlert('networkAcls', 'failure', 'boom\nBLOCKED everything');

    // Act
    const alert = digestAlert([failed]);

    // Assess
    expect(alert.message.split('\n')).toHaveLength(4);
    expect(alert.message).toContain('boom\\u000aBLOCKED everything');
  });
});
