/**
 * What the stack needs to know about the logs the detectors read: the flow-log format it creates flow logs
 * with, and where AWS writes each log in a bucket (the keys `parseLogObjectCreated` accepts).
 */
import { DEFAULT_FLOW_LOG_FIELDS } from '#shared/logs/flow-log';

/**
 * The fields of the flow logs the stack creates: the default version-2 fields, then the version-3 and -5 fields
 * the flow detector reads: the packet's own addresses (behind a NAT gateway the interface's are not the
 * talkers), the VPC, subnet and instance for the signal's workload, `tcp-flags` (a lone SYN is a failed
 * attempt), `pkt-dst-aws-service`, `flow-direction` and `traffic-path` (AWS's own traffic and ingress are no
 * exfiltration).
 */
export const FLOW_LOG_FIELDS: readonly string[] = [
  ...DEFAULT_FLOW_LOG_FIELDS,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
];

/** {@link FLOW_LOG_FIELDS} as CreateFlowLogs takes it (`${version} ${account-id} …`). */
export const FLOW_LOG_FORMAT = FLOW_LOG_FIELDS.map((field) => `\${${field}}`).join(' ');

/** The two logs, by the detector that reads them. */
export type DetectorLog = 'query-log' | 'flow-log';

/**
 * The key prefixes under which AWS writes one log of `account` to a bucket, after the user's `prefix` (empty
 * or ending in `/`): `AWSLogs/<account>/vpcdnsquerylogs/` and `AWSLogs/<account>/vpcflowlogs/`, and for flow
 * logs with Hive-compatible partitions (an option of flow logs a user may have created)
 * `AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/`.
 */
export function logKeyPrefixes(log: DetectorLog, account: string, prefix = '', hive = false): string[] {
  if (log === 'query-log') return [`${prefix}AWSLogs/${account}/vpcdnsquerylogs/`];
  const plain = `${prefix}AWSLogs/${account}/vpcflowlogs/`;
  return hive ? [plain, `${prefix}AWSLogs/aws-account-id=${account}/aws-service=vpcflowlogs/`] : [plain];
}

/** The key prefixes of the feed files each detector reads from the feeds bucket. */
export const FEED_PREFIXES: Readonly<Record<DetectorLog, string>> = {
  'query-log': 'feeds/dns/',
  'flow-log': 'feeds/ip/',
};
