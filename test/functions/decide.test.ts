/**
 * The `decide` function through its real middy chain: the sample events under events/ as SQS records, the
 * DynamoDB store on dynalite, SNS on a stateful fake. Powertools' log and EMF lines are read from stdout.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '#adapters/in-memory/clock';
import type { VpcCidrsRecord } from '#ports/decision-store';
import { createAwsCore } from '#shared/composition/aws';
import { ENVIRONMENT, parseEnvironment } from '#shared/config/environment';
import { METRICS } from '#shared/runtime/observability';
import { createDecideHandler } from '../../functions/decide/handler';
import { EVENTS_DIR, loadEvent, type ManualEvent } from '../support/events';
import { fakeSns } from '../support/fakes/sns';
import { useFunctionHooks } from '../support/function-hooks';
import {
  ACL_ID,
  lambdaContext,
  lambdaEnvironment,
  messageIdOf,
  sqsEventOf,
  sqsRecord,
  TEST_CONFIG,
  VPC_ID,
} from '../support/lambda-events';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START = new Date('2026-11-28T10:00:00.000Z');
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const SAMPLES = ['guardduty', 'manual', 'detectors', 'invalid'].flatMap((folder) =>
  readdirSync(`${EVENTS_DIR}${folder}`)
    .sort()
    .map((file) => `${folder}/${file}`),
);
const INVALID = SAMPLES.filter(
  (path) => path.startsWith('invalid/') && path !== 'invalid/manual-block-everything.json',
);

const { dynalite, captureOutput } = useFunctionHooks();

/** A fresh table, a fake SNS and the handler on them, the clock at START. */
async function createWorld(variables: Record<string, string> = {}) {
  const tableName = await dynalite.createTable();
  const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  const snsClient = new SNSClient({ region: 'us-east-1', credentials });
  const sns = fakeSns(mockClient(snsClient));
  const core = createAwsCore(parseEnvironment({ ...lambdaEnvironment(tableName), ...variables }), {
    dynamodb,
    sns: snsClient,
    clock: new ManualClock(START),
  });
  const handler = createDecideHandler(core);
  const invoke = (event: SQSEvent, requestId?: string) =>
    handler(event, lambdaContext('decide', requestId)) as Promise<SQSBatchResponse>;
  return { core, dynamodb, sns, invoke };
}

/** Makes every PutItem whose request names `partitionKey` fail as throttled, until the returned function is called. */
function throttlePutItem(dynamodb: DynamoDBClient, partitionKey: string): () => void {
  const name = `throttle-${partitionKey}`;
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: string | Uint8Array };
      const target = request.headers?.['x-amz-target'] ?? '';
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      if (target.endsWith('.PutItem') && body.includes(JSON.stringify(partitionKey))) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: 'build', name },
  );
  return () => dynamodb.middlewareStack.remove(name);
}

describe('decide', () => {
  it('decides every sample event of a batch and drops the invalid ones without failing the batch', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    const response = await world.invoke(sqsEventOf(SAMPLES));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const statusOf = async (key: string) => (await world.core.store.get(key))?.status;
    expect({
      c2Domain: await statusOf('guarddutyc2activityb.com'),
      c2Ip: await statusOf('198.51.100.77/32'),
      tunnel: await statusOf('x7f3a9.tunnel-example.org'),
      permanentCidr: await statusOf('198.51.100.128/25'),
      unblocked: await statusOf('203.0.113.45/32'),
      allowlisted: await statusOf('telemetry.partner-cdn.example.net'),
      injected: await statusOf('evil.example.org'),
    }).toEqual({
      c2Domain: 'active',
      c2Ip: 'active',
      tunnel: 'active',
      permanentCidr: 'active',
      unblocked: 'unblocked',
      allowlisted: undefined,
      injected: undefined,
    });
    const dropped = output.logs('Invalid input dropped');
    expect(dropped.map((line) => line.messageId)).toEqual(INVALID.map(messageIdOf));
    expect(output.metric(METRICS.invalidInputs).map((line) => line[METRICS.invalidInputs])).toEqual([
      INVALID.map(() => 1),
    ]);
    expect(world.sns.published.length).toBeGreaterThan(0);
  });

  it('sends the alerts of a burst as one digest once the batch is done, and notes it in each audit trail', async () => {
    // Prepare
    const world = await createWorld();
    captureOutput();

    // Act
    await world.invoke(sqsEventOf(SAMPLES));

    // Assess
    const subjects = world.sns.published.map((message) => message.subject ?? '');
    const digests = subjects.filter((subject) => subject.startsWith('[Egress Warden] DIGEST of '));
    expect(digests).toHaveLength(1);
    expect(subjects.filter((subject) => subject.startsWith('[Egress Warden] BLOCKED'))).toEqual([]);
    const trail = await world.core.store.listAudit('guarddutyc2activityb.com');
    expect(trail.filter((record) => record.event === 'alerted')).toEqual([
      expect.objectContaining({ actor: 'egress-warden', reason: digests[0] }),
    ]);
  });

  it('sends the few alerts of a small batch each on its own, with the undo command on the real bus', async () => {
    // Prepare
    const world = await createWorld({ [ENVIRONMENT.bus]: 'EgressWarden-bus' });

    // Act
    await world.invoke(sqsEventOf(['guardduty/c2-domain.json']));

    // Assess
    const [alert] = world.sns.published;
    expect(world.sns.published).toHaveLength(1);
    expect(alert?.subject).toMatch(
      /^\[Egress Warden\] (BLOCKED|WOULD BLOCK) guarddutyc2activityb\.com \(C2 domain, severity /,
    );
    expect(alert?.message).toContain('"EventBusName":"EgressWarden-bus"');
  });

  it('fails only the record whose write stays throttled, and decides it when SQS delivers it again', async () => {
    // Prepare
    const world = await createWorld();
    const paths = ['guardduty/c2-domain.json', 'guardduty/c2-ip-outbound.json', 'manual/block-request.json'];
    const recover = throttlePutItem(world.dynamodb, 'IND#guarddutyc2activityb.com');
    const output = captureOutput();

    // Act
    const first = await world.invoke(sqsEventOf(paths));
    recover();
    const retried = await world.invoke(sqsEventOf(['guardduty/c2-domain.json']));

    // Assess
    expect(first).toEqual({
      batchItemFailures: [{ itemIdentifier: messageIdOf('guardduty/c2-domain.json') }],
    });
    expect(output.logs('Record failed; it will be retried')).toMatchObject([
      { messageId: messageIdOf('guardduty/c2-domain.json'), error: { name: 'ThrottledError' } },
    ]);
    expect(retried).toEqual({ batchItemFailures: [] });
    expect((await world.core.store.get('guarddutyc2activityb.com'))?.status).toBe('active');
    expect((await world.core.store.get('198.51.100.77/32'))?.status).toBe('active');
  });

  it('pauses on a Pause request from the queue, logging who and why', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    const response = await world.invoke(sqsEventOf(['manual/pause.json']));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await world.core.store.getPause()).paused).toBe(true);
    expect(output.logs('Pause changed')).toMatchObject([
      { pause: { outcome: 'paused', requestedBy: 'arn:aws:iam::123456789012:user/bob' } },
    ]);
  });

  it('drops a body that is not JSON and logs InvalidInputError with the reason', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();
    const event = {
      Records: [
        sqsRecord('{"detail-type": "Block Request",', 'not-json'),
        ...sqsEventOf(['manual/block-request.json']).Records,
      ],
    };

    // Act
    const response = await world.invoke(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(output.logs('Invalid input dropped')).toMatchObject([
      {
        messageId: 'not-json',
        reason: expect.stringMatching(/^body: is not valid JSON/),
        error: { name: 'InvalidInputError', field: 'body' },
      },
    ]);
  });

  it('logs a rejected request under the error name InvalidInputError, with the field and the reason', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    await world.invoke(sqsEventOf(['invalid/manual-missing-requested-by.json']));

    // Assess
    expect(output.logs('Invalid input dropped')).toMatchObject([
      {
        level: 'WARN',
        service: 'egress-warden',
        eventId: '9a3f5d4b-6c0e-4f88-8d4b-4e5f6a7b8c04',
        reason: 'detail.requestedBy: is required',
        error: { name: 'InvalidInputError', field: 'detail.requestedBy', retryable: false },
      },
    ]);
  });

  it('puts the decision, the indicator and the request id on every line about a decision', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    await world.invoke(
      sqsEventOf(['guardduty/c2-domain.json', 'guardduty/medium-severity-drop-point.json']),
      'req-1',
    );

    // Assess
    const decided = output.logs('Signal decided');
    expect(decided).toMatchObject([
      {
        function_request_id: 'req-1',
        messageId: messageIdOf('guardduty/c2-domain.json'),
        eventId: '6d0c2a1e-3f7b-4c55-9a1e-1b2c3d4e5f01',
        indicator: 'guarddutyc2activityb.com',
        decision: { outcome: 'blocked', source: 'guardduty', targets: ['dnsFirewall', 'networkFirewall'] },
      },
      {
        function_request_id: 'req-1',
        indicator: 'uploads.droppoint-example.org',
        decision: { outcome: 'skipped', skipReason: 'below-threshold' },
      },
    ]);
  });

  it('publishes signals by source, decisions by outcome and skips by reason as EMF', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    await world.invoke(sqsEventOf(['guardduty/c2-domain.json', 'guardduty/medium-severity-drop-point.json']));

    // Assess
    const metricOf = (name: string, dimension: string) =>
      output
        ?.metric(name)
        .map((line) => ({ [dimension]: line[dimension], value: line[name], service: line.service }));
    expect(metricOf(METRICS.signals, 'source')).toEqual([
      { source: 'guardduty', value: 1, service: 'egress-warden' },
      { source: 'guardduty', value: 1, service: 'egress-warden' },
    ]);
    expect(metricOf(METRICS.decisions, 'outcome')).toEqual([
      { outcome: 'blocked', value: 1, service: 'egress-warden' },
      { outcome: 'skipped', value: 1, service: 'egress-warden' },
    ]);
    expect(metricOf(METRICS.skips, 'reason')).toEqual([
      { reason: 'below-threshold', value: 1, service: 'egress-warden' },
    ]);
    expect(output.metric(METRICS.signals)[0]?._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'EgressWarden', Dimensions: [['service', 'source']] }],
    });
  });
});

describe('decide with a VPC whose CIDRs the enforce function records', () => {
  const config = { ...TEST_CONFIG, vpcs: [{ vpcId: VPC_ID, networkAcls: [ACL_ID] }] };

  /** The handler on a configuration that lists no CIDRs, with `record` in the table when given. */
  async function createRecordedWorld(record?: VpcCidrsRecord) {
    const tableName = await dynalite.createTable();
    const snsClient = new SNSClient({ region: 'us-east-1', credentials });
    fakeSns(mockClient(snsClient));
    const core = createAwsCore(parseEnvironment(lambdaEnvironment(tableName, config)), {
      dynamodb: new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials }),
      sns: snsClient,
      clock: new ManualClock(START),
    });
    if (record) await core.store.putVpcCidrs(record);
    const handler = createDecideHandler(core);
    return {
      core,
      invoke: (event: SQSEvent) => handler(event, lambdaContext('decide')) as Promise<SQSBatchResponse>,
    };
  }

  /** A manual Block Request for `indicator`. */
  function blockRequest(indicator: string): SQSEvent {
    const event = loadEvent<ManualEvent>('manual/block-request.json');
    event.detail = { ...event.detail, indicator };
    return { Records: [sqsRecord(JSON.stringify(event), 'inside-vpc')] };
  }

  it('never blocks an address of the VPC, read from the recorded CIDRs', async () => {
    // Prepare
    const world = await createRecordedWorld({
      vpcIds: [VPC_ID],
      cidrs: ['10.20.0.0/16'],
      readAt: START.toISOString(),
    });
    const output = captureOutput();

    // Act
    const response = await world.invoke(blockRequest('10.20.5.5'));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(output.logs('Signal decided')).toMatchObject([
      { indicator: '10.20.5.5/32', decision: { outcome: 'skipped', skipReason: 'guard-rail' } },
    ]);
    expect((await world.core.store.get('10.20.5.5/32'))?.status).toBeUndefined();
  });

  it.each([
    ['no record yet', undefined],
    [
      'a record of other VPCs',
      { vpcIds: ['vpc-0f1e2d3c4b5a69788'], cidrs: ['10.30.0.0/16'], readAt: START.toISOString() },
    ],
  ])('fails the whole invocation, dropping nothing and deciding nothing, with %s', async (_, record) => {
    // Prepare
    const world = await createRecordedWorld(record);
    const output = captureOutput();

    // Act
    const run = world.invoke(blockRequest('203.0.113.9'));

    // Assess
    await expect(run).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      retryable: true,
      message: expect.stringMatching(/CIDRs of vpc-0a1b2c3d4e5f60718 are not known yet/),
    });
    expect(output.logs('Invalid input dropped')).toEqual([]);
    expect(await world.core.store.get('203.0.113.9/32')).toBeUndefined();
  });
});

describe('decide when every record fails', () => {
  it('fails the invocation, so SQS retries the whole batch and the function errors are counted', async () => {
    // Prepare
    const world = await createWorld();
    throttlePutItem(world.dynamodb, 'IND#guarddutyc2activityb.com');
    captureOutput();

    // Act
    const run = world.invoke(sqsEventOf(['guardduty/c2-domain.json']));

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'FullBatchFailureError' });
    expect(await world.core.store.get('guarddutyc2activityb.com')).toBeUndefined();
  });
});

describe('decide bundled for Lambda', () => {
  it('keeps the error name InvalidInputError through minification with keepNames, as the bundles are built', async () => {
    // Prepare
    const entry = "export { InvalidInputError } from './shared/domain/errors.ts';";
    const bundle = async (keepNames: boolean) => {
      const { outputFiles } = await build({
        stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
        bundle: true,
        minify: true,
        keepNames,
        format: 'esm',
        write: false,
      });
      const code = outputFiles[0]?.text ?? '';
      const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
      return new module.InvalidInputError('is required', 'detail.requestedBy').name as string;
    };

    // Act
    const names = { keepNames: await bundle(true), without: await bundle(false) };

    // Assess
    expect(names.keepNames).toBe('InvalidInputError');
    expect(names.without).not.toBe('InvalidInputError');
  });
});

describe('decide at cold start', () => {
  it('fails to load with a message naming the variable that is wrong', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv(ENVIRONMENT.topic, 'not-an-arn');

    // Act
    const loading = import('../../functions/decide/handler');

    // Assess
    await expect(loading).rejects.toThrow(/^ALERT_TOPIC_ARN: must be an SNS topic ARN/);
  });
});
