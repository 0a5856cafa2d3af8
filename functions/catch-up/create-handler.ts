/**
 * The catch-up function's middy chain, built by a factory so that tests inject clients and environment;
 * handler.ts builds it once per container from the real ones.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { type AwsCoreOptions, createAwsCore, createAwsFindings } from '#shared/composition/aws';
import { parseEnvironment, type WardenEnvironment } from '#shared/config/environment';
import { METRICS } from '#shared/runtime/observability';
import { createTelemetry } from '#shared/runtime/telemetry';
import { AlertBatch } from '#shared/use-cases/alerting';
import { type CatchUpReport, catchUp } from '#shared/use-cases/catch-up';

/** What a run returns (and logs): the report without the error object. */
export type CatchUpSummary = Omit<CatchUpReport, 'stopped'>;

/** Clients and environment for {@link createHandler}; tests inject mocked or local ones. */
export interface CatchUpHandlerOptions extends AwsCoreOptions {
  readonly environment?: WardenEnvironment;
  readonly guardDuty?: GuardDutyClient;
}

/**
 * Builds the handler once per container. A run that stopped on a retryable failure logs it and throws, so
 * the function's error alarm sees it; its progress is already saved and the next run resumes there.
 */
export function createHandler(options: CatchUpHandlerOptions = {}) {
  const core = createAwsCore(options.environment ?? parseEnvironment(process.env), options);
  const findings = createAwsFindings(options.guardDuty);
  const lookbackMs = core.environment.config.guardDuty.catchUpLookbackMs;
  const { logger, metrics } = createTelemetry();

  return middy(async (_event: ScheduledEvent): Promise<CatchUpSummary> => {
    const deps = await core.dependencies();
    // The run's alerts go out together: the first run after a deploy may catch up on a burst of findings.
    const alerting = new AlertBatch(deps);
    const { stopped, ...summary } = await catchUp(
      { ...deps, alerts: alerting },
      { findings, lookbackMs },
    ).finally(async () => {
      const alerts = await alerting.flush();
      if (alerts.failures.length > 0) logger.error('Alerts not sent', { alerts });
    });
    metrics.addMetric(METRICS.catchUpFindings, MetricUnit.Count, summary.read);
    metrics.addMetric(METRICS.invalidInputs, MetricUnit.Count, summary.invalid.length);
    for (const { id, reason } of summary.invalid) {
      logger.warn('GuardDuty finding refused by intake: skipped, not retried', { findingId: id, reason });
    }
    logger.info('GuardDuty catch-up run', { ...summary });
    if (stopped) {
      logger.error('GuardDuty catch-up stopped; the next run resumes from the watermark', {
        ...(stopped.findingId ? { findingId: stopped.findingId } : {}),
        watermark: summary.watermark,
        error: stopped.error,
      });
      throw stopped.error;
    }
    return summary;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
