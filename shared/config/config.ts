/**
 * The one configuration of Egress Warden: the file a user writes (`egress-warden.config.json`), read by the
 * CDK app at synth, by the functions at cold start (the stack passes the run-time part in the environment) and
 * by the simulation and the CLI. Every error names the field.
 */
import * as v from 'valibot';
import { type DnsSettings, parseDnsSettings } from '#domain/detect/dns-settings';
import { type FlowDetectorSettings, parseFlowDetectorSettings } from '#domain/detect/flow-settings';
import { formatDuration, parseDuration } from '#domain/duration';
import { InvalidInputError } from '#domain/errors';
import { type Policy, type PolicyContext, parseNetwork, parsePolicy } from '#domain/policy';
import { parseWith } from '#domain/validate';
import { type FlowLogFormat, parseFlowLogFormat } from '#shared/logs/flow-log';
import { ACL_ID, VPC_ID } from './aws-ids';

const HOUR = 3_600_000;

const VpcSchema = v.strictObject({
  vpcId: v.pipe(v.string(), v.regex(VPC_ID, 'must look like vpc-0123456789abcdef0')),
  cidrs: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  networkAcls: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(ACL_ID, 'must look like acl-0123456789abcdef0'))),
      v.minLength(1),
    ),
  ),
});

const deploy = v.optional(v.boolean());

const BUCKET_NAME = v.pipe(
  v.string(),
  v.regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name (3-63 lower-case letters, digits, . and -)',
  ),
);
const LOG_GROUP_NAME = v.pipe(
  v.string(),
  v.regex(/^[\w#/.-]{1,512}$/, 'must be a CloudWatch Logs log group name (letters, digits, _ - / . #)'),
);

/** Where the detectors' logs are: written by the stack, or the user's bucket or log groups. */
const DetectorLogsSchema = v.strictObject({
  create: v.optional(v.boolean()),
  expireAfterDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650))),
  bucket: v.optional(BUCKET_NAME),
  prefix: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/?$/,
        'must be a key prefix such as vpc-logs/prod (no leading /)',
      ),
    ),
  ),
  queryLogGroup: v.optional(LOG_GROUP_NAME),
  flowLogGroup: v.optional(LOG_GROUP_NAME),
  flowLogFormat: v.optional(v.string()),
});

const DetectorsSchema = v.strictObject({
  deploy,
  logs: v.optional(DetectorLogsSchema),
  feedsBucket: v.optional(
    v.strictObject({ create: v.optional(v.boolean()), bucket: v.optional(BUCKET_NAME) }),
  ),
  dns: v.optional(v.unknown()),
  flows: v.optional(v.unknown()),
});

const ConfigSchema = v.strictObject({
  $schema: v.optional(v.string()),
  stackName: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name (letters, digits, -)'),
    ),
  ),
  env: v.optional(
    v.strictObject({
      account: v.pipe(v.string(), v.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
      region: v.pipe(
        v.string(),
        v.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS Region such as eu-west-1'),
      ),
    }),
  ),
  vpcs: v.pipe(v.array(VpcSchema), v.minLength(1)),
  targets: v.optional(
    v.strictObject({
      dnsFirewall: v.optional(
        v.strictObject({
          deploy,
          rulePriority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(9999))),
          associationPriority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(101), v.maxValue(9900))),
        }),
      ),
      networkAcls: v.optional(v.strictObject({ deploy })),
      networkFirewall: v.optional(
        v.strictObject({
          deploy,
          capacity: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30_000))),
        }),
      ),
    }),
  ),
  alerts: v.optional(
    v.strictObject({
      emails: v.optional(v.array(v.pipe(v.string(), v.email('must be an e-mail address')))),
      subscriptions: v.optional(
        v.array(
          v.strictObject({
            protocol: v.picklist([
              'email',
              'email-json',
              'http',
              'https',
              'sqs',
              'lambda',
              'sms',
              'firehose',
            ]),
            endpoint: v.pipe(v.string(), v.minLength(1)),
          }),
        ),
      ),
      digestAbove: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
      repeatInterval: v.optional(v.string()),
      chat: v.optional(v.boolean()),
    }),
  ),
  operators: v.optional(
    v.array(
      v.pipe(
        v.string(),
        v.regex(
          /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
          'must be the ARN of an IAM role or user (arn:aws:iam::123456789012:role/SecurityOperators)',
        ),
      ),
    ),
  ),
  guardDuty: v.optional(v.strictObject({ catchUpLookback: v.optional(v.string()) })),
  detectors: v.optional(DetectorsSchema),
  policy: v.optional(v.unknown()),
});

/** What a configuration file holds, as written. */
export type ConfigInput = v.InferInput<typeof ConfigSchema>;

/** One protected VPC. CIDRs and ACLs not listed are read from EC2 at run time. */
export interface VpcConfig {
  readonly vpcId: string;
  readonly cidrs?: readonly string[];
  readonly networkAcls?: readonly string[];
}

/**
 * Where the detectors read their logs. `create`: the stack turns on Resolver query logging and VPC flow logs
 * for every configured VPC, into a bucket of its own whose objects expire after `expireAfterDays`. `bucket`:
 * the user's bucket (same account and Region, EventBridge notifications on) already receives them, under
 * `prefix` (empty, or ending in `/`). `log-groups`: the user's CloudWatch Logs log groups receive them; flow
 * logs there carry no header, so a custom format must be given as `flowLogFormat`.
 */
export type DetectorLogs =
  | { readonly source: 'create'; readonly expireAfterDays: number }
  | { readonly source: 'bucket'; readonly bucket: string; readonly prefix: string }
  | {
      readonly source: 'log-groups';
      readonly queryLogGroup?: string;
      readonly flowLogGroup?: string;
      readonly flowLogFormat?: string;
    };

/** The bucket holding feed files (`feeds/dns/*`, `feeds/ip/*`): created by the stack, or the user's. */
export type FeedsBucket = { readonly create: true } | { readonly bucket: string };

/** A validated configuration with its defaults. */
export interface WardenConfig {
  readonly stackName: string;
  readonly env?: { readonly account: string; readonly region: string };
  readonly vpcs: readonly VpcConfig[];
  readonly targets: {
    readonly dnsFirewall: {
      readonly deploy: boolean;
      /** The BLOCK rule's priority in Egress Warden's own rule group. */
      readonly rulePriority: number;
      /** The rule group's priority in each VPC's DNS Firewall (101–9900; lower is evaluated first). */
      readonly associationPriority: number;
    };
    readonly networkAcls: { readonly deploy: boolean };
    readonly networkFirewall: { readonly deploy: boolean; readonly capacity: number };
  };
  readonly alerts: {
    readonly emails: readonly string[];
    readonly subscriptions: readonly { readonly protocol: string; readonly endpoint: string }[];
    /** More alerts than this in one decide batch or reconcile run go out as one digest (default 5). */
    readonly digestAbove: number;
    /** An identical failure alert is sent at most once per this long (default 1h). */
    readonly repeatIntervalMs: number;
    /** A second topic receives every alert as an AWS Chatbot custom notification (default false). */
    readonly chat: boolean;
  };
  /** IAM roles and users allowed to put manual requests on the warden bus. */
  readonly operators: readonly string[];
  readonly guardDuty: {
    /** How far back the first GuardDuty catch-up after a deploy looks. */
    readonly catchUpLookbackMs: number;
  };
  /** The log detectors: their settings (defaults filled in) and how the stack deploys them. */
  readonly detectors: {
    readonly dns: DnsSettings;
    readonly flows: FlowDetectorSettings;
    /** Off by default: the query logs and flow logs the detectors read are billed. */
    readonly deploy: boolean;
    readonly logs: DetectorLogs;
    readonly feedsBucket?: FeedsBucket;
  };
  /** The detectors' settings as written (`dns`, `flows`), for the functions' environment. */
  readonly detectorsInput?: { readonly dns?: unknown; readonly flows?: unknown };
  /** The policy as written; {@link policyOf} builds the Policy once the VPCs' CIDRs are known. */
  readonly policyInput: unknown;
}

/**
 * The JSON of a configuration file's text. A leading byte-order mark, which some editors save, is dropped.
 * Throws SyntaxError when the text is not JSON.
 */
export function configJson(text: string): unknown {
  return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
}

/**
 * Validates a configuration and fills in its defaults. The policy is checked here too (with the CIDRs the
 * file lists), so a bad policy fails synth rather than a function's cold start. Throws InvalidInputError
 * naming the field; `root` prefixes every field (the variable or file it came from).
 */
export function parseConfig(input: unknown, root?: string): WardenConfig {
  const raw = parseWith(ConfigSchema, input, root);
  const field = (path: string) => (root ? `${root}.${path}` : path);
  const vpcIds = new Set<string>();
  raw.vpcs.forEach((vpc, i) => {
    if (vpcIds.has(vpc.vpcId)) throw new InvalidInputError('is listed twice', field(`vpcs[${i}].vpcId`));
    vpcIds.add(vpc.vpcId);
    if ((vpc.networkAcls === undefined) !== (raw.vpcs[0]?.networkAcls === undefined)) {
      throw new InvalidInputError(
        'list the network ACLs of every VPC, or of none (then every ACL of each VPC is managed)',
        field(`vpcs[${i}].networkAcls`),
      );
    }
  });
  const config: WardenConfig = {
    stackName: raw.stackName ?? 'EgressWarden',
    ...(raw.env ? { env: raw.env } : {}),
    vpcs: raw.vpcs.map((vpc, i) => ({
      vpcId: vpc.vpcId,
      ...(vpc.cidrs
        ? { cidrs: vpc.cidrs.map((cidr, j) => parseNetwork(cidr, field(`vpcs[${i}].cidrs[${j}]`))) }
        : {}),
      ...(vpc.networkAcls ? { networkAcls: [...new Set(vpc.networkAcls)] } : {}),
    })),
    targets: {
      dnsFirewall: {
        deploy: raw.targets?.dnsFirewall?.deploy ?? true,
        rulePriority: raw.targets?.dnsFirewall?.rulePriority ?? 100,
        associationPriority: raw.targets?.dnsFirewall?.associationPriority ?? 9000,
      },
      networkAcls: { deploy: raw.targets?.networkAcls?.deploy ?? true },
      networkFirewall: {
        deploy: raw.targets?.networkFirewall?.deploy ?? true,
        capacity: raw.targets?.networkFirewall?.capacity ?? 1000,
      },
    },
    alerts: {
      emails: raw.alerts?.emails ?? [],
      subscriptions: raw.alerts?.subscriptions ?? [],
      digestAbove: raw.alerts?.digestAbove ?? 5,
      repeatIntervalMs:
        raw.alerts?.repeatInterval === undefined
          ? HOUR
          : parseDuration(raw.alerts.repeatInterval, field('alerts.repeatInterval')),
      chat: raw.alerts?.chat ?? false,
    },
    operators: raw.operators ?? [],
    guardDuty: {
      catchUpLookbackMs:
        raw.guardDuty?.catchUpLookback === undefined
          ? 24 * HOUR
          : parseDuration(raw.guardDuty.catchUpLookback, field('guardDuty.catchUpLookback')),
    },
    detectors: {
      dns: parseDnsSettings(raw.detectors?.dns, field('detectors.dns')),
      flows: parseFlowDetectorSettings(raw.detectors?.flows, field('detectors.flows')),
      deploy: raw.detectors?.deploy ?? false,
      logs: detectorLogsOf(raw.detectors?.logs, field('detectors.logs')),
      ...(raw.detectors?.feedsBucket
        ? { feedsBucket: feedsBucketOf(raw.detectors.feedsBucket, field('detectors.feedsBucket')) }
        : {}),
    },
    ...(raw.detectors?.dns !== undefined || raw.detectors?.flows !== undefined
      ? { detectorsInput: settingsInput(raw.detectors) }
      : {}),
    policyInput: raw.policy,
  };
  policyOf(config, { vpcCidrs: listedCidrs(config) }, root);
  return config;
}

type DetectorLogsInput = v.InferOutput<typeof DetectorLogsSchema>;

/** The one log source `input` names (none named: the stack creates the logs); throws naming `field`. */
function detectorLogsOf(input: DetectorLogsInput | undefined, field: string): DetectorLogs {
  const { create, expireAfterDays, bucket, prefix, queryLogGroup, flowLogGroup, flowLogFormat } = input ?? {
    create: true,
  };
  const groups = queryLogGroup !== undefined || flowLogGroup !== undefined;
  const named = [create === true, bucket !== undefined, groups].filter(Boolean).length;
  if (named !== 1 || create === false) {
    throw new InvalidInputError(
      'give one of { "create": true }, { "bucket": "<name>" } or { "queryLogGroup" and/or "flowLogGroup" }',
      field,
    );
  }
  if (expireAfterDays !== undefined && create !== true) {
    throw new InvalidInputError('applies only to a bucket the stack creates', `${field}.expireAfterDays`);
  }
  if (prefix !== undefined && bucket === undefined) {
    throw new InvalidInputError('applies only to a bucket of yours ("bucket")', `${field}.prefix`);
  }
  if (flowLogFormat !== undefined) {
    if (flowLogGroup === undefined)
      throw new InvalidInputError('needs flowLogGroup', `${field}.flowLogFormat`);
    parseFlowLogFormatAt(flowLogFormat, `${field}.flowLogFormat`);
  }
  if (create) return { source: 'create', expireAfterDays: expireAfterDays ?? 30 };
  if (bucket !== undefined) {
    return {
      source: 'bucket',
      bucket,
      prefix: prefix === undefined || prefix.endsWith('/') ? (prefix ?? '') : `${prefix}/`,
    };
  }
  return {
    source: 'log-groups',
    ...(queryLogGroup === undefined ? {} : { queryLogGroup }),
    ...(flowLogGroup === undefined ? {} : { flowLogGroup }),
    ...(flowLogFormat === undefined ? {} : { flowLogFormat }),
  };
}

function feedsBucketOf(input: { create?: boolean; bucket?: string }, field: string): FeedsBucket {
  if ((input.create === true) === (input.bucket !== undefined) || input.create === false) {
    throw new InvalidInputError('give one of { "create": true } or { "bucket": "<name>" }', field);
  }
  return input.bucket === undefined ? { create: true } : { bucket: input.bucket };
}

/** The detector settings as written, without the stack's deployment settings. */
function settingsInput(detectors: { dns?: unknown; flows?: unknown }): { dns?: unknown; flows?: unknown } {
  return {
    ...(detectors.dns === undefined ? {} : { dns: detectors.dns }),
    ...(detectors.flows === undefined ? {} : { flows: detectors.flows }),
  };
}

/**
 * A flow-log format string (`${version} ${srcaddr} …`, as given to CreateFlowLogs), parsed; an error names
 * `field` (the configuration key or the variable it came from) rather than the parser's own name.
 */
export function parseFlowLogFormatAt(format: string, field: string): FlowLogFormat {
  try {
    return parseFlowLogFormat(format);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const reason = error.field ? error.message.slice(error.field.length + 2) : error.message;
    throw new InvalidInputError(reason, field, { cause: error });
  }
}

/** The VPC CIDRs the configuration lists; a VPC without `cidrs` contributes none. */
export function listedCidrs(config: WardenConfig): string[] {
  return config.vpcs.flatMap((vpc) => vpc.cidrs ?? []);
}

/** The configuration's policy, with the deployment's context (the VPCs' CIDRs, AWS's ranges). */
export function policyOf(config: WardenConfig, context: PolicyContext, root?: string): Policy {
  return parsePolicy(config.policyInput, context, root ? `${root}.policy` : 'policy');
}

/**
 * The part of a configuration the functions need at run time, as the stack passes it in the environment:
 * the VPCs, the targets and the policy (the stack's own settings stay out).
 */
export function runtimeConfig(config: WardenConfig): ConfigInput {
  const { dnsFirewall, networkAcls, networkFirewall } = config.targets;
  return {
    vpcs: config.vpcs.map(({ vpcId, cidrs, networkAcls }) => ({
      vpcId,
      ...(cidrs ? { cidrs: [...cidrs] } : {}),
      ...(networkAcls ? { networkAcls: [...networkAcls] } : {}),
    })),
    targets: {
      dnsFirewall: { ...dnsFirewall },
      networkAcls: { ...networkAcls },
      networkFirewall: { ...networkFirewall },
    },
    alerts: {
      digestAbove: config.alerts.digestAbove,
      repeatInterval: formatDuration(config.alerts.repeatIntervalMs),
      chat: config.alerts.chat,
    },
    guardDuty: { catchUpLookback: formatDuration(config.guardDuty.catchUpLookbackMs) },
    ...(config.detectorsInput ? { detectors: config.detectorsInput } : {}),
    ...(config.policyInput === undefined ? {} : { policy: config.policyInput }),
  };
}
