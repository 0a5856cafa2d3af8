/** The AWS clients of the enforce function with every target on its stateful fake, for the test VPC and ACL. */

import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { fakeEc2NetworkAcls } from './fakes/ec2-network-acls';
import { fakeNetworkFirewall } from './fakes/network-firewall';
import { fakeRoute53Resolver } from './fakes/route53-resolver';
import { fakeSns } from './fakes/sns';
import { ACL_ID, VPC_ID } from './lambda-events';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const region = 'us-east-1';

/**
 * SNS (holding the topic unless `topicGone`), EC2 (the test ACL allowing all egress), Route 53 Resolver and
 * Network Firewall (capacity 100, holding `firewallRules`) on their fakes. DescribeVpcs reports `vpcCidrs`
 * (changeable) for the test VPC, after throwing each error queued in `describeVpcsFailures`.
 */
export function fakeEnforceTargets(
  options: {
    readonly pollsWhileUpdating?: number;
    readonly firewallRules?: string;
    readonly topicGone?: boolean;
  } = {},
) {
  const clients = {
    sns: new SNSClient({ region, credentials }),
    ec2: new EC2Client({ region, credentials }),
    resolver: new Route53ResolverClient({ region, credentials }),
    networkFirewall: new NetworkFirewallClient({ region, credentials }),
  };
  const resolverMock = mockClient(clients.resolver);
  const firewallMock = mockClient(clients.networkFirewall);
  const ec2Mock = mockClient(clients.ec2);
  const vpcCidrs = ['10.20.0.0/16'];
  const describeVpcsFailures: Error[] = [];
  ec2Mock.on(DescribeVpcsCommand).callsFake(() => {
    const failure = describeVpcsFailures.shift();
    if (failure) throw failure;
    return {
      Vpcs: [
        {
          VpcId: VPC_ID,
          CidrBlockAssociationSet: vpcCidrs.map((cidr) => ({
            CidrBlock: cidr,
            CidrBlockState: { State: 'associated' },
          })),
        },
      ],
    };
  });
  const fakes = {
    sns: fakeSns(mockClient(clients.sns), options.topicGone ? [] : undefined),
    ec2: fakeEc2NetworkAcls(ec2Mock, [
      {
        aclId: ACL_ID,
        vpcId: VPC_ID,
        egress: [{ ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' }],
      },
    ]),
    resolver: fakeRoute53Resolver(resolverMock, { pollsWhileUpdating: options.pollsWhileUpdating ?? 0 }),
    firewall: fakeNetworkFirewall(firewallMock, { capacity: 100, rules: options.firewallRules }),
  };
  return { clients, resolverMock, firewallMock, ec2Mock, vpcCidrs, describeVpcsFailures, fakes };
}
