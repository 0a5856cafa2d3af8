import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rememberingSorter } from '#domain/reconcile/remembering-sort';

interface Key {
  readonly rank: number;
}

interface Value {
  readonly key: Key;
  readonly label: number;
}

const byRank = (a: Value, b: Value) => a.key.rank - b.key.rank;

describe('rememberingSorter', () => {
  it('sorts as the plain sort does, call after call, ties kept in input order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.array(fc.nat(), { maxLength: 80 }), { maxLength: 6 }),
        (ranks, rounds) => {
          // Prepare: keys stay the same objects from call to call; the values are new each call.
          const keys = ranks.map((rank): Key => ({ rank }));
          const sort = rememberingSorter(byRank, (value: Value) => value.key);
          const calls = [keys.map((_, index) => index), ...rounds].map((picks) =>
            picks.map((pick, label): Value => ({ key: keys[pick % keys.length] as Key, label })),
          );

          for (const values of calls) {
            // Act
            const sorted = sort(values);

            // Assess
            const expected = [...values].sort(byRank);
            expect(sorted).toHaveLength(expected.length);
            expect(sorted.every((value, index) => value === expected[index])).toBe(true);
          }
        },
      ),
    );
  });

  it('compares about once per value when one value was added since the last call', () => {
    // Prepare
    const keys = Array.from({ length: 4_096 }, (_, index): Key => ({ rank: (index * 7_919) % 4_096 }));
    let comparisons = 0;
    const sort = rememberingSorter(
      (a: Value, b: Value) => {
        comparisons++;
        return byRank(a, b);
      },
      (value: Value) => value.key,
    );
    sort(keys.slice(1).map((key, label) => ({ key, label })));
    comparisons = 0;

    // Act
    const sorted = sort(keys.map((key, label) => ({ key, label })));

    // Assess
    expect(sorted.map((value) => value.key.rank)).toEqual(keys.map((_, rank) => rank));
    expect(comparisons).toBeLessThan(3 * keys.length);
  });
});
