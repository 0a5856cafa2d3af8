/**
 * The inputs of the log detector functions: S3 Object Created events for the log files AWS writes, and the
 * files themselves (gzip, header line for flow logs) built from the generated traffic of dns-traffic.ts and
 * flow-traffic.ts.
 */
import { gzipSync } from 'node:zlib';
import type { DnsQuery } from '#domain/detect/dns';
import type { FlowRecord } from '#domain/detect/flow';
import { sampleJson } from '../logs/samples';

/** The logs bucket of the tests. */
export const LOGS_BUCKET = 'egress-warden-logs-123456789012';

/** A flow-log key as VPC Flow Logs writes it. */
export const FLOW_KEY =
  'AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/28/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20261128T1000Z_fe123456.log.gz';

/** A query-log key as Resolver query logging writes it. */
export const QUERY_KEY =
  'AWSLogs/123456789012/vpcdnsquerylogs/vpc-0abc1234/2026/11/28/vpc-0abc1234_vpcdnsquerylogs_123456789012_20261128T1000Z_ab12cd34.log.gz';

/** The fields of flow-traffic.ts's lines, as the header line of their file and as a format string. */
export const FLOW_FIELDS =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction pkt-dst-aws-service traffic-path';
export const FLOW_FORMAT_STRING = FLOW_FIELDS.split(' ')
  .map((field) => `\${${field}}`)
  .join(' ');

/** The documented EventBridge Object Created event, for `key` in `bucket`. */
export function objectCreatedEvent(key: string, bucket = LOGS_BUCKET, size = 5120): Record<string, unknown> {
  const event = sampleJson<{ detail: { bucket: { name: string }; object: Record<string, unknown> } }>(
    's3-object-created-eventbridge-docs.json.sample',
  );
  event.detail.bucket.name = bucket;
  event.detail.object.key = key;
  event.detail.object.size = size;
  return event;
}

/** A flow-log file as S3 holds it: gzip of the header line and one line per record, `extra` lines appended. */
export function flowLogFile(records: readonly FlowRecord[], extra: readonly string[] = []): Buffer {
  return gzipSync([FLOW_FIELDS, ...records.map((record) => record.raw), ...extra].join('\n'));
}

/** A query-log file as S3 holds it: gzip of one JSON line per query, `extra` lines appended. */
export function queryLogFile(queries: readonly DnsQuery[], extra: readonly string[] = []): Buffer {
  return gzipSync([...queries.map((query) => query.raw), ...extra].join('\n'));
}
