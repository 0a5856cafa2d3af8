/**
 * The AWS clients behind aws-sdk-client-mock, backed by the same stateful service fakes the adapter tests use
 * (test/support/fakes), so the AWS adapters run their real request logic and every command they send can be
 * counted.
 */
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  type NetworkAclEntry as Ec2NetworkAclEntry,
} from '@aws-sdk/client-ec2';
import {
  DescribeRuleGroupCommand,
  NetworkFirewallClient,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import {
  GetFirewallDomainListCommand,
  ListFirewallDomainsCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeEc2NetworkAcls } from '../test/support/fakes/ec2-network-acls';
import { fakeNetworkFirewall } from '../test/support/fakes/network-firewall';
import { DOMAIN_LIST_ID, fakeRoute53Resolver } from '../test/support/fakes/route53-resolver';
import { fakeSns, TOPIC_ARN } from '../test/support/fakes/sns';

/** Placeholder credentials: no request ever leaves the process. */
const clientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
} as const;

export { RULE_GROUP_ARN } from '../test/support/fakes/network-firewall';
export { DOMAIN_LIST_ID, TOPIC_ARN };
export const ACL_ID = 'acl-0b1e2c3d4e5f60718';
export const VPC_ID = 'vpc-0b1e2c3d4e5f60718';

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
  /** The ACL's egress entries as EC2 holds them. */
  aclEntries(): readonly Ec2NetworkAclEntry[];
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
  // Status polls still happen after every write; the list answers COMPLETE at once.
  const resolverFake = fakeRoute53Resolver(resolverMock, { pollsWhileUpdating: 0 });
  const ec2Fake = fakeEc2NetworkAcls(
    ec2Mock,
    [
      {
        aclId: ACL_ID,
        vpcId: VPC_ID,
        egress: [
          { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' },
          { ruleNumber: 101, cidr: '::/0', action: 'allow', protocol: '-1' },
        ],
      },
    ],
    { maxEntriesPerFamily: options.maxEntriesPerFamily, pageSize: 1000 },
  );
  const groupFake = fakeNetworkFirewall(networkFirewallMock, { capacity: options.networkFirewallCapacity });
  fakeSns(snsMock);
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
    domains: resolverFake.domains,
    aclEntries: () => ec2Fake.egress(ACL_ID),
    rules: () => groupFake.rules,
    restore: () => {
      resolverMock.restore();
      ec2Mock.restore();
      networkFirewallMock.restore();
      snsMock.restore();
    },
  };
}
