/**
 * S3 `Object Created` events delivered through EventBridge, for the log files AWS writes to S3: which bucket
 * and key to read, and which log the key says it holds.
 */
import { InvalidInputError } from '#domain/errors';
import { quoted } from './malformed';

/** The two logs the detectors read. */
export type LogKind = 'flow-log' | 'query-log';

/** A log object to read. */
export interface LogObject {
  readonly kind: LogKind;
  readonly bucket: string;
  /** The key as stored, ready for GetObject. */
  readonly key: string;
  /** Bytes, as the event gives them. */
  readonly size: number;
  /** The account whose logs these are, from the key. */
  readonly account: string;
}

// The layouts AWS writes (aws-facts.md §5 and §6.2), after an optional prefix of the user's:
//   flow logs:  AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/[<HH>/]<account>_vpcflowlogs_….log.gz
//               or Hive-style AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/…
//   query logs: AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/<yyyy>/<mm>/<dd>/<vpc-id>_vpcdnsquerylogs_….log.gz
// Text files only: flow logs written as Parquet end `.parquet` and are refused.
const FLOW_LOG_KEY =
  /(?:^|\/)AWSLogs\/(?:aws-account-id=)?(\d{12})\/(?:aws-service=)?vpcflowlogs\/(?:[^/]+\/)+\1_vpcflowlogs_[^/]+\.log(?:\.gz)?$/;
const QUERY_LOG_KEY =
  /(?:^|\/)AWSLogs\/(\d{12})\/vpcdnsquerylogs\/(?:[^/]+\/)+[^/]+_vpcdnsquerylogs_\1_[^/]+\.log(?:\.gz)?$/;

/**
 * Reads an `Object Created` event and says which log the object is. Throws InvalidInputError naming the field
 * for an event of another source or type, a missing bucket, key or size, and a key that is not a flow-log or
 * query-log file AWS wrote (the detectors read nothing else from the bucket).
 *
 * Keys in S3 notifications are URL-encoded (`=` as `%3D`, a space as `+`); whether EventBridge's are is not
 * documented, so the key is taken as given when it already reads as a log file and URL-decoded otherwise.
 * AWS's own log keys contain no `%`, `+` or space, so neither reading can turn one log key into another.
 */
export function parseLogObjectCreated(event: unknown): LogObject {
  const envelope = asObject(event, '');
  if (envelope.source !== 'aws.s3' || envelope['detail-type'] !== 'Object Created') {
    throw new InvalidInputError(
      `is ${quoted(envelope.source)} / ${quoted(envelope['detail-type'])}, expected aws.s3 / Object Created`,
      'source',
    );
  }
  const detail = asObject(envelope.detail, 'detail');
  const bucket = asObject(detail.bucket, 'detail.bucket').name;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new InvalidInputError(`is not a bucket name: ${quoted(bucket)}`, 'detail.bucket.name');
  }
  const object = asObject(detail.object, 'detail.object');
  const { key: given, size } = object;
  if (typeof given !== 'string' || given === '') {
    throw new InvalidInputError(`is not an object key: ${quoted(given)}`, 'detail.object.key');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidInputError(`is not a size in bytes: ${quoted(size)}`, 'detail.object.size');
  }
  for (const key of [given, urlDecoded(given)]) {
    if (key === undefined) continue;
    const flow = FLOW_LOG_KEY.exec(key);
    if (flow) return { kind: 'flow-log', bucket, key, size, account: flow[1] as string };
    const query = QUERY_LOG_KEY.exec(key);
    if (query) return { kind: 'query-log', bucket, key, size, account: query[1] as string };
  }
  throw new InvalidInputError(
    `${quoted(given, 300)} is not a VPC flow-log or Resolver query-log file (AWSLogs/<account>/vpcflowlogs/… or ` +
      'AWSLogs/<account>/vpcdnsquerylogs/…, text .log or .log.gz)',
    'detail.object.key',
  );
}

function urlDecoded(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`is not an object: ${quoted(value)}`, field);
  }
  return value as Record<string, unknown>;
}
