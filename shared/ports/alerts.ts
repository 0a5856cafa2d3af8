import type { Alert } from '#domain/alert';

/** Where alerts go (one SNS topic in AWS). */
export interface AlertSink {
  /** Publishes one alert. At least once: a retry may deliver it twice. Throws ThrottledError, TargetNotFoundError. */
  publish(alert: Alert): Promise<void>;
}
