/**
 * One run of the `enforce` function: reconcile every target from the store, then log the report and publish
 * the run's metrics, and record its status for the operator's `status`. Kept out of the handler so the handler
 * only wires.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { toEnforceStatus } from '#shared/use-cases/enforce/status';
import { countReconcile, decisionLogKeys, type Telemetry } from './telemetry';

/** The metric counting the target entries a run repaired because they drifted (see enforce/drift.ts). */
export const DRIFT_REPAIRED_METRIC = 'DriftRepaired';

/**
 * Runs `reconcile` once and reports it: one log line per ended block (with its decision and indicator), one
 * line for the whole report, the Overflow, TargetErrors, BreakerOpen, EnforceDuration and DriftRepaired metrics,
 * and the enforce status record (put after the run; a failure to put it is logged). Target
 * failures are in the report (reconcile never stops at one); what reconcile throws (the store failing) is
 * rethrown after it is logged.
 */
export async function runEnforce(
  deps: () => Promise<Dependencies>,
  { logger, metrics }: Telemetry,
): Promise<ReconcileReport> {
  const started = performance.now();
  try {
    const resolved = await deps();
    const at = resolved.clock.now().toISOString();
    const report = await reconcile(resolved);
    const [breaker, pause] = await Promise.all([resolved.store.getBreaker(), resolved.store.getPause()]);
    const durationMs = performance.now() - started;
    // The record `status` and `block --wait` read; a failure to write it is logged, never fails the run.
    await resolved.store
      .putEnforceStatus(toEnforceStatus(report, { at, durationMs, breaker, pause }))
      .catch((error: unknown) => logger.warn('Enforce status not recorded', { error }));
    for (const ended of report.ended) logger.info('Block ended', decisionLogKeys(ended));
    const log = report.targets.some((target) => target.status === 'failed') ? logger.warn : logger.info;
    log.call(logger, 'Targets reconciled', { report, breakerOpen: breaker.open });
    countReconcile(metrics, report, breaker.open, durationMs);
    const repaired = report.drift?.reduce((sum, r) => sum + r.restored.length + r.removed.length, 0) ?? 0;
    metrics.addMetric(DRIFT_REPAIRED_METRIC, MetricUnit.Count, repaired);
    return report;
  } catch (error) {
    logger.error('Enforce run failed', { error });
    throw error;
  }
}
