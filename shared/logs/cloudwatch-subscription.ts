/**
 * CloudWatch Logs subscription events as a Lambda function receives them: `{"awslogs":{"data": …}}`, the data
 * being base64 of gzip of a JSON document. Flow logs delivered to CloudWatch Logs and query logs both arrive
 * this way, one record per log event.
 */
import { gunzipSync } from 'node:zlib';
import { InvalidInputError } from '#domain/errors';
import { quoted } from './malformed';

/**
 * The most a subscription payload may decompress to: 32 MiB. CloudWatch Logs invokes the function
 * asynchronously, so the base64 text is bounded by Lambda's asynchronous payload limit (256 KB, 1 MB since
 * 2025; aws-facts.md gives no figure for the subscription payload itself), and log text compresses about
 * 10–20 times, so a real payload decodes to a few MiB at most. gzip can expand about 1,000 times: without a
 * cap, a crafted 1 MB payload would decompress to about 1 GB and exhaust the function's memory before any
 * check ran. zlib stops at the cap instead.
 */
export const MAX_SUBSCRIPTION_BYTES = 32 * 1024 * 1024;

/** One log event of a subscription batch. */
export interface SubscriptionLogEvent {
  /** CloudWatch Logs' id of the event, unique within the log group: the position of a malformed record. */
  readonly id: string;
  /** When the event was logged, epoch milliseconds. */
  readonly timestamp: number;
  /** The log line itself: one flow-log record or one query-log JSON record. */
  readonly message: string;
}

/** A decoded subscription payload. */
export interface SubscriptionMessage {
  /** `CONTROL_MESSAGE` only checks that the destination is reachable: its `logEvents` are dropped. */
  readonly messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  readonly owner: string;
  readonly logGroup: string;
  /** For flow logs, one stream per network interface, such as `eni-0c19436730cc350ae-all`. */
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  /** Empty for a control message. */
  readonly logEvents: readonly SubscriptionLogEvent[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a Lambda event from a CloudWatch Logs subscription. A control message comes back with no log events.
 * Throws InvalidInputError naming what was wrong: no `awslogs.data`, bad base64, bad gzip, a payload larger
 * than MAX_SUBSCRIPTION_BYTES once decompressed, bad JSON, or a field of the wrong shape.
 */
export function decodeSubscriptionEvent(event: unknown): SubscriptionMessage {
  const awslogs = isObject(event) ? event.awslogs : undefined;
  const data = isObject(awslogs) ? awslogs.data : undefined;
  if (typeof data !== 'string') {
    throw new InvalidInputError(
      'is not a CloudWatch Logs subscription event: no string here',
      'awslogs.data',
    );
  }
  return decodeSubscriptionData(data);
}

/** Decodes the `awslogs.data` string of a subscription event; throws as {@link decodeSubscriptionEvent} does. */
export function decodeSubscriptionData(data: string): SubscriptionMessage {
  const field = 'awslogs.data';
  if (data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) {
    throw new InvalidInputError(`is not base64: ${quoted(data, 40)} (${data.length} characters)`, field);
  }
  const compressed = Buffer.from(data, 'base64');
  if (compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    throw new InvalidInputError(
      'is not gzip: the decoded bytes do not start with the gzip magic 1f 8b',
      field,
    );
  }
  let json: Buffer;
  try {
    json = gunzipSync(compressed, { maxOutputLength: MAX_SUBSCRIPTION_BYTES });
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new InvalidInputError(
      tooLarge
        ? `decompresses to more than ${MAX_SUBSCRIPTION_BYTES} bytes, more than any real subscription payload`
        : `is not valid gzip: ${(error as Error).message}`,
      field,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new InvalidInputError(`does not decompress to JSON: ${(error as Error).message}`, field, {
      cause: error,
    });
  }
  return toMessage(parsed);
}

function toMessage(value: unknown): SubscriptionMessage {
  if (!isObject(value)) throw new InvalidInputError(`is not a JSON object: ${quoted(value)}`, 'awslogs.data');
  const { messageType } = value;
  if (messageType !== 'DATA_MESSAGE' && messageType !== 'CONTROL_MESSAGE') {
    throw new InvalidInputError(
      `is ${quoted(messageType)}, expected DATA_MESSAGE or CONTROL_MESSAGE`,
      'messageType',
    );
  }
  const subscriptionFilters = value.subscriptionFilters;
  if (!Array.isArray(subscriptionFilters) || !subscriptionFilters.every((name) => typeof name === 'string')) {
    throw new InvalidInputError(
      `is not a list of names: ${quoted(subscriptionFilters)}`,
      'subscriptionFilters',
    );
  }
  // A control message may name no log group or stream: it checks the destination, not a log.
  const control = messageType === 'CONTROL_MESSAGE';
  const header = {
    messageType: messageType as SubscriptionMessage['messageType'],
    owner: text(value, 'owner', '', control),
    logGroup: text(value, 'logGroup', '', control),
    logStream: text(value, 'logStream', '', control),
    subscriptionFilters: subscriptionFilters as string[],
  };
  if (control) return { ...header, logEvents: [] };
  if (!Array.isArray(value.logEvents)) {
    throw new InvalidInputError(`is not a list: ${quoted(value.logEvents)}`, 'logEvents');
  }
  return { ...header, logEvents: value.logEvents.map(toLogEvent) };
}

function toLogEvent(event: unknown, index: number): SubscriptionLogEvent {
  const field = `logEvents[${index}]`;
  if (!isObject(event)) throw new InvalidInputError(`is not an object: ${quoted(event)}`, field);
  const { timestamp } = event;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new InvalidInputError(`is not epoch milliseconds: ${quoted(timestamp)}`, `${field}.timestamp`);
  }
  return { id: text(event, 'id', field), timestamp, message: text(event, 'message', field, true) };
}

function text(value: Record<string, unknown>, name: string, parent = '', emptyAllowed = false): string {
  const field = value[name];
  if (typeof field !== 'string' || (!emptyAllowed && field.length === 0)) {
    throw new InvalidInputError(
      `is not ${emptyAllowed ? 'a' : 'a non-empty'} string: ${quoted(field)}`,
      parent ? `${parent}.${name}` : name,
    );
  }
  return field;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
