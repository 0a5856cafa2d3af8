import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#adapters/in-memory/clock';
import { createAwsCore, createAwsTargets, VPC_CIDRS_TTL_MS } from '#shared/composition/aws';
import { type ConfigInput, parseConfig, runtimeConfig } from '#shared/config/config';
import { ENVIRONMENT, parseEnvironment, type WardenEnvironment } from '#shared/config/environment';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const ec2Client = new EC2Client({ region: 'eu-west-1', credentials });
const ec2 = mockClient(ec2Client);
const VPC = 'vpc-0a1b2c3d4e5f60718';

function environment(input: ConfigInput): WardenEnvironment {
  return parseEnvironment({
    [ENVIRONMENT.config]: JSON.stringify(runtimeConfig(parseConfig(input))),
    [ENVIRONMENT.table]: 'decisions',
    [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:123456789012:alerts',
    [ENVIRONMENT.domainList]: 'rslvr-fdl-0123456789abcdef',
    [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/warden',
  });
}

function core(input: ConfigInput, clock = new ManualClock(new Date('2026-11-30T10:00:00Z'))) {
  return createAwsCore(environment(input), {
    ec2: ec2Client,
    dynamodb: new DynamoDBClient({ region: 'eu-west-1', credentials }),
    sns: new SNSClient({ region: 'eu-west-1', credentials }),
    clock,
  });
}

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      {
        VpcId: VPC,
        CidrBlockAssociationSet: [{ CidrBlock: '10.20.0.0/16', CidrBlockState: { State: 'associated' } }],
      },
    ],
  });
});

describe('createAwsCore', () => {
  it('protects the CIDRs read from EC2 for a VPC that lists none, and reads them again only after the TTL', async () => {
    // Prepare
    const clock = new ManualClock(new Date('2026-11-30T10:00:00Z'));
    const warden = core({ vpcs: [{ vpcId: VPC }] }, clock);

    // Act
    const first = await warden.policy();
    clock.advance(VPC_CIDRS_TTL_MS - 1);
    await warden.policy();
    clock.advance(1);
    await warden.policy();

    // Assess
    expect(first.guardRails.vpcCidrs).toEqual(['10.20.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(2);
  });

  it('never calls EC2 when every VPC lists its CIDRs', async () => {
    // Prepare
    const warden = core({ vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }] });

    // Act
    const deps = await warden.dependencies();

    // Assess
    expect(deps.policy.guardRails.vpcCidrs).toEqual(['10.30.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
    expect(deps.dnsFirewall).toBeUndefined();
  });
});

describe('createAwsTargets', () => {
  it('wires only the targets the configuration deploys', () => {
    // Act
    const all = createAwsTargets(core({ vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }] }));
    const aclsOnly = createAwsTargets(
      core({
        vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }],
        targets: { dnsFirewall: { deploy: false }, networkFirewall: { deploy: false } },
      }),
    );

    // Assess
    expect(Object.keys(all).sort()).toEqual(['dnsFirewall', 'networkAcls', 'networkFirewall']);
    expect(Object.keys(aclsOnly)).toEqual(['networkAcls']);
  });
});
