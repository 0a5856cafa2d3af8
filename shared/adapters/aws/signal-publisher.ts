import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { awsErrorCode } from '#adapters/aws/errors';
import {
  RETRYABLE_CODES,
  type RefusedSignal,
  refusalError,
  type SignalEntry,
  toCalls,
  toSignalEntries,
} from '#adapters/service-rules/signal-publisher';
import { TargetNotFoundError } from '#domain/errors';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import type { ThreatSignalDetail } from '#shared/intake/threat-signal';
import { withRetry } from '#shared/runtime/retry';

/** Options of {@link EventBridgeThreatSignalPublisher}. */
export interface EventBridgeThreatSignalPublisherOptions {
  readonly client: EventBridgeClient;
  /** The warden bus, by name or ARN. */
  readonly eventBusName: string;
  /** Attempts per call while entries fail with a retryable code (first included, SDK retries aside). Default 4. */
  readonly maxAttempts?: number;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic. */
  readonly random?: () => number;
}

/** Thrown inside a retried call while some of its entries failed with a retryable code. */
class RetryableEntries extends Error {
  constructor(readonly failed: readonly RefusedSignal[]) {
    super('some entries failed with a retryable code');
  }
}

/**
 * Publishes Threat Signals on the warden bus with PutEvents (source `egress-warden.detectors`, detail type
 * `Threat Signal`).
 *
 * * Every signal is checked first (`toSignalEntries`): one that breaks the contract is refused (InvalidInputError
 *   at the end), the others still go.
 * * Calls hold at most 10 entries totalling less than 256 KB, as EventBridge counts them (`entrySize`).
 * * PutEvents reports failures per entry without throwing (`FailedEntryCount`, `ErrorCode`): entries that
 *   failed with `ThrottlingException` or `InternalFailure`, and whole calls throttled, are sent again with
 *   backoff, up to `maxAttempts` times; other codes are final.
 * * Whatever stays refused is thrown once every call is done, as one error listing each signal's indicator
 *   and error code (`refusalError`). At least once: a signal retried after a lost response may be published
 *   twice, which intake de-duplicates on `evidence.key`.
 * * A missing bus is TargetNotFoundError; other errors of a whole call (AccessDeniedException, …) are
 *   rethrown as the SDK raised them, after the calls before it were sent.
 */
export class EventBridgeThreatSignalPublisher implements ThreatSignalPublisher {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;
  readonly #maxAttempts: number;
  readonly #sleep: ((ms: number) => Promise<void>) | undefined;
  readonly #random: (() => number) | undefined;

  constructor(options: EventBridgeThreatSignalPublisherOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#sleep = options.sleep;
    this.#random = options.random;
  }

  async publish(signals: readonly ThreatSignalDetail[]): Promise<void> {
    const { entries, refused } = toSignalEntries(signals, this.#eventBusName);
    for (const call of toCalls(entries)) refused.push(...(await this.#send(call)));
    const error = refusalError(refused, signals.length);
    if (error) throw error;
  }

  /** Sends one call, retrying its retryable failures; returns the entries that stay refused. */
  async #send(call: readonly SignalEntry[]): Promise<RefusedSignal[]> {
    const refused: RefusedSignal[] = [];
    let pending = call;
    try {
      await withRetry(
        async () => {
          const response = await this.#client.send(
            new PutEventsCommand({ Entries: pending.map(({ entry }) => entry) }),
          );
          if (!response.FailedEntryCount) return;
          const retryable: RefusedSignal[] = [];
          const again: SignalEntry[] = [];
          for (const [position, signal] of pending.entries()) {
            const result = response.Entries?.[position];
            // EventBridge answers one result per entry, in order; a missing one cannot be known to have gone.
            const code = result === undefined ? 'InternalFailure' : result.ErrorCode;
            if (code === undefined) continue;
            const reason = result?.ErrorMessage ?? 'no result for this entry';
            const failure = { index: signal.index, indicator: signal.indicator, code, reason };
            if (RETRYABLE_CODES.has(code)) {
              retryable.push(failure);
              again.push(signal);
            } else {
              refused.push(failure);
            }
          }
          pending = again;
          if (retryable.length > 0) throw new RetryableEntries(retryable);
        },
        {
          attempts: this.#maxAttempts,
          baseDelayMs: 100,
          maxDelayMs: 2_000,
          isRetryable: (error) =>
            error instanceof RetryableEntries || RETRYABLE_CODES.has(awsErrorCode(error) ?? ''),
          ...(this.#sleep && { sleep: this.#sleep }),
          ...(this.#random && { random: this.#random }),
        },
      );
    } catch (error) {
      if (error instanceof RetryableEntries) return [...refused, ...error.failed];
      const code = awsErrorCode(error) ?? '';
      if (RETRYABLE_CODES.has(code)) {
        const reason = `still failing after ${this.#maxAttempts} attempts`;
        return [...refused, ...pending.map(({ index, indicator }) => ({ index, indicator, code, reason }))];
      }
      if (code === 'ResourceNotFoundException') {
        throw new TargetNotFoundError(`event bus ${this.#eventBusName} does not exist`, code, {
          cause: error,
        });
      }
      throw error;
    }
    return refused;
  }
}
