/**
 * Faults, duplicates and reordering under the `decide` function, through its real middy chain and the
 * Powertools batch processor: the decision table on dynalite behind a client that refuses chosen requests, SNS
 * on the stateful fake. Every test asserts what a user cares about: one decision and one alert per threat
 * however often it arrives, nothing lost when a call fails, and the failure visible.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  InternalErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '#adapters/in-memory/clock';
import { createAwsCore } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { createDecideHandler } from '../../functions/decide/handler';
import { loadEvent } from '../support/events';
import { beforeFirst, failDynamoDb } from '../support/fakes/failing-dynamodb';
import { fakeSns } from '../support/fakes/sns';
import { useFunctionHooks } from '../support/function-hooks';
import { lambdaContext, lambdaEnvironment, sqsRecord } from '../support/lambda-events';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const START = new Date('2026-11-28T10:00:00.000Z');
const HOUR = 3_600_000;
const C2_DOMAIN = 'guarddutyc2activityb.com';
const MANUAL_IP = '203.0.113.45/32';
const C2_IP = '198.51.100.77/32';
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

const { dynalite, captureOutput } = useFunctionHooks();

/** A fresh table, SNS on the fake (holding the topic unless `topicGone`), and the handler on them. */
async function createWorld(options: { readonly topicGone?: boolean } = {}) {
  const tableName = await dynalite.createTable();
  const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  const snsClient = new SNSClient({ region: 'us-east-1', credentials });
  const sns = fakeSns(mockClient(snsClient), options.topicGone ? [] : undefined);
  const clock = new ManualClock(START);
  const core = createAwsCore(parseEnvironment(lambdaEnvironment(tableName)), {
    dynamodb,
    sns: snsClient,
    clock,
  });
  const handler = createDecideHandler(core);
  const invoke = (event: SQSEvent) => handler(event, lambdaContext('decide')) as Promise<SQSBatchResponse>;
  /** The audit events of `key`, sorted so that 'blocked' comes before 'alerted'. */
  const trail = async (key: string) =>
    (await core.store.listAudit(key))
      .map((record) => record.event)
      .sort()
      .reverse();
  /** The alerts published about `indicator` (its own or in a digest). */
  const alertsAbout = (indicator: string) =>
    sns.published.filter((message) => `${message.subject}\n${message.message}`.includes(indicator));
  return { core, clock, dynamodb, sns, invoke, trail, alertsAbout };
}

/** An SQS record of `event` with a fresh message id unless given. */
function recordOf(event: unknown, messageId?: string) {
  return sqsRecord(JSON.stringify(event), messageId);
}

/** The C2-domain finding as GuardDuty re-publishes it: a new event id, the same finding (and evidence). */
function republished(): unknown {
  const event = loadEvent('guardduty/c2-domain.json');
  event.id = randomUUID();
  return event;
}

describe('decide with duplicate, reordered and late events', () => {
  it('makes one decision and one alert of the same finding ten times in one batch', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();
    const batch = { Records: Array.from({ length: 10 }, () => recordOf(republished())) };

    // Act
    const response = await world.invoke(batch);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alerted']);
    expect((await world.core.store.get(C2_DOMAIN))?.status).toBe('active');
    expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(1);
    const outcomes = output
      .logs('Signal decided')
      .map((line) => (line.decision as { outcome: string }).outcome);
    expect(outcomes).toEqual(['blocked', ...Array.from({ length: 9 }, () => 'skipped')]);
  });

  it('makes one decision and one alert of the same finding in ten batches, an hour apart', async () => {
    // Prepare
    const world = await createWorld();
    captureOutput();

    // Act
    const responses: SQSBatchResponse[] = [];
    for (let batch = 0; batch < 10; batch++) {
      responses.push(await world.invoke({ Records: [recordOf(republished())] }));
      world.clock.advance(HOUR / 4);
    }

    // Assess
    expect(responses.every((response) => response.batchItemFailures.length === 0)).toBe(true);
    expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alerted']);
    expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(1);
  });

  it('decides an SQS message delivered twice (at-least-once) once', async () => {
    // Prepare
    const world = await createWorld();
    const message = recordOf(loadEvent('manual/block-request.json'), 'msg-delivered-twice');

    // Act
    const first = await world.invoke({ Records: [message] });
    world.clock.advance(30_000);
    const again = await world.invoke({ Records: [message] });

    // Assess
    expect([first, again]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await world.trail(MANUAL_IP)).toEqual(['blocked', 'alerted']);
    expect(world.alertsAbout('203.0.113.45')).toHaveLength(1);
  });

  it('leaves an indicator unblocked when its unblock request arrives before the block request made earlier', async () => {
    // Prepare
    const world = await createWorld();
    const block = loadEvent('manual/block-request.json');
    const unblock = loadEvent('manual/unblock-request.json');

    // Act: the operator blocked at 09:35 and unblocked at 09:40; SQS delivers the unblock first.
    await world.invoke({ Records: [recordOf(unblock)] });
    await world.invoke({ Records: [recordOf(block)] });

    // Assess
    const decision = await world.core.store.get(MANUAL_IP);
    expect(decision?.status === 'active').toBe(false);
    expect(await world.core.store.listActiveBlocks()).toEqual([]);
  });

  it('does not block again on a finding delivered late, after the block it caused expired', async () => {
    // Prepare
    const world = await createWorld();
    const finding = loadEvent('guardduty/c2-domain.json');
    await world.invoke({ Records: [recordOf(finding)] });
    const { expiresAt } = (await world.core.store.get(C2_DOMAIN)) ?? {};
    world.clock.advance(Date.parse(expiresAt ?? '') - START.getTime() + HOUR);

    // Act: the same finding, observed before the expiry, delivered again now.
    const response = await world.invoke({ Records: [recordOf(finding)] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await world.core.store.get(C2_DOMAIN))?.expiresAt).toBe(expiresAt);
    expect((await world.trail(C2_DOMAIN)).filter((event) => event === 'blocked')).toHaveLength(1);
    expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(1);
  });
});

describe('decide under faults', () => {
  it('records and keeps the decisions when the SNS topic is gone, and makes the failure visible', async () => {
    // Prepare
    const world = await createWorld({ topicGone: true });
    const output = captureOutput();
    const paths = ['guardduty/c2-domain.json', 'manual/block-request.json'];

    // Act
    const response = await world.invoke({ Records: paths.map((path) => recordOf(loadEvent(path))) });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await world.core.store.listActiveBlocks()).map((block) => block.key).sort()).toEqual([
      MANUAL_IP,
      C2_DOMAIN,
    ]);
    expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alert-failed']);
    expect(await world.trail(MANUAL_IP)).toEqual(['blocked', 'alert-failed']);
    expect(output.logs('Alerts not sent')).toMatchObject([{ level: 'ERROR' }]);
    expect(JSON.stringify(output.logs('Alerts not sent'))).toContain('NotFound');
  });

  const SNS_FAULTS = [
    {
      fault: 'ThrottledException',
      make: () => new ThrottledException({ $metadata: {}, message: 'Rate exceeded' }),
    },
    {
      fault: 'InternalErrorException',
      make: () => new InternalErrorException({ $metadata: {}, message: 'Internal error' }),
    },
    {
      fault: 'NotFoundException',
      make: () => new NotFoundException({ $metadata: {}, message: 'Topic gone' }),
    },
  ];

  it.each(SNS_FAULTS)('keeps the decision when SNS Publish fails twice with $fault', async ({ make }) => {
    // Prepare
    const world = await createWorld();
    world.sns.failNext(PublishCommand, make, 2);
    const output = captureOutput();

    // Act
    const response = await world.invoke({ Records: [recordOf(loadEvent('guardduty/c2-domain.json'))] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await world.core.store.get(C2_DOMAIN))?.status).toBe('active');
    const trail = await world.trail(C2_DOMAIN);
    // Throttling is retried and the alert goes out; any other failure is recorded and logged, never retried
    // (a retried record would only be a duplicate).
    expect(trail).toEqual(['blocked', make().name === 'ThrottledException' ? 'alerted' : 'alert-failed']);
    expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(trail.includes('alerted') ? 1 : 0);
    expect(output.logs('Alerts not sent')).toHaveLength(trail.includes('alerted') ? 0 : 1);
  });

  const TABLE_FAULTS = [
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'InternalServerError',
  ].flatMap((code) => ['GetItem', 'PutItem'].map((operation) => ({ operation, code })));

  it.each(TABLE_FAULTS)(
    'decides once, the same batch or its redelivery, when $operation fails twice with $code',
    async ({ operation, code }) => {
      // Prepare
      const world = await createWorld();
      const fault = failDynamoDb(world.dynamodb, { operation, code, times: 2 });
      const batch = {
        Records: ['guardduty/c2-domain.json', 'manual/block-request.json'].map((path) =>
          recordOf(loadEvent(path), `msg-${path}`),
        ),
      };
      const output = captureOutput();

      // Act: SQS redelivers the records the response lists, until none is left.
      const responses: SQSBatchResponse[] = [];
      let pending = batch.Records;
      for (let delivery = 0; delivery < 3 && pending.length > 0; delivery++) {
        // A batch whose every record failed fails the invocation: SQS then retries every record.
        const response = await world.invoke({ Records: pending }).catch(() => ({
          batchItemFailures: pending.map((record) => ({ itemIdentifier: record.messageId })),
        }));
        responses.push(response);
        const retried = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        pending = pending.filter((record) => retried.has(record.messageId));
        world.clock.advance(30_000);
      }

      // Assess
      fault.recover();
      expect(pending).toEqual([]);
      expect(fault.failed).toBe(2);
      expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alerted']);
      expect(await world.trail(MANUAL_IP)).toEqual(['blocked', 'alerted']);
      expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(1);
      const retriedRecords = responses.slice(0, -1).flatMap((response) => response.batchItemFailures);
      expect(output.logs('Record failed; it will be retried')).toHaveLength(retriedRecords.length);
    },
  );

  it('retries a conditional write on the breaker lost to another block, counting both blocks', async () => {
    // Prepare
    const world = await createWorld();
    const other = recordOf(loadEvent('guardduty/c2-ip-outbound.json'));
    const raced = beforeFirst(world.dynamodb, { operation: 'PutItem', bodyContains: '"BREAKER"' }, () =>
      world.invoke({ Records: [other] }),
    );

    // Act
    const response = await world.invoke({ Records: [recordOf(loadEvent('guardduty/c2-domain.json'))] });

    // Assess
    expect(raced.ran).toBe(true);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alerted']);
    expect(await world.trail(C2_IP)).toEqual(['blocked', 'alerted']);
    expect((await world.core.store.getBreaker()).recentBlocks.map((entry) => entry.count)).toEqual([2]);
  });

  it('retries a conditional write on the decision lost to the same finding decided elsewhere: one block, one alert', async () => {
    // Prepare
    const world = await createWorld();
    const raced = beforeFirst(
      world.dynamodb,
      { operation: 'PutItem', bodyContains: `"IND#${C2_DOMAIN}"` },
      () => world.invoke({ Records: [recordOf(republished())] }),
    );

    // Act
    const response = await world.invoke({ Records: [recordOf(republished())] });

    // Assess
    expect(raced.ran).toBe(true);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await world.trail(C2_DOMAIN)).toEqual(['blocked', 'alerted']);
    expect((await world.core.store.get(C2_DOMAIN))?.status).toBe('active');
    expect(world.alertsAbout(C2_DOMAIN)).toHaveLength(1);
  });
});
