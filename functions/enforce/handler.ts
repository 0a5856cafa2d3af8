/**
 * `enforce`: the single writer of every target (reserved concurrency 1). Invoked by the decision table's
 * stream and by the schedule; either way it reconciles every target from the store once. It alone reads the
 * VPCs' CIDRs from EC2, and records them in the store for `decide` and `catch-up`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type AwsEnforceCore, createAwsEnforceCore, createAwsTargets } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { runEnforce } from '#shared/runtime/enforce-run';
import { createTelemetry } from '#shared/runtime/telemetry';
import { type EnforceEvent, triggerOf } from './trigger';

/** The handler on `core` and `targets`; tests pass them on their own clients and clock. */
export function createEnforceHandler(core: AwsEnforceCore, targets = createAwsTargets(core)) {
  const telemetry = createTelemetry();
  const deps = async () => ({ ...(await core.dependencies()), ...targets });
  return middy(async (event: EnforceEvent, context: Context): Promise<void> => {
    const trigger = triggerOf(event);
    telemetry.logger.appendKeys({ trigger: trigger.kind });
    try {
      // The run stops short of the Lambda timeout and leaves the rest to the next run.
      await runEnforce(deps, telemetry, { remainingMs: () => context.getRemainingTimeInMillis() });
    } catch (error) {
      // A stream batch is not retried: its records carry nothing the store does not hold, and a retried batch
      // would block the shard and take the one concurrency slot from the schedule, whose run a minute later
      // redoes the work. A failed scheduled run throws, so Lambda counts the error for the alarm.
      if (trigger.kind === 'schedule') throw error;
    }
  })
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics));
}

/** The Lambda entry point; a bad environment fails the cold start with the variable's name. */
export const handler = createEnforceHandler(createAwsEnforceCore(parseEnvironment(process.env)));
