/**
 * Log files read from S3 with GetObject, as a stream: the body is handed over as it arrives, so a 75 MB flow-log
 * file never sits in memory whole. The S3 errors every S3 read here can meet are mapped in one place.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '#adapters/aws/errors';
import {
  InvalidInputError,
  ServiceUnavailableError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import type { LogObjects } from '#ports/log-objects';
import { withRetry } from '#shared/runtime/retry';

/** How S3 reads are retried (first attempt included, SDK retries aside), and the test hooks. */
export interface S3RetryOptions {
  /** Default 4. */
  readonly maxAttempts?: number;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic. */
  readonly random?: () => number;
}

/** Options of {@link S3LogObjects}. */
export interface S3LogObjectsOptions extends S3RetryOptions {
  readonly client: S3Client;
}

const THROTTLING_CODES = new Set(['SlowDown', 'ThrottlingException', 'TooManyRequestsException']);
const SERVER_CODES = new Set(['InternalError', 'ServiceUnavailable', 'RequestTimeout']);

/** True for an S3 error a later attempt may get past: throttling, a 5xx, a request timeout. */
export function isRetryableS3Error(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code && (THROTTLING_CODES.has(code) || SERVER_CODES.has(code))) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/**
 * The error an S3 read of `bucket`/`key` ends with, once retries are spent: NoSuchKey is InvalidInputError
 * naming the key (the object is gone: a retry cannot bring it back), NoSuchBucket TargetNotFoundError,
 * throttling ThrottledError and server errors ServiceUnavailableError (both retryable); anything else
 * (AccessDenied, …) as the SDK raised it.
 */
export function s3ReadError(error: unknown, bucket: string, key: string): unknown {
  const code = awsErrorCode(error);
  const where = `s3://${bucket}/${key}`;
  if (code === 'NoSuchKey') {
    return new InvalidInputError(`${where} does not exist (deleted or never written)`, 'key', {
      cause: error,
      code,
    });
  }
  if (code === 'NoSuchBucket')
    return new TargetNotFoundError(`bucket ${bucket} does not exist`, code, { cause: error });
  if (!isRetryableS3Error(error)) return error;
  const message = `reading ${where} failed after retries: ${(error as Error).message}`;
  return code && THROTTLING_CODES.has(code)
    ? new ThrottledError(message, code, { cause: error })
    : new ServiceUnavailableError(message, code ?? 'ServerError', { cause: error });
}

/**
 * GetObject with throttling and server errors retried with backoff (on top of the SDK's own retries). Only
 * the request is retried: a body that fails half-way throws from the stream, and the caller retries the whole
 * file (Lambda's asynchronous retries), since the lines already read have been counted.
 */
export class S3LogObjects implements LogObjects {
  readonly #client: S3Client;
  readonly #retry: S3RetryOptions;

  constructor(options: S3LogObjectsOptions) {
    const { client, ...retry } = options;
    this.#client = client;
    this.#retry = retry;
  }

  async open(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    return openObject(this.#client, bucket, key, this.#retry);
  }
}

/** GetObject's body as a byte stream, retried and mapped as {@link S3LogObjects} describes. */
export async function openObject(
  client: S3Client,
  bucket: string,
  key: string,
  options: S3RetryOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  try {
    const output = await withRetry(() => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })), {
      attempts: options.maxAttempts ?? 4,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      isRetryable: isRetryableS3Error,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    const body = output.Body as Partial<AsyncIterable<Uint8Array>> | undefined;
    // In Node.js the SDK's body is an IncomingMessage, itself an async iterable of Buffers.
    if (!body || typeof body[Symbol.asyncIterator] !== 'function') {
      throw new ServiceUnavailableError(`s3://${bucket}/${key} came back without a readable body`, 'NoBody');
    }
    return body as AsyncIterable<Uint8Array>;
  } catch (error) {
    throw s3ReadError(error, bucket, key);
  }
}
