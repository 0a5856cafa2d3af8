/**
 * One run of the `enforce` function: reconcile every target from the store, then log the report and publish
 * the run's metrics. Kept out of the handler so the handler only wires.
 */
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { countReconcile, decisionLogKeys, type Telemetry } from './telemetry';

/**
 * Runs `reconcile` once and reports it: one log line per ended block (with its decision and indicator), one
 * line for the whole report, and the Overflow, TargetErrors, BreakerOpen and EnforceDuration metrics. Target
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
    const report = await reconcile(resolved);
    const breaker = await resolved.store.getBreaker();
    for (const ended of report.ended) logger.info('Block ended', decisionLogKeys(ended));
    const log = report.targets.some((target) => target.status === 'failed') ? logger.warn : logger.info;
    log.call(logger, 'Targets reconciled', { report, breakerOpen: breaker.open });
    countReconcile(metrics, report, breaker.open, performance.now() - started);
    return report;
  } catch (error) {
    logger.error('Enforce run failed', { error });
    throw error;
  }
}
