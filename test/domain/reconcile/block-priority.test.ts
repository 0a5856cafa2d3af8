import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareBlockPriority, compareNewestFirst, sortByPriority } from '#domain/reconcile/block-priority';
import { anyBlocks, block, domain } from './blocks';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('compareNewestFirst', () => {
  it('orders canonical instants newest first without parsing them', () => {
    // Prepare
    const parse = vi.spyOn(Date, 'parse');
    const times = Array.from({ length: 500 }, (_, i) =>
      new Date(Date.UTC(2026, 10, 1) + ((i * 7919) % 500) * 60_000).toISOString(),
    );

    // Act
    const sorted = [...times].sort(compareNewestFirst);

    // Assess
    expect(sorted).toStrictEqual([...times].sort().reverse());
    expect(parse).not.toHaveBeenCalled();
  });

  it('still orders instants with offsets by time', () => {
    // Act
    const sorted = ['2026-11-02T00:30:00.000Z', '2026-11-02T01:00:00+01:00', '2026-11-01T23:30:00.000Z'].sort(
      compareNewestFirst,
    );

    // Assess
    expect(sorted).toStrictEqual([
      '2026-11-02T00:30:00.000Z',
      '2026-11-02T01:00:00+01:00',
      '2026-11-01T23:30:00.000Z',
    ]);
  });

  it('falls back to text order for values that do not parse', () => {
    expect(compareNewestFirst('not a time', 'also not')).toBeLessThan(0);
    // The same instant in two notations: text order, newest-looking first, so the result is deterministic.
    expect(compareNewestFirst('2026-11-02T00:00:00.000Z', '2026-11-02T01:00:00+01:00')).toBeGreaterThan(0);
  });
});

describe('compareBlockPriority', () => {
  it('sorts blocks with canonical start times without parsing a time', () => {
    // Prepare
    const parse = vi.spyOn(Date, 'parse');
    const blocks = Array.from({ length: 200 }, (_, i) =>
      block(domain(`d${i}.example.com`), 5 + (i % 3), new Date(Date.UTC(2026, 10, 1, i % 24)).toISOString()),
    );

    // Act
    const sorted = [...blocks].sort(compareBlockPriority);

    // Assess
    expect(sorted[0]?.severity).toBe(7);
    expect(sorted.at(-1)?.severity).toBe(5);
    expect(parse).not.toHaveBeenCalled();
  });
});

describe('sortByPriority', () => {
  it('sorts exactly as the plain sort with compareBlockPriority does, ties kept in input order', () => {
    fc.assert(
      fc.property(anyBlocks, fc.array(fc.nat(), { maxLength: 60 }), (pool, picks) => {
        // Prepare: duplicates that differ only where the order does not look (expiresAt) show a misplaced tie.
        fc.pre(pool.length > 0);
        const blocks = picks.map((pick, index) => ({
          ...(pool[pick % pool.length] as (typeof pool)[number]),
          expiresAt: index % 3 === 0 ? null : `2026-12-0${1 + (index % 9)}T00:00:00.000Z`,
        }));

        // Act
        const sorted = sortByPriority(blocks);

        // Assess
        const expected = [...blocks].sort(compareBlockPriority);
        expect(sorted).toHaveLength(expected.length);
        expect(sorted.every((entry, index) => entry === expected[index])).toBe(true);
      }),
    );
  });

  it('parses an instant once per block, not at every comparison', () => {
    // Prepare
    const blocks = Array.from({ length: 200 }, (_, index) =>
      block(domain(`d${index}.example.com`), 5, `2026-11-0${1 + (index % 9)}T00:00:00+01:00`),
    );
    const parse = vi.spyOn(Date, 'parse');

    // Act
    sortByPriority(blocks);

    // Assess
    expect(parse).toHaveBeenCalledTimes(blocks.length);
  });

  it('leaves its input as it was', () => {
    // Prepare
    const blocks = [block(domain('a.example.com'), 1), block(domain('b.example.com'), 9)];
    const before = [...blocks];

    // Act
    sortByPriority(blocks);

    // Assess
    expect(blocks).toEqual(before);
  });
});
