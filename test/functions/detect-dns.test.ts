/**
 * The `detect-dns` function through its real middy chain: query logs as a CloudWatch Logs subscription batch
 * and as an S3 file named by an Object Created event, the detector table on dynalite, S3 and EventBridge on
 * aws-sdk-client-mock. Powertools' log and EMF lines are read from stdout.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import { ThreatSignalSchema } from '#shared/intake/threat-signal';
import { METRICS } from '#shared/runtime/observability';
import type { LogDetectionReport } from '#shared/use-cases/detect-log';
import { createDetectDnsHandler } from '../../functions/detect-dns/handler';
import { subscriptionEvent } from '../logs/samples';
import { createDetectorWorld } from '../support/detector-functions';
import { tunnelQueries } from '../support/dns-traffic';
import { useFunctionHooks } from '../support/function-hooks';
import { type CapturedOutput, lambdaContext } from '../support/lambda-events';
import { LOGS_BUCKET, objectCreatedEvent, QUERY_KEY, queryLogFile } from '../support/log-inputs';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { detectorEnvironment } = await import('../support/detector-functions');
  for (const [name, value] of Object.entries(detectorEnvironment('detector-state'))) vi.stubEnv(name, value);
});

const { dynalite, captureOutput } = useFunctionHooks();

async function createWorld(objects: Record<string, Uint8Array> = {}) {
  const world = await createDetectorWorld(dynalite, { objects });
  const handler = createDetectDnsHandler(world.deps);
  const invoke = (event: unknown) =>
    handler(event, lambdaContext('detect-dns')) as Promise<LogDetectionReport | undefined>;
  return { ...world, invoke };
}

/** The value of `metric` in each EMF line that carries it, with its `detector` dimension. */
function metricValues(captured: CapturedOutput, metric: string): [unknown, unknown][] {
  return captured.metric(metric).map((line) => [line.detector, line[metric]]);
}

describe('detect-dns', () => {
  it('publishes a valid Threat Signal for a tunnel in a subscription batch, and counts what it read', async () => {
    // Prepare
    const world = await createWorld();
    const queries = tunnelQueries(1, { domain: 'exfil-tunnel.net', count: 250 });
    const output = captureOutput();

    // Act
    const report = await world.invoke(subscriptionEvent(queries.map((query) => query.raw)));

    // Assess
    const [signal, ...others] = world.published();
    expect(others).toEqual([]);
    expect(signal).toMatchObject({
      source: 'dns-log',
      detector: 'dns-tunnel',
      indicator: 'exfil-tunnel.net',
    });
    expect(v.safeParse(ThreatSignalSchema, signal).success).toBe(true);
    expect(report?.records).toBe(250);
    expect(metricValues(output, METRICS.logRecords)).toEqual([['dns', 250]]);
    expect(metricValues(output, METRICS.detectorSignals)).toEqual([['dns', 1]]);
  });

  it('keeps the window on the detector table: a tunnel split over two invocations is found by the second', async () => {
    // Prepare
    const world = await createWorld();
    const queries = tunnelQueries(2, { domain: 'exfil-tunnel.net', count: 250 });
    const first = subscriptionEvent(queries.slice(0, 125).map((query) => query.raw));
    const second = subscriptionEvent(queries.slice(125).map((query) => query.raw));
    captureOutput();

    // Act
    await world.invoke(first);
    const afterFirst = world.published().length;
    await world.invoke(second);

    // Assess
    expect(afterFirst).toBe(0);
    expect(world.published().map((signal) => signal.indicator)).toEqual(['exfil-tunnel.net']);
  });

  it('reads a gzip query-log file from S3, logs a malformed line with its position and reason, and goes on', async () => {
    // Prepare
    const queries = tunnelQueries(3, { domain: 'exfil-tunnel.net', count: 250 });
    const world = await createWorld({
      [`${LOGS_BUCKET}/${QUERY_KEY}`]: queryLogFile(queries, ['{"query_name": 5}']),
    });
    const output = captureOutput();

    // Act
    const report = await world.invoke(objectCreatedEvent(QUERY_KEY));

    // Assess
    expect(report).toMatchObject({ records: 251, malformed: { count: 1 } });
    expect(world.published()).toHaveLength(1);
    const [logged] = output.logs('malformed log record');
    expect(logged).toMatchObject({
      source: `s3://${LOGS_BUCKET}/${QUERY_KEY}`,
      position: 251,
      level: 'WARN',
    });
    expect(String(logged?.reason)).not.toBe('');
    expect(metricValues(output, METRICS.malformedLogRecords)).toEqual([['dns', 1]]);
  });

  it('throws when the bus keeps throttling, so that Lambda retries the invocation', async () => {
    // Prepare
    const world = await createWorld();
    world.eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const queries = tunnelQueries(4, { domain: 'exfil-tunnel.net', count: 250 });
    captureOutput();

    // Act
    const run = world.invoke(subscriptionEvent(queries.map((query) => query.raw)));

    // Assess
    await expect(run).rejects.toMatchObject({ retryable: true });
    expect(world.eventBridge.commandCalls(PutEventsCommand).length).toBeGreaterThan(1);
  });

  it('drops an event that is neither input, counting it as invalid, without failing the invocation', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    const report = await world.invoke({ source: 'aws.guardduty', detail: {} });

    // Assess
    expect(report).toBeUndefined();
    expect(output.metric(METRICS.invalidInputs).map((line) => line[METRICS.invalidInputs])).toEqual([1]);
    expect(output.logs('log detector input dropped: invalid')).toHaveLength(1);
  });
});
