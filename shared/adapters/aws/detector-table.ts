/**
 * The detector state table: the detectors' windowed counts, one item per key and bucket. This file is its
 * single definition, as plain data, for the CDK stack and the tests' CreateTable.
 *
 * | attribute | type | what                                                                              |
 * |-----------|------|-----------------------------------------------------------------------------------|
 * | `pk`      | S    | the detector's key (`dns-tunnel 10.0.1.5 example.com`), at most 1,024 bytes        |
 * | `sk`      | N    | the bucket's start, epoch milliseconds (event time)                                |
 * | `count`   | N    | records counted (`ADD`)                                                            |
 * | `bytes`   | N    | bytes counted (`ADD`)                                                              |
 * | `members` | SS   | distinct members (`ADD`), only while the set holds fewer than `maxMembers`; absent until the first member |
 * | `ttl`     | N    | epoch seconds: the end of the window that starts at this bucket, plus the retention |
 *
 * * A key's window is read with one Query on `pk`, newest bucket first (`ScanIndexForward: false`), at most
 *   `buckets` items: a window holds at most that many bucket starts, so those items include all of it.
 * * **TTL is in event time.** DynamoDB deletes an item some time (up to about 48 hours) after its `ttl`;
 *   the retention past the window's end keeps a bucket while late records can still land next to it.
 *   Logs replayed long after they were written may see their buckets deleted between calls: each call's own
 *   increments always count.
 * * **Item size.** Keys, members and `maxMembers` are bounded (see `#domain/detect/window`) so that an item
 *   stays well within DynamoDB's 400 KB.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { WindowIncrement, WindowShape } from '#domain/detect/window';

/** The table's shape and limits, for CDK and the tests' CreateTable. */
export const DETECTOR_TABLE = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'N' },
  billingMode: 'PAY_PER_REQUEST',
  timeToLiveAttribute: 'ttl',
  /** How long a bucket outlives the end of its window, for late records. */
  retentionSeconds: 2 * 86_400,
  /** The counters, the member set, and the set of inputs already counted (digests, see detector-state.ts). */
  attributes: { count: 'count', bytes: 'bytes', members: 'members', inputs: 'inputs' },
} as const;

/** The CreateTable request for the detector state table (PAY_PER_REQUEST). */
export function createDetectorTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = DETECTOR_TABLE;
  return {
    TableName: tableName,
    BillingMode: DETECTOR_TABLE.billingMode,
    AttributeDefinitions: [partitionKey, sortKey].map(({ name, type }) => ({
      AttributeName: name,
      AttributeType: type,
    })),
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
  };
}

/** The primary key of a key's bucket. */
export function bucketKey(increment: Pick<WindowIncrement, 'key' | 'bucketStart'>): {
  pk: string;
  sk: number;
} {
  return { pk: increment.key, sk: increment.bucketStart };
}

/** Epoch seconds when DynamoDB may delete a bucket: the end of the window starting at it, plus the retention. */
export function bucketTimeToLive(bucketStart: number, shape: WindowShape): number {
  return Math.ceil((bucketStart + shape.buckets * shape.bucketMs) / 1000) + DETECTOR_TABLE.retentionSeconds;
}
