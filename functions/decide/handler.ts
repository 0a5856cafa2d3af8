/**
 * `decide`: EventBridge → SQS → this function. Each record's body is one EventBridge event (a GuardDuty
 * finding, a manual request, a Threat Signal); the response lists only the records to retry.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AwsCore, createAwsCore } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { createBatchDecider } from '#shared/runtime/decide-record';
import { createTelemetry } from '#shared/runtime/telemetry';

/** The handler on `core`; tests pass a core on their own clients and clock. */
export function createDecideHandler(core: AwsCore) {
  const telemetry = createTelemetry();
  const processor = new BatchProcessor(EventType.SQS);
  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const { decideRecord, sendAlerts } = createBatchDecider(await core.dependencies(), telemetry);
    // In order, one at a time: records of a batch often write the same breaker item. A batch whose every
    // record fails throws (Powertools' default): SQS retries it all the same, and the invocation error is
    // counted by the function-errors alarm and slows Lambda's SQS pollers while the store is struggling.
    try {
      return await processPartialResponse(event, decideRecord, processor, {
        context,
        processInParallel: false,
      });
    } finally {
      await sendAlerts();
    }
  })
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics));
}

/** The Lambda entry point; a bad environment fails the cold start with the variable's name. */
export const handler = createDecideHandler(createAwsCore(parseEnvironment(process.env)));
