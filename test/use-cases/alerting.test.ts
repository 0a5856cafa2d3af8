import { describe, expect, it } from 'vitest';
import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import { ManualClock } from '#adapters/in-memory/clock';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { type Alert, breakerAlert, lifecycleAlert, targetAlert } from '#domain/alert';
import { ThrottledError } from '#domain/errors';
import { AlertBatch, type AlertSettings } from '#shared/use-cases/alerting';
import { activeDecision, HOUR, MINUTE, NOW, openBreaker } from '../support/signals';

function createAlerting(settings: AlertSettings = { digestAbove: 5, repeatIntervalMs: HOUR }) {
  const store = new InMemoryDecisionStore();
  const alerts = new InMemoryAlerts();
  const clock = new ManualClock(NOW);
  const batch = () => new AlertBatch({ store, alerts, clock, alerting: settings });
  return { store, alerts, clock, batch };
}

/** The EXPIRED alert of a block on `indicator`. */
function expired(indicator: string): Alert {
  return lifecycleAlert(activeDecision(indicator), 'expired', 'expired at 2026-11-28T10:00:00.000Z', []);
}

const failure = (detail = 'Updating dnsFirewall failed: AccessDeniedException: not authorized') =>
  targetAlert('dnsFirewall', 'failure', detail);

describe('AlertBatch', () => {
  it('sends nothing before the flush, then each alert on its own up to the digest count', async () => {
    // Prepare
    const { alerts, batch } = createAlerting();
    const alerting = batch();
    const indicators = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];

    // Act
    for (const indicator of indicators) await alerting.publish(expired(indicator));
    const before = alerts.published.length;
    const report = await alerting.flush();

    // Assess
    expect(before).toBe(0);
    expect(alerts.published.map((alert) => alert.subject)).toEqual(
      indicators.map((ip) => `[Egress Warden] EXPIRED ${ip}/32 (C2 IP, severity 8)`),
    );
    expect(report).toEqual({ sent: 5, repeated: 0, failures: [] });
  });

  it('sends a burst over the digest count as one digest', async () => {
    // Prepare
    const { alerts, batch } = createAlerting();
    const alerting = batch();

    // Act
    for (let i = 1; i <= 6; i++) await alerting.publish(expired(`198.51.100.${i}`));
    const report = await alerting.flush();

    // Assess
    expect(alerts.published.map((alert) => alert.subject)).toEqual([
      '[Egress Warden] DIGEST of 6 alerts: 6 EXPIRED',
    ]);
    expect(report.sent).toBe(1);
  });

  it('sends the breaker alert at once and on its own, never in a digest', async () => {
    // Prepare
    const { alerts, batch } = createAlerting({ digestAbove: 1, repeatIntervalMs: HOUR });
    const alerting = batch();
    await alerting.publish(expired('198.51.100.1'));
    await alerting.publish(expired('198.51.100.2'));

    // Act
    await alerting.publish(breakerAlert(openBreaker()));
    const beforeFlush = alerts.published.map((alert) => alert.subject);
    await alerting.flush();

    // Assess
    expect(beforeFlush).toEqual(['[Egress Warden] BREAKER OPEN: new automated blocks shadowed']);
    expect(alerts.published.map((alert) => alert.subject)).toEqual([
      '[Egress Warden] BREAKER OPEN: new automated blocks shadowed',
      '[Egress Warden] DIGEST of 2 alerts: 2 EXPIRED',
    ]);
  });

  it('records in the audit trail of each indicator that it was alerted, once per indicator of a digest', async () => {
    // Prepare
    const { store, batch } = createAlerting({ digestAbove: 1, repeatIntervalMs: HOUR });
    const alerting = batch();
    await alerting.publish(expired('198.51.100.1'));
    await alerting.publish(expired('198.51.100.2'));

    // Act
    await alerting.flush();

    // Assess
    const digest = '[Egress Warden] DIGEST of 2 alerts: 2 EXPIRED';
    for (const key of ['198.51.100.1/32', '198.51.100.2/32']) {
      expect(await store.listAudit(key)).toEqual([
        { key, at: NOW.toISOString(), event: 'alerted', actor: 'egress-warden', reason: digest },
      ]);
    }
  });

  it('records a publish that failed as alert-failed, with the error, and reports it without throwing', async () => {
    // Prepare
    const { store, alerts, batch } = createAlerting();
    const alerting = batch();
    await alerting.publish(expired('198.51.100.1'));
    alerts.injectFailure(new ThrottledError('SNS topic: still throttled', 'Throttling'));

    // Act
    const report = await alerting.flush();

    // Assess
    expect(report.failures).toEqual(['ThrottledError: SNS topic: still throttled']);
    expect(await store.listAudit('198.51.100.1/32')).toEqual([
      {
        key: '198.51.100.1/32',
        at: NOW.toISOString(),
        event: 'alert-failed',
        actor: 'egress-warden',
        reason:
          '[Egress Warden] EXPIRED 198.51.100.1/32 (C2 IP, severity 8): ThrottledError: SNS topic: still throttled',
      },
    ]);
  });

  it('holds back an identical failure alert in a later run within the repeat interval, and sends it after', async () => {
    // Prepare
    const { alerts, clock, batch } = createAlerting();

    // Act
    const sent: number[] = [];
    for (const step of [0, 59 * MINUTE, MINUTE]) {
      clock.advance(step);
      const alerting = batch();
      await alerting.publish(failure());
      await alerting.flush();
      sent.push(alerts.published.length);
    }

    // Assess
    expect(sent).toEqual([1, 1, 2]);
  });

  it('sends another failure on the same target at once', async () => {
    // Prepare
    const { alerts, clock, batch } = createAlerting();
    const first = batch();
    await first.publish(failure());
    await first.flush();
    clock.advance(MINUTE);

    // Act
    const second = batch();
    await second.publish(failure('Updating dnsFirewall failed: ThrottledError: Rate exceeded'));
    const report = await second.flush();

    // Assess
    expect(alerts.published).toHaveLength(2);
    expect(report.repeated).toBe(0);
  });

  it('sends a failure again at once when it cleared in between', async () => {
    // Prepare
    const { alerts, clock, batch } = createAlerting();
    const first = batch();
    await first.publish(failure());
    await first.flush();

    // Act
    clock.advance(MINUTE);
    const healthy = batch();
    await healthy.cleared(['failure:dnsFirewall']);
    await healthy.flush();
    clock.advance(MINUTE);
    const again = batch();
    await again.publish(failure());
    await again.flush();

    // Assess
    expect(alerts.published.map((alert) => alert.subject)).toEqual([
      '[Egress Warden] FAILED to update dnsFirewall',
      '[Egress Warden] FAILED to update dnsFirewall',
    ]);
  });

  it('tries a failure alert again next run when its publish failed', async () => {
    // Prepare
    const { alerts, clock, batch } = createAlerting();
    const first = batch();
    await first.publish(failure());
    alerts.injectFailure(new ThrottledError('still throttled', 'Throttling'));
    await first.flush();

    // Act
    clock.advance(MINUTE);
    const second = batch();
    await second.publish(failure());
    await second.flush();

    // Assess
    expect(alerts.published.map((alert) => alert.subject)).toEqual([
      '[Egress Warden] FAILED to update dnsFirewall',
    ]);
  });
});
