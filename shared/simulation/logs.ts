/**
 * Raw logs in the simulation: a query-log or flow-log file (`.log`, `.log.gz`, `.jsonl`, `.jsonl.gz`, streamed,
 * never read whole) or a CloudWatch Logs subscription event goes through the same detectors as in Lambda, on
 * in-memory state, and what they publish comes back as Threat Signal events for the rest of the loop.
 */
import type { DnsContext } from '#domain/detect/dns';
import type { FlowDetector } from '#domain/detect/flow';
import type { DetectorStateStore } from '#ports/detector-state';
import type { DomainBaselineStore } from '#ports/domain-baseline';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import type { SubscriptionMessage } from '#shared/logs/cloudwatch-subscription';
import { DEFAULT_FLOW_LOG_FORMAT } from '#shared/logs/flow-log';
import type { FileLine } from '#shared/logs/lines';
import type { MalformedRecord } from '#shared/logs/malformed';
import type { LogKind } from '#shared/logs/s3-object-created';
import { detectLogEvents, detectLogLines, type LogDetectorsOf } from '#shared/use-cases/detect-log';

/** A log file given to the simulation: its name, and how to read its bytes. */
export interface LogInput {
  readonly name: string;
  open(): AsyncIterable<Uint8Array>;
}

/** What the detectors made of one log input. */
export interface LogReplay {
  readonly input: string;
  readonly kind: 'query-log' | 'flow-log' | 'empty';
  readonly records: number;
  readonly malformed: { readonly count: number; readonly first: readonly MalformedRecord[] };
  readonly signals: number;
}

/** The detectors and their state, shared by every log of one simulation run. */
export interface LogDetectors {
  readonly dns: DnsContext;
  readonly flows: FlowDetector;
  readonly state: DetectorStateStore;
  readonly publisher: ThreatSignalPublisher;
  /** The domain baselines, learned across the run's query logs. */
  readonly baseline: DomainBaselineStore;
}

/**
 * Reads one log file's lines and runs the detector for its kind: a first line that is a JSON object makes it a
 * query log, anything else a flow log.
 */
export async function replayLogLines(
  input: string,
  lines: AsyncIterable<FileLine | MalformedRecord>,
  detectors: LogDetectors,
): Promise<LogReplay> {
  const { first, rest } = await peekLine(lines);
  if (first === undefined) return empty(input);
  const kind = kindOf(first);
  return { input, kind, ...summary(await detectLogLines(kind, rest, detectorsOf(detectors))) };
}

/** Runs the detector for a CloudWatch Logs subscription batch (the kind read from its first message). */
export async function replaySubscription(
  input: string,
  message: SubscriptionMessage,
  detectors: LogDetectors,
): Promise<LogReplay> {
  const first = message.logEvents[0]?.message;
  if (first === undefined) return empty(input);
  const kind = kindOf(first);
  // A flow log delivered to CloudWatch Logs has no header: its records are in the default format here.
  const report = await detectLogEvents(
    kind,
    message.logEvents,
    DEFAULT_FLOW_LOG_FORMAT,
    detectorsOf(detectors),
  );
  return { input, kind, ...summary(report) };
}

/** A record that is a JSON object is a query log's; anything else a flow log's. */
function kindOf(firstRecord: string): LogKind {
  return firstRecord.trimStart().startsWith('{') ? 'query-log' : 'flow-log';
}

function detectorsOf({ dns, flows, state, publisher, baseline }: LogDetectors): LogDetectorsOf {
  return {
    dns: async () => ({ context: dns, state, publisher, baseline }),
    flows: async () => ({ detector: flows, state, publisher }),
  };
}

function summary(report: {
  records: number;
  malformed: LogReplay['malformed'];
  signals: readonly unknown[];
}): Pick<LogReplay, 'records' | 'malformed' | 'signals'> {
  return { records: report.records, malformed: report.malformed, signals: report.signals.length };
}

function empty(input: string): LogReplay {
  return { input, kind: 'empty', records: 0, malformed: { count: 0, first: [] }, signals: 0 };
}

/** The first non-blank line, and every item again (that line included), so nothing is read twice. */
async function peekLine(
  lines: AsyncIterable<FileLine | MalformedRecord>,
): Promise<{ first: string | undefined; rest: AsyncIterable<FileLine | MalformedRecord> }> {
  const iterator = lines[Symbol.asyncIterator]();
  const seen: (FileLine | MalformedRecord)[] = [];
  let first: string | undefined;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    seen.push(next.value);
    if (next.value.kind === 'line' && next.value.line.trim() !== '') {
      first = next.value.line;
      break;
    }
  }
  const rest: AsyncIterable<FileLine | MalformedRecord> = {
    async *[Symbol.asyncIterator]() {
      yield* seen;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  return { first, rest };
}
