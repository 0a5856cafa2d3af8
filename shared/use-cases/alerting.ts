/**
 * Alerts of one batch or run, collected and sent when it ends: as they are when there are few, as one digest
 * when there are many; the blast-radius breaker's at once and on its own. A failure alert that is identical to
 * one sent within the repeat interval (by this run or an earlier one) is not sent again. Every alert about an
 * indicator leaves an `alerted` (or `alert-failed`) record in that indicator's audit trail.
 */
import { type Alert, digestAlert } from '#domain/alert';
import type { AuditRecord } from '#domain/decision';
import type { AlertSink } from '#ports/alerts';
import type { Dependencies } from './dependencies';

/** How alerts are grouped and repeated, and the bus the undo commands in them name. */
export interface AlertSettings {
  /** More alerts than this in one batch or run go out as one digest. */
  readonly digestAbove: number;
  /** An identical failure alert (same target, same normalised error) is sent at most once per this long. */
  readonly repeatIntervalMs: number;
  /** The warden bus name, for the `aws events put-events` undo commands; a placeholder when unset. */
  readonly busName?: string;
}

/** 5 alerts, 1 hour. */
export const DEFAULT_ALERT_SETTINGS: AlertSettings = { digestAbove: 5, repeatIntervalMs: 3_600_000 };

/** What a flush sent. */
export interface AlertFlushReport {
  /** Messages published (a digest counts once). */
  readonly sent: number;
  /** Alerts held back because an identical one was sent within the repeat interval. */
  readonly repeated: number;
  /** Why a publish failed, one entry per failed message. */
  readonly failures: readonly string[];
}

/**
 * An {@link AlertSink} that collects a batch's or run's alerts until {@link AlertBatch.flush}. `publish` never
 * throws for a publishing failure (that is reported by `flush`); it throws what the store throws while
 * claiming a repeated failure alert.
 */
export class AlertBatch implements AlertSink {
  readonly #deps: Pick<Dependencies, 'alerts' | 'store' | 'clock'>;
  readonly #settings: AlertSettings;
  readonly #pending: Alert[] = [];
  #sent = 0;
  #repeated = 0;
  readonly #failures: string[] = [];

  constructor(deps: Pick<Dependencies, 'alerts' | 'store' | 'clock' | 'alerting'>) {
    this.#deps = deps;
    this.#settings = deps.alerting ?? DEFAULT_ALERT_SETTINGS;
  }

  /** Keeps the alert for the flush; the breaker's (an alert without a digest row) is sent at once. */
  async publish(alert: Alert): Promise<void> {
    if (!alert.row) {
      await this.#send(alert, [alert]);
      return;
    }
    if (alert.repeat) {
      const now = this.#deps.clock.now();
      const until = new Date(now.getTime() + this.#settings.repeatIntervalMs).toISOString();
      const { slot, fingerprint } = alert.repeat;
      if (!(await this.#deps.store.claimAlert(slot, fingerprint, now.toISOString(), until))) {
        this.#repeated++;
        return;
      }
    }
    this.#pending.push(alert);
  }

  /**
   * Frees the repeat slots of failures that cleared, so that the next failure there is sent at once. Throws
   * what the store throws.
   */
  async cleared(slots: readonly string[]): Promise<void> {
    if (slots.length > 0) await this.#deps.store.releaseAlerts(slots, this.#deps.clock.now().toISOString());
  }

  /**
   * Sends what was collected: each alert on its own up to `digestAbove` of them, one digest beyond. Never
   * throws: a failed publish is in the report and in the audit trail (`alert-failed`), and its repeat claim
   * is released so that the next run tries again.
   */
  async flush(): Promise<AlertFlushReport> {
    const pending = this.#pending.splice(0);
    if (pending.length > this.#settings.digestAbove) await this.#send(digestAlert(pending), pending);
    else for (const alert of pending) await this.#send(alert, [alert]);
    const report = { sent: this.#sent, repeated: this.#repeated, failures: [...this.#failures] };
    this.#sent = 0;
    this.#repeated = 0;
    this.#failures.length = 0;
    return report;
  }

  /** Publishes `message`, which stands for `alerts`, and records the outcome per indicator. */
  async #send(message: Alert, alerts: readonly Alert[]): Promise<void> {
    let failure: string | undefined;
    try {
      await this.#deps.alerts.publish(message);
      this.#sent++;
    } catch (error) {
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#failures.push(failure);
      const slots = alerts.flatMap((alert) => (alert.repeat ? [alert.repeat.slot] : []));
      // So that the next run tries again; if even that fails, the failure waits out its interval.
      await this.cleared(slots).catch(() => undefined);
    }
    await this.#audit(message, alerts, failure);
  }

  /** One audit record per indicator the message is about; the trail is not worth failing the run for. */
  async #audit(message: Alert, alerts: readonly Alert[], failure: string | undefined): Promise<void> {
    const at = this.#deps.clock.now().toISOString();
    const keys = [...new Set(alerts.flatMap((alert) => alert.indicators ?? []))];
    const records: AuditRecord[] = keys.map((key) => ({
      key,
      at,
      event: failure === undefined ? 'alerted' : 'alert-failed',
      actor: 'egress-warden',
      reason: failure === undefined ? message.subject : `${message.subject}: ${failure}`,
    }));
    if (records.length === 0) return;
    try {
      await this.#deps.store.appendAudit(records);
    } catch (error) {
      this.#failures.push(`audit of the alert "${message.subject}": ${String(error)}`);
    }
  }
}
