/**
 * Use case: one invocation of a log detector function. The event is either a CloudWatch Logs subscription
 * batch (`{awslogs: {data}}`) or an S3 `Object Created` event from EventBridge naming a log file; either way
 * the records go through the detector of the function's log kind, and the report says what was read and found.
 */
import { InvalidInputError } from '#domain/errors';
import type { LogObjects } from '#ports/log-objects';
import { decodeSubscriptionEvent, type SubscriptionLogEvent } from '#shared/logs/cloudwatch-subscription';
import { type FlowLogFormat, parseFlowLogEvents, parseFlowLogLines } from '#shared/logs/flow-log';
import { type FileLine, readLogObject } from '#shared/logs/lines';
import type { MalformedRecord } from '#shared/logs/malformed';
import { parseQueryLogEvents, parseQueryLogLines } from '#shared/logs/query-log';
import { type LogKind, parseLogObjectCreated } from '#shared/logs/s3-object-created';
import { type DnsDetectionReport, type DnsDetectorDependencies, detectDns } from './detect-dns';
import { detectFlows, type FlowDetectionReport, type FlowDetectorDependencies } from './detect-flows';

/** What a log detector function needs; the detectors are asked for per invocation, since feeds reload. */
export interface DetectLogDependencies {
  readonly logObjects: LogObjects;
  /** The fields of flow-log records delivered to CloudWatch Logs, which carry no header. */
  readonly flowLogFormat: FlowLogFormat;
  dns(): Promise<DnsDetectorDependencies>;
  flows(): Promise<FlowDetectorDependencies>;
}

/** A signal published, as the report names it. */
export interface PublishedSignal {
  readonly detector: string;
  readonly indicator: string;
  readonly severity: number;
  readonly key?: string;
}

/** What one invocation did. */
export interface LogDetectionReport {
  readonly input: 'subscription' | 'object-created';
  readonly kind: LogKind;
  /** The log group and stream, or `s3://bucket/key`. */
  readonly source: string;
  /** Set when nothing was read, with the reason: a control message, a file of the other log kind. */
  readonly skipped?: string;
  /** Records read, malformed ones included. */
  readonly records: number;
  readonly malformed: { readonly count: number; readonly first: readonly MalformedRecord[] };
  readonly signals: readonly PublishedSignal[];
}

/**
 * Runs the detector for `kind` over the records `event` carries. An event that is neither input, or a key
 * that is no log file AWS writes, is InvalidInputError (never retried); a file of the other log kind is
 * skipped, so that both functions may receive every object of a shared logs bucket. Malformed records are
 * counted and listed in the report. Throws what the object read, the store or the publisher throws, for
 * Lambda's asynchronous retries: intake de-duplicates a retried detection on its evidence key.
 */
export async function detectLog(
  event: unknown,
  kind: LogKind,
  deps: DetectLogDependencies,
): Promise<LogDetectionReport> {
  if (isObject(event) && 'awslogs' in event) {
    const message = decodeSubscriptionEvent(event);
    const base = { input: 'subscription', kind, source: `${message.logGroup} ${message.logStream}` } as const;
    if (message.messageType === 'CONTROL_MESSAGE') return { ...base, ...nothingRead('control message') };
    // A batch's first event id is unique to it, and Lambda retries the batch as it was.
    const input = `${base.source} ${message.logEvents[0]?.id ?? ''}`;
    const report = await detectLogEvents(kind, message.logEvents, deps.flowLogFormat, deps, input);
    return { ...base, ...summary(report) };
  }
  if (isObject(event) && event.source === 'aws.s3') {
    const object = parseLogObjectCreated(event);
    const base = { input: 'object-created', kind, source: `s3://${object.bucket}/${object.key}` } as const;
    if (object.kind !== kind) return { ...base, ...nothingRead(`a ${object.kind} file`) };
    const lines = readLogObject(await deps.logObjects.open(object.bucket, object.key), object.key);
    const report = await detectLogLines(kind, lines, deps, base.source);
    return { ...base, ...summary(report) };
  }
  throw new InvalidInputError(
    'is neither a CloudWatch Logs subscription event ({"awslogs":{"data":…}}) nor an S3 Object Created event (source aws.s3)',
  );
}

/** The detectors of the two log kinds, built when first asked for. */
export type LogDetectorsOf = Pick<DetectLogDependencies, 'dns' | 'flows'>;

/**
 * Runs the detector for `kind` over one log file's lines (a flow log names its fields in its header line);
 * `input` names the file, so that a retried one is counted once.
 */
export function detectLogLines(
  kind: LogKind,
  lines: AsyncIterable<FileLine | MalformedRecord>,
  detectors: LogDetectorsOf,
  input?: string,
): Promise<DnsDetectionReport | FlowDetectionReport> {
  return kind === 'query-log'
    ? detectors.dns().then((deps) => detectDns(parseQueryLogLines(lines), deps, input))
    : detectors.flows().then((deps) => detectFlows(parseFlowLogLines(lines), deps, input));
}

/**
 * Runs the detector for `kind` over a subscription batch's log events; flow logs in `flowLogFormat`. `input`
 * names the batch, so that a retried one is counted once.
 */
export function detectLogEvents(
  kind: LogKind,
  events: readonly SubscriptionLogEvent[],
  flowLogFormat: FlowLogFormat,
  detectors: LogDetectorsOf,
  input?: string,
): Promise<DnsDetectionReport | FlowDetectionReport> {
  return kind === 'query-log'
    ? detectors.dns().then((deps) => detectDns(parseQueryLogEvents(events), deps, input))
    : detectors.flows().then((deps) => detectFlows(parseFlowLogEvents(events, flowLogFormat), deps, input));
}

function nothingRead(reason: string) {
  return { skipped: reason, records: 0, malformed: { count: 0, first: [] }, signals: [] };
}

function summary(report: {
  records: number;
  malformed: LogDetectionReport['malformed'];
  signals: readonly { detector: string; indicator: string; severity: number; evidence: { key?: string } }[];
}): Pick<LogDetectionReport, 'records' | 'malformed' | 'signals'> {
  return {
    records: report.records,
    malformed: report.malformed,
    signals: report.signals.map(({ detector, indicator, severity, evidence }) => ({
      detector,
      indicator,
      severity,
      ...(evidence.key ? { key: evidence.key } : {}),
    })),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
