import { Buffer } from 'node:buffer';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { awsErrorCode } from '#adapters/aws/errors';
import {
  InvalidInputError,
  ServiceUnavailableError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { parseWith } from '#domain/validate';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import { type ThreatSignalDetail, ThreatSignalSchema } from '#shared/intake/threat-signal';
import { withRetry } from '#shared/runtime/retry';

/** The source of every detector event; the warden bus's rule for Threat Signals matches it. */
export const DETECTOR_SOURCE = 'egress-warden.detectors';
/** The detail type of a detector event. */
export const THREAT_SIGNAL_DETAIL_TYPE = 'Threat Signal';
/** PutEvents takes 1 to 10 entries a call. */
export const MAX_ENTRIES_PER_CALL = 10;
/** PutEvents needs the entries of one call to total less than 256 KB, counted by {@link entrySize}. */
export const MAX_CALL_BYTES = 256 * 1024;

/** The error code given to a signal refused before sending: it breaks the Threat Signal contract. */
export const INVALID_SIGNAL = 'InvalidThreatSignal';
/** The error code given to a signal whose entry alone reaches the 256 KB of a call. */
export const ENTRY_TOO_LARGE = 'EntryTooLarge';

/** Entry error codes EventBridge documents as worth a retry; the others (AccessDeniedException, …) are not. */
const RETRYABLE_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
const THROTTLING = 'ThrottlingException';

/** A signal that was not published, and why. */
export interface RefusedSignal {
  /** Its place in the list given to `publish`. */
  readonly index: number;
  readonly indicator: string;
  /** The EventBridge error code, INVALID_SIGNAL or ENTRY_TOO_LARGE. */
  readonly code: string;
  readonly reason: string;
}

/** A signal ready to send: its place in the list and its PutEvents entry. */
export interface SignalEntry {
  readonly index: number;
  readonly indicator: string;
  readonly entry: PutEventsRequestEntry;
  /** {@link entrySize} of the entry. */
  readonly size: number;
}

/**
 * The size EventBridge counts for a PutEvents entry: 14 bytes for `Time` if set, plus the UTF-8 bytes of
 * `Source`, `DetailType`, `Detail` and each of `Resources`.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/**
 * Checks every signal as intake will (ThreatSignalSchema, then its indicator) and builds its entry (detail as
 * the validated JSON). A signal that fails, or whose entry alone reaches MAX_CALL_BYTES, is refused; the
 * others are returned in order.
 */
export function toSignalEntries(
  signals: readonly ThreatSignalDetail[],
  eventBusName?: string,
): { entries: SignalEntry[]; refused: RefusedSignal[] } {
  const entries: SignalEntry[] = [];
  const refused: RefusedSignal[] = [];
  for (const [index, signal] of signals.entries()) {
    const indicator =
      typeof signal?.indicator === 'string' ? signal.indicator : JSON.stringify(signal?.indicator);
    let detail: ThreatSignalDetail;
    try {
      detail = parseWith(ThreatSignalSchema, signal, `signals[${index}]`);
      parseIndicator(detail.indicator, `signals[${index}].indicator`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      refused.push({ index, indicator, code: INVALID_SIGNAL, reason: error.message });
      continue;
    }
    const entry: PutEventsRequestEntry = {
      Source: DETECTOR_SOURCE,
      DetailType: THREAT_SIGNAL_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
    };
    const size = entrySize(entry);
    if (size >= MAX_CALL_BYTES) {
      refused.push({
        index,
        indicator,
        code: ENTRY_TOO_LARGE,
        reason: `its entry is ${size} bytes, not less than PutEvents' ${MAX_CALL_BYTES}`,
      });
      continue;
    }
    entries.push({ index, indicator, entry, size });
  }
  return { entries, refused };
}

/** Splits entries, in order, into calls of at most 10 entries totalling less than 256 KB. */
function toCalls(entries: readonly SignalEntry[]): SignalEntry[][] {
  const calls: SignalEntry[][] = [];
  let current: SignalEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === MAX_ENTRIES_PER_CALL || bytes + entry.size >= MAX_CALL_BYTES) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/**
 * The error for signals that stay refused, listing each one's indicator and error code: ThrottledError or
 * ServiceUnavailableError (retryable) when any was refused for throttling or an internal failure, otherwise
 * InvalidInputError (field `signals`, code of the first). Undefined when none was refused.
 */
export function refusalError(refused: readonly RefusedSignal[], total: number): Error | undefined {
  if (refused.length === 0) return undefined;
  const listed = [...refused]
    .sort((a, b) => a.index - b.index)
    .map(({ indicator, code, reason }) => `${indicator} (${code}: ${reason})`)
    .join('; ');
  const message = `${refused.length} of ${total} Threat Signals not published: ${listed}`;
  const codes = new Set(refused.map(({ code }) => code));
  if (codes.has(THROTTLING)) return new ThrottledError(message, THROTTLING);
  const internal = refused.find(({ code }) => RETRYABLE_CODES.has(code));
  if (internal) return new ServiceUnavailableError(message, internal.code);
  return new InvalidInputError(message, 'signals', { code: refused[0]?.code ?? INVALID_SIGNAL });
}

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
