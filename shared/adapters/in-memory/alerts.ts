import type { Alert } from '#domain/alert';
import type { AlertSink } from '#ports/alerts';

/**
 * Alerts kept in memory, for the local simulation and the use-case tests. Stores each alert exactly as
 * published; the shaping SNS needs (subject length, 256 KB) is the SNS adapter's job. Never throws, except the
 * error given to {@link injectFailure}.
 */
export class InMemoryAlerts implements AlertSink {
  /** Every alert published so far, oldest first. */
  readonly published: Alert[] = [];
  /** Publish calls made, the failed ones included. */
  calls = 0;
  #pendingFailure: Error | undefined;

  /** Records the alert. */
  async publish(alert: Alert): Promise<void> {
    this.calls++;
    const failure = this.#pendingFailure;
    if (failure) {
      this.#pendingFailure = undefined;
      throw failure;
    }
    this.published.push(alert);
  }

  /** A copy of the published alerts, oldest first. */
  snapshot(): Alert[] {
    return [...this.published];
  }

  /** Makes the next publish throw `error`, once; that alert is not recorded. */
  injectFailure(error: Error): void {
    this.#pendingFailure = error;
  }
}
