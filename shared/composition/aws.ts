/**
 * The AWS composition root: SDK clients, the AWS adapters, the system clock and the policy, from the
 * functions' environment. Built once per Lambda container. The cores and the targets are separate functions so
 * that a function's bundle holds only the clients it uses (the SDK clients are side-effect free: esbuild drops
 * what is not called). Only `enforce` reaches EC2: `decide` and `catch-up` would otherwise carry its 550 KB
 * client for one DescribeVpcs call.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SnsAlerts } from '#adapters/aws/alerts';
import { systemClock } from '#adapters/aws/clock';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { GuardDutyFindings } from '#adapters/aws/guardduty';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { readVpcCidrs } from '#adapters/aws/vpc-cidrs';
import { InvalidInputError, ServiceUnavailableError } from '#domain/errors';
import type { Policy } from '#domain/policy';
import type { Clock } from '#ports/clock';
import type { VpcCidrsRecord } from '#ports/decision-store';
import { listedCidrs, policyOf } from '#shared/config/config';
import type { WardenEnvironment } from '#shared/config/environment';
import type { Dependencies } from '#shared/use-cases/dependencies';

/**
 * How long the VPCs' CIDRs are trusted before they are read again: from EC2 by `enforce`, from the decision
 * store by the other functions. A new CIDR block is protected within about twice this time.
 */
export const VPC_CIDRS_TTL_MS = 5 * 60_000;

/** The code of the ServiceUnavailableError thrown while the VPC CIDRs record does not cover every VPC. */
const VPC_CIDRS_UNKNOWN = 'VpcCidrsNotRecorded';

/** Store, alerts, clock and policy: what every function needs. */
export interface AwsCore {
  readonly environment: WardenEnvironment;
  readonly store: DynamoDbDecisionStore;
  readonly alerts: SnsAlerts;
  readonly clock: Clock;
  /** The policy with the VPCs' CIDRs, read at most every {@link VPC_CIDRS_TTL_MS} for VPCs that list none. */
  policy(): Promise<Policy>;
  /** Policy, store, alerts and clock: what deciding needs. */
  dependencies(): Promise<Dependencies>;
}

/** The core of `enforce`, which also holds the EC2 client (the network ACLs need it anyway). */
export interface AwsEnforceCore extends AwsCore {
  readonly ec2: EC2Client;
}

/** Options of {@link createAwsCore}: clients other than the default ones (the Lambda's Region and credentials). */
export interface AwsCoreOptions {
  readonly dynamodb?: DynamoDBClient;
  readonly sns?: SNSClient;
  readonly clock?: Clock;
}

/** Options of {@link createAwsEnforceCore}: also the EC2 client. */
export interface AwsEnforceCoreOptions extends AwsCoreOptions {
  readonly ec2?: EC2Client;
}

/** The CIDRs of the VPCs that list none (sorted ids), however a core learns them. */
type UnlistedCidrsReader = (store: DynamoDbDecisionStore, vpcIds: readonly string[]) => Promise<string[]>;

/**
 * Wires the store, the alerts and the policy on AWS, once per container, for `decide` and `catch-up`. The CIDRs
 * of VPCs that list none come from the record `enforce` keeps in the decision store: until it covers every
 * such VPC, `policy()` throws ServiceUnavailableError (retryable: SQS redelivers, the next schedule runs again).
 * Nothing here reaches EC2, so these bundles leave its client out.
 */
export function createAwsCore(environment: WardenEnvironment, options: AwsCoreOptions = {}): AwsCore {
  return coreOf(environment, options, recordedVpcCidrs);
}

/**
 * The core of `enforce`: the CIDRs of VPCs that list none are read from EC2 (DescribeVpcs) and recorded in the
 * decision store for the other functions whenever they differ from the record.
 */
export function createAwsEnforceCore(
  environment: WardenEnvironment,
  options: AwsEnforceCoreOptions = {},
): AwsEnforceCore {
  const ec2 = options.ec2 ?? new EC2Client({});
  const clock = options.clock ?? systemClock;
  const read: UnlistedCidrsReader = async (store, vpcIds) => {
    let cidrs: string[];
    try {
      cidrs = await readVpcCidrs(ec2, vpcIds);
    } catch (error) {
      // EC2 failing must not hold back expiries and unblocks: on a cold start the CIDRs last recorded stand.
      return recordedVpcCidrs(store, vpcIds).catch(() => {
        throw error;
      });
    }
    await recordVpcCidrs(store, { vpcIds, cidrs, readAt: clock.now().toISOString() });
    return cidrs;
  };
  return { ...coreOf(environment, options, read), ec2 };
}

function coreOf(
  environment: WardenEnvironment,
  options: AwsCoreOptions,
  readUnlisted: UnlistedCidrsReader,
): AwsCore {
  const clock = options.clock ?? systemClock;
  const store = new DynamoDbDecisionStore({
    client: DynamoDBDocumentClient.from(options.dynamodb ?? new DynamoDBClient({})),
    tableName: environment.tableName,
  });
  const { config } = environment;
  const alerts = new SnsAlerts({
    client: options.sns ?? new SNSClient({}),
    topicArn: environment.topicArn,
    ...(environment.chatTopicArn ? { chatTopicArn: environment.chatTopicArn } : {}),
  });
  const alerting = {
    digestAbove: config.alerts.digestAbove,
    repeatIntervalMs: config.alerts.repeatIntervalMs,
    ...(environment.busName ? { busName: environment.busName } : {}),
  };
  const unlisted = config.vpcs
    .filter((vpc) => !vpc.cidrs)
    .map((vpc) => vpc.vpcId)
    .sort();
  let cached: { policy: Policy; at: number } | undefined;
  const policy = async (): Promise<Policy> => {
    const now = clock.now().getTime();
    if (cached && (unlisted.length === 0 || now - cached.at < VPC_CIDRS_TTL_MS)) return cached.policy;
    let read: string[];
    try {
      read = unlisted.length > 0 ? await readUnlisted(store, unlisted) : [];
    } catch (error) {
      // The CIDRs read before stand until the source answers again (tried again on every call meanwhile).
      if (cached) return cached.policy;
      throw error;
    }
    cached = { policy: policyOf(config, { vpcCidrs: [...listedCidrs(config), ...read] }), at: now };
    return cached.policy;
  };
  return {
    environment,
    store,
    alerts,
    clock,
    policy,
    dependencies: async () => ({ policy: await policy(), store, alerts, clock, alerting }),
  };
}

/**
 * The recorded CIDRs, when the record covers every VPC in `vpcIds`; ServiceUnavailableError otherwise. A record
 * of more VPCs (written under a previous configuration) only protects more addresses, so it is used as is.
 */
async function recordedVpcCidrs(store: DynamoDbDecisionStore, vpcIds: readonly string[]): Promise<string[]> {
  const record = await store.getVpcCidrs();
  const covered = new Set(record?.vpcIds);
  const missing = vpcIds.filter((id) => !covered.has(id));
  if (record === undefined || missing.length > 0) {
    throw new ServiceUnavailableError(
      `the CIDRs of ${missing.join(', ')} are not known yet: the enforce function records them within a minute of a deploy`,
      VPC_CIDRS_UNKNOWN,
    );
  }
  return [...record.cidrs];
}

/**
 * Writes the record unless the stored one holds the same VPCs and CIDRs (so not every minute). A corrupt
 * stored record is replaced rather than stopping enforcement.
 */
async function recordVpcCidrs(store: DynamoDbDecisionStore, record: VpcCidrsRecord): Promise<void> {
  const stored = await store.getVpcCidrs().catch((error: unknown) => {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  });
  if (stored && sameList(stored.vpcIds, record.vpcIds) && sameList(stored.cidrs, record.cidrs)) return;
  await store.putVpcCidrs(record);
}

/** Equal as sets: EC2 may list the same blocks in another order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

/** The deployed targets' adapters: what enforcing needs beside the core. */
export type AwsTargets = Pick<Dependencies, 'dnsFirewall' | 'networkAcls' | 'networkFirewall'>;

/** Options of {@link createAwsTargets}: clients other than the default ones. */
export interface AwsTargetsOptions {
  readonly resolver?: Route53ResolverClient;
  readonly networkFirewall?: NetworkFirewallClient;
}

/** Wires the adapters of the targets the configuration deploys. */
export function createAwsTargets(core: AwsEnforceCore, options: AwsTargetsOptions = {}): AwsTargets {
  const { environment } = core;
  return {
    ...(environment.domainListId
      ? {
          dnsFirewall: new Route53ResolverDomainList({
            client: options.resolver ?? new Route53ResolverClient({}),
            domainListId: environment.domainListId,
          }),
        }
      : {}),
    ...(environment.config.targets.networkAcls.deploy
      ? { networkAcls: networkAclsOf(environment, core.ec2) }
      : {}),
    ...(environment.ruleGroupArn
      ? {
          networkFirewall: new AwsNetworkFirewallRuleGroup({
            client: options.networkFirewall ?? new NetworkFirewallClient({}),
            ruleGroupArn: environment.ruleGroupArn,
          }),
        }
      : {}),
  };
}

/** The Region's GuardDuty findings, for the catch-up; `guardDuty` replaces the default client. */
export function createAwsFindings(guardDuty: GuardDutyClient = new GuardDutyClient({})): GuardDutyFindings {
  return new GuardDutyFindings({ client: guardDuty });
}

/** The ACLs to manage: those listed, or (the configuration allows no mix) every ACL of the VPCs. */
function networkAclsOf(environment: WardenEnvironment, ec2: EC2Client): Ec2NetworkAcls {
  const { vpcs } = environment.config;
  const listed = vpcs.flatMap((vpc) => vpc.networkAcls ?? []);
  return listed.length > 0
    ? new Ec2NetworkAcls({ client: ec2, aclIds: listed })
    : new Ec2NetworkAcls({ client: ec2, vpcIds: vpcs.map((vpc) => vpc.vpcId) });
}
