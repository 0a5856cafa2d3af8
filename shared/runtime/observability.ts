/**
 * The names the functions log and publish metrics under, shared with the stack's alarms so that an alarm can
 * never watch a metric nobody writes.
 */

/** Powertools' service name and the CloudWatch metric namespace. */
export const SERVICE_NAME = 'egress-warden';
export const METRIC_NAMESPACE = 'EgressWarden';

/** Every metric the functions publish (embedded metric format), by role. */
export const METRICS = {
  /** Signals decided, with dimension `source`. */
  signals: 'Signals',
  /** Decisions, with dimension `outcome`. */
  decisions: 'Decisions',
  /** Skipped signals, with dimension `reason`. */
  skips: 'Skips',
  /** Inputs dropped as invalid (not retried). */
  invalidInputs: 'InvalidInputs',
  /** Indicators that did not fit a target (summed over targets). */
  overflow: 'Overflow',
  /** Targets that failed in an enforce run. */
  targetErrors: 'TargetErrors',
  /** 1 when an enforce run ran out of time and left work to the next run, 0 otherwise. */
  enforceCutShort: 'EnforceCutShort',
  /** Entries an enforce run put back or took off because a target had drifted from the store. */
  driftRepaired: 'DriftRepaired',
  /** 1 while the breaker is open, 0 otherwise. */
  breakerOpen: 'BreakerOpen',
  /** Wall-clock time of one enforce run, in milliseconds. */
  enforceDuration: 'EnforceDuration',
  /** GuardDuty findings read by the catch-up. */
  catchUpFindings: 'CatchUpFindings',
  /** Log records read by a log detector (malformed ones included), with dimension `detector` (dns, flows). */
  logRecords: 'LogRecords',
  /** Log records a log detector could not parse, with dimension `detector`. */
  malformedLogRecords: 'MalformedLogRecords',
  /** Threat Signals a log detector put on the warden bus, with dimension `detector`. */
  detectorSignals: 'DetectorSignals',
} as const;
