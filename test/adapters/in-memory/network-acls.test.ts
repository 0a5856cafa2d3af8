import { describe, expect, it } from 'vitest';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import { InvalidInputError, ThrottledError } from '#domain/errors';
import { describeNetworkAclsContract } from '../../contracts/network-acls.contract';

const ACL = 'acl-0a1b2c3d4e5f60001';
const VPC = 'vpc-0a1b2c3d4e5f60001';

describeNetworkAclsContract('InMemoryNetworkAcls', (acls, options) => new InMemoryNetworkAcls(acls, options));

describe('InMemoryNetworkAcls', () => {
  it('keeps a default rule given in the seed instead of adding another', () => {
    // Prepare
    const seed = [
      {
        aclId: ACL,
        vpcId: VPC,
        egress: [{ ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'allow' as const, protocol: '-1' }],
      },
    ];

    // Act
    const acls = new InMemoryNetworkAcls(seed);

    // Assess
    expect(acls.snapshot()[0]?.egress).toEqual([
      { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' },
      { ruleNumber: 32768, cidr: '::/0', action: 'deny', protocol: '-1' },
    ]);
  });

  it('canonicalises the CIDRs of seeded entries', () => {
    // Prepare
    const seed = [
      {
        aclId: ACL,
        vpcId: VPC,
        egress: [{ ruleNumber: 5, cidr: '2001:DB8::7/32', action: 'deny' as const, protocol: '-1' }],
      },
    ];

    // Act
    const acls = new InMemoryNetworkAcls(seed);

    // Assess
    expect(acls.snapshot()[0]?.egress[0]).toEqual({
      ruleNumber: 5,
      cidr: '2001:db8::/32',
      action: 'deny',
      protocol: '-1',
    });
  });

  it('refuses a seed with an invalid CIDR', () => {
    // Prepare
    const seed = [
      {
        aclId: ACL,
        vpcId: VPC,
        egress: [{ ruleNumber: 5, cidr: 'not-a-cidr', action: 'deny' as const, protocol: '-1' }],
      },
    ];

    // Act
    const build = () => new InMemoryNetworkAcls(seed);

    // Assess
    expect(build).toThrow(InvalidInputError);
  });

  it.each([0, 2.5])('refuses a quota of %s entries per family', (maxEntriesPerFamily) => {
    // Prepare
    const seed = [{ aclId: ACL, vpcId: VPC }];

    // Act
    const build = () => new InMemoryNetworkAcls(seed, { maxEntriesPerFamily });

    // Assess
    expect(build).toThrow(InvalidInputError);
  });

  it('counts write calls that reach EC2, the repeated and refused ones included, not invalid ones or reads', async () => {
    // Prepare
    const acls = new InMemoryNetworkAcls([{ aclId: ACL, vpcId: VPC }]);

    // Act
    await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');
    await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');
    await acls.deleteEgressEntry(ACL, 11);
    await acls.createEgressDeny('acl-missing', 10, '198.51.100.0/24').catch(() => undefined);
    await acls.createEgressDeny(ACL, 0, '198.51.100.0/24').catch(() => undefined);
    await acls.deleteEgressEntry(ACL, 32767).catch(() => undefined);
    await acls.list();
    acls.snapshot();

    // Assess
    expect(acls.calls).toBe(4);
  });

  it('throws an injected failure once, on the next write, without changing anything', async () => {
    // Prepare
    const acls = new InMemoryNetworkAcls([{ aclId: ACL, vpcId: VPC }]);
    const failure = new ThrottledError('slow down', 'RequestLimitExceeded');
    acls.injectFailure(failure);

    // Act
    const { acls: listed } = await acls.list();
    const first = acls.createEgressDeny(ACL, 10, '198.51.100.0/24');
    await expect(first).rejects.toBe(failure);
    const afterFailure = acls.snapshot();
    await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

    // Assess
    expect(listed[0]?.egress).toHaveLength(2);
    expect(afterFailure[0]?.egress).toHaveLength(2);
    expect(acls.snapshot()[0]?.egress).toHaveLength(3);
    expect(acls.calls).toBe(2);
  });

  it('returns snapshots that later writes do not change', async () => {
    // Prepare
    const acls = new InMemoryNetworkAcls([{ aclId: ACL, vpcId: VPC }]);
    const before = acls.snapshot();

    // Act
    await acls.createEgressDeny(ACL, 10, '198.51.100.0/24');

    // Assess
    expect(before[0]?.egress).toHaveLength(2);
    expect(acls.snapshot()[0]?.egress).toHaveLength(3);
  });
});
