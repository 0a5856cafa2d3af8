import { CreateNetworkAclEntryCommand, EC2Client, ReplaceNetworkAclEntryCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import type { BlockEntry } from '#domain/block';
import { InvalidInputError, ThrottledError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import type { Policy } from '#domain/policy';
import type { NetworkAclEntry } from '#domain/target';
import type { NetworkAcls } from '#ports/network-acls';
import { enforceNetworkAcls } from '#shared/use-cases/enforce/network-acls';
import { ec2Error, fakeEc2NetworkAcls } from '../../support/fakes/ec2-network-acls';
import { policyWith, USUAL_EGRESS } from '../../support/warden';

const ACL_A = 'acl-0a1b2c3d4e5f60001';
const ACL_B = 'acl-0a1b2c3d4e5f60002';
const VPC = 'vpc-0a1b2c3d4e5f60001';

const deny = (ruleNumber: number, cidr: string): NetworkAclEntry => ({
  ruleNumber,
  cidr,
  action: 'deny',
  protocol: '-1',
});
const allow = (ruleNumber: number, cidr: string, protocol = '-1'): NetworkAclEntry => ({
  ruleNumber,
  cidr,
  action: 'allow',
  protocol,
});

function blocks(...values: string[]): BlockEntry[] {
  return values.map((value, index) => ({
    indicator: parseIndicator(value),
    severity: 9 - index,
    since: '2026-11-28T10:00:00.000Z',
    expiresAt: null,
  }));
}

function policy(ruleRange?: readonly [number, number]): Policy {
  return policyWith({
    targets: {
      networkAcls: { mode: 'enforce', ...(ruleRange && { ruleRange: [...ruleRange] as [number, number] }) },
    },
  });
}

function egressOf(acls: InMemoryNetworkAcls, aclId = ACL_A): NetworkAclEntry[] {
  return (
    acls
      .snapshot()
      .find((acl) => acl.aclId === aclId)
      ?.egress.filter((e) => e.ruleNumber < 32767) ?? []
  );
}

describe('enforceNetworkAcls', () => {
  let store: InMemoryDecisionStore;

  beforeEach(() => {
    store = new InMemoryDecisionStore();
  });

  const run = (
    port: NetworkAcls,
    desired: BlockEntry[],
    hold = false,
    ruleRange?: readonly [number, number],
  ) => enforceNetworkAcls(port, { policy: policy(ruleRange), store }, desired, { hold });

  describe('ownership', () => {
    it('leaves an operator’s deny at 5 and allow at 10 in the range alone and reports them', async () => {
      // Prepare
      const operator = [deny(5, '203.0.113.0/24'), allow(10, '192.0.2.0/24', '6'), ...USUAL_EGRESS];
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: operator }]);

      // Act
      const outcome = await run(acls, []);

      // Assess
      expect(egressOf(acls)).toEqual(operator);
      expect(acls.calls).toBe(0);
      expect(outcome.status).toBe('unchanged');
      expect(outcome.warnings).toEqual([
        expect.stringContaining(
          'rule 5 (deny 203.0.113.0/24, all protocols), rule 10 (allow 192.0.2.0/24, protocol 6)',
        ),
      ]);
    });

    it('keeps the default allow-all at rule 100 through every run with the range 100–117', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);

      // Act
      const runs = [
        run(acls, blocks('198.51.100.7/32'), false, [100, 117]),
        run(acls, [], false, [100, 117]),
        run(acls, blocks('198.51.100.7/32'), true, [100, 117]),
      ];

      // Assess
      for (const outcome of runs) {
        await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
        await expect(outcome).rejects.toThrow(/allow rule 100 \(0\.0\.0\.0\/0\).*end below 100/);
      }
      expect(egressOf(acls)).toEqual(USUAL_EGRESS);
      expect(acls.calls).toBe(0);
    });

    it('reports an ACL whose 0.0.0.0/0 allow is at rule 1 as ineffective and writes nothing to it', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([
        { aclId: ACL_A, vpcId: VPC, egress: [allow(1, '0.0.0.0/0', '6'), ...USUAL_EGRESS] },
        { aclId: ACL_B, vpcId: VPC, egress: USUAL_EGRESS },
      ]);

      // Act
      const outcome = await run(acls, blocks('198.51.100.7/32'));

      // Assess
      expect(egressOf(acls, ACL_A)).toEqual([allow(1, '0.0.0.0/0', '6'), ...USUAL_EGRESS]);
      expect(egressOf(acls, ACL_B)).toEqual([deny(1, '198.51.100.7/32'), ...USUAL_EGRESS]);
      expect(outcome.warnings).toContainEqual(
        expect.stringMatching(new RegExp(`^${ACL_A} is ineffective: allow rule 1 \\(0\\.0\\.0\\.0/0\\)`)),
      );
    });

    it('records an entry in the ledger before creating it and drops it after deleting it', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      acls.injectFailure(new ThrottledError('Rate exceeded', 'RequestLimitExceeded'));

      // Act
      const failed = run(acls, blocks('198.51.100.7/32'));
      await expect(failed).rejects.toBeInstanceOf(ThrottledError);
      const intent = await store.getNetworkAclLedger();
      await run(acls, blocks('198.51.100.7/32'));
      const written = await store.getNetworkAclLedger();
      await run(acls, []);

      // Assess
      expect(intent.acls).toEqual([{ aclId: ACL_A, entries: [{ ruleNumber: 1, cidr: '198.51.100.7/32' }] }]);
      expect(written.acls).toEqual(intent.acls);
      expect((await store.getNetworkAclLedger()).acls).toEqual([]);
      expect(egressOf(acls)).toEqual(USUAL_EGRESS);
    });

    it('never deletes an entry its ledger names once someone else wrote another entry at that number', async () => {
      // Prepare: a run recorded rule 1 and stopped before the create; then an operator took rule 1.
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      acls.injectFailure(new ThrottledError('Rate exceeded', 'RequestLimitExceeded'));
      await run(acls, blocks('198.51.100.7/32')).catch(() => undefined);
      await acls.createEgressDeny(ACL_A, 1, '203.0.113.0/24');

      // Act
      const outcome = await run(acls, []);

      // Assess
      expect(egressOf(acls)).toEqual([deny(1, '203.0.113.0/24'), ...USUAL_EGRESS]);
      expect(outcome.status).toBe('unchanged');
      expect((await store.getNetworkAclLedger()).acls).toEqual([]);
    });
  });

  describe('one ACL at a time', () => {
    it('still converges the next ACL when one throws, and reports the failure', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([
        { aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS },
        { aclId: ACL_B, vpcId: VPC, egress: USUAL_EGRESS },
      ]);
      acls.injectFailure(new InvalidInputError('EC2 refused it', '', { code: 'InvalidParameterValue' }));

      // Act
      const outcome = await run(acls, blocks('198.51.100.7/32'));

      // Assess
      expect(egressOf(acls, ACL_A)).toEqual(USUAL_EGRESS);
      expect(egressOf(acls, ACL_B)).toEqual([deny(1, '198.51.100.7/32'), ...USUAL_EGRESS]);
      expect(outcome).toMatchObject({ status: 'applied', changes: 1 });
      expect(outcome.warnings).toEqual([
        expect.stringContaining(`${ACL_A} failed: InvalidInputError: EC2 refused it`),
      ]);
    });

    it('fails the target with the error when every ACL failed', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      acls.injectFailure(new ThrottledError('Rate exceeded', 'RequestLimitExceeded'));

      // Act
      const outcome = run(acls, blocks('198.51.100.7/32'));

      // Assess
      await expect(outcome).rejects.toThrow('Rate exceeded');
    });
  });

  describe('held', () => {
    it('removes what is no longer desired and holds a new block', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      await run(acls, blocks('198.51.100.7/32'));

      // Act
      const outcome = await run(acls, blocks('203.0.113.9/32'), true);

      // Assess
      expect(egressOf(acls)).toEqual(USUAL_EGRESS);
      expect(outcome).toMatchObject({ status: 'held', changes: 1, held: 1 });
    });

    it('removes every entry of its own, and only those, when switched off (nothing desired, not held)', async () => {
      // Prepare
      const acls = new InMemoryNetworkAcls([
        { aclId: ACL_A, vpcId: VPC, egress: [deny(3, '192.0.2.0/24'), ...USUAL_EGRESS] },
      ]);
      await run(acls, blocks('198.51.100.7/32', '2001:db8::/48'));

      // Act
      const outcome = await run(acls, []);

      // Assess
      expect(egressOf(acls)).toEqual([deny(3, '192.0.2.0/24'), ...USUAL_EGRESS]);
      expect(outcome).toMatchObject({ status: 'applied', changes: 2 });
    });
  });

  describe('on EC2', () => {
    const client = new EC2Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const ec2 = mockClient(client);

    beforeEach(() => {
      ec2.reset();
    });

    it('merges into a wider entry in a full range with ReplaceNetworkAclEntry, never leaving the addresses open', async () => {
      // Prepare
      const fake = fakeEc2NetworkAcls(ec2, [{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL_A], sleep: async () => {} });
      await run(acls, blocks('203.0.113.0/24', '198.51.100.0/25'), false, [1, 2]);
      const before = fake.history(ACL_A).length;

      // Act
      const outcome = await run(
        acls,
        blocks('203.0.113.0/24', '198.51.100.0/25', '198.51.100.128/25'),
        false,
        [1, 2],
      );

      // Assess
      expect(outcome).toMatchObject({ status: 'applied', changes: 1 });
      expect(ec2).toHaveReceivedCommandWith(ReplaceNetworkAclEntryCommand, {
        NetworkAclId: ACL_A,
        RuleNumber: 2,
        CidrBlock: '198.51.100.0/24',
        Egress: true,
        RuleAction: 'deny',
        Protocol: '-1',
      });
      const states = fake.history(ACL_A).slice(before - 1);
      for (const state of states)
        expect(state).toContainEqual(expect.stringMatching(/^2 deny 198\.51\.100\.0\/2[45]$/));
      expect(states.at(-1)).toEqual([
        '1 deny 203.0.113.0/24',
        '2 deny 198.51.100.0/24',
        '100 allow 0.0.0.0/0',
        '101 allow ::/0',
        '32767 deny 0.0.0.0/0',
        '32768 deny ::/0',
      ]);
    });

    it('goes on with the IPv4 denies of an ACL whose VPC refuses IPv6 entries, and says so', async () => {
      // Prepare
      const fake = fakeEc2NetworkAcls(ec2, [{ aclId: ACL_A, vpcId: VPC, egress: USUAL_EGRESS }]);
      ec2
        .on(CreateNetworkAclEntryCommand, { Ipv6CidrBlock: '2001:db8::/48' })
        .rejects(ec2Error('InvalidParameterValue', 'The VPC has no IPv6 CIDR block'));
      const acls = new Ec2NetworkAcls({ client, aclIds: [ACL_A], sleep: async () => {} });

      // Act
      const outcome = await run(acls, blocks('2001:db8::/48', '198.51.100.7/32'));

      // Assess
      expect(fake.egress(ACL_A).map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock)).toContain(
        '198.51.100.7/32',
      );
      expect(outcome).toMatchObject({ status: 'applied', changes: 1 });
      expect(outcome.warnings).toEqual([
        expect.stringContaining(`${ACL_A}: EC2 refused the IPv6 deny for 2001:db8::/48`),
      ]);
    });
  });
});
