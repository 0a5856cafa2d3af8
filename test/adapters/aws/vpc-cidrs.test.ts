import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readVpcCidrs } from '#adapters/aws/vpc-cidrs';
import { InvalidInputError, ThrottledError } from '#domain/errors';

const client = new EC2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const ec2 = mockClient(client);

const VPC_A = 'vpc-0a1b2c3d4e5f60001';
const VPC_B = 'vpc-0a1b2c3d4e5f60002';

const v4 = (CidrBlock: string, State: 'associated' | 'associating' | 'disassociated' = 'associated') => ({
  CidrBlock,
  CidrBlockState: { State },
});
const v6 = (Ipv6CidrBlock: string, State: 'associated' | 'disassociating' = 'associated') => ({
  Ipv6CidrBlock,
  Ipv6CidrBlockState: { State },
});

beforeEach(() => {
  ec2.reset();
});

describe('readVpcCidrs', () => {
  it('reads the associated IPv4 and IPv6 blocks of every VPC, across pages, IPv4 first', async () => {
    // Prepare
    ec2
      .on(DescribeVpcsCommand, { NextToken: undefined })
      .resolves({
        Vpcs: [
          {
            VpcId: VPC_A,
            CidrBlockAssociationSet: [v4('10.20.0.0/16'), v4('100.64.0.0/20', 'associating')],
            Ipv6CidrBlockAssociationSet: [
              v6('2600:1f18:5:a00::/56'),
              v6('2600:1f18:6:b00::/56', 'disassociating'),
            ],
          },
        ],
        NextToken: 'page-2',
      })
      .on(DescribeVpcsCommand, { NextToken: 'page-2' })
      .resolves({
        Vpcs: [{ VpcId: VPC_B, CidrBlockAssociationSet: [v4('10.30.0.0/16'), v4('10.20.0.0/16')] }],
      });

    // Act
    const cidrs = await readVpcCidrs(client, [VPC_A, VPC_B]);

    // Assess
    expect(cidrs).toEqual(['10.20.0.0/16', '10.30.0.0/16', '2600:1f18:5:a00::/56']);
    const calls = ec2.commandCalls(DescribeVpcsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input.Filters).toEqual([{ Name: 'vpc-id', Values: [VPC_A, VPC_B] }]);
  });

  it('names a VPC that EC2 does not return', async () => {
    // Prepare
    ec2
      .on(DescribeVpcsCommand)
      .resolves({ Vpcs: [{ VpcId: VPC_A, CidrBlockAssociationSet: [v4('10.20.0.0/16')] }] });

    // Act
    const result = readVpcCidrs(client, [VPC_A, VPC_B]);

    // Assess
    await expect(result).rejects.toThrow(InvalidInputError);
    await expect(result).rejects.toThrow(`vpcIds: no such VPC: ${VPC_B}`);
  });

  it('refuses an empty list of VPCs without calling EC2', async () => {
    // Act
    const result = readVpcCidrs(client, []);

    // Assess
    await expect(result).rejects.toThrow(InvalidInputError);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
  });

  it('retries RequestLimitExceeded, then gives up with ThrottledError', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' });
    ec2.on(DescribeVpcsCommand).rejects(throttled);
    const waits: number[] = [];

    // Act
    const result = readVpcCidrs(client, [VPC_A], {
      maxAttempts: 3,
      sleep: async (ms) => void waits.push(ms),
    });

    // Assess
    await expect(result).rejects.toThrow(ThrottledError);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });
});
