/**
 * The functions' environment, as the stack sets it: the run-time configuration (JSON, the same schema as the
 * configuration file) and the names of the resources the stack created. Parsed once at cold start; every
 * error names the variable.
 */
import * as v from 'valibot';
import { InvalidInputError } from '#domain/errors';
import { parseWith } from '#domain/validate';
import { DEFAULT_FLOW_LOG_FORMAT, type FlowLogFormat } from '#shared/logs/flow-log';
import { parseConfig, parseFlowLogFormatAt, type WardenConfig } from './config';

/** The variables, by role. */
export const ENVIRONMENT = {
  config: 'EGRESS_WARDEN_CONFIG',
  table: 'DECISION_TABLE_NAME',
  topic: 'ALERT_TOPIC_ARN',
  domainList: 'DNS_FIREWALL_DOMAIN_LIST_ID',
  ruleGroup: 'NETWORK_FIREWALL_RULE_GROUP_ARN',
  detectorTable: 'DETECTOR_TABLE_NAME',
  bus: 'WARDEN_BUS_NAME',
  feedsBucket: 'FEEDS_BUCKET',
  flowLogFormat: 'FLOW_LOG_FORMAT',
  chatTopic: 'CHAT_TOPIC_ARN',
} as const;

/** What a function knows about its deployment. */
export interface WardenEnvironment {
  readonly config: WardenConfig;
  readonly tableName: string;
  readonly topicArn: string;
  /** Set when the DNS Firewall target is deployed. */
  readonly domainListId?: string;
  /** Set when the Network Firewall target is deployed. */
  readonly ruleGroupArn?: string;
  /** The warden bus, by name or ARN, for the undo commands in alerts; a placeholder is shown when unset. */
  readonly busName?: string;
  /** Set when `alerts.chat` is on: the topic chat channels subscribe to. */
  readonly chatTopicArn?: string;
}

const TABLE_NAME = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));
const TOPIC_ARN = v.pipe(
  v.string(),
  v.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'must be an SNS topic ARN'),
);
const DOMAIN_LIST_ID = v.pipe(
  v.string(),
  v.regex(/^rslvr-fdl-[0-9a-f]{1,64}$/, 'must be a DNS Firewall domain list id (rslvr-fdl-…)'),
);
const RULE_GROUP_ARN = v.pipe(
  v.string(),
  v.regex(
    /^arn:aws[a-z-]*:network-firewall:[a-z0-9-]+:\d{12}:stateful-rulegroup\/[\w-]+$/,
    'must be a stateful Network Firewall rule group ARN',
  ),
);

/**
 * Reads and validates the environment. A target the configuration deploys must have its resource variable.
 * Throws InvalidInputError whose field is the variable (`EGRESS_WARDEN_CONFIG.vpcs[0].vpcId` inside the JSON).
 */
export function parseEnvironment(env: Readonly<Record<string, string | undefined>>): WardenEnvironment {
  const required = <S extends v.GenericSchema<string>>(name: string, schema: S): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new InvalidInputError('is not set', name);
    return parseWith(schema, value, name);
  };
  const configText = env[ENVIRONMENT.config];
  if (configText === undefined || configText === '')
    throw new InvalidInputError('is not set', ENVIRONMENT.config);
  let json: unknown;
  try {
    json = JSON.parse(configText);
  } catch (error) {
    throw new InvalidInputError(`is not valid JSON: ${(error as Error).message}`, ENVIRONMENT.config);
  }
  const config = parseConfig(json, ENVIRONMENT.config);
  return {
    config,
    tableName: required(ENVIRONMENT.table, TABLE_NAME),
    topicArn: required(ENVIRONMENT.topic, TOPIC_ARN),
    ...(config.targets.dnsFirewall.deploy
      ? { domainListId: required(ENVIRONMENT.domainList, DOMAIN_LIST_ID) }
      : {}),
    ...(config.targets.networkFirewall.deploy
      ? { ruleGroupArn: required(ENVIRONMENT.ruleGroup, RULE_GROUP_ARN) }
      : {}),
    ...(env[ENVIRONMENT.bus] ? { busName: required(ENVIRONMENT.bus, BUS_NAME) } : {}),
    ...(config.alerts.chat ? { chatTopicArn: required(ENVIRONMENT.chatTopic, TOPIC_ARN) } : {}),
  };
}

/** What a log detector function knows besides the common environment. */
export interface DetectorEnvironment extends WardenEnvironment {
  readonly detectorTableName: string;
  /** The warden bus, by name or ARN. */
  readonly busName: string;
  /** The bucket holding `feeds/dns/*` and `feeds/ip/*`; no feeds when unset. */
  readonly feedsBucket?: string;
  /** The fields of flow logs delivered to CloudWatch Logs (no header there); the default version 2 when unset. */
  readonly flowLogFormat: FlowLogFormat;
}

const BUS_NAME = v.pipe(
  v.string(),
  v.regex(
    /^(?:[\w.-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.-]{1,256})$/,
    'must be an EventBridge bus name or ARN',
  ),
);
const BUCKET_NAME = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
);

/**
 * The environment of `detect-dns` and `detect-flows`: the common one ({@link parseEnvironment}) and the
 * detector table, the warden bus, the optional feeds bucket and the optional flow-log format string
 * (`${version} ${account-id} …`, as given to CreateFlowLogs). Throws InvalidInputError naming the variable.
 */
export function parseDetectorEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): DetectorEnvironment {
  const common = parseEnvironment(env);
  const value = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const tableName = value(ENVIRONMENT.detectorTable);
  if (tableName === undefined) throw new InvalidInputError('is not set', ENVIRONMENT.detectorTable);
  const busName = value(ENVIRONMENT.bus);
  if (busName === undefined) throw new InvalidInputError('is not set', ENVIRONMENT.bus);
  const feedsBucket = value(ENVIRONMENT.feedsBucket);
  const format = value(ENVIRONMENT.flowLogFormat);
  return {
    ...common,
    detectorTableName: parseWith(TABLE_NAME, tableName, ENVIRONMENT.detectorTable),
    busName: parseWith(BUS_NAME, busName, ENVIRONMENT.bus),
    ...(feedsBucket === undefined
      ? {}
      : { feedsBucket: parseWith(BUCKET_NAME, feedsBucket, ENVIRONMENT.feedsBucket) }),
    flowLogFormat:
      format === undefined
        ? DEFAULT_FLOW_LOG_FORMAT
        : parseFlowLogFormatAt(format, ENVIRONMENT.flowLogFormat),
  };
}
