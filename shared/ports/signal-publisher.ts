import type { ThreatSignalDetail } from '#shared/intake/threat-signal';

/** Puts detector findings on the warden bus as `Threat Signal` events (source `egress-warden.detectors`). */
export interface ThreatSignalPublisher {
  /**
   * Publishes every signal; resolves once all are accepted. Throws with the signals that were refused (and
   * why) after retrying the ones that may pass on a retry; the caller decides what to retry.
   */
  publish(signals: readonly ThreatSignalDetail[]): Promise<void>;
}
