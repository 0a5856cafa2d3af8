/**
 * Small stateful fakes of the AWS services Egress Warden writes to, behind aws-sdk-client-mock, so the AWS
 * adapters run their real request logic and every command they send can be counted. They keep only the
 * rules that shape the number of calls: pages, update tokens, quotas and the list status.
 */
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  EC2ServiceException,
  type NetworkAclEntry as Ec2NetworkAclEntry,
} from '@aws-sdk/client-ec2';
import {
  DescribeRuleGroupCommand,
  InvalidTokenException,
  NetworkFirewallClient,
  type RuleGroup,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import {
  GetFirewallDomainListCommand,
  ListFirewallDomainsCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { suricataRules } from '#adapters/service-rules/network-firewall';

/** Placeholder credentials: no request ever leaves the process. */
const clientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
} as const;
const $metadata = {};

export const DOMAIN_LIST_ID = 'rslvr-fdl-0b1e2c3d4e5f6071';
export const ACL_ID = 'acl-0b1e2c3d4e5f60718';
export const VPC_ID = 'vpc-0b1e2c3d4e5f60718';
export const RULE_GROUP_ARN =
  'arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/egress-warden';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:egress-warden-alerts';

/** The commands the adapters may send, by service and kind; anything else is refused by the fakes. */
export const COUNTED_COMMANDS = [
  { service: 'Route 53 Resolver', command: ListFirewallDomainsCommand, kind: 'read' },
  { service: 'Route 53 Resolver', command: GetFirewallDomainListCommand, kind: 'read' },
  { service: 'Route 53 Resolver', command: UpdateFirewallDomainsCommand, kind: 'write' },
  { service: 'EC2', command: DescribeNetworkAclsCommand, kind: 'read' },
  { service: 'EC2', command: CreateNetworkAclEntryCommand, kind: 'write' },
  { service: 'EC2', command: DeleteNetworkAclEntryCommand, kind: 'write' },
  { service: 'Network Firewall', command: DescribeRuleGroupCommand, kind: 'read' },
  { service: 'Network Firewall', command: UpdateRuleGroupCommand, kind: 'write' },
  { service: 'SNS', command: PublishCommand, kind: 'alert' },
] as const;

/**
 * Route 53 Resolver with one domain list: names stored with the trailing dot the API adds, listings paged by
 * `MaxResults`, UpdateFirewallDomains answering `UPDATING` and the next GetFirewallDomainList `COMPLETE`.
 */
function fakeResolver(mock: AwsClientStub<Route53ResolverClient>) {
  const domains = new Set<string>();
  mock.on(ListFirewallDomainsCommand).callsFake((input) => {
    const all = [...domains];
    const start = Number(input.NextToken ?? 0);
    const end = start + (input.MaxResults ?? 100);
    return { Domains: all.slice(start, end), NextToken: end < all.length ? String(end) : undefined };
  });
  mock.on(GetFirewallDomainListCommand).resolves({
    FirewallDomainList: { Id: DOMAIN_LIST_ID, Status: 'COMPLETE' },
  });
  mock.on(UpdateFirewallDomainsCommand).callsFake((input) => {
    const names = (input.Domains ?? []).map((domain: string) => `${domain.replace(/\.$/, '')}.`);
    if (names.length > 1000) throw new Error('UpdateFirewallDomains takes at most 1,000 domains');
    for (const name of names) {
      if (input.Operation === 'ADD') domains.add(name);
      else domains.delete(name);
    }
    return { Id: DOMAIN_LIST_ID, Status: 'UPDATING' };
  });
  return domains;
}

/** EC2 with one network ACL: egress and ingress entries, the per-family quota and EC2's error codes. */
function fakeEc2(mock: AwsClientStub<EC2Client>, maxEntriesPerFamily: number) {
  const ec2Error = (code: string) =>
    new EC2ServiceException({ name: code, $fault: 'client', $metadata, message: code });
  const entries: Ec2NetworkAclEntry[] = [
    { Egress: true, RuleNumber: 100, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
    { Egress: true, RuleNumber: 101, RuleAction: 'allow', Protocol: '-1', Ipv6CidrBlock: '::/0' },
  ];
  for (const Egress of [true, false]) {
    entries.push(
      { Egress, RuleNumber: 32767, RuleAction: 'deny', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
      { Egress, RuleNumber: 32768, RuleAction: 'deny', Protocol: '-1', Ipv6CidrBlock: '::/0' },
    );
  }
  mock.on(DescribeNetworkAclsCommand).callsFake(() => ({
    NetworkAcls: [
      { NetworkAclId: ACL_ID, VpcId: VPC_ID, IsDefault: false, Entries: entries.map((e) => ({ ...e })) },
    ],
  }));
  mock.on(CreateNetworkAclEntryCommand).callsFake((input) => {
    const ipv6 = input.Ipv6CidrBlock !== undefined;
    const sameDirection = entries.filter((entry) => entry.Egress === input.Egress);
    if (sameDirection.some((entry) => entry.RuleNumber === input.RuleNumber)) {
      throw ec2Error('NetworkAclEntryAlreadyExists');
    }
    const sameFamily = sameDirection.filter((entry) => (entry.Ipv6CidrBlock !== undefined) === ipv6);
    if (sameFamily.length >= maxEntriesPerFamily) throw ec2Error('NetworkAclEntryLimitExceeded');
    entries.push({
      Egress: input.Egress,
      RuleNumber: input.RuleNumber,
      RuleAction: input.RuleAction,
      Protocol: input.Protocol,
      ...(ipv6 ? { Ipv6CidrBlock: input.Ipv6CidrBlock } : { CidrBlock: input.CidrBlock }),
    });
    return {};
  });
  mock.on(DeleteNetworkAclEntryCommand).callsFake((input) => {
    const index = entries.findIndex(
      (entry) => entry.Egress === input.Egress && entry.RuleNumber === input.RuleNumber,
    );
    if (index < 0) throw ec2Error('InvalidNetworkAclEntry.NotFound');
    entries.splice(index, 1);
    return {};
  });
  return entries;
}

/** A stateful Suricata rule group: a new token after every update, a stale token refused, the capacity. */
function fakeNetworkFirewall(mock: AwsClientStub<NetworkFirewallClient>, capacity: number) {
  const state = {
    token: 'token-1',
    version: 1,
    ruleGroup: { RulesSource: { RulesString: '' } } as RuleGroup,
  };
  const rules = () => state.ruleGroup.RulesSource?.RulesString ?? '';
  const response = () => ({
    RuleGroupArn: RULE_GROUP_ARN,
    RuleGroupName: 'egress-warden',
    RuleGroupId: '11111111-2222-4333-8444-555555555555',
    Type: 'STATEFUL' as const,
    Capacity: capacity,
    ConsumedCapacity: suricataRules(rules()).length,
  });
  mock.on(DescribeRuleGroupCommand).callsFake(() => ({
    UpdateToken: state.token,
    RuleGroup: structuredClone(state.ruleGroup),
    RuleGroupResponse: response(),
  }));
  mock.on(UpdateRuleGroupCommand).callsFake((input) => {
    if (input.UpdateToken !== state.token) {
      throw new InvalidTokenException({ $metadata, message: 'The update token is stale' });
    }
    const next = input.RuleGroup?.RulesSource?.RulesString ?? '';
    if (suricataRules(next).length > capacity) throw new Error('capacity exceeded');
    state.ruleGroup = { ...input.RuleGroup, RulesSource: { RulesString: next } };
    state.version++;
    state.token = `token-${state.version}`;
    return { UpdateToken: state.token, RuleGroupResponse: response() };
  });
  return { rules };
}

/** The four clients, their mocks and the fakes' state. */
export interface AwsFakes {
  readonly resolver: Route53ResolverClient;
  readonly ec2: EC2Client;
  readonly networkFirewall: NetworkFirewallClient;
  readonly sns: SNSClient;
  /** Commands sent so far, by command name (cumulative). */
  counts(): Record<string, number>;
  /** Domain list entries now held, as the service stores them (trailing dot). */
  readonly domains: ReadonlySet<string>;
  /** Every entry of the ACL, both directions. */
  readonly aclEntries: readonly Ec2NetworkAclEntry[];
  rules(): string;
  /** Removes the stubs from the clients. */
  restore(): void;
}

/** Builds the clients with stateful fakes behind them. */
export function createAwsFakes(options: {
  maxEntriesPerFamily: number;
  networkFirewallCapacity: number;
}): AwsFakes {
  const resolver = new Route53ResolverClient(clientConfig);
  const ec2 = new EC2Client(clientConfig);
  const networkFirewall = new NetworkFirewallClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  const resolverMock = mockClient(resolver);
  const ec2Mock = mockClient(ec2);
  const networkFirewallMock = mockClient(networkFirewall);
  const snsMock = mockClient(sns);
  const unanswered = () => new Error('the benchmark fakes do not answer this command');
  resolverMock.onAnyCommand().rejects(unanswered());
  ec2Mock.onAnyCommand().rejects(unanswered());
  networkFirewallMock.onAnyCommand().rejects(unanswered());
  snsMock.onAnyCommand().rejects(unanswered());
  const domains = fakeResolver(resolverMock);
  const aclEntries = fakeEc2(ec2Mock, options.maxEntriesPerFamily);
  const group = fakeNetworkFirewall(networkFirewallMock, options.networkFirewallCapacity);
  let messages = 0;
  snsMock.on(PublishCommand).callsFake(() => ({ MessageId: `message-${++messages}` }));
  const sent = () => [
    ...resolverMock.calls(),
    ...ec2Mock.calls(),
    ...networkFirewallMock.calls(),
    ...snsMock.calls(),
  ];

  return {
    resolver,
    ec2,
    networkFirewall,
    sns,
    counts: () => {
      const counts: Record<string, number> = { total: 0 };
      for (const { command } of COUNTED_COMMANDS) counts[command.name] = 0;
      for (const call of sent()) {
        const name = (call.args[0] as object).constructor.name;
        counts[name] = (counts[name] ?? 0) + 1;
        counts.total = (counts.total ?? 0) + 1;
      }
      return counts;
    },
    domains,
    aclEntries,
    rules: group.rules,
    restore: () => {
      resolverMock.restore();
      ec2Mock.restore();
      networkFirewallMock.restore();
      snsMock.restore();
    },
  };
}
