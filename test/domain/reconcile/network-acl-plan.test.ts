import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockEntry } from '#domain/block';
import { cidrContains } from '#domain/cidr';
import { ConcurrentUpdateError, InvalidInputError } from '#domain/errors';
import {
  applyNetworkAclPlan,
  changeLedger,
  claimedBy,
  entryFamily,
  type NetworkAclPlan,
  type NetworkAclPlanOptions,
  ownedIn,
  planNetworkAcl,
  releasedBy,
} from '#domain/reconcile/network-acl-plan';
import type { NetworkAcl, NetworkAclEntry, NetworkAclLedger, OwnedAclEntry } from '#domain/target';
import { anyBlocks, block, domain, ipv4Indicator, ipv6Indicator, network } from './blocks';

const DEFAULTS: NetworkAclEntry[] = [
  { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' },
  { ruleNumber: 101, cidr: '::/0', action: 'allow', protocol: '-1' },
  { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny', protocol: '-1' },
  { ruleNumber: 32768, cidr: '::/0', action: 'deny', protocol: '-1' },
];

function aclWith(...entries: NetworkAclEntry[]): NetworkAcl {
  return {
    aclId: 'acl-0123456789abcdef0',
    vpcId: 'vpc-0123456789abcdef0',
    egress: [...DEFAULTS, ...entries],
  };
}

function deny(ruleNumber: number, cidr: string): NetworkAclEntry {
  return { ruleNumber, cidr, action: 'deny', protocol: '-1' };
}

function allow(ruleNumber: number, cidr: string, protocol = '-1'): NetworkAclEntry {
  return { ruleNumber, cidr, action: 'allow', protocol };
}

/** The ledger entries of the given denies: Egress Warden wrote them. */
function mine(...entries: NetworkAclEntry[]): OwnedAclEntry[] {
  return entries.map(({ ruleNumber, cidr }) => ({ ruleNumber, cidr }));
}

/** Plans with every deny of `acl` inside the default range recorded as ours. */
function planOwningRange(
  acl: NetworkAcl,
  desired: readonly BlockEntry[],
  options: NetworkAclPlanOptions = {},
): NetworkAclPlan {
  const [low, high] = options.ruleRange ?? [1, 18];
  const owned = mine(
    ...acl.egress.filter(
      (entry) =>
        entry.ruleNumber >= low &&
        entry.ruleNumber <= high &&
        entry.action === 'deny' &&
        entry.protocol === '-1',
    ),
  );
  return planNetworkAcl(acl, desired, { ...options, owned });
}

/** The entries of `acl` the ledger says are ours. */
function ours(acl: NetworkAcl, owned: readonly OwnedAclEntry[]): NetworkAclEntry[] {
  const keys = new Set(owned.map((entry) => `${entry.ruleNumber} ${entry.cidr}`));
  return acl.egress.filter(
    (entry) =>
      entry.action === 'deny' && entry.protocol === '-1' && keys.has(`${entry.ruleNumber} ${entry.cidr}`),
  );
}

/** The ledger after a plan ran in full: intents written before, releases after. */
function ledgerAfter(aclId: string, owned: readonly OwnedAclEntry[], plan: NetworkAclPlan): OwnedAclEntry[] {
  const start: NetworkAclLedger = { acls: owned.length > 0 ? [{ aclId, entries: owned }] : [], version: 0 };
  const before = changeLedger(start, aclId, { add: claimedBy(plan.steps), remove: plan.stale });
  const after = changeLedger(before, aclId, { add: [], remove: releasedBy(plan.steps) });
  return [...ownedIn(after, aclId)];
}

/** Every ACL state the steps go through, the initial one first. */
function statesOf(acl: NetworkAcl, plan: NetworkAclPlan): NetworkAcl[] {
  const states = [acl];
  for (const step of plan.steps) {
    const previous = states.at(-1) ?? acl;
    states.push(applyNetworkAclPlan(previous, { ...plan, steps: [step] }));
  }
  return states;
}

function countFamily(acl: NetworkAcl, family: 4 | 6): number {
  return acl.egress.filter((entry) => entryFamily(entry) === family).length;
}

function ipv4Blocks(count: number, severity = 5): BlockEntry[] {
  // Every other /32 so that no two of them merge.
  return Array.from({ length: count }, (_, index) => block(network(`198.51.100.${index * 2}/32`), severity));
}

describe('planNetworkAcl', () => {
  it('creates a deny for each desired IP on the lowest free numbers of the reserved range', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.9/32'));
    const desired = [
      block(network('203.0.113.9/32')),
      block(network('198.51.100.7/32')),
      block(network('2001:db8::/32')),
    ];

    // Act
    const plan = planOwningRange(acl, desired);

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 2, cidr: '198.51.100.7/32' },
      { op: 'create', ruleNumber: 3, cidr: '2001:db8::/32' },
    ]);
    expect(plan.overflow).toEqual([]);
  });

  it('ignores domain blocks', () => {
    // Act
    const plan = planNetworkAcl(aclWith(), [block(domain('evil.example.com'))]);

    // Assess
    expect(plan.steps).toEqual([]);
  });

  it('never deletes or reuses an entry outside the reserved range', () => {
    // Prepare
    const acl = aclWith(deny(19, '192.0.2.0/24'), {
      ruleNumber: 50,
      cidr: '10.0.0.0/8',
      action: 'allow',
      protocol: '6',
    });

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(3));

    // Assess
    expect(plan.steps.every((step) => step.ruleNumber >= 1 && step.ruleNumber <= 18)).toBe(true);
    expect(plan.steps.filter((step) => step.op === 'delete')).toEqual([]);
  });

  it('plans no step at all for an operator’s own entries in the range when nothing is desired', () => {
    // Prepare: the ACL of the review, no ledger entry.
    const acl: NetworkAcl = {
      aclId: 'acl-0123456789abcdef0',
      vpcId: 'vpc-0123456789abcdef0',
      egress: [
        deny(5, '203.0.113.0/24'),
        allow(10, '0.0.0.0/0', '6'),
        allow(100, '0.0.0.0/0'),
        deny(32767, '0.0.0.0/0'),
      ],
    };

    // Act
    const plan = planNetworkAcl(acl, []);

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.foreign).toEqual([deny(5, '203.0.113.0/24'), allow(10, '0.0.0.0/0', '6')]);
  });

  it('never deletes or replaces a deny it did not write, even one for a CIDR it wants', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '203.0.113.5/32'), deny(3, '198.51.100.4/32'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(2), {
      ruleRange: [1, 4],
      owned: mine(deny(3, '198.51.100.4/32')),
    });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 4, cidr: '198.51.100.0/32' },
      { op: 'replace', ruleNumber: 3, cidr: '198.51.100.2/32', previous: '198.51.100.4/32' },
    ]);
  });

  it('treats a ledger entry as ours only while the live entry is a deny for all protocols on that CIDR', () => {
    // Prepare: someone replaced rule 2 with an allow, and rule 3 with a TCP deny.
    const acl = aclWith(allow(2, '198.51.100.8/32'), { ...deny(3, '198.51.100.9/32'), protocol: '6' });
    const owned = mine(deny(2, '198.51.100.8/32'), deny(3, '198.51.100.9/32'), deny(4, '198.51.100.10/32'));

    // Act
    const plan = planNetworkAcl(acl, [], { owned });

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.stale).toEqual(owned);
  });

  it('deletes its own denies that are no longer desired, and only those', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '203.0.113.5/32'), deny(3, '203.0.113.6/32'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(1), {
      owned: mine(deny(1, '198.51.100.0/32'), deny(3, '203.0.113.6/32')),
    });

    // Assess
    expect(plan.steps).toEqual([{ op: 'delete', ruleNumber: 3, cidr: '203.0.113.6/32' }]);
  });

  it('counts foreign entries in the range against the numbers and the quota', () => {
    // Prepare: rule 2 is an operator's, so only 1 and 3 are Egress Warden's to use.
    const acl = aclWith(deny(2, '192.0.2.0/24'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(3), { ruleRange: [1, 3] });

    // Assess
    expect(plan.steps.map((step) => step.ruleNumber)).toEqual([1, 3]);
    expect(plan.overflow).toHaveLength(1);
    expect(plan.foreign).toEqual([deny(2, '192.0.2.0/24')]);
  });

  it('moves its own entries into the range when the range moved, and leaves the operator’s alone', () => {
    // Prepare
    const acl = aclWith(deny(5, '198.51.100.0/32'), deny(6, '203.0.113.1/32'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(1), {
      ruleRange: [50, 60],
      owned: mine(deny(5, '198.51.100.0/32')),
    });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 50, cidr: '198.51.100.0/32' },
      { op: 'delete', ruleNumber: 5, cidr: '198.51.100.0/32' },
    ]);
  });

  it('keeps the default allow-all at 100 when the range is 100–117 and reports every block as shadowed', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32')), block(network('2001:db8::/32'))];

    // Act
    const plan = planNetworkAcl(aclWith(), desired, { ruleRange: [100, 117] });

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.coveringAllows).toEqual([allow(100, '0.0.0.0/0'), allow(101, '::/0')]);
    expect(plan.shadowed.map((item) => [item.cidr, item.allow.ruleNumber])).toEqual([
      ['198.51.100.7/32', 100],
      ['2001:db8::/32', 101],
    ]);
  });

  it('writes nothing when an allow for 0.0.0.0/0 sits at rule 1, before the whole range', () => {
    // Prepare
    const acl = aclWith(allow(1, '0.0.0.0/0', '6'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(2));

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.coveringAllows).toEqual([allow(1, '0.0.0.0/0', '6')]);
    expect(plan.shadowed.map((item) => item.cidr)).toEqual(['198.51.100.0/32', '198.51.100.2/32']);
  });

  it('places a deny below a narrower allow that contains it, and reports it shadowed when no such number is left', () => {
    // Prepare: an operator allows 203.0.113.0/24 over TCP at rule 3; 1 and 2 are taken by the operator too.
    const acl = aclWith(deny(1, '192.0.2.1/32'), deny(2, '192.0.2.2/32'), allow(3, '203.0.113.0/24', '6'));

    // Act
    const plan = planNetworkAcl(acl, [block(network('203.0.113.7/32')), block(network('198.51.100.7/32'))]);

    // Assess
    expect(plan.steps).toEqual([{ op: 'create', ruleNumber: 4, cidr: '198.51.100.7/32' }]);
    expect(plan.shadowed.map((item) => [item.cidr, item.allow.ruleNumber])).toEqual([['203.0.113.7/32', 3]]);
    expect(plan.coveringAllows).toEqual([]);
  });

  it('reports, and does not write, a deny that a narrower allow numbered before it would partly exempt', () => {
    // Prepare: the operator allows a /123 at rule 1; the blocks aggregate into the /122 around it.
    const acl = aclWith(allow(1, '2001:db8::20/123'));

    // Act
    const plan = planNetworkAcl(acl, [block(network('2001:db8::/122')), block(network('2001:db8::20/123'))], {
      ruleRange: [1, 2],
    });

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.shadowed.map((item) => [item.cidr, item.allow.ruleNumber])).toEqual([['2001:db8::/122', 1]]);
  });

  it('keeps correct entries on their rule numbers, so a converged ACL gives no steps', () => {
    // Prepare
    const acl = aclWith(deny(7, '198.51.100.0/32'), deny(3, '198.51.100.2/32'));

    // Act
    const plan = planOwningRange(acl, ipv4Blocks(2));

    // Assess
    expect(plan.steps).toEqual([]);
  });

  it('keeps the lowest of two of its entries that deny the same CIDR and deletes the other', () => {
    // Prepare
    const acl = aclWith(deny(5, '198.51.100.0/32'), deny(2, '198.51.100.0/32'));

    // Act
    const plan = planOwningRange(acl, ipv4Blocks(1));

    // Assess
    expect(plan.steps).toEqual([{ op: 'delete', ruleNumber: 5, cidr: '198.51.100.0/32' }]);
  });

  it('counts the default rule and every other entry of the family outside the range against the quota', () => {
    // Prepare
    const extra = [0, 1, 2, 3, 4].map((index) => deny(200 + index, `192.0.2.${index}/32`));
    const acl = aclWith(...extra);

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(18));

    // Assess
    // 20 entries minus the allow, the default rule and the five extra ones: 13 left.
    expect(plan.steps).toHaveLength(13);
    expect(plan.overflow).toHaveLength(5);
  });

  it('counts IPv4 and IPv6 separately but shares the reserved numbers between them', () => {
    // Prepare
    const extra = Array.from({ length: 10 }, (_, index) => deny(200 + index, `192.0.2.${index}/32`));
    const v6 = Array.from({ length: 12 }, (_, index) =>
      block(network(`2001:db8::${(index * 2 + 2).toString(16)}/128`), 4),
    );

    // Act
    const plan = planNetworkAcl(aclWith(...extra), [...ipv4Blocks(12, 6), ...v6]);
    const created = plan.steps.filter((step) => step.op === 'create');

    // Assess
    // IPv4 room is 20 - 12 = 8; the other 10 of the 18 numbers go to IPv6.
    expect(created.filter((step) => !step.cidr.includes(':'))).toHaveLength(8);
    expect(created.filter((step) => step.cidr.includes(':'))).toHaveLength(10);
    expect(plan.overflow).toHaveLength(6);
  });

  it('takes a raised quota and a custom range', () => {
    // Act
    const plan = planNetworkAcl(aclWith(), ipv4Blocks(30), { ruleRange: [10, 39], maxEntriesPerFamily: 40 });

    // Assess
    expect(plan.steps.map((step) => step.ruleNumber)).toEqual(
      Array.from({ length: 30 }, (_, index) => 10 + index),
    );
  });

  it('chooses the highest severity, then the newest, then the CIDR text, and overflows the rest in that order', () => {
    // Prepare
    const a = block(network('198.51.100.10/32'), 5, '2026-11-02T00:00:00.000Z');
    const b = block(network('198.51.100.20/32'), 5, '2026-11-01T00:00:00.000Z');
    const c = block(network('198.51.100.30/32'), 9, '2026-10-01T00:00:00.000Z');
    const d = block(network('198.51.100.40/32'), 5, '2026-11-01T00:00:00.000Z');

    // Act
    const plan = planNetworkAcl(aclWith(), [a, b, c, d], { ruleRange: [1, 2] });

    // Assess
    expect(plan.steps.map((step) => step.cidr)).toEqual(['198.51.100.30/32', '198.51.100.10/32']);
    expect(plan.overflow).toEqual([b, d]);
  });

  it('merges sibling CIDRs and contained ones into one entry and reports the merge', () => {
    // Prepare
    const desired = [
      block(network('198.51.100.0/25'), 4, '2026-11-01T00:00:00.000Z'),
      block(network('198.51.100.128/25'), 7, '2026-10-01T00:00:00.000Z'),
      block(network('198.51.100.77/32'), 2, '2026-11-05T00:00:00.000Z'),
      block(network('203.0.113.0/25')),
      block(network('203.0.113.128/26')),
    ];

    // Act
    const plan = planNetworkAcl(aclWith(), desired);

    // Assess
    expect(plan.merged).toEqual([
      { cidr: '198.51.100.0/24', from: ['198.51.100.0/25', '198.51.100.77/32', '198.51.100.128/25'] },
    ]);
    expect(plan.steps.map((step) => step.cidr)).toEqual([
      '198.51.100.0/24',
      '203.0.113.0/25',
      '203.0.113.128/26',
    ]);
  });

  it('gives a merged entry the highest severity and the newest start of its parts', () => {
    // Prepare
    const left = block(network('198.51.100.0/25'), 8, '2026-10-01T00:00:00.000Z');
    const right = block(network('198.51.100.128/25'), 1, '2026-11-05T00:00:00.000Z');
    const rival = block(network('203.0.113.7/32'), 8, '2026-11-04T00:00:00.000Z');

    // Act
    const plan = planNetworkAcl(aclWith(), [rival, left, right], { ruleRange: [1, 1] });

    // Assess
    expect(plan.steps).toEqual([{ op: 'create', ruleNumber: 1, cidr: '198.51.100.0/24' }]);
    expect(plan.overflow).toEqual([rival]);
  });

  it('reports every part of a merged entry that does not fit as overflow', () => {
    // Prepare
    const left = block(network('198.51.100.0/25'), 1);
    const right = block(network('198.51.100.128/25'), 1);
    const top = block(network('203.0.113.7/32'), 9);

    // Act
    const plan = planNetworkAcl(aclWith(), [left, right, top], { ruleRange: [1, 1] });

    // Assess
    expect(plan.overflow).toEqual([left, right]);
  });

  it('creates a merged entry before it deletes the entries it replaces, so no address is left open', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/25'), deny(2, '198.51.100.128/25'));
    const desired = [block(network('198.51.100.0/25')), block(network('198.51.100.128/25'))];

    // Act
    const plan = planOwningRange(acl, desired);

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.0/24' },
      { op: 'delete', ruleNumber: 1, cidr: '198.51.100.0/25' },
      { op: 'delete', ruleNumber: 2, cidr: '198.51.100.128/25' },
    ]);
  });

  it('orders creates into free numbers, then replaces of its own entries when the range is full', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '203.0.113.1/32'));
    const desired = [
      block(network('198.51.100.0/32')),
      block(network('198.51.100.2/32'), 9),
      block(network('198.51.100.4/32'), 8),
    ];

    // Act
    const plan = planOwningRange(acl, desired, { ruleRange: [1, 3] });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.2/32' },
      { op: 'replace', ruleNumber: 2, cidr: '198.51.100.4/32', previous: '203.0.113.1/32' },
    ]);
  });

  it('replaces in place when the family is at its quota, never going over it', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.1/32'), deny(2, '203.0.113.3/32'));
    const options = { ruleRange: [1, 4] as const, maxEntriesPerFamily: 5 };

    // Act
    const plan = planOwningRange(acl, ipv4Blocks(3), options);

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.0/32' },
      { op: 'replace', ruleNumber: 1, cidr: '198.51.100.2/32', previous: '203.0.113.1/32' },
      { op: 'replace', ruleNumber: 2, cidr: '198.51.100.4/32', previous: '203.0.113.3/32' },
    ]);
    for (const state of statesOf(acl, plan)) expect(countFamily(state, 4)).toBeLessThanOrEqual(5);
  });

  it('merges into a wider entry in a full range by replacing a part in place, so no address is ever open', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/25'), deny(2, '198.51.100.128/25'));
    const desired = [block(network('198.51.100.0/25')), block(network('198.51.100.128/25'))];

    // Act
    const plan = planOwningRange(acl, desired, { ruleRange: [1, 2] });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'replace', ruleNumber: 1, cidr: '198.51.100.0/24', previous: '198.51.100.0/25' },
      { op: 'delete', ruleNumber: 2, cidr: '198.51.100.128/25' },
    ]);
    for (const state of statesOf(acl, plan)) {
      for (const address of ['198.51.100.1/32', '198.51.100.200/32']) {
        expect(
          state.egress.some((entry) => entry.action === 'deny' && cidrContains(entry.cidr, address)),
        ).toBe(true);
      }
    }
  });

  it('swaps a lower-priority block for a higher one by replacing it when the range is full', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.1/32'));
    const old = block(network('203.0.113.1/32'), 5);
    const urgent = block(network('198.51.100.9/32'), 9);

    // Act
    const plan = planOwningRange(acl, [old, urgent], { ruleRange: [1, 1] });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'replace', ruleNumber: 1, cidr: '198.51.100.9/32', previous: '203.0.113.1/32' },
    ]);
    expect(plan.overflow).toEqual([old]);
  });

  describe('held', () => {
    it('writes no new block and counts it as held', () => {
      // Act
      const plan = planNetworkAcl(aclWith(), ipv4Blocks(1), { hold: true });

      // Assess
      expect(plan.steps).toEqual([]);
      expect(plan.held).toBe(1);
    });

    it('still deletes its entries that are no longer desired', () => {
      // Prepare
      const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '203.0.113.5/32'));

      // Act
      const plan = planOwningRange(acl, [...ipv4Blocks(1), block(network('192.0.2.9/32'))], { hold: true });

      // Assess
      expect(plan.steps).toEqual([{ op: 'delete', ruleNumber: 2, cidr: '203.0.113.5/32' }]);
      expect(plan.held).toBe(1);
    });

    it('keeps the parts of a merge that would block new addresses', () => {
      // Prepare: 198.51.100.128/25 is new, so the /24 it merges into cannot be written.
      const acl = aclWith(deny(1, '198.51.100.0/25'));
      const desired = [block(network('198.51.100.0/25')), block(network('198.51.100.128/25'))];

      // Act
      const plan = planOwningRange(acl, desired, { hold: true });

      // Assess
      expect(plan.steps).toEqual([]);
      expect(plan.held).toBe(2);
    });

    it('narrows a merged entry when one of its parts ended', () => {
      // Prepare
      const acl = aclWith(deny(1, '198.51.100.0/24'));

      // Act
      const plan = planOwningRange(acl, [block(network('198.51.100.128/25'))], {
        hold: true,
        ruleRange: [1, 1],
      });

      // Assess
      expect(plan.steps).toEqual([
        { op: 'replace', ruleNumber: 1, cidr: '198.51.100.128/25', previous: '198.51.100.0/24' },
      ]);
      expect(plan.held).toBe(0);
    });

    it('keeps a block that a new, higher one would displace', () => {
      // Prepare
      const acl = aclWith(deny(1, '203.0.113.1/32'));
      const desired = [block(network('203.0.113.1/32'), 5), block(network('198.51.100.9/32'), 9)];

      // Act
      const plan = planOwningRange(acl, desired, { hold: true, ruleRange: [1, 1] });

      // Assess
      expect(plan.steps).toEqual([]);
      expect(plan.held).toBe(1);
    });

    it('removes every entry of its own, and nothing else, when nothing is desired', () => {
      // Prepare
      const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '192.0.2.0/24'), allow(3, '0.0.0.0/0', '6'));

      // Act
      const plan = planNetworkAcl(acl, [], { hold: false, owned: mine(deny(1, '198.51.100.0/32')) });

      // Assess
      expect(plan.steps).toEqual([{ op: 'delete', ruleNumber: 1, cidr: '198.51.100.0/32' }]);
    });
  });

  it('rejects a reserved range that is empty, reversed or reaches the default rules', () => {
    // Assess
    expect(() => planNetworkAcl(aclWith(), [], { ruleRange: [5, 4] })).toThrow(InvalidInputError);
    expect(() => planNetworkAcl(aclWith(), [], { ruleRange: [0, 4] })).toThrow(InvalidInputError);
    expect(() => planNetworkAcl(aclWith(), [], { ruleRange: [1, 32767] })).toThrow(InvalidInputError);
    expect(() => planNetworkAcl(aclWith(), [], { maxEntriesPerFamily: 0 })).toThrow(InvalidInputError);
  });

  it('returns a byte-identical plan whatever the order of its input', () => {
    fc.assert(
      fc.property(anyBlocks, (desired) => {
        // Prepare
        const acl = aclWith(deny(4, '198.51.100.0/26'), deny(1, '2001:db8::/126'));
        const shuffled = { ...acl, egress: [...acl.egress].reverse() };

        // Act
        const owned = mine(deny(4, '198.51.100.0/26'), deny(1, '2001:db8::/126'));
        const forward = planNetworkAcl(acl, desired, { owned });
        const backward = planNetworkAcl(shuffled, [...desired].reverse(), { owned: [...owned].reverse() });

        // Assess
        expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
      }),
    );
  });
});

describe('planNetworkAcl over several ACLs', () => {
  it('aggregates the same desired blocks once, however many ACLs it plans them for', () => {
    // Prepare
    const desired = [block(network('198.51.100.0/25'), 8), block(network('198.51.100.128/25'), 7)];
    let vetoes = 0;
    const mayMerge = () => {
      vetoes++;
      return true;
    };
    const second: NetworkAcl = { ...aclWith(), aclId: 'acl-0fedcba9876543210' };

    // Act
    const plans = [aclWith(), second].map((acl) => planNetworkAcl(acl, desired, { mayMerge }));

    // Assess
    expect(vetoes).toBe(1);
    for (const plan of plans) {
      expect(plan.merged).toStrictEqual([
        { cidr: '198.51.100.0/24', from: ['198.51.100.0/25', '198.51.100.128/25'] },
      ]);
      expect(plan.steps).toStrictEqual([{ op: 'create', ruleNumber: 1, cidr: '198.51.100.0/24' }]);
    }
  });

  it('aggregates again for other desired blocks or another veto', () => {
    // Prepare
    const first = [block(network('198.51.100.0/25')), block(network('198.51.100.128/25'))];
    const other = [block(network('198.51.100.0/25'))];

    // Act
    const merged = planNetworkAcl(aclWith(), first, { mayMerge: () => true });
    const vetoed = planNetworkAcl(aclWith(), first, { mayMerge: () => false });
    const alone = planNetworkAcl(aclWith(), other, { mayMerge: () => true });

    // Assess
    expect(merged.steps.map((step) => step.cidr)).toStrictEqual(['198.51.100.0/24']);
    expect(vetoed.steps.map((step) => step.cidr)).toStrictEqual(['198.51.100.0/25', '198.51.100.128/25']);
    expect(alone.steps.map((step) => step.cidr)).toStrictEqual(['198.51.100.0/25']);
  });
});

describe('applyNetworkAclPlan', () => {
  it('runs the steps and returns the entries sorted by rule number', () => {
    // Prepare
    const acl = aclWith(deny(2, '203.0.113.1/32'));
    const plan: Pick<NetworkAclPlan, 'aclId' | 'steps'> = {
      aclId: acl.aclId,
      steps: [
        { op: 'create', ruleNumber: 1, cidr: '198.51.100.0/32' },
        { op: 'delete', ruleNumber: 2, cidr: '203.0.113.1/32' },
      ],
    };

    // Act
    const result = applyNetworkAclPlan(acl, plan);

    // Assess
    expect(result.egress.map((entry) => entry.ruleNumber)).toEqual([1, 100, 101, 32767, 32768]);
    expect(result.egress[0]).toEqual(deny(1, '198.51.100.0/32'));
  });

  it('fails like EC2 when a create hits a number that is taken', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.1/32'));
    const plan: Pick<NetworkAclPlan, 'aclId' | 'steps'> = {
      aclId: acl.aclId,
      steps: [{ op: 'create', ruleNumber: 1, cidr: '198.51.100.0/32' }],
    };

    // Act
    const run = () => applyNetworkAclPlan(acl, plan);

    // Assess
    expect(run).toThrow(ConcurrentUpdateError);
    expect(run).toThrow(expect.objectContaining({ code: 'NetworkAclEntryAlreadyExists' }));
  });

  it('replaces an entry in place, and fails like EC2 when the number is empty', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.1/32'));
    const replace = (ruleNumber: number): Pick<NetworkAclPlan, 'aclId' | 'steps'> => ({
      aclId: acl.aclId,
      steps: [{ op: 'replace', ruleNumber, cidr: '198.51.100.0/32', previous: '203.0.113.1/32' }],
    });

    // Act
    const result = applyNetworkAclPlan(acl, replace(1));
    const missing = () => applyNetworkAclPlan(acl, replace(2));

    // Assess
    expect(result.egress[0]).toEqual(deny(1, '198.51.100.0/32'));
    expect(missing).toThrow(expect.objectContaining({ code: 'InvalidNetworkAclEntry.NotFound' }));
  });

  it('refuses a plan made for another ACL', () => {
    // Prepare
    const plan: Pick<NetworkAclPlan, 'aclId' | 'steps'> = { aclId: 'acl-other', steps: [] };

    // Act
    const run = () => applyNetworkAclPlan(aclWith(), plan);

    // Assess
    expect(run).toThrow(InvalidInputError);
  });
});

describe('ledger changes', () => {
  it('claims what creates and replaces write, and releases what deletes and replaces remove', () => {
    // Prepare
    const steps = [
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.0/32' },
      { op: 'replace', ruleNumber: 1, cidr: '198.51.100.0/24', previous: '198.51.100.0/25' },
      { op: 'delete', ruleNumber: 2, cidr: '198.51.100.128/25' },
    ] as const;

    // Act
    const claimed = claimedBy(steps);
    const released = releasedBy(steps);

    // Assess
    expect(claimed).toEqual([
      { ruleNumber: 3, cidr: '198.51.100.0/32' },
      { ruleNumber: 1, cidr: '198.51.100.0/24' },
    ]);
    expect(released).toEqual([
      { ruleNumber: 1, cidr: '198.51.100.0/25' },
      { ruleNumber: 2, cidr: '198.51.100.128/25' },
    ]);
  });

  it('changes one ACL, keeps entries sorted and unique, drops an emptied ACL and bumps the version', () => {
    // Prepare
    const ledger: NetworkAclLedger = {
      acls: [
        { aclId: 'acl-b', entries: [{ ruleNumber: 1, cidr: '198.51.100.0/32' }] },
        { aclId: 'acl-c', entries: [{ ruleNumber: 4, cidr: '203.0.113.0/24' }] },
      ],
      version: 7,
    };

    // Act
    const added = changeLedger(ledger, 'acl-a', {
      add: [
        { ruleNumber: 2, cidr: '2001:db8::/32' },
        { ruleNumber: 1, cidr: '192.0.2.0/24' },
        { ruleNumber: 2, cidr: '2001:db8::/32' },
      ],
      remove: [],
    });
    const emptied = changeLedger(added, 'acl-b', {
      add: [],
      remove: [{ ruleNumber: 1, cidr: '198.51.100.0/32' }],
    });

    // Assess
    expect(emptied).toEqual({
      acls: [
        {
          aclId: 'acl-a',
          entries: [
            { ruleNumber: 1, cidr: '192.0.2.0/24' },
            { ruleNumber: 2, cidr: '2001:db8::/32' },
          ],
        },
        { aclId: 'acl-c', entries: [{ ruleNumber: 4, cidr: '203.0.113.0/24' }] },
      ],
      version: 9,
    });
  });
});

describe('planNetworkAcl properties', () => {
  const range = fc
    .tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 20 }))
    .map(([low, size]): readonly [number, number] => [low, low + size]);
  const entry = fc
    .tuple(
      fc.integer({ min: 1, max: 60 }),
      fc.oneof(ipv4Indicator, ipv6Indicator),
      fc.constantFrom<'allow' | 'deny'>('allow', 'deny', 'deny', 'deny'),
      fc.constantFrom('-1', '-1', '6'),
      fc.boolean(),
    )
    .map(([ruleNumber, indicator, action, protocol, ours]) => ({
      entry: { ruleNumber, cidr: indicator.value, action, protocol } as NetworkAclEntry,
      ours,
    }));
  const scenario = fc.record({
    range,
    maxEntriesPerFamily: fc.integer({ min: 2, max: 40 }),
    entries: fc.uniqueArray(entry, { selector: (value) => value.entry.ruleNumber, maxLength: 30 }),
    // Intents left by a run that stopped before its create.
    stale: fc.array(
      fc.tuple(fc.integer({ min: 1, max: 60 }), ipv4Indicator).map(([ruleNumber, indicator]) => ({
        ruleNumber,
        cidr: indicator.value,
      })),
      { maxLength: 3 },
    ),
    desired: anyBlocks,
    hold: fc.boolean(),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  function prepare({ range: ruleRange, maxEntriesPerFamily, entries, stale, hold }: Scenario) {
    const acl = aclWith(...entries.map((item) => item.entry));
    const owned = [...mine(...entries.filter((item) => item.ours).map((item) => item.entry)), ...stale];
    return { acl, owned, options: { ruleRange, maxEntriesPerFamily, owned, hold } };
  }

  it('converges in one pass: applying the plan and planning again with the new ledger gives no steps', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        // Prepare
        const { acl, owned, options } = prepare(input);
        const plan = planNetworkAcl(acl, input.desired, { ...options, hold: false });

        // Act
        const after = applyNetworkAclPlan(acl, plan);
        const again = planNetworkAcl(after, input.desired, {
          ...options,
          hold: false,
          owned: ledgerAfter(acl.aclId, owned, plan),
        });

        // Assess
        expect(again.steps).toEqual([]);
        expect(again.overflow).toEqual(plan.overflow);
        expect(again.stale).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never takes a step on an entry it did not write, and leaves every foreign entry as it was', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        // Prepare
        const { acl, owned, options } = prepare(input);
        const mineNow = new Set(ours(acl, owned).map((item) => `${item.ruleNumber} ${item.cidr}`));
        const foreign = acl.egress.filter((item) => !mineNow.has(`${item.ruleNumber} ${item.cidr}`));

        // Act
        const plan = planNetworkAcl(acl, input.desired, options);
        const final = applyNetworkAclPlan(acl, plan);

        // Assess
        for (const step of plan.steps) {
          if (step.op === 'delete') expect(mineNow.has(`${step.ruleNumber} ${step.cidr}`)).toBe(true);
          if (step.op === 'replace') expect(mineNow.has(`${step.ruleNumber} ${step.previous}`)).toBe(true);
        }
        for (const item of foreign) expect(final.egress).toContainEqual(item);
      }),
      { numRuns: 300 },
    );
  });

  it('stays within room and quota at every step, writes only in the range and places or reports every block', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        // Prepare
        const { acl, owned, options } = prepare({ ...input, hold: false });
        const [low, high] = input.range;
        const maxEntriesPerFamily = input.maxEntriesPerFamily;
        const mineNow = new Set(ours(acl, owned));
        const foreign = acl.egress.filter((item) => !mineNow.has(item));

        // Act
        const plan = planNetworkAcl(acl, input.desired, options);
        const states = statesOf(acl, plan);
        const final = applyNetworkAclPlan(acl, plan);
        const ownFinal = ours(final, ledgerAfter(acl.aclId, owned, plan));

        // Assess
        for (const step of plan.steps) {
          if (step.op !== 'delete') expect(step.ruleNumber >= low && step.ruleNumber <= high).toBe(true);
        }
        for (const family of [4, 6] as const) {
          const room = Math.max(
            0,
            maxEntriesPerFamily - foreign.filter((item) => entryFamily(item) === family).length,
          );
          expect(ownFinal.filter((item) => entryFamily(item) === family).length).toBeLessThanOrEqual(room);
          const startedWithin = countFamily(acl, family) <= maxEntriesPerFamily;
          for (const state of states) {
            if (startedWithin) expect(countFamily(state, family)).toBeLessThanOrEqual(maxEntriesPerFamily);
          }
        }
        const shadowedParts = plan.shadowed.flatMap((item) => item.parts);
        for (const wanted of input.desired) {
          if (wanted.indicator.kind === 'domain') continue;
          const value = wanted.indicator.value;
          const effective = ownFinal.some(
            (item) =>
              cidrContains(item.cidr, value) &&
              !final.egress.some(
                (other) =>
                  other.action === 'allow' &&
                  other.ruleNumber < item.ruleNumber &&
                  cidrContains(other.cidr, value),
              ),
          );
          const reported = plan.overflow.includes(wanted) || shadowedParts.includes(wanted);
          expect(effective).not.toBe(reported);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('creates into free numbers, then replaces, then deletes, then creates into freed numbers', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        // Prepare
        const { acl, options } = prepare(input);
        const heldAtStart = new Set(acl.egress.map((item) => item.ruleNumber));

        // Act
        const plan = planNetworkAcl(acl, input.desired, options);

        // Assess
        const ops = plan.steps.map((step) => step.op).join(' ');
        expect(ops).toMatch(/^(create ?)*(replace ?)*(delete ?)*(create ?)*$/);
        const firstOther = plan.steps.findIndex((step) => step.op !== 'create');
        const early = firstOther < 0 ? plan.steps : plan.steps.slice(0, firstOther);
        for (const step of early) expect(heldAtStart.has(step.ruleNumber)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('when held, blocks nothing new and unblocks nothing still desired', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        // Prepare
        const { acl, owned, options } = prepare({ ...input, hold: true });
        const before = ours(acl, owned);

        // Act
        const plan = planNetworkAcl(acl, input.desired, options);
        const states = statesOf(acl, plan);

        // Assess
        for (const step of plan.steps) {
          if (step.op !== 'delete')
            expect(before.some((item) => cidrContains(item.cidr, step.cidr))).toBe(true);
        }
        for (const wanted of input.desired) {
          if (wanted.indicator.kind === 'domain') continue;
          const value = wanted.indicator.value;
          if (!before.some((item) => cidrContains(item.cidr, value))) continue;
          for (const state of states.slice(1)) {
            const blocked = state.egress.some(
              (item) => item.action === 'deny' && item.protocol === '-1' && cidrContains(item.cidr, value),
            );
            expect(blocked).toBe(true);
          }
        }
        const unheld = planNetworkAcl(acl, input.desired, { ...options, hold: false });
        expect(plan.held).toBeLessThanOrEqual(unheld.steps.length);
      }),
      { numRuns: 300 },
    );
  });
});
