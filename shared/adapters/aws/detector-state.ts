import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { bucketKey, bucketTimeToLive, DETECTOR_TABLE } from '#adapters/aws/detector-table';
import { CONDITION_FAILED, callDynamoDb, type DynamoDbCallOptions } from '#adapters/aws/dynamodb-calls';
import { awsErrorCode } from '#adapters/aws/errors';
import { inParallel } from '#adapters/aws/in-parallel';
import {
  checkIncrements,
  totalOf,
  type WindowBucket,
  type WindowIncrement,
  type WindowShape,
  type WindowTotal,
} from '#domain/detect/window';
import { InvalidInputError } from '#domain/errors';
import type { DetectorStateStore } from '#ports/detector-state';

/** Options of the DynamoDB detector state store. */
export interface DynamoDbDetectorStateStoreOptions {
  /** A document client (a JavaScript Set of strings is written as a string set). */
  readonly client: DynamoDBDocumentClient;
  /** A table built from `createDetectorTableInput` / `DETECTOR_TABLE`. */
  readonly tableName: string;
  /** Requests in flight at once, writes and reads alike. Default 16. */
  readonly concurrency?: number;
  /** Attempts per request when DynamoDB throttles (first included, SDK retries aside). Default 4. */
  readonly maxAttempts?: number;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic. */
  readonly random?: () => number;
}

const { count: COUNT, bytes: BYTES, members: MEMBERS, inputs: INPUTS } = DETECTOR_TABLE.attributes;

/**
 * The detector state on one DynamoDB table (layout in detector-table.ts).
 *
 * * Every increment is one atomic UpdateItem: `ADD` to `count` and `bytes`, and to the `members` string set
 *   on condition that the set holds fewer than `maxMembers`; when that condition fails the increment is sent
 *   again without its members, so counts are never lost. No members, no set: DynamoDB refuses an empty one.
 *   Concurrent writers to one key add up; nothing is read before writing.
 * * Then one consistent Query per touched key reads its newest `buckets` items, and `totalOf` sums the
 *   window ending at the newest one. Requests run at most `concurrency` at a time.
 * * Increments are checked (`checkIncrements`) before anything is sent: InvalidInputError naming the field.
 * * Throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`, `RequestLimitExceeded`) is
 *   retried with backoff (on top of the SDK client's own retries), then ThrottledError; increments already
 *   written stay written. A caller that names its input counts each of them once when it retries the whole
 *   input: each bucket keeps a digest of every input added to it, and an update for an input it holds fails
 *   its condition and adds nothing. Without an input, a retried batch counts twice. A missing table is
 *   TargetNotFoundError, `ValidationException` InvalidInputError; anything else is rethrown as raised.
 */
export class DynamoDbDetectorStateStore implements DetectorStateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #concurrency: number;
  readonly #calls: DynamoDbCallOptions;

  constructor(options: DynamoDbDetectorStateStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#concurrency = options.concurrency ?? 16;
    this.#calls = {
      tableName: options.tableName,
      maxAttempts: options.maxAttempts ?? 4,
      sleep: options.sleep,
      random: options.random,
    };
    if (!Number.isSafeInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${this.#concurrency}`, 'concurrency');
    }
  }

  async addAndTotal(
    increments: readonly WindowIncrement[],
    window: WindowShape,
    input?: string,
  ): Promise<WindowTotal[]> {
    checkIncrements(increments, window);
    // A short digest keeps the bucket's set of inputs small; a collision would only skip one input's increment.
    const inputId =
      input === undefined ? undefined : createHash('sha256').update(input).digest('base64url').slice(0, 16);
    await inParallel(increments, this.#concurrency, (increment) => this.#add(increment, window, inputId));
    const touched = [...new Set(increments.map((increment) => increment.key))];
    const totals = await inParallel(touched, this.#concurrency, async (key) => {
      const stored = await this.#newestBuckets(key, window.buckets);
      // Only a TTL deletion racing this call leaves nothing stored: its own increments still count.
      const buckets = stored.length > 0 ? stored : increments.filter((increment) => increment.key === key);
      return totalOf(key, buckets, window);
    });
    return totals.filter((total): total is WindowTotal => total !== undefined);
  }

  /**
   * One atomic UpdateItem; again without members when the bucket's set is full. With `inputId`, the update
   * also records the input in the bucket's `inputs` set, on condition that it is not there yet: a retried
   * input whose increment was already written finds its condition failed twice, and adds nothing.
   */
  async #add(increment: WindowIncrement, window: WindowShape, inputId: string | undefined): Promise<void> {
    const once = inputId === undefined ? undefined : 'NOT contains(#inputs, :input)';
    const base: UpdateCommandInput = {
      TableName: this.#tableName,
      Key: bucketKey(increment),
      UpdateExpression: `ADD #count :count, #bytes :bytes${once ? ', #inputs :inputs' : ''} SET #ttl = :ttl`,
      ExpressionAttributeNames: {
        '#count': COUNT,
        '#bytes': BYTES,
        '#ttl': DETECTOR_TABLE.timeToLiveAttribute,
        ...(once ? { '#inputs': INPUTS } : {}),
      },
      ExpressionAttributeValues: {
        ':count': increment.count,
        ':bytes': increment.bytes,
        ':ttl': bucketTimeToLive(increment.bucketStart, window),
        ...(inputId ? { ':input': inputId, ':inputs': new Set([inputId]) } : {}),
      },
      ...(once ? { ConditionExpression: once } : {}),
    };
    if (increment.members.length > 0) {
      const full = 'attribute_not_exists(#members) OR size(#members) < :maxMembers';
      try {
        await this.#call('UpdateItem', () =>
          this.#client.send(
            new UpdateCommand({
              ...base,
              UpdateExpression: base.UpdateExpression?.replace(' SET', ', #members :members SET'),
              ConditionExpression: once ? `(${full}) AND ${once}` : full,
              ExpressionAttributeNames: { ...base.ExpressionAttributeNames, '#members': MEMBERS },
              ExpressionAttributeValues: {
                ...base.ExpressionAttributeValues,
                ':members': new Set(increment.members),
                ':maxMembers': window.maxMembers,
              },
            }),
          ),
        );
        return;
      } catch (error) {
        // The set is full (or an earlier writer filled it): count without members.
        if (awsErrorCode(error) !== CONDITION_FAILED) throw error;
      }
    }
    try {
      await this.#call('UpdateItem', () => this.#client.send(new UpdateCommand(base)));
    } catch (error) {
      // Only the input's condition can fail here: this input's increment is already counted.
      if (!(once && awsErrorCode(error) === CONDITION_FAILED)) throw error;
    }
  }

  /** The key's newest `limit` buckets (all of its window), following pages until it has them. */
  async #newestBuckets(key: string, limit: number): Promise<WindowBucket[]> {
    const buckets: WindowBucket[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#call('Query', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': DETECTOR_TABLE.partitionKey.name },
            ExpressionAttributeValues: { ':pk': key },
            ScanIndexForward: false,
            ConsistentRead: true,
            Limit: limit - buckets.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      buckets.push(...(page.Items ?? []).map(fromBucketItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && buckets.length < limit);
    return buckets;
  }

  /** Sends with the shared DynamoDB retry and error policy (dynamodb-calls.ts). */
  #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return callDynamoDb(operation, send, this.#calls);
  }
}

function fromBucketItem(item: Record<string, unknown>): WindowBucket {
  const members = item[MEMBERS];
  return {
    bucketStart: Number(item[DETECTOR_TABLE.sortKey.name]),
    count: Number(item[COUNT] ?? 0),
    bytes: Number(item[BYTES] ?? 0),
    members: members instanceof Set ? [...members].map(String) : [],
  };
}
