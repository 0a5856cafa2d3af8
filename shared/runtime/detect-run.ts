/**
 * One invocation of a log detector function around the use case: the report logged, its counts published,
 * and the error policy applied (an invalid event is logged, counted and dropped; anything else is thrown for
 * Lambda's asynchronous retries).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LogKind } from '#shared/logs/s3-object-created';
import { type DetectLogDependencies, detectLog, type LogDetectionReport } from '#shared/use-cases/detect-log';
import { dispositionOf } from './error-policy';
import { METRICS } from './observability';
import { countInvalidInput, type Telemetry } from './telemetry';

/** The `detector` dimension of a log kind's metrics. */
const DETECTOR_OF: Record<LogKind, string> = { 'query-log': 'dns', 'flow-log': 'flows' };

/** Runs the detector for `kind` on `event`; undefined when the event was dropped as invalid. */
export async function runLogDetection(
  event: unknown,
  kind: LogKind,
  deps: DetectLogDependencies,
  telemetry: Telemetry,
): Promise<LogDetectionReport | undefined> {
  const { logger, metrics } = telemetry;
  let report: LogDetectionReport;
  try {
    report = await detectLog(event, kind, deps);
  } catch (error) {
    if (dispositionOf(error) === 'retry') throw error;
    logger.error('log detector input dropped: invalid', { error });
    countInvalidInput(metrics);
    return undefined;
  }
  const { malformed, ...rest } = report;
  for (const record of malformed.first) {
    logger.warn('malformed log record', {
      source: report.source,
      position: record.position,
      reason: record.reason,
    });
  }
  logger.info('log detection', { ...rest, malformed: malformed.count });
  const count = (name: string, value: number): void => {
    metrics
      .singleMetric()
      .addDimension('detector', DETECTOR_OF[kind])
      .addMetric(name, MetricUnit.Count, value);
  };
  count(METRICS.logRecords, report.records);
  count(METRICS.malformedLogRecords, malformed.count);
  count(METRICS.detectorSignals, report.signals.length);
  return report;
}
