/**
 * Lambda events and contexts for the function tests: sample events wrapped as the SQS records EventBridge
 * delivers to `decide`, decision items as the DynamoDB stream records `enforce` receives, the schedule's
 * event, and the JSON lines Powertools writes, captured from stdout and stderr.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  Context,
  DynamoDBStreamEvent,
  ScheduledEvent,
  SQSEvent,
  SQSRecord,
  AttributeValue as StreamAttributeValue,
} from 'aws-lambda';
import { vi } from 'vitest';
import { ENVIRONMENT } from '#shared/config/environment';
import { loadEvent } from './events';
import { RULE_GROUP_ARN } from './fakes/network-firewall';
import { DOMAIN_LIST_ID } from './fakes/route53-resolver';
import { TOPIC_ARN } from './fakes/sns';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:egress-warden-decide`;

/** The VPC and ACL of the test deployment. */
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
export const ACL_ID = 'acl-0123456789abcdef0';

/** A deployment configuration like the simulation's: every target enforcing, a partner domain allowlisted. */
export const TEST_CONFIG = {
  vpcs: [{ vpcId: VPC_ID, cidrs: ['10.20.0.0/16'], networkAcls: [ACL_ID] }],
  targets: { networkFirewall: { capacity: 100 } },
  policy: {
    allowlist: { domains: ['partner-cdn.example.net'] },
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce', domainRules: true },
    },
  },
};

/** The functions' environment as the stack sets it, on `tableName` and the fakes' resources. */
export function lambdaEnvironment(tableName: string, config: unknown = TEST_CONFIG): Record<string, string> {
  return {
    [ENVIRONMENT.config]: JSON.stringify(config),
    [ENVIRONMENT.table]: tableName,
    [ENVIRONMENT.topic]: TOPIC_ARN,
    [ENVIRONMENT.domainList]: DOMAIN_LIST_ID,
    [ENVIRONMENT.ruleGroup]: RULE_GROUP_ARN,
  };
}

/** A Lambda context as the runtime passes it, with a fresh request id unless given. */
export function lambdaContext(functionName: string, awsRequestId: string = randomUUID()): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/28/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** One SQS record holding `body` as EventBridge's SQS target delivers it, with a fresh message id unless given. */
export function sqsRecord(body: string, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795860000000',
      SenderId: 'AIDAEXAMPLEEVENTBRIDGE',
      ApproximateFirstReceiveTimestamp: '1795860000001',
    },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: REGION,
  };
}

/** The sample events at `paths` (`guardduty/c2-domain.json`, …), one SQS record each, message id `msg-<path>`. */
export function sqsEventOf(paths: readonly string[]): SQSEvent {
  return { Records: paths.map((path) => sqsRecord(JSON.stringify(loadEvent(path)), messageIdOf(path))) };
}

/** The message id {@link sqsEventOf} gives the record of `path`. */
export function messageIdOf(path: string): string {
  return `msg-${path}`;
}

/** Decision items (as DynamoDB returns them) as one stream batch of INSERTs, with new and old images. */
export function streamEventOf(items: readonly Record<string, AttributeValue>[]): DynamoDBStreamEvent {
  return {
    Records: items.map((item, i) => ({
      eventID: `stream-${i}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/decisions/stream/2026-11-28T00:00:00.000`,
      dynamodb: {
        // The SDK's and the stream's AttributeValue types describe the same JSON.
        Keys: { pk: item.pk, sk: item.sk } as Record<string, StreamAttributeValue>,
        NewImage: item as Record<string, StreamAttributeValue>,
        SequenceNumber: String(100 + i),
        SizeBytes: 512,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    })),
  };
}

/** The event an EventBridge schedule rule sends at `time`. */
export function scheduledEvent(time: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/egress-warden-enforce-every-minute`],
    detail: {},
  };
}

/** The JSON lines written to stdout and stderr while capturing (Powertools logs and EMF metrics). */
export interface CapturedOutput {
  /** Every line that parsed as a JSON object, in order. */
  lines(): Record<string, unknown>[];
  /** The EMF lines that publish `metric`. */
  metric(metric: string): Record<string, unknown>[];
  /** The log lines whose `message` is `message`. */
  logs(message: string): Record<string, unknown>[];
  restore(): void;
}

/** Starts capturing what is written to stdout and stderr (nothing reaches the terminal until `restore`). */
export function captureOutput(): CapturedOutput {
  const written: string[] = [];
  const capture = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const lines = (): Record<string, unknown>[] =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    lines,
    metric: (metric) =>
      lines().filter((line) => {
        const aws = line._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined;
        return aws?.CloudWatchMetrics?.some((set) => set.Metrics.some((m) => m.Name === metric)) ?? false;
      }),
    logs: (message) => lines().filter((line) => line.message === message),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
