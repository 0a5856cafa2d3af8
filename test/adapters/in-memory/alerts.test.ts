import { describe, expect, it } from 'vitest';
import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import type { Alert } from '#domain/alert';
import { TargetNotFoundError } from '#domain/errors';

const alert = (subject: string): Alert => ({
  subject,
  message: `${subject}: details`,
  attributes: { outcome: 'blocked', severity: 8 },
  evidence: ['finding 1234'],
});

describe('InMemoryAlerts', () => {
  it('keeps every published alert as it was given, oldest first', async () => {
    // Prepare
    const alerts = new InMemoryAlerts();
    const first = alert('Blocked evil.example.com');
    const second = alert('Unblocked evil.example.com');

    // Act
    await alerts.publish(first);
    await alerts.publish(second);

    // Assess
    expect(alerts.published).toEqual([first, second]);
    expect(alerts.calls).toBe(2);
  });

  it('gives a snapshot that later publishes do not change', async () => {
    // Prepare
    const alerts = new InMemoryAlerts();
    await alerts.publish(alert('one'));

    // Act
    const snapshot = alerts.snapshot();
    await alerts.publish(alert('two'));

    // Assess
    expect(snapshot.map((published) => published.subject)).toEqual(['one']);
  });

  it('throws an injected failure once without recording that alert, then publishes again', async () => {
    // Prepare
    const alerts = new InMemoryAlerts();
    const failure = new TargetNotFoundError('topic not found', 'NotFoundException');
    alerts.injectFailure(failure);

    // Act
    const result = alerts.publish(alert('lost'));
    await expect(result).rejects.toBe(failure);
    await alerts.publish(alert('delivered'));

    // Assess
    expect(alerts.published.map((published) => published.subject)).toEqual(['delivered']);
    expect(alerts.calls).toBe(2);
  });
});
