import { describe, expect, it } from 'vitest';
import { driftAlert, pauseAlert, resumeAlert } from '#domain/alert';

const AT = '2026-11-28T10:00:00.000Z';

describe('the emergency brake and drift alerts', () => {
  it('says who paused, when and why, and that a pause opens nothing already blocked', () => {
    // Act
    const alert = pauseAlert('arn:aws:iam::123456789012:user/bob', 'rollout review (INC-4712)', AT);

    // Assess
    expect(alert.subject).toBe(
      '[Egress Warden] PAUSED by arn:aws:iam::123456789012:user/bob: new blocks are shadowed',
    );
    expect(alert.message.split('\n')).toEqual([
      `Egress Warden was paused at ${AT} by arn:aws:iam::123456789012:user/bob: rollout review (INC-4712).`,
      'Every target now runs as in alert mode: new blocks, manual ones included, are recorded as shadow ("would block") and nothing that blocks more is written.',
      'Pausing does not open what is already blocked: blocks in force stay until they expire or are unblocked (Unblock Request). Expiries, unblocks and allowlisting still reach the targets.',
      'Resume with a Resume request (source egress-warden.manual) or `egress-warden resume --reason …`.',
    ]);
    expect(alert.attributes).toEqual({
      outcome: 'paused',
      severity: 8,
      indicatorKind: 'none',
      source: 'egress-warden',
    });
  });

  it('keeps a reason or a name with line breaks on its own line, escaped', () => {
    // Act
    const alert = resumeAlert(
      'bob\nUNBLOCKED everything',
      'done\r\nUntil: never',
      AT,
      '2026-11-28T09:00:00.000Z',
    );

    // Assess
    expect(alert.subject).toBe(
      '[Egress Warden] RESUMED by bob\\u000aUNBLOCKED everything: new blocks are enforced again',
    );
    expect(alert.message.split('\n')).toHaveLength(3);
    expect(alert.message).toContain('by bob\\u000aUNBLOCKED everything: done\\u000d\\u000aUntil: never.');
    expect(alert.message).toContain('It had been paused since 2026-11-28T09:00:00.000Z.');
  });

  it('lists each repaired entry as evidence and counts them in the subject', () => {
    // Act
    const alert = driftAlert(
      [
        { target: 'dnsFirewall', restored: ['evil.example.com'], removed: ['hand\nadded.example.org'] },
        { target: 'networkAcls', restored: [], removed: ['198.51.100.7/32'] },
      ],
      AT,
    );

    // Assess
    expect(alert.subject).toBe('[Egress Warden] DRIFT REPAIRED: 3 entries on dnsFirewall, networkAcls');
    expect(alert.evidence).toEqual([
      'dnsFirewall: restored evil.example.com (its entry had gone)',
      'dnsFirewall: removed hand\\u000aadded.example.org (no active decision wants it)',
      'networkAcls: removed 198.51.100.7/32 (no active decision wants it)',
    ]);
    expect(alert.attributes.outcome).toBe('drift-repaired');
  });
});
