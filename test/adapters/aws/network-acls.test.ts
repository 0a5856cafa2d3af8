import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  type DescribeNetworkAclsCommandOutput,
  EC2Client,
  type NetworkAclEntry as Ec2NetworkAclEntry,
  ReplaceNetworkAclEntryCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { describeNetworkAclsContract } from '../../contracts/network-acls.contract';
import { ec2Error, fakeEc2NetworkAcls } from '../../support/fakes/ec2-network-acls';

const client = new EC2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const ec2 = mockClient(client);

const ACL = 'acl-0a1b2c3d4e5f60001';
const OTHER_ACL = 'acl-0a1b2c3d4e5f60002';
const VPC = 'vpc-0a1b2c3d4e5f60001';

/** Records sleeps instead of waiting. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

const describeOutput = (
  acls: { aclId: string; vpcId?: string; entries: Ec2NetworkAclEntry[] }[],
  nextToken?: string,
): DescribeNetworkAclsCommandOutput => ({
  $metadata: {},
  NetworkAcls: acls.map((acl) => ({
    NetworkAclId: acl.aclId,
    VpcId: acl.vpcId ?? VPC,
    Entries: acl.entries,
  })),
  NextToken: nextToken,
});

const ec2Deny = (RuleNumber: number, cidr: string, Egress = true): Ec2NetworkAclEntry => ({
  Egress,
  RuleNumber,
  RuleAction: 'deny',
  Protocol: '-1',
  ...(cidr.includes(':') ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
});

beforeEach(() => {
  ec2.reset();
});

describeNetworkAclsContract('Ec2NetworkAcls on a fake EC2', (seeds, options) => {
  fakeEc2NetworkAcls(ec2, seeds, options);
  return new Ec2NetworkAcls({ client, aclIds: seeds.map((seed) => seed.aclId), sleep: async () => {} });
});

describe('Ec2NetworkAcls', () => {
  describe('construction', () => {
    it.each([
      ['neither aclIds nor vpcIds', {}],
      ['both aclIds and vpcIds', { aclIds: [ACL], vpcIds: [VPC] }],
      ['an empty aclIds', { aclIds: [] }],
      ['an empty vpcIds', { vpcIds: [] }],
      ['an empty id', { aclIds: [ACL, ' '] }],
      ['zero attempts', { aclIds: [ACL], maxAttempts: 0 }],
    ])('refuses %s with InvalidInputError', (_, options) => {
      // Prepare
      const build = () => new Ec2NetworkAcls({ client, ...options });

      // Act
      const outcome = expect(build);

      // Assess
      outcome.toThrow(InvalidInputError);
    });
  });

  describe('list', () => {
    it('describes the configured ACLs by network-acl-id with the largest page', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(describeOutput([{ aclId: ACL, entries: [] }]));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      await acls.list();

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(DescribeNetworkAclsCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DescribeNetworkAclsCommand, {
        Filters: [{ Name: 'network-acl-id', Values: [ACL] }],
        MaxResults: 1000,
      });
    });

    it('describes every ACL of the configured VPCs by vpc-id', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(
        describeOutput([
          { aclId: OTHER_ACL, entries: [] },
          { aclId: ACL, entries: [] },
        ]),
      );
      const acls = new Ec2NetworkAcls({ client, vpcIds: [VPC] });

      // Act
      const listed = await acls.list();

      // Assess
      expect(ec2).toHaveReceivedCommandWith(DescribeNetworkAclsCommand, {
        Filters: [{ Name: 'vpc-id', Values: [VPC] }],
      });
      expect(listed.acls.map((acl) => acl.aclId)).toEqual([ACL, OTHER_ACL]);
    });

    it('follows NextToken until the last page', async () => {
      // Prepare
      ec2
        .on(DescribeNetworkAclsCommand)
        .resolvesOnce(describeOutput([{ aclId: OTHER_ACL, entries: [] }], 'page-2'))
        .resolvesOnce(describeOutput([{ aclId: ACL, entries: [] }]));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL, OTHER_ACL] });

      // Act
      const listed = await acls.list();

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(DescribeNetworkAclsCommand, 2);
      expect(ec2).toHaveReceivedNthCommandWith(DescribeNetworkAclsCommand, 1, { NextToken: undefined });
      expect(ec2).toHaveReceivedNthCommandWith(DescribeNetworkAclsCommand, 2, { NextToken: 'page-2' });
      expect(listed.acls.map((acl) => acl.aclId)).toEqual([ACL, OTHER_ACL]);
    });

    it('keeps only egress entries and maps them to canonical, lowercase CIDRs', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(
        describeOutput([
          {
            aclId: ACL,
            entries: [
              ec2Deny(32767, '0.0.0.0/0'),
              ec2Deny(5, '2001:DB8::/32'),
              ec2Deny(5, '203.0.113.0/24', false),
              { Egress: true, RuleNumber: 100, RuleAction: 'allow', Protocol: '6', CidrBlock: '0.0.0.0/0' },
            ],
          },
        ]),
      );
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const listed = await acls.list();

      // Assess
      expect(listed.acls).toEqual([
        {
          aclId: ACL,
          vpcId: VPC,
          egress: [
            { ruleNumber: 5, cidr: '2001:db8::/32', action: 'deny', protocol: '-1' },
            { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '6' },
            { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny', protocol: '-1' },
          ],
        },
      ]);
    });

    it('lists the configured ACLs that exist and names the one EC2 does not return', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(describeOutput([{ aclId: ACL, entries: [] }]));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL, OTHER_ACL] });

      // Act
      const listed = await acls.list();

      // Assess
      expect(listed.acls.map((acl) => acl.aclId)).toEqual([ACL]);
      expect(listed.missing).toEqual([OTHER_ACL]);
    });

    it('reports with TargetNotFoundError when not one configured ACL exists', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(describeOutput([]));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL, OTHER_ACL] });

      // Act
      const outcome = acls.list();

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclID.NotFound' });
      await expect(outcome).rejects.toThrow(`${ACL}, ${OTHER_ACL}`);
    });

    it('reports a configured VPC without any ACL with TargetNotFoundError', async () => {
      // Prepare
      ec2.on(DescribeNetworkAclsCommand).resolves(describeOutput([]));
      const acls = new Ec2NetworkAcls({ client, vpcIds: [VPC] });

      // Act
      const outcome = acls.list();

      // Assess
      await expect(outcome).rejects.toMatchObject({
        name: 'TargetNotFoundError',
        code: 'InvalidVpcID.NotFound',
      });
    });

    it('retries a throttled describe and then succeeds', async () => {
      // Prepare
      ec2
        .on(DescribeNetworkAclsCommand)
        .rejectsOnce(ec2Error('RequestLimitExceeded'))
        .resolves(describeOutput([{ aclId: ACL, entries: [] }]));
      const { sleep, waits } = recordingSleep();
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep });

      // Act
      const listed = await acls.list();

      // Assess
      expect(listed.acls).toHaveLength(1);
      expect(ec2).toHaveReceivedCommandTimes(DescribeNetworkAclsCommand, 2);
      expect(waits).toHaveLength(1);
    });
  });

  describe('createEgressDeny', () => {
    it('sends an IPv4 deny for all protocols with CidrBlock', async () => {
      // Prepare
      ec2.on(CreateNetworkAclEntryCommand).resolves({});
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      await acls.createEgressDeny(ACL, 42, '198.51.100.77/24');

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 1);
      expect(ec2.commandCalls(CreateNetworkAclEntryCommand)[0]?.args[0].input).toEqual({
        NetworkAclId: ACL,
        RuleNumber: 42,
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: true,
        CidrBlock: '198.51.100.0/24',
      });
    });

    it('sends an IPv6 deny for all protocols with Ipv6CidrBlock', async () => {
      // Prepare
      ec2.on(CreateNetworkAclEntryCommand).resolves({});
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      await acls.createEgressDeny(ACL, 43, '2001:DB8::1/64');

      // Assess
      expect(ec2).toHaveReceivedCommandWith(CreateNetworkAclEntryCommand, {
        NetworkAclId: ACL,
        RuleNumber: 43,
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: true,
        Ipv6CidrBlock: '2001:db8::/64',
      });
      expect(ec2.commandCalls(CreateNetworkAclEntryCommand)[0]?.args[0].input).not.toHaveProperty(
        'CidrBlock',
      );
    });

    it('sends nothing for an invalid rule number or CIDR', async () => {
      // Prepare
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const badNumber = acls.createEgressDeny(ACL, 32767, '198.51.100.0/24');
      const badCidr = acls.createEgressDeny(ACL, 10, '198.51.100.7');

      // Assess
      await expect(badNumber).rejects.toBeInstanceOf(InvalidInputError);
      await expect(badCidr).rejects.toBeInstanceOf(InvalidInputError);
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 0);
    });

    it('succeeds when EC2 says the number exists and it holds our deny for the same CIDR', async () => {
      // Prepare
      ec2.on(CreateNetworkAclEntryCommand).rejects(ec2Error('NetworkAclEntryAlreadyExists'));
      ec2
        .on(DescribeNetworkAclsCommand)
        .resolves(
          describeOutput([
            { aclId: ACL, entries: [ec2Deny(10, '198.51.100.0/24', false), ec2Deny(10, '198.51.100.0/24')] },
          ]),
        );
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.9/24');

      // Assess
      await expect(outcome).resolves.toBeUndefined();
      expect(ec2).toHaveReceivedCommandWith(DescribeNetworkAclsCommand, {
        Filters: [{ Name: 'network-acl-id', Values: [ACL] }],
      });
    });

    it.each([
      ['a deny for another CIDR', [ec2Deny(10, '203.0.113.0/24')]],
      [
        'an allow for the same CIDR',
        [
          {
            Egress: true,
            RuleNumber: 10,
            RuleAction: 'allow' as const,
            Protocol: '-1',
            CidrBlock: '198.51.100.0/24',
          },
        ],
      ],
      [
        'a deny for one protocol only',
        [
          {
            Egress: true,
            RuleNumber: 10,
            RuleAction: 'deny' as const,
            Protocol: '6',
            CidrBlock: '198.51.100.0/24',
          },
        ],
      ],
      ['only an ingress entry (the egress one is gone again)', [ec2Deny(10, '198.51.100.0/24', false)]],
    ])('raises ConcurrentUpdateError when EC2 says the number exists and it holds %s', async (_, entries) => {
      // Prepare
      const conflict = ec2Error('NetworkAclEntryAlreadyExists');
      ec2.on(CreateNetworkAclEntryCommand).rejects(conflict);
      ec2.on(DescribeNetworkAclsCommand).resolves(describeOutput([{ aclId: ACL, entries }]));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await expect(outcome).rejects.toMatchObject({ code: 'NetworkAclEntryAlreadyExists', cause: conflict });
    });

    it('maps NetworkAclEntryLimitExceeded to TargetCapacityError', async () => {
      // Prepare
      const full = ec2Error('NetworkAclEntryLimitExceeded');
      ec2.on(CreateNetworkAclEntryCommand).rejects(full);
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(TargetCapacityError);
      await expect(outcome).rejects.toMatchObject({ code: 'NetworkAclEntryLimitExceeded', cause: full });
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 1);
    });

    it('maps InvalidNetworkAclID.NotFound to TargetNotFoundError', async () => {
      // Prepare
      ec2
        .on(CreateNetworkAclEntryCommand)
        .rejects(
          Object.assign(new Error('no such ACL'), { name: 'InvalidNetworkAclID.NotFound', $metadata: {} }),
        );
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclID.NotFound' });
    });

    it('maps an InvalidParameterValue from EC2 to InvalidInputError', async () => {
      // Prepare
      ec2.on(CreateNetworkAclEntryCommand).rejects(ec2Error('InvalidParameterValue'));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
      await expect(outcome).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    });

    it('retries RequestLimitExceeded with backoff and then succeeds', async () => {
      // Prepare
      ec2
        .on(CreateNetworkAclEntryCommand)
        .rejectsOnce(ec2Error('RequestLimitExceeded'))
        .rejectsOnce(ec2Error('RequestLimitExceeded'))
        .resolves({});
      const { sleep, waits } = recordingSleep();
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep });

      // Act
      await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 3);
      expect(waits).toHaveLength(2);
    });

    it('gives up on persistent RequestLimitExceeded after maxAttempts with ThrottledError', async () => {
      // Prepare
      const throttled = ec2Error('RequestLimitExceeded');
      ec2.on(CreateNetworkAclEntryCommand).rejects(throttled);
      const { sleep, waits } = recordingSleep();
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep, maxAttempts: 3 });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(ThrottledError);
      await expect(outcome).rejects.toMatchObject({ code: 'RequestLimitExceeded', cause: throttled });
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 3);
      expect(waits).toHaveLength(2);
    });

    it('passes any other error through unchanged and without retrying', async () => {
      // Prepare
      const denied = ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.');
      ec2.on(CreateNetworkAclEntryCommand).rejects(denied);
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep: async () => {} });

      // Act
      const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBe(denied);
      expect(ec2).toHaveReceivedCommandTimes(CreateNetworkAclEntryCommand, 1);
    });
  });

  describe('replaceEgressDeny', () => {
    it('sends an egress deny for all protocols, IPv4 with CidrBlock and IPv6 with Ipv6CidrBlock', async () => {
      // Prepare
      ec2.on(ReplaceNetworkAclEntryCommand).resolves({});
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      await acls.replaceEgressDeny(ACL, 7, '198.51.100.77/24');
      await acls.replaceEgressDeny(ACL, 8, '2001:DB8::1/64');

      // Assess
      expect(ec2.commandCalls(ReplaceNetworkAclEntryCommand).map((call) => call.args[0].input)).toEqual([
        {
          NetworkAclId: ACL,
          RuleNumber: 7,
          Protocol: '-1',
          RuleAction: 'deny',
          Egress: true,
          CidrBlock: '198.51.100.0/24',
        },
        {
          NetworkAclId: ACL,
          RuleNumber: 8,
          Protocol: '-1',
          RuleAction: 'deny',
          Egress: true,
          Ipv6CidrBlock: '2001:db8::/64',
        },
      ]);
    });

    it.each([
      ['NetworkAclEntryLimitExceeded', TargetCapacityError],
      ['InvalidNetworkAclID.NotFound', TargetNotFoundError],
      ['InvalidParameterValue', InvalidInputError],
      ['InvalidNetworkAclEntry.NotFound', ConcurrentUpdateError],
    ])('maps %s as createEgressDeny does', async (code, type) => {
      // Prepare
      ec2.on(ReplaceNetworkAclEntryCommand).rejects(ec2Error(code));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.replaceEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(type);
      await expect(outcome).rejects.toMatchObject({ code });
    });

    it('retries RequestLimitExceeded and then raises ThrottledError', async () => {
      // Prepare
      ec2.on(ReplaceNetworkAclEntryCommand).rejects(ec2Error('RequestLimitExceeded'));
      const { sleep, waits } = recordingSleep();
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep, maxAttempts: 2 });

      // Act
      const outcome = acls.replaceEgressDeny(ACL, 10, '198.51.100.0/24');

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(ThrottledError);
      expect(ec2).toHaveReceivedCommandTimes(ReplaceNetworkAclEntryCommand, 2);
      expect(waits).toHaveLength(1);
    });

    it('sends nothing for an invalid rule number or CIDR', async () => {
      // Prepare
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcomes = [
        acls.replaceEgressDeny(ACL, 32767, '198.51.100.0/24'),
        acls.replaceEgressDeny(ACL, 10, '198.51.100.7'),
      ];

      // Assess
      for (const outcome of outcomes) await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
      expect(ec2).not.toHaveReceivedCommand(ReplaceNetworkAclEntryCommand);
    });
  });

  describe('deleteEgressEntry', () => {
    it('deletes the egress entry by number', async () => {
      // Prepare
      ec2.on(DeleteNetworkAclEntryCommand).resolves({});
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      await acls.deleteEgressEntry(ACL, 42);

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(DeleteNetworkAclEntryCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DeleteNetworkAclEntryCommand, {
        NetworkAclId: ACL,
        RuleNumber: 42,
        Egress: true,
      });
    });

    it('treats InvalidNetworkAclEntry.NotFound as already deleted', async () => {
      // Prepare
      ec2.on(DeleteNetworkAclEntryCommand).rejects(ec2Error('InvalidNetworkAclEntry.NotFound'));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.deleteEgressEntry(ACL, 42);

      // Assess
      await expect(outcome).resolves.toBeUndefined();
    });

    it('maps InvalidNetworkAclID.NotFound to TargetNotFoundError', async () => {
      // Prepare
      ec2.on(DeleteNetworkAclEntryCommand).rejects(ec2Error('InvalidNetworkAclID.NotFound'));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.deleteEgressEntry(ACL, 42);

      // Assess
      await expect(outcome).rejects.toMatchObject({
        name: 'TargetNotFoundError',
        code: 'InvalidNetworkAclID.NotFound',
      });
    });

    it('retries a throttled delete and then raises ThrottledError', async () => {
      // Prepare
      ec2.on(DeleteNetworkAclEntryCommand).rejects(ec2Error('RequestLimitExceeded'));
      const { sleep, waits } = recordingSleep();
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL], sleep });

      // Act
      const outcome = acls.deleteEgressEntry(ACL, 42);

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'ThrottledError', code: 'RequestLimitExceeded' });
      expect(ec2).toHaveReceivedCommandTimes(DeleteNetworkAclEntryCommand, 5);
      expect(waits).toHaveLength(4);
      expect(Math.max(...waits)).toBeLessThanOrEqual(5000);
    });

    it('sends nothing for a rule number EC2 keeps for itself', async () => {
      // Prepare
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL] });

      // Act
      const outcome = acls.deleteEgressEntry(ACL, 32767);

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
      expect(ec2).toHaveReceivedCommandTimes(DeleteNetworkAclEntryCommand, 0);
    });
  });
});
