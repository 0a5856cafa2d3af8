import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockEntry } from '#domain/block';
import { InvalidInputError } from '#domain/errors';
import { compareBlockPriority } from '#domain/reconcile/block-priority';
import { planDnsFirewall, toDnsFirewallEntries } from '#domain/reconcile/dns-firewall-plan';
import { DNS_FIREWALL_MAX_DOMAINS_PER_CALL } from '#domain/target';
import { anyBlocks, block, domain, network } from './blocks';

/** Runs the chunks against a set, as the list would. */
function apply(actual: readonly string[], plan: { add: string[][]; remove: string[][] }): string[] {
  const list = new Set(actual.map((name) => name.toLowerCase().replace(/\.$/, '')));
  for (const name of plan.add.flat()) list.add(name);
  for (const name of plan.remove.flat()) list.delete(name);
  return [...list].sort();
}

/** The plan worked out the plain way: whole sets, a plain sort, each entry looked up before it is taken. */
function plainPlan(desired: readonly BlockEntry[], actual: readonly string[], maxDomains: number) {
  const present = new Set(actual.map((name) => name.toLowerCase().replace(/\.$/, '')));
  const wanted = new Set<string>();
  const additions: string[][] = [];
  const overflow: BlockEntry[] = [];
  const blocks = desired.filter((entry) => entry.indicator.kind === 'domain').sort(compareBlockPriority);
  for (const entry of blocks) {
    if (entry.indicator.kind !== 'domain') continue;
    const missing = toDnsFirewallEntries(entry.indicator).filter((name) => !wanted.has(name));
    if (wanted.size + missing.length > maxDomains) {
      overflow.push(entry);
      continue;
    }
    for (const name of missing) wanted.add(name);
    const toAdd = missing.filter((name) => !present.has(name));
    if (toAdd.length > 0) additions.push(toAdd);
  }
  const add: string[][] = [];
  let current: string[] = [];
  for (const group of additions) {
    if (current.length + group.length > DNS_FIREWALL_MAX_DOMAINS_PER_CALL) {
      add.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length > 0) add.push(current);
  const removed = [...present].filter((name) => !wanted.has(name)).sort();
  const remove: string[][] = [];
  for (let start = 0; start < removed.length; start += DNS_FIREWALL_MAX_DOMAINS_PER_CALL) {
    remove.push(removed.slice(start, start + DNS_FIREWALL_MAX_DOMAINS_PER_CALL));
  }
  return { add, remove, overflow };
}

const manyWildcards = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    block(domain(`*.d${String(index).padStart(5, '0')}.example.com`)),
  );

describe('toDnsFirewallEntries', () => {
  it('blocks a domain with both the name and its wildcard', () => {
    // Act
    const entries = toDnsFirewallEntries(domain('evil.example.com'));

    // Assess
    expect(entries).toEqual(['*.evil.example.com', 'evil.example.com']);
  });

  it('blocks a wildcard indicator with the wildcard only', () => {
    // Act
    const entries = toDnsFirewallEntries(domain('*.evil.example.com'));

    // Assess
    expect(entries).toEqual(['*.evil.example.com']);
  });
});

describe('planDnsFirewall', () => {
  it('adds what is missing and removes what is no longer desired', () => {
    // Prepare
    const desired = [block(domain('evil.example.com')), block(domain('*.c2.example.net'))];

    // Act
    const plan = planDnsFirewall(desired, ['evil.example.com', 'old.example.org'], { maxDomains: 100 });

    // Assess
    expect(plan).toEqual({
      add: [['*.c2.example.net', '*.evil.example.com']],
      remove: [['old.example.org']],
      overflow: [],
    });
  });

  it('ignores IP and CIDR blocks', () => {
    // Prepare
    const desired = [block(network('198.51.100.7/32')), block(network('2001:db8::/32'))];

    // Act
    const plan = planDnsFirewall(desired, [], { maxDomains: 100 });

    // Assess
    expect(plan).toEqual({ add: [], remove: [], overflow: [] });
  });

  it('compares listed names after lowercasing and dropping the trailing dot', () => {
    // Prepare
    const desired = [block(domain('evil.example.com'))];

    // Act
    const plan = planDnsFirewall(desired, ['EVIL.example.com.', '*.evil.example.com.'], { maxDomains: 100 });

    // Assess
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
  });

  it('removes everything from the list when nothing is desired, as the list is ours', () => {
    // Act
    const plan = planDnsFirewall([], ['b.example.com.', 'a.example.com'], { maxDomains: 100 });

    // Assess
    expect(plan.remove).toEqual([['a.example.com', 'b.example.com']]);
  });

  it('writes exactly 1,000 domains in one call', () => {
    // Act
    const plan = planDnsFirewall(manyWildcards(1000), [], { maxDomains: 100_000 });

    // Assess
    expect(plan.add.map((chunk) => chunk.length)).toEqual([DNS_FIREWALL_MAX_DOMAINS_PER_CALL]);
  });

  it('splits 1,001 domains into calls of 1,000 and 1, in sorted order', () => {
    // Act
    const plan = planDnsFirewall(manyWildcards(1001).reverse(), [], { maxDomains: 100_000 });

    // Assess
    expect(plan.add.map((chunk) => chunk.length)).toEqual([1000, 1]);
    expect(plan.add.flat()).toEqual([...plan.add.flat()].sort());
    expect(plan.add[1]).toEqual(['*.d01000.example.com']);
  });

  it('orders the ADD calls by block priority, best first, so the account quota leaves out the lowest blocks', () => {
    // Prepare: 600 low-severity blocks early in the alphabet, 600 high-severity ones late in it.
    const low = Array.from({ length: 600 }, (_, i) => block(domain(`aa-${i}.example.com`), 4));
    const highNames = Array.from({ length: 600 }, (_, i) => domain(`zz-c2-${i}.example.com`));
    const high = highNames.map((name) => block(name, 10));
    const quota = 1_000;

    // Act
    const plan = planDnsFirewall([...low, ...high], [], { maxDomains: 100_000 });
    const written = new Set<string>();
    for (const chunk of plan.add) {
      if (written.size + chunk.length > quota) break;
      for (const name of chunk) written.add(name);
    }

    // Assess: the first call holds only the severity-10 blocks; the quota stops the severity-4 ones.
    expect(plan.add.map((chunk) => chunk.length)).toEqual([1000, 1000, 400]);
    expect(plan.add[0]?.every((name) => name.includes('zz-c2-'))).toBe(true);
    const placed = highNames.filter((name) =>
      toDnsFirewallEntries(name).every((entry) => written.has(entry)),
    );
    expect(placed).toHaveLength(500);
    expect([...written].some((name) => name.includes('aa-'))).toBe(false);
  });

  it('never splits the two entries of one block across two calls', () => {
    // Prepare: 999 single-entry blocks first, then one block with two entries.
    const wildcards = manyWildcards(999).map((entry) => ({ ...entry, severity: 9 }));
    const apex = block(domain('apex.example.com'), 1);

    // Act
    const plan = planDnsFirewall([apex, ...wildcards], [], { maxDomains: 100_000 });

    // Assess
    expect(plan.add.map((chunk) => chunk.length)).toEqual([999, 2]);
    expect(plan.add[1]).toEqual(['*.apex.example.com', 'apex.example.com']);
  });

  it('adds only the missing entry of a block that is half in the list, with that block', () => {
    // Prepare
    const half = block(domain('zz-half.example.com'), 9);
    const whole = block(domain('aa-whole.example.com'), 3);

    // Act
    const plan = planDnsFirewall([whole, half], ['zz-half.example.com.'], { maxDomains: 100 });

    // Assess
    expect(plan.add).toEqual([['*.zz-half.example.com', '*.aa-whole.example.com', 'aa-whole.example.com']]);
  });

  it('chunks removals the same way', () => {
    // Prepare
    const actual = manyWildcards(1001).map((entry) => `${entry.indicator.value}.`);

    // Act
    const plan = planDnsFirewall([], actual, { maxDomains: 100_000 });

    // Assess
    expect(plan.remove.map((chunk) => chunk.length)).toEqual([1000, 1]);
  });

  it('keeps the highest severity, then the newest, and reports the rest as overflow', () => {
    // Prepare
    const low = block(domain('low.example.com'), 3, '2026-11-03T00:00:00.000Z');
    const older = block(domain('older.example.com'), 8, '2026-11-01T00:00:00.000Z');
    const newer = block(domain('newer.example.com'), 8, '2026-11-02T00:00:00.000Z');
    const high = block(domain('high.example.com'), 9, '2026-11-01T00:00:00.000Z');

    // Act
    const plan = planDnsFirewall([low, older, newer, high], [], { maxDomains: 4 });

    // Assess
    expect(plan.add.flat()).toEqual([
      '*.high.example.com',
      'high.example.com',
      '*.newer.example.com',
      'newer.example.com',
    ]);
    expect(plan.overflow).toEqual([older, low]);
  });

  it('keeps or drops the entries of one block together, and fills the room left with smaller blocks', () => {
    // Prepare
    const first = block(domain('first.example.com'), 9);
    const apex = block(domain('apex.example.com'), 8);
    const wildcard = block(domain('*.wild.example.com'), 7);

    // Act
    const plan = planDnsFirewall([first, apex, wildcard], [], { maxDomains: 3 });

    // Assess
    expect(plan.add.flat()).toEqual(['*.first.example.com', 'first.example.com', '*.wild.example.com']);
    expect(plan.overflow).toEqual([apex]);
  });

  it('counts an entry shared by two blocks once', () => {
    // Prepare
    const desired = [block(domain('evil.example.com')), block(domain('*.evil.example.com'))];

    // Act
    const plan = planDnsFirewall(desired, [], { maxDomains: 2 });

    // Assess
    expect(plan.add).toEqual([['*.evil.example.com', 'evil.example.com']]);
    expect(plan.overflow).toEqual([]);
  });

  it('removes an entry of an overflowing block that is still in the list', () => {
    // Prepare
    const kept = block(domain('kept.example.com'), 9);
    const dropped = block(domain('dropped.example.com'), 1);

    // Act
    const plan = planDnsFirewall([kept, dropped], ['dropped.example.com', '*.dropped.example.com'], {
      maxDomains: 2,
    });

    // Assess
    expect(plan.remove).toEqual([['*.dropped.example.com', 'dropped.example.com']]);
    expect(plan.overflow).toEqual([dropped]);
  });

  it('gives the plan worked out the plain way, call after call on the same indicators', () => {
    const listed = fc.array(
      fc.constantFrom('evil.example.com.', 'OLD.example.org', '*.bad.example.net', 'x.com', '*.c2.com'),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(
        anyBlocks,
        fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 50 }), listed, fc.integer({ min: 0, max: 30 })), {
          maxLength: 5,
        }),
        (pool, calls) => {
          fc.pre(pool.length > 0);
          for (const [picks, actual, maxDomains] of calls) {
            // Prepare: new entries on each call, sharing the pool's indicator objects, as reconcile makes them.
            const desired = picks.map((pick) => ({ ...(pool[pick % pool.length] as BlockEntry) }));

            // Act
            const plan = planDnsFirewall(desired, actual, { maxDomains });

            // Assess
            const plain = plainPlan(desired, actual, maxDomains);
            expect(plan).toEqual(plain);
            expect(plan.overflow.every((entry, index) => entry === plain.overflow[index])).toBe(true);
          }
        },
      ),
    );
  });

  it('returns a byte-identical plan whatever the order of its input', () => {
    fc.assert(
      fc.property(anyBlocks, fc.integer({ min: 0, max: 30 }), (desired, maxDomains) => {
        // Act
        const forward = planDnsFirewall(desired, ['z.example.org.', 'a.example.org'], { maxDomains });
        const backward = planDnsFirewall([...desired].reverse(), ['a.example.org', 'z.example.org.'], {
          maxDomains,
        });

        // Assess
        expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
      }),
    );
  });

  it('rejects a maxDomains that is not a non-negative integer', () => {
    // Assess
    expect(() => planDnsFirewall([], [], { maxDomains: -1 })).toThrow(InvalidInputError);
    expect(() => planDnsFirewall([], [], { maxDomains: 1.5 })).toThrow(InvalidInputError);
  });

  it('converges in one pass: applying the plan and planning again changes nothing', () => {
    fc.assert(
      fc.property(
        anyBlocks,
        fc.array(fc.constantFrom('evil.example.com.', 'OLD.example.org', '*.bad.example.net', 'x.com'), {
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 30 }),
        (desired, actual, maxDomains) => {
          // Prepare
          const plan = planDnsFirewall(desired, actual, { maxDomains });

          // Act
          const again = planDnsFirewall(desired, apply(actual, plan), { maxDomains });

          // Assess
          expect(again.add).toEqual([]);
          expect(again.remove).toEqual([]);
          expect(again.overflow).toEqual(plan.overflow);
        },
      ),
    );
  });

  it('never exceeds maxDomains and places or reports every domain block', () => {
    fc.assert(
      fc.property(anyBlocks, fc.integer({ min: 0, max: 30 }), (desired, maxDomains) => {
        // Act
        const plan = planDnsFirewall(desired, [], { maxDomains });
        const list = new Set(apply([], plan));

        // Assess
        expect(list.size).toBeLessThanOrEqual(maxDomains);
        for (const entry of desired) {
          if (entry.indicator.kind !== 'domain') continue;
          const placed = toDnsFirewallEntries(entry.indicator).every((name) => list.has(name));
          expect(placed).not.toBe(plan.overflow.includes(entry));
        }
        for (const chunk of [...plan.add, ...plan.remove]) {
          expect(chunk.length).toBeLessThanOrEqual(DNS_FIREWALL_MAX_DOMAINS_PER_CALL);
        }
      }),
    );
  });
});
