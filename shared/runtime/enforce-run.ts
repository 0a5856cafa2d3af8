/**
 * One run of the `enforce` function: reconcile every target from the store, then log the report and publish
 * the run's metrics, and record its status for the operator's `status`. Kept out of the handler so the handler
 * only wires.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { toEnforceStatus } from '#shared/use-cases/enforce/status';
import { METRICS } from './observability';
import { countReconcile, decisionLogKeys, type Telemetry } from './telemetry';

/**
 * Time kept between reconcile's deadline and Lambda's: the overflow bookkeeping, the alerts about ended
 * blocks, the breaker read, the logs and the metrics, and a write that started just before the deadline.
 */
export const ENFORCE_END_MARGIN_MS = 15_000;

/** How one run is bounded: the invocation's time left (Lambda's `context.getRemainingTimeInMillis`). */
export interface EnforceRunOptions {
  readonly remainingMs?: () => number;
}

/**
 * Runs `reconcile` once and reports it: one log line per ended block (with its decision and indicator), one
 * line for the whole report, a warning naming what is left when the run was cut short, the Overflow,
 * TargetErrors, EnforceCutShort, BreakerOpen, EnforceDuration and DriftRepaired metrics, and the enforce status
 * record (put after the run; a failure to put it is logged). Given the invocation's time left, reconcile must
 * be done {@link ENFORCE_END_MARGIN_MS} before it. Target failures are in the report (reconcile never stops at
 * one); what reconcile throws (the store failing) is rethrown after it is logged.
 */
export async function runEnforce(
  deps: () => Promise<Dependencies>,
  { logger, metrics }: Telemetry,
  { remainingMs }: EnforceRunOptions = {},
): Promise<ReconcileReport> {
  const started = performance.now();
  try {
    const resolved = await deps();
    // Read on the dependencies' clock, as reconcile reads it, once the dependencies are loaded.
    const deadline =
      remainingMs && new Date(resolved.clock.now().getTime() + remainingMs() - ENFORCE_END_MARGIN_MS);
    const report = await reconcile(resolved, deadline ? { deadline } : {});
    const [breaker, pause] = await Promise.all([resolved.store.getBreaker(), resolved.store.getPause()]);
    const durationMs = performance.now() - started;
    // The record `status` and `block --wait` read; a failure to write it is logged, never fails the run.
    const status = toEnforceStatus(report, { at: report.at, durationMs, breaker, pause });
    await resolved.store
      .putEnforceStatus(status)
      .catch((error: unknown) => logger.warn('Enforce status not recorded', { error }));
    for (const ended of report.ended) logger.info('Block ended', decisionLogKeys(ended));
    const log = report.targets.some((target) => target.status === 'failed') ? logger.warn : logger.info;
    log.call(logger, 'Targets reconciled', { report, breakerOpen: breaker.open });
    if (report.cutShort) {
      const left = Object.fromEntries(
        report.targets.filter((t) => t.status === 'partial').map((t) => [t.target, t.left ?? 0]),
      );
      logger.warn('Enforce run cut short', { left, deferredEndings: report.deferred, report });
    }
    countReconcile(metrics, report, breaker.open, durationMs);
    metrics.addMetric(METRICS.driftRepaired, MetricUnit.Count, status.driftRepaired);
    return report;
  } catch (error) {
    logger.error('Enforce run failed', { error });
    throw error;
  }
}
