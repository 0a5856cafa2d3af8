/**
 * The floor every detector pays: decompressing and parsing a log file and nothing else. The benchmark runs it
 * on the same input as each detector and reports the detector's speed as a ratio to it.
 */
import { parseFlowLogLines } from './flow-log';
import { readLogObject } from './lines';
import { parseQueryLogLines } from './query-log';
import type { LogKind } from './s3-object-created';

/** What a parse-only run saw. */
export interface ParseCounts {
  /** Records parsed: flow-log traffic records or query-log records. */
  readonly records: number;
  /** Flow logs' NODATA and SKIPDATA records; always 0 for query logs. */
  readonly statusRecords: number;
  /** Lines reported as malformed (too long, unparsable, a corrupt gzip stream). */
  readonly malformed: number;
}

/**
 * Decompresses (when gzip) and parses a whole log file of `kind` from `input` (the object body, or its bytes),
 * the way the detectors do, and counts what it found. Never throws for bad content; it is counted as malformed.
 */
export async function parseOnly(
  kind: LogKind,
  input: AsyncIterable<Uint8Array> | Uint8Array,
): Promise<ParseCounts> {
  const body = input instanceof Uint8Array ? [input] : input;
  const lines = readLogObject(toAsync(body));
  const entries = kind === 'flow-log' ? parseFlowLogLines(lines) : parseQueryLogLines(lines);
  let records = 0;
  let statusRecords = 0;
  let malformed = 0;
  for await (const entry of entries) {
    if (entry.kind === 'malformed') malformed += 1;
    else if (entry.kind === 'flow-status') statusRecords += 1;
    else records += 1;
  }
  return { records, statusRecords, malformed };
}

async function* toAsync(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* body;
}
