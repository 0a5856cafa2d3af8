/**
 * How every DynamoDB adapter sends a request: bounded retries with backoff on throttling (on top of the SDK
 * client's own), then DynamoDB's errors as the typed errors of `#domain/errors`.
 */
import { awsErrorCode } from '#adapters/aws/errors';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { withRetry } from '#shared/runtime/retry';

/** DynamoDB's answers to a request over its rate: retried, then ThrottledError. */
export const DYNAMODB_THROTTLING_CODES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** A failed `ConditionExpression`. */
export const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** The settings of one adapter's calls. */
export interface DynamoDbCallOptions {
  readonly tableName: string;
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
  /** Error names retried like throttling, and ThrottledError once retries run out (BatchGetItem's unprocessed keys). */
  readonly alsoRetried?: ReadonlySet<string>;
  /** A failed condition as ConcurrentUpdateError; otherwise it is rethrown as raised, for the caller to handle. */
  readonly conditionIsConcurrentUpdate?: boolean;
}

/**
 * Sends `send` for `operation` with bounded retries on throttling. Throws ThrottledError once retries run out,
 * TargetNotFoundError for a missing table or index, InvalidInputError for `ValidationException`, and (when
 * asked) ConcurrentUpdateError for a failed condition; anything else as the SDK raised it.
 */
export async function callDynamoDb<T>(
  operation: string,
  send: () => Promise<T>,
  options: DynamoDbCallOptions,
): Promise<T> {
  const retried = (code: string | undefined) =>
    code !== undefined && (DYNAMODB_THROTTLING_CODES.has(code) || (options.alsoRetried?.has(code) ?? false));
  try {
    return await withRetry(send, {
      attempts: options.maxAttempts,
      baseDelayMs: 50,
      maxDelayMs: 1_000,
      isRetryable: (error) => retried(awsErrorCode(error)),
      ...(options.sleep && { sleep: options.sleep }),
      ...(options.random && { random: options.random }),
    });
  } catch (error) {
    const code = awsErrorCode(error);
    const where = `${operation} on table ${options.tableName}`;
    if (code === CONDITION_FAILED && options.conditionIsConcurrentUpdate) {
      throw new ConcurrentUpdateError(`${where}: condition failed`, code, { cause: error });
    }
    if (code !== undefined && retried(code)) {
      throw new ThrottledError(`${where} still throttled after ${options.maxAttempts} attempts`, code, {
        cause: error,
      });
    }
    if (code === 'ResourceNotFoundException') {
      throw new TargetNotFoundError(`${where}: the table or index does not exist`, code, { cause: error });
    }
    if (code === 'ValidationException') {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidInputError(`${where} refused: ${reason}`, '', { cause: error, code });
    }
    throw error;
  }
}
