/**
 * The `detect-flows` function through its real middy chain: flow logs as S3 files named by Object Created
 * events and as CloudWatch Logs subscription batches, IP feeds from the feeds bucket, the detector table on
 * dynalite, S3 and EventBridge on aws-sdk-client-mock. Powertools' log and EMF lines are read from stdout.
 */
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import { ENVIRONMENT } from '#shared/config/environment';
import { ThreatSignalSchema } from '#shared/intake/threat-signal';
import { METRICS } from '#shared/runtime/observability';
import type { LogDetectionReport } from '#shared/use-cases/detect-log';
import { createDetectFlowsHandler } from '../../functions/detect-flows/handler';
import { subscriptionEvent } from '../logs/samples';
import { createDetectorWorld, FEEDS_BUCKET } from '../support/detector-functions';
import { addressScan, EXTERNAL, flow } from '../support/flow-traffic';
import { useFunctionHooks } from '../support/function-hooks';
import { lambdaContext } from '../support/lambda-events';
import {
  FLOW_FORMAT_STRING,
  FLOW_KEY,
  flowLogFile,
  LOGS_BUCKET,
  objectCreatedEvent,
} from '../support/log-inputs';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { detectorEnvironment } = await import('../support/detector-functions');
  for (const [name, value] of Object.entries(detectorEnvironment('detector-state'))) vi.stubEnv(name, value);
});

const { dynalite, captureOutput } = useFunctionHooks();

async function createWorld(options: Parameters<typeof createDetectorWorld>[1] = {}) {
  const world = await createDetectorWorld(dynalite, options);
  const handler = createDetectFlowsHandler(world.deps);
  const invoke = (event: unknown) =>
    handler(event, lambdaContext('detect-flows')) as Promise<LogDetectionReport | undefined>;
  return { ...world, invoke };
}

describe('detect-flows', () => {
  it('reads a gzip flow-log file named by an Object Created event and publishes a valid Threat Signal', async () => {
    // Prepare
    const world = await createWorld({
      objects: { [`${LOGS_BUCKET}/${FLOW_KEY}`]: flowLogFile(addressScan(1, { hosts: 30 }), ['2 broken']) },
    });
    const output = captureOutput();

    // Act
    const report = await world.invoke(objectCreatedEvent(FLOW_KEY));

    // Assess
    const [signal, ...others] = world.published();
    expect(others).toEqual([]);
    expect(signal).toMatchObject({ source: 'flow-log', detector: 'flow-address-scan' });
    expect(v.safeParse(ThreatSignalSchema, signal).success).toBe(true);
    expect(report).toMatchObject({ records: 31, malformed: { count: 1 } });
    expect(output.logs('malformed log record')[0]).toMatchObject({ position: 32 });
    const counted = (metric: string) => output?.metric(metric).map((line) => [line.detector, line[metric]]);
    expect(counted(METRICS.logRecords)).toEqual([['flows', 31]]);
    expect(counted(METRICS.malformedLogRecords)).toEqual([['flows', 1]]);
    expect(counted(METRICS.detectorSignals)).toEqual([['flows', 1]]);
  });

  it('matches destinations against the IP feeds of the feeds bucket', async () => {
    // Prepare
    const world = await createWorld({
      objects: { [`${FEEDS_BUCKET}/feeds/ip/feodo.txt`]: Buffer.from(`# Feodo\n${EXTERNAL.c2}\n`) },
      env: { [ENVIRONMENT.feedsBucket]: FEEDS_BUCKET, [ENVIRONMENT.flowLogFormat]: FLOW_FORMAT_STRING },
    });
    const event = subscriptionEvent([flow({ dstAddr: EXTERNAL.c2 }).raw]);
    captureOutput();

    // Act
    await world.invoke(event);

    // Assess
    expect(world.published().map((signal) => [signal.detector, signal.indicator])).toEqual([
      ['flow-threat-intel', `${EXTERNAL.c2}/32`],
    ]);
  });

  it('reads subscription records in the format FLOW_LOG_FORMAT names', async () => {
    // Prepare
    const world = await createWorld({ env: { [ENVIRONMENT.flowLogFormat]: FLOW_FORMAT_STRING } });
    const event = subscriptionEvent(addressScan(2, { hosts: 30 }).map((record) => record.raw));
    captureOutput();

    // Act
    const report = await world.invoke(event);

    // Assess
    expect(report?.malformed.count).toBe(0);
    expect(world.published().map((signal) => signal.detector)).toEqual(['flow-address-scan']);
  });

  it('drops an event for an object that no longer exists, naming its key', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    const report = await world.invoke(objectCreatedEvent(FLOW_KEY));

    // Assess
    expect(report).toBeUndefined();
    expect(JSON.stringify(output.logs('log detector input dropped: invalid'))).toContain(FLOW_KEY);
  });
});
