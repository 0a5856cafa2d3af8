/**
 * The AWS composition root: SDK clients, the AWS adapters, the system clock and the policy, from the
 * functions' environment. Built once per Lambda container. The core and the targets are separate functions so
 * that a function's bundle holds only the clients it uses (the SDK clients are side-effect free: esbuild drops
 * what is not called).
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
import type { Policy } from '#domain/policy';
import type { Clock } from '#ports/clock';
import { listedCidrs, policyOf } from '#shared/config/config';
import type { WardenEnvironment } from '#shared/config/environment';
import type { Dependencies } from '#shared/use-cases/dependencies';

/** How long the VPCs' CIDRs read from EC2 are trusted: a new CIDR block is protected within this time. */
export const VPC_CIDRS_TTL_MS = 5 * 60_000;

/** Store, alerts, clock and policy: what every function needs. */
export interface AwsCore {
  readonly environment: WardenEnvironment;
  readonly store: DynamoDbDecisionStore;
  readonly alerts: SnsAlerts;
  readonly clock: Clock;
  readonly ec2: EC2Client;
  /** The policy with the VPCs' CIDRs, read from EC2 at most every {@link VPC_CIDRS_TTL_MS} for VPCs that list none. */
  policy(): Promise<Policy>;
  /** Policy, store, alerts and clock: what deciding needs. */
  dependencies(): Promise<Dependencies>;
}

/** Options of {@link createAwsCore}: clients other than the default ones (the Lambda's Region and credentials). */
export interface AwsCoreOptions {
  readonly dynamodb?: DynamoDBClient;
  readonly sns?: SNSClient;
  readonly ec2?: EC2Client;
  readonly clock?: Clock;
}

/** Wires the store, the alerts and the policy on AWS, once per container. */
export function createAwsCore(environment: WardenEnvironment, options: AwsCoreOptions = {}): AwsCore {
  const clock = options.clock ?? systemClock;
  const ec2 = options.ec2 ?? new EC2Client({});
  const store = new DynamoDbDecisionStore({
    client: DynamoDBDocumentClient.from(options.dynamodb ?? new DynamoDBClient({})),
    tableName: environment.tableName,
  });
  const alerts = new SnsAlerts({ client: options.sns ?? new SNSClient({}), topicArn: environment.topicArn });
  const { config } = environment;
  const unlisted = config.vpcs.filter((vpc) => !vpc.cidrs).map((vpc) => vpc.vpcId);
  let cached: { policy: Policy; at: number } | undefined;
  const policy = async (): Promise<Policy> => {
    const now = clock.now().getTime();
    if (cached && (unlisted.length === 0 || now - cached.at < VPC_CIDRS_TTL_MS)) return cached.policy;
    const read = unlisted.length > 0 ? await readVpcCidrs(ec2, unlisted) : [];
    cached = { policy: policyOf(config, { vpcCidrs: [...listedCidrs(config), ...read] }), at: now };
    return cached.policy;
  };
  return {
    environment,
    store,
    alerts,
    clock,
    ec2,
    policy,
    dependencies: async () => ({ policy: await policy(), store, alerts, clock }),
  };
}

/** The deployed targets' adapters: what enforcing needs beside the core. */
export type AwsTargets = Pick<Dependencies, 'dnsFirewall' | 'networkAcls' | 'networkFirewall'>;

/** Options of {@link createAwsTargets}: clients other than the default ones. */
export interface AwsTargetsOptions {
  readonly resolver?: Route53ResolverClient;
  readonly networkFirewall?: NetworkFirewallClient;
}

/** Wires the adapters of the targets the configuration deploys. */
export function createAwsTargets(core: AwsCore, options: AwsTargetsOptions = {}): AwsTargets {
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
