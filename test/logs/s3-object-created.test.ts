import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseLogObjectCreated } from '#shared/logs/s3-object-created';
import { sampleJson } from './samples';

const FLOW_KEY =
  'AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/28/123456789012_vpcflowlogs_eu-west-1_fl-1234abcd_20261128T0950Z_fe123456.log.gz';
const HIVE_FLOW_KEY =
  'flow/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=28/hour=09/123456789012_vpcflowlogs_eu-west-1_fl-1234abcd_20261128T0950Z_fe123456.log.gz';

/** The documented Object Created event for `key`. */
function objectCreated(key: unknown, size: unknown = 5120): Record<string, unknown> {
  const event = sampleJson<{ detail: { object: Record<string, unknown> } }>(
    's3-object-created-eventbridge-docs.json.sample',
  );
  event.detail.object.key = key;
  event.detail.object.size = size;
  return event;
}

function refusal(event: unknown): string {
  try {
    parseLogObjectCreated(event);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected the event to be refused');
}

describe('parseLogObjectCreated', () => {
  it('reads a flow-log file: bucket, key, size and account', () => {
    expect(parseLogObjectCreated(objectCreated(FLOW_KEY))).toEqual({
      kind: 'flow-log',
      bucket: 'DOC-EXAMPLE-BUCKET1',
      key: FLOW_KEY,
      size: 5120,
      account: '123456789012',
    });
  });

  it('reads a flow-log file under a prefix of the user, with hourly Hive-style partitions', () => {
    expect(parseLogObjectCreated(objectCreated(HIVE_FLOW_KEY))).toMatchObject({
      kind: 'flow-log',
      key: HIVE_FLOW_KEY,
    });
  });

  it('URL-decodes a key that only reads as a log file decoded, as S3 notifications encode =', () => {
    // Prepare
    const encoded = HIVE_FLOW_KEY.replaceAll('=', '%3D');

    // Act & Assess
    expect(parseLogObjectCreated(objectCreated(encoded))).toMatchObject({
      kind: 'flow-log',
      key: HIVE_FLOW_KEY,
    });
  });

  it('reads a query-log file with the key layout of a real notification', () => {
    // Prepare: the key of a real query-log object, from an S3 notification
    const notification = sampleJson<{ Records: { s3: { object: { key: string; size: number } } }[] }>(
      's3-notification-r53-query-log-object.json.sample',
    );
    const { key, size } = notification.Records[0]?.s3.object ?? { key: '', size: 0 };

    // Act
    const object = parseLogObjectCreated(objectCreated(key, size));

    // Assess
    expect(object).toEqual({
      kind: 'query-log',
      bucket: 'DOC-EXAMPLE-BUCKET1',
      key,
      size: 1287,
      account: '889772146711',
    });
  });

  it.each([
    ['s3-object-created-eventbridge-docs.json.sample', 'example-key'],
    ['s3-object-created-eventbridge-powertools.json.sample', 'IMG_m7fzo3.jpg'],
  ])('refuses %s, whose key %s is no log file', (name, key) => {
    expect(refusal(sampleJson(name))).toContain(
      `detail.object.key: "${key}" is not a VPC flow-log or Resolver query-log file`,
    );
  });

  it.each([
    ['a Parquet flow-log file', FLOW_KEY.replace('.log.gz', '.log.parquet')],
    ['a file whose name names another account', FLOW_KEY.replace('/123456789012_', '/210987654321_')],
    ['another service’s logs', 'AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/28/x.json.gz'],
    [
      'a look-alike outside AWSLogs',
      'notAWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/28/123456789012_vpcflowlogs_x.log.gz',
    ],
  ])('refuses %s', (_, key) => {
    expect(refusal(objectCreated(key))).toContain('is not a VPC flow-log or Resolver query-log file');
  });

  it('refuses an event of another source or type, naming them', () => {
    expect(refusal({ ...objectCreated(FLOW_KEY), 'detail-type': 'Object Deleted' })).toBe(
      'source: is "aws.s3" / "Object Deleted", expected aws.s3 / Object Created',
    );
  });

  it.each([
    [objectCreated(''), 'detail.object.key: is not an object key: ""'],
    [objectCreated(FLOW_KEY, '5120'), 'detail.object.size: is not a size in bytes: "5120"'],
    [{ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: {} } }, 'detail.bucket.name'],
    [{ source: 'aws.s3', 'detail-type': 'Object Created' }, 'detail: is not an object'],
    ['text', 'is not an object: "text"'],
  ])('refuses a malformed event (%#): %s', (event, message) => {
    expect(refusal(event)).toContain(message);
  });
});
