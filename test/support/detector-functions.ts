/**
 * The detector functions' test world: the detector table on dynalite, S3 and EventBridge on aws-sdk-client-mock
 * (what a function publishes is read back from the PutEvents calls), and the environment as the stack sets it.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsDetectors } from '#shared/composition/detectors';
import { ENVIRONMENT, parseDetectorEnvironment } from '#shared/config/environment';
import type { ThreatSignalDetail } from '#shared/intake/threat-signal';
import type { Dynalite } from './dynalite';
import { lambdaEnvironment } from './lambda-events';

/** The warden bus and the feeds bucket of the tests. */
export const BUS_NAME = 'egress-warden';
export const FEEDS_BUCKET = 'egress-warden-feeds-123456789012';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

/** A detector function's environment on `detectorTable`, with `extra` variables. */
export function detectorEnvironment(
  detectorTable: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...lambdaEnvironment('decisions'),
    [ENVIRONMENT.detectorTable]: detectorTable,
    [ENVIRONMENT.bus]: BUS_NAME,
    ...extra,
  };
}

/**
 * A fresh detector table and decision table, S3 serving `objects` (`bucket/key` → bytes) and
 * listing them, EventBridge accepting every entry, and the detectors wired on them.
 */
export async function createDetectorWorld(
  dynalite: Dynalite,
  options: {
    objects?: Record<string, Uint8Array | (() => AsyncIterable<Uint8Array>)>;
    env?: Record<string, string>;
  } = {},
) {
  const tableName = await dynalite.createDetectorTable();
  // The domain baselines live on the decision table.
  const decisionTable = await dynalite.createTable();
  const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials });
  const s3Client = new S3Client({ region: 'us-east-1', credentials });
  const eventBridgeClient = new EventBridgeClient({ region: 'us-east-1', credentials });
  const s3 = mockClient(s3Client);
  const eventBridge = mockClient(eventBridgeClient);
  const objects = options.objects ?? {};
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const object = objects[`${input.Bucket}/${input.Key}`];
    if (!object) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: sdkStreamMixin(Readable.from([object], { objectMode: false })) };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string }) => ({
    Contents: Object.keys(objects)
      .filter((path) => path.startsWith(`${input.Bucket}/${input.Prefix}`))
      .map((path) => ({ Key: path.slice(input.Bucket.length + 1), ETag: '"1"', Size: 1 })),
    IsTruncated: false,
  }));
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, n) => ({ EventId: `event-${n}` })),
  }));
  const environment = parseDetectorEnvironment(
    detectorEnvironment(tableName, { [ENVIRONMENT.table]: decisionTable, ...options.env }),
  );
  const deps = createAwsDetectors(environment, { s3: s3Client, dynamodb, eventBridge: eventBridgeClient });
  /** Every signal put on the bus so far, as the entries' details. */
  const published = (): ThreatSignalDetail[] =>
    eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => JSON.parse(entry.Detail ?? '{}') as ThreatSignalDetail);
  return { deps, s3, eventBridge, published, tableName, dynamodb };
}
