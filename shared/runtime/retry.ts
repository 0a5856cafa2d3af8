/**
 * Bounded retries with exponential backoff and full jitter: the AWS adapters retry throttling with it, and the
 * use cases retry a lost conditional write.
 */

/** How {@link withRetry} retries: the wait before attempt n+1 is random in [0, min(max, base × 2^(n-1))). */
export interface RetryOptions {
  /** Total attempts, the first one included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Whether an error is worth another attempt. */
  readonly isRetryable: (error: unknown) => boolean;
  /** Injected so tests run without waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic; returns a number in [0, 1). */
  readonly random?: () => number;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, throws an error that is not retryable, or runs out of attempts (then
 * the last error is thrown).
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error)) throw error;
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      await wait(Math.floor(random() * ceiling));
    }
  }
}
