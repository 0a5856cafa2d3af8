import {
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { bucketKey, bucketTimeToLive, DETECTOR_TABLE } from '#adapters/aws/detector-table';
import { awsErrorCode } from '#adapters/aws/errors';
import {
  checkIncrements,
  totalOf,
  type WindowBucket,
  type WindowIncrement,
  type WindowShape,
  type WindowTotal,
} from '#domain/detect/window';
import { InvalidInputError, TargetNotFoundError, ThrottledError } from '#domain/errors';
import type { DetectorStateStore } from '#ports/detector-state';
import { withRetry } from '#shared/runtime/retry';

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

const CONDITION_FAILED = 'ConditionalCheckFailedException';
const THROTTLING_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const { count: COUNT, bytes: BYTES, members: MEMBERS } = DETECTOR_TABLE.attributes;

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
 *   written stay written, so a caller that retries the whole batch counts them twice. A missing table is
 *   TargetNotFoundError, `ValidationException` InvalidInputError; anything else is rethrown as raised.
 */
export class DynamoDbDetectorStateStore implements DetectorStateStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #sleep: ((ms: number) => Promise<void>) | undefined;
  readonly #random: (() => number) | undefined;

  constructor(options: DynamoDbDetectorStateStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#concurrency = options.concurrency ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#sleep = options.sleep;
    this.#random = options.random;
    if (!Number.isSafeInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${this.#concurrency}`, 'concurrency');
    }
  }

  async addAndTotal(increments: readonly WindowIncrement[], window: WindowShape): Promise<WindowTotal[]> {
    checkIncrements(increments, window);
    await inParallel(increments, this.#concurrency, (increment) => this.#add(increment, window));
    const touched = [...new Set(increments.map((increment) => increment.key))];
    const totals = await inParallel(touched, this.#concurrency, async (key) => {
      const stored = await this.#newestBuckets(key, window.buckets);
      // Only a TTL deletion racing this call leaves nothing stored: its own increments still count.
      const buckets = stored.length > 0 ? stored : increments.filter((increment) => increment.key === key);
      return totalOf(key, buckets, window);
    });
    return totals.filter((total): total is WindowTotal => total !== undefined);
  }

  /** One atomic UpdateItem; again without members when the bucket's set is full. */
  async #add(increment: WindowIncrement, window: WindowShape): Promise<void> {
    const base: UpdateCommandInput = {
      TableName: this.#tableName,
      Key: bucketKey(increment),
      UpdateExpression: 'ADD #count :count, #bytes :bytes SET #ttl = :ttl',
      ExpressionAttributeNames: {
        '#count': COUNT,
        '#bytes': BYTES,
        '#ttl': DETECTOR_TABLE.timeToLiveAttribute,
      },
      ExpressionAttributeValues: {
        ':count': increment.count,
        ':bytes': increment.bytes,
        ':ttl': bucketTimeToLive(increment.bucketStart, window),
      },
    };
    if (increment.members.length > 0) {
      try {
        await this.#call('UpdateItem', () =>
          this.#client.send(
            new UpdateCommand({
              ...base,
              UpdateExpression: 'ADD #count :count, #bytes :bytes, #members :members SET #ttl = :ttl',
              ConditionExpression: 'attribute_not_exists(#members) OR size(#members) < :maxMembers',
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
    await this.#call('UpdateItem', () => this.#client.send(new UpdateCommand(base)));
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

  /**
   * Sends with bounded retries on throttling and maps DynamoDB errors to the typed errors; a failed condition
   * is rethrown as the SDK raised it, for the caller to handle.
   */
  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(send, {
        attempts: this.#maxAttempts,
        baseDelayMs: 50,
        maxDelayMs: 1_000,
        isRetryable: (error) => THROTTLING_CODES.has(awsErrorCode(error) ?? ''),
        ...(this.#sleep && { sleep: this.#sleep }),
        ...(this.#random && { random: this.#random }),
      });
    } catch (error) {
      throw this.#translate(error, operation);
    }
  }

  #translate(error: unknown, operation: string): unknown {
    const code = awsErrorCode(error);
    const where = `${operation} on table ${this.#tableName}`;
    if (code !== undefined && THROTTLING_CODES.has(code)) {
      return new ThrottledError(`${where} still throttled after ${this.#maxAttempts} attempts`, code, {
        cause: error,
      });
    }
    if (code === 'ResourceNotFoundException') {
      return new TargetNotFoundError(`${where}: the table does not exist`, code, { cause: error });
    }
    if (code === 'ValidationException') {
      const reason = error instanceof Error ? error.message : String(error);
      return new InvalidInputError(`${where} refused: ${reason}`, '', { cause: error, code });
    }
    return error;
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

/**
 * `work` over every item, at most `limit` at a time, results in input order. After a failure no new item is
 * started; the first error is thrown once the ones in flight have settled.
 */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejection = settled.find((outcome) => outcome.status === 'rejected');
  if (rejection) throw rejection.reason;
  return results;
}
