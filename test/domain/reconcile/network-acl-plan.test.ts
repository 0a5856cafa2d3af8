import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockEntry } from '#domain/block';
import { cidrContains } from '#domain/cidr';
import { ConcurrentUpdateError, InvalidInputError } from '#domain/errors';
import {
  applyNetworkAclPlan,
  entryFamily,
  type NetworkAclPlan,
  planNetworkAcl,
} from '#domain/reconcile/network-acl-plan';
import type { NetworkAcl, NetworkAclEntry } from '#domain/target';
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

function ours(acl: NetworkAcl, [low, high]: readonly [number, number] = [1, 18]): NetworkAclEntry[] {
  return acl.egress.filter((entry) => entry.ruleNumber >= low && entry.ruleNumber <= high);
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
    const plan = planNetworkAcl(acl, desired);

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

  it('deletes allows, other protocols and CIDRs no longer desired inside the range', () => {
    // Prepare
    const acl = aclWith(
      { ruleNumber: 1, cidr: '198.51.100.0/32', action: 'allow', protocol: '-1' },
      { ruleNumber: 2, cidr: '198.51.100.2/32', action: 'deny', protocol: '6' },
      deny(3, '203.0.113.5/32'),
      deny(4, '198.51.100.4/32'),
    );

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(3));

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 5, cidr: '198.51.100.0/32' },
      { op: 'create', ruleNumber: 6, cidr: '198.51.100.2/32' },
      { op: 'delete', ruleNumber: 1, cidr: '198.51.100.0/32' },
      { op: 'delete', ruleNumber: 2, cidr: '198.51.100.2/32' },
      { op: 'delete', ruleNumber: 3, cidr: '203.0.113.5/32' },
    ]);
  });

  it('keeps correct entries on their rule numbers, so a converged ACL gives no steps', () => {
    // Prepare
    const acl = aclWith(deny(7, '198.51.100.0/32'), deny(3, '198.51.100.2/32'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(2));

    // Assess
    expect(plan.steps).toEqual([]);
  });

  it('keeps the lowest of two entries that deny the same CIDR and deletes the other', () => {
    // Prepare
    const acl = aclWith(deny(5, '198.51.100.0/32'), deny(2, '198.51.100.0/32'));

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(1));

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
    const plan = planNetworkAcl(acl, desired);

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.0/24' },
      { op: 'delete', ruleNumber: 1, cidr: '198.51.100.0/25' },
      { op: 'delete', ruleNumber: 2, cidr: '198.51.100.128/25' },
    ]);
  });

  it('orders creates into free numbers, then deletes, then creates that need a freed number', () => {
    // Prepare
    const acl = aclWith(deny(1, '198.51.100.0/32'), deny(2, '203.0.113.1/32'));
    const desired = [
      block(network('198.51.100.0/32')),
      block(network('198.51.100.2/32'), 9),
      block(network('198.51.100.4/32'), 8),
    ];

    // Act
    const plan = planNetworkAcl(acl, desired, { ruleRange: [1, 3] });

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.2/32' },
      { op: 'delete', ruleNumber: 2, cidr: '203.0.113.1/32' },
      { op: 'create', ruleNumber: 2, cidr: '198.51.100.4/32' },
    ]);
  });

  it('holds creates back until deletes make room when the family is at its quota', () => {
    // Prepare
    const acl = aclWith(deny(1, '203.0.113.1/32'), deny(2, '203.0.113.3/32'));
    const options = { ruleRange: [1, 4] as const, maxEntriesPerFamily: 5 };

    // Act
    const plan = planNetworkAcl(acl, ipv4Blocks(3), options);

    // Assess
    expect(plan.steps).toEqual([
      { op: 'create', ruleNumber: 3, cidr: '198.51.100.0/32' },
      { op: 'delete', ruleNumber: 1, cidr: '203.0.113.1/32' },
      { op: 'delete', ruleNumber: 2, cidr: '203.0.113.3/32' },
      { op: 'create', ruleNumber: 1, cidr: '198.51.100.2/32' },
      { op: 'create', ruleNumber: 2, cidr: '198.51.100.4/32' },
    ]);
    for (const state of statesOf(acl, plan)) expect(countFamily(state, 4)).toBeLessThanOrEqual(5);
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
        const forward = planNetworkAcl(acl, desired);
        const backward = planNetworkAcl(shuffled, [...desired].reverse());

        // Assess
        expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
      }),
    );
  });
});

describe('applyNetworkAclPlan', () => {
  it('runs the steps and returns the entries sorted by rule number', () => {
    // Prepare
    const acl = aclWith(deny(2, '203.0.113.1/32'));
    const plan: NetworkAclPlan = {
      aclId: acl.aclId,
      steps: [
        { op: 'create', ruleNumber: 1, cidr: '198.51.100.0/32' },
        { op: 'delete', ruleNumber: 2, cidr: '203.0.113.1/32' },
      ],
      overflow: [],
      merged: [],
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
    const plan: NetworkAclPlan = {
      aclId: acl.aclId,
      steps: [{ op: 'create', ruleNumber: 1, cidr: '198.51.100.0/32' }],
      overflow: [],
      merged: [],
    };

    // Act
    const run = () => applyNetworkAclPlan(acl, plan);

    // Assess
    expect(run).toThrow(ConcurrentUpdateError);
    expect(run).toThrow(expect.objectContaining({ code: 'NetworkAclEntryAlreadyExists' }));
  });

  it('refuses a plan made for another ACL', () => {
    // Prepare
    const plan: NetworkAclPlan = { aclId: 'acl-other', steps: [], overflow: [], merged: [] };

    // Act
    const run = () => applyNetworkAclPlan(aclWith(), plan);

    // Assess
    expect(run).toThrow(InvalidInputError);
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
      fc.constantFrom<'allow' | 'deny'>('allow', 'deny', 'deny'),
      fc.constantFrom('-1', '-1', '6'),
    )
    .map(
      ([ruleNumber, indicator, action, protocol]): NetworkAclEntry => ({
        ruleNumber,
        cidr: indicator.value,
        action,
        protocol,
      }),
    );
  const scenario = fc.record({
    range,
    maxEntriesPerFamily: fc.integer({ min: 2, max: 40 }),
    entries: fc.uniqueArray(entry, { selector: (value) => value.ruleNumber, maxLength: 30 }),
    desired: anyBlocks,
  });

  it('converges in one pass: applying the plan and planning again gives no steps', () => {
    fc.assert(
      fc.property(scenario, ({ range: ruleRange, maxEntriesPerFamily, entries, desired }) => {
        // Prepare
        const acl = aclWith(...entries);
        const options = { ruleRange, maxEntriesPerFamily };
        const plan = planNetworkAcl(acl, desired, options);

        // Act
        const again = planNetworkAcl(applyNetworkAclPlan(acl, plan), desired, options);

        // Assess
        expect(again.steps).toEqual([]);
        expect(again.overflow).toEqual(plan.overflow);
      }),
      { numRuns: 300 },
    );
  });

  it('stays within room and quota at every step, touches only the range and places or reports every block', () => {
    fc.assert(
      fc.property(scenario, ({ range: ruleRange, maxEntriesPerFamily, entries, desired }) => {
        // Prepare
        const acl = aclWith(...entries);
        const [low, high] = ruleRange;
        const outside = acl.egress.filter((item) => item.ruleNumber < low || item.ruleNumber > high);

        // Act
        const plan = planNetworkAcl(acl, desired, { ruleRange, maxEntriesPerFamily });
        const states = statesOf(acl, plan);
        const final = applyNetworkAclPlan(acl, plan);

        // Assess
        expect(plan.steps.every((step) => step.ruleNumber >= low && step.ruleNumber <= high)).toBe(true);
        expect(final.egress.filter((item) => item.ruleNumber < low || item.ruleNumber > high)).toEqual(
          [...outside].sort((a, b) => a.ruleNumber - b.ruleNumber),
        );
        for (const family of [4, 6] as const) {
          const room = Math.max(
            0,
            maxEntriesPerFamily - outside.filter((item) => entryFamily(item) === family).length,
          );
          expect(
            ours(final, ruleRange).filter((item) => entryFamily(item) === family).length,
          ).toBeLessThanOrEqual(room);
          const startedWithin = countFamily(acl, family) <= maxEntriesPerFamily;
          for (const state of states) {
            if (startedWithin) expect(countFamily(state, family)).toBeLessThanOrEqual(maxEntriesPerFamily);
          }
        }
        for (const wanted of desired) {
          if (wanted.indicator.kind === 'domain') continue;
          const value = wanted.indicator.value;
          const placed = ours(final, ruleRange).some(
            (item) => item.action === 'deny' && item.protocol === '-1' && cidrContains(item.cidr, value),
          );
          expect(placed).not.toBe(plan.overflow.includes(wanted));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('creates into free numbers before any delete and only then into freed numbers', () => {
    fc.assert(
      fc.property(scenario, ({ range: ruleRange, maxEntriesPerFamily, entries, desired }) => {
        // Prepare
        const acl = aclWith(...entries);
        const heldAtStart = new Set(acl.egress.map((item) => item.ruleNumber));

        // Act
        const plan = planNetworkAcl(acl, desired, { ruleRange, maxEntriesPerFamily });

        // Assess
        const ops = plan.steps.map((step) => step.op).join(' ');
        expect(ops).toMatch(/^(create ?)*(delete ?)*(create ?)*$/);
        const firstDelete = plan.steps.findIndex((step) => step.op === 'delete');
        const early = firstDelete < 0 ? plan.steps : plan.steps.slice(0, firstDelete);
        for (const step of early) expect(heldAtStart.has(step.ruleNumber)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
