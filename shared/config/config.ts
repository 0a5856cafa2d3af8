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

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const ACL_ID = /^acl-[0-9a-f]{8,17}$/;
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
  detectors: v.optional(v.strictObject({ dns: v.optional(v.unknown()), flows: v.optional(v.unknown()) })),
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
  };
  /** IAM roles and users allowed to put manual requests on the warden bus. */
  readonly operators: readonly string[];
  readonly guardDuty: {
    /** How far back the first GuardDuty catch-up after a deploy looks. */
    readonly catchUpLookbackMs: number;
  };
  /** The log detectors' settings, defaults filled in, and as written (for the functions' environment). */
  readonly detectors: { readonly dns: DnsSettings; readonly flows: FlowDetectorSettings };
  readonly detectorsInput?: ConfigInput['detectors'];
  /** The policy as written; {@link policyOf} builds the Policy once the VPCs' CIDRs are known. */
  readonly policyInput: unknown;
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
    alerts: { emails: raw.alerts?.emails ?? [], subscriptions: raw.alerts?.subscriptions ?? [] },
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
    },
    ...(raw.detectors ? { detectorsInput: raw.detectors } : {}),
    policyInput: raw.policy,
  };
  policyOf(config, { vpcCidrs: listedCidrs(config) }, root);
  return config;
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
    guardDuty: { catchUpLookback: formatDuration(config.guardDuty.catchUpLookbackMs) },
    ...(config.detectorsInput ? { detectors: config.detectorsInput } : {}),
    ...(config.policyInput === undefined ? {} : { policy: config.policyInput }),
  };
}
