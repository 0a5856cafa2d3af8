/**
 * EventBridge's rules for Threat Signal events, shared by the EventBridge publisher and its in-memory twin: the
 * entry each signal becomes, its size as PutEvents counts it, the per-call limits, and the error for signals
 * that stay refused.
 */
import { Buffer } from 'node:buffer';
import { InvalidInputError, ServiceUnavailableError, ThrottledError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { parseWith } from '#domain/validate';
import { DETECTOR_SOURCE, type ThreatSignalDetail, ThreatSignalSchema } from '#shared/intake/threat-signal';

/** A PutEvents request entry, the fields this module sets or counts. */
export interface SignalEventEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: Date;
  Resources?: string[];
}

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
export const RETRYABLE_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
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
  readonly entry: SignalEventEntry;
  /** {@link entrySize} of the entry. */
  readonly size: number;
}

/**
 * The size EventBridge counts for a PutEvents entry: 14 bytes for `Time` if set, plus the UTF-8 bytes of
 * `Source`, `DetailType`, `Detail` and each of `Resources`.
 */
export function entrySize(entry: SignalEventEntry): number {
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
    const entry: SignalEventEntry = {
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
export function toCalls(entries: readonly SignalEntry[]): SignalEntry[][] {
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
