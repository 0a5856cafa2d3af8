/**
 * The behaviour every NetworkAcls adapter must show, run against the in-memory adapter and the EC2 adapter
 * so that the simulation and production cannot drift apart.
 */

import { describe, expect, it } from 'vitest';
import type { InMemoryNetworkAclSeed } from '#adapters/in-memory/network-acls';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
} from '#domain/errors';
import type { NetworkAclEntry } from '#domain/target';
import type { NetworkAcls } from '#ports/network-acls';

/** Builds an adapter over exactly these ACLs, with EC2's per-family quota unless another one is given. */
export type NetworkAclsSetup = (
  acls: InMemoryNetworkAclSeed[],
  options?: { maxEntriesPerFamily?: number },
) => NetworkAcls | Promise<NetworkAcls>;

const ACL = 'acl-0a1b2c3d4e5f60001';
const OTHER_ACL = 'acl-0a1b2c3d4e5f60002';
const VPC = 'vpc-0a1b2c3d4e5f60001';

const deny = (ruleNumber: number, cidr: string): NetworkAclEntry => ({
  ruleNumber,
  cidr,
  action: 'deny',
  protocol: '-1',
});
const IPV4_DEFAULT = deny(32767, '0.0.0.0/0');
const IPV6_DEFAULT = deny(32768, '::/0');
const ALLOW_HTTPS: NetworkAclEntry = { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '6' };

async function egressOf(acls: NetworkAcls, aclId = ACL): Promise<readonly NetworkAclEntry[]> {
  const acl = (await acls.list()).acls.find((candidate) => candidate.aclId === aclId);
  if (!acl) throw new Error(`${aclId} is not listed`);
  return acl.egress;
}

/** Registers the NetworkAcls contract tests under `label`. */
export function describeNetworkAclsContract(label: string, setup: NetworkAclsSetup): void {
  describe(`${label} › NetworkAcls contract`, () => {
    describe('list', () => {
      it('lists ACLs sorted by id with their egress entries sorted by rule number', async () => {
        // Prepare
        const acls = await setup([
          { aclId: OTHER_ACL, vpcId: 'vpc-0a1b2c3d4e5f60002' },
          {
            aclId: ACL,
            vpcId: VPC,
            egress: [deny(20, '203.0.113.0/24'), ALLOW_HTTPS, deny(10, '198.51.100.7/32')],
          },
        ]);

        // Act
        const listed = await acls.list();

        // Assess
        expect(listed.missing).toEqual([]);
        expect(listed.acls).toEqual([
          {
            aclId: ACL,
            vpcId: VPC,
            egress: [
              deny(10, '198.51.100.7/32'),
              deny(20, '203.0.113.0/24'),
              ALLOW_HTTPS,
              IPV4_DEFAULT,
              IPV6_DEFAULT,
            ],
          },
          { aclId: OTHER_ACL, vpcId: 'vpc-0a1b2c3d4e5f60002', egress: [IPV4_DEFAULT, IPV6_DEFAULT] },
        ]);
      });
    });

    describe('createEgressDeny', () => {
      it('blocks an IPv4 CIDR with a deny for all protocols, canonicalised as EC2 does', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        await acls.createEgressDeny(ACL, 10, '100.68.0.18/18');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(10, '100.68.0.0/18'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('blocks an IPv6 CIDR, reported lowercase and compressed', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        await acls.createEgressDeny(ACL, 11, '2001:DB8:0:0:0:0:0:1/128');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(11, '2001:db8::1/128'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('succeeds without change when the same deny already holds the number', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);
        await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

        // Act
        await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');
        await acls.createEgressDeny(ACL, 10, '198.51.100.99/24');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(10, '198.51.100.0/24'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('refuses a number held by a deny for another CIDR with ConcurrentUpdateError', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(10, '203.0.113.0/24')] }]);

        // Act
        const outcome = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(ConcurrentUpdateError);
        await expect(outcome).rejects.toMatchObject({ code: 'NetworkAclEntryAlreadyExists' });
        expect(await egressOf(acls)).toContainEqual(deny(10, '203.0.113.0/24'));
      });

      it('refuses a number held by an allow for the same CIDR with ConcurrentUpdateError', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [ALLOW_HTTPS] }]);

        // Act
        const outcome = acls.createEgressDeny(ACL, 100, '0.0.0.0/0');

        // Assess
        await expect(outcome).rejects.toMatchObject({
          name: 'ConcurrentUpdateError',
          code: 'NetworkAclEntryAlreadyExists',
        });
        expect(await egressOf(acls)).toContainEqual(ALLOW_HTTPS);
      });

      it.each([0, -1, 32767, 32768, 1.5])(
        'refuses rule number %s with InvalidInputError',
        async (ruleNumber) => {
          // Prepare
          const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

          // Act
          const outcome = acls.createEgressDeny(ACL, ruleNumber, '198.51.100.0/24');

          // Assess
          await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
          await expect(outcome).rejects.toMatchObject({ code: 'InvalidParameterValue' });
          expect(await egressOf(acls)).toEqual([IPV4_DEFAULT, IPV6_DEFAULT]);
        },
      );

      it.each(['198.51.100.7', 'evil.example.com', '198.51.100.0/33', '2001:db8::/129', '198.51.100/24', ''])(
        'refuses %j as a CIDR with InvalidInputError',
        async (cidr) => {
          // Prepare
          const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

          // Act
          const outcome = acls.createEgressDeny(ACL, 10, cidr);

          // Assess
          await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
          expect(await egressOf(acls)).toEqual([IPV4_DEFAULT, IPV6_DEFAULT]);
        },
      );

      it('counts the default rule against the quota of 20 IPv4 egress entries', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);
        for (let ruleNumber = 1; ruleNumber <= 19; ruleNumber++) {
          await acls.createEgressDeny(ACL, ruleNumber, `198.51.100.${ruleNumber}/32`);
        }

        // Act
        const outcome = acls.createEgressDeny(ACL, 20, '198.51.100.20/32');

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(TargetCapacityError);
        await expect(outcome).rejects.toMatchObject({ code: 'NetworkAclEntryLimitExceeded' });
        expect(await egressOf(acls)).toHaveLength(21);
      });

      it('counts IPv4 and IPv6 entries separately against a raised quota', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }], { maxEntriesPerFamily: 3 });
        await acls.createEgressDeny(ACL, 1, '198.51.100.1/32');
        await acls.createEgressDeny(ACL, 2, '198.51.100.2/32');

        // Act
        const full = acls.createEgressDeny(ACL, 3, '198.51.100.3/32');
        await acls.createEgressDeny(ACL, 4, '2001:db8::4/128');

        // Assess
        await expect(full).rejects.toMatchObject({
          name: 'TargetCapacityError',
          code: 'NetworkAclEntryLimitExceeded',
        });
        expect((await egressOf(acls)).map((entry) => entry.ruleNumber)).toEqual([1, 2, 4, 32767, 32768]);
      });

      it('repeats a deny that already holds its number even when the family is full', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }], { maxEntriesPerFamily: 2 });
        await acls.createEgressDeny(ACL, 1, '198.51.100.1/32');

        // Act
        await acls.createEgressDeny(ACL, 1, '198.51.100.1/32');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(1, '198.51.100.1/32'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('reports an unknown ACL with TargetNotFoundError', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        const outcome = acls.createEgressDeny(OTHER_ACL, 10, '198.51.100.0/24');

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(TargetNotFoundError);
        await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclID.NotFound' });
      });
    });

    describe('replaceEgressDeny', () => {
      it('swaps the entry at the number for a deny on another CIDR, canonicalised as EC2 does', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(10, '198.51.100.0/25')] }]);

        // Act
        await acls.replaceEgressDeny(ACL, 10, '198.51.100.77/24');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(10, '198.51.100.0/24'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('succeeds without change when the entry already is that deny', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(11, '2001:db8::/32')] }]);

        // Act
        await acls.replaceEgressDeny(ACL, 11, '2001:DB8::/32');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(11, '2001:db8::/32'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('works in a family at its quota, since the count does not change', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(1, '198.51.100.1/32')] }], {
          maxEntriesPerFamily: 2,
        });

        // Act
        await acls.replaceEgressDeny(ACL, 1, '198.51.100.0/31');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(1, '198.51.100.0/31'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('refuses a number that holds no entry with ConcurrentUpdateError and creates nothing', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        const outcome = acls.replaceEgressDeny(ACL, 10, '198.51.100.0/24');

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(ConcurrentUpdateError);
        await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclEntry.NotFound' });
        expect(await egressOf(acls)).toEqual([IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it.each([
        [0, '198.51.100.0/24'],
        [32767, '198.51.100.0/24'],
        [10, '198.51.100.7'],
        [10, 'evil.example.com'],
      ])('refuses rule number %s with CIDR %j with InvalidInputError', async (ruleNumber, cidr) => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(10, '203.0.113.0/24')] }]);

        // Act
        const outcome = acls.replaceEgressDeny(ACL, ruleNumber, cidr);

        // Assess
        await expect(outcome).rejects.toMatchObject({
          name: 'InvalidInputError',
          code: 'InvalidParameterValue',
        });
        expect(await egressOf(acls)).toEqual([deny(10, '203.0.113.0/24'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('reports an unknown ACL with TargetNotFoundError', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        const outcome = acls.replaceEgressDeny(OTHER_ACL, 10, '198.51.100.0/24');

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(TargetNotFoundError);
        await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclID.NotFound' });
      });
    });

    describe('deleteEgressEntry', () => {
      it('removes the entry at the number and leaves the others', async () => {
        // Prepare
        const acls = await setup([
          { aclId: ACL, vpcId: VPC, egress: [deny(10, '198.51.100.0/24'), deny(11, '2001:db8::/32')] },
        ]);

        // Act
        await acls.deleteEgressEntry(ACL, 10);

        // Assess
        expect(await egressOf(acls)).toEqual([deny(11, '2001:db8::/32'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('succeeds when the entry is already gone', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC, egress: [deny(10, '198.51.100.0/24')] }]);
        await acls.deleteEgressEntry(ACL, 10);

        // Act
        await acls.deleteEgressEntry(ACL, 10);

        // Assess
        expect(await egressOf(acls)).toEqual([IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('frees room in a full family for a new deny', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }], { maxEntriesPerFamily: 2 });
        await acls.createEgressDeny(ACL, 1, '198.51.100.1/32');

        // Act
        await acls.deleteEgressEntry(ACL, 1);
        await acls.createEgressDeny(ACL, 2, '198.51.100.2/32');

        // Assess
        expect(await egressOf(acls)).toEqual([deny(2, '198.51.100.2/32'), IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it.each([0, 32767, 32768])('refuses rule number %s with InvalidInputError', async (ruleNumber) => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        const outcome = acls.deleteEgressEntry(ACL, ruleNumber);

        // Assess
        await expect(outcome).rejects.toMatchObject({
          name: 'InvalidInputError',
          code: 'InvalidParameterValue',
        });
        expect(await egressOf(acls)).toEqual([IPV4_DEFAULT, IPV6_DEFAULT]);
      });

      it('reports an unknown ACL with TargetNotFoundError', async () => {
        // Prepare
        const acls = await setup([{ aclId: ACL, vpcId: VPC }]);

        // Act
        const outcome = acls.deleteEgressEntry(OTHER_ACL, 10);

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(TargetNotFoundError);
        await expect(outcome).rejects.toMatchObject({ code: 'InvalidNetworkAclID.NotFound' });
      });
    });
  });
}
