/**
 * Powertools for AWS Lambda, set up the same way in every function: a JSON logger under the service name and
 * metrics in embedded metric format under the namespace the stack's alarms watch. Every metric carries
 * Powertools' default dimension `service` (= SERVICE_NAME); the ones listed below add one dimension of their own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionReport } from '#shared/use-cases/decide-signal';
import type { ReconcileReport } from '#shared/use-cases/enforce/reconcile';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from './observability';

/** The logger and the metrics of one function, built once per container. */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A logger (level from POWERTOOLS_LOG_LEVEL, INFO by default) and metrics for the function. */
export function createTelemetry(): Telemetry {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME }),
  };
}

/** The keys every log line about a decision carries: the indicator and what was decided. */
export function decisionLogKeys(report: DecisionReport): Record<string, unknown> {
  const { indicator, ...decision } = report;
  return { indicator, decision };
}

/**
 * Counts one decided signal: Signals by `source`, Decisions by `outcome`, and Skips by `reason` for a skip.
 * Each goes out as its own EMF line, since its dimension differs from the other metrics of the invocation.
 */
export function countDecision(metrics: Metrics, report: DecisionReport): void {
  const count = (name: string, dimension: string, value: string): void => {
    metrics.singleMetric().addDimension(dimension, value).addMetric(name, MetricUnit.Count, 1);
  };
  count(METRICS.signals, 'source', report.source);
  count(METRICS.decisions, 'outcome', report.outcome);
  if (report.outcome === 'skipped') count(METRICS.skips, 'reason', report.skipReason ?? 'unknown');
}

/** Counts one input dropped as invalid. */
export function countInvalidInput(metrics: Metrics): void {
  metrics.addMetric(METRICS.invalidInputs, MetricUnit.Count, 1);
}

/**
 * What one enforce run publishes: overflow, target errors, whether it was cut short by its deadline, the
 * breaker's state and the run's duration.
 */
export function countReconcile(
  metrics: Metrics,
  report: ReconcileReport,
  breakerOpen: boolean,
  durationMs: number,
): void {
  const overflow = report.targets.reduce((sum, target) => sum + target.overflow.length, 0);
  // A target written in part (some ACLs failed) is an error too: what it holds there is not known.
  const failed = report.targets.filter(
    (target) => target.status === 'failed' || (target.failures?.length ?? 0) > 0,
  ).length;
  metrics.addMetric(METRICS.overflow, MetricUnit.Count, overflow);
  metrics.addMetric(METRICS.targetErrors, MetricUnit.Count, failed);
  metrics.addMetric(METRICS.enforceCutShort, MetricUnit.Count, report.cutShort ? 1 : 0);
  metrics.addMetric(METRICS.breakerOpen, MetricUnit.Count, breakerOpen ? 1 : 0);
  metrics.addMetric(METRICS.enforceDuration, MetricUnit.Milliseconds, durationMs);
}
