/**
 * `detect-dns`: Route 53 Resolver query logs, from a CloudWatch Logs subscription or an S3 `Object Created`
 * event (EventBridge), invoked asynchronously. Signals go to the warden bus; a failure that may pass on a
 * retry throws, so Lambda's asynchronous retries apply; a malformed record never fails the invocation.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createAwsDetectors } from '#shared/composition/detectors';
import { parseDetectorEnvironment } from '#shared/config/environment';
import { runLogDetection } from '#shared/runtime/detect-run';
import { createTelemetry, type Telemetry } from '#shared/runtime/telemetry';
import type { DetectLogDependencies, LogDetectionReport } from '#shared/use-cases/detect-log';

/** The handler on `deps`; tests pass them on their own clients. */
export function createDetectDnsHandler(
  deps: DetectLogDependencies,
  telemetry: Telemetry = createTelemetry(),
) {
  return middy(
    (event: unknown): Promise<LogDetectionReport | undefined> =>
      runLogDetection(event, 'query-log', deps, telemetry),
  )
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics));
}

const telemetry = createTelemetry();

/** The Lambda entry point; a bad environment fails the cold start with the variable's name. */
export const handler = createDetectDnsHandler(
  createAwsDetectors(parseDetectorEnvironment(process.env), { log: telemetry.logger }),
  telemetry,
);
