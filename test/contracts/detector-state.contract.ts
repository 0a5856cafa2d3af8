/**
 * The behaviour every DetectorStateStore must show, run against the in-memory store and the DynamoDB store,
 * so that the simulation and production count alike.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_MEMBER_BYTES,
  MAX_WINDOW_KEY_BYTES,
  WindowBatch,
  type WindowIncrement,
  type WindowShape,
} from '#domain/detect/window';
import { InvalidInputError } from '#domain/errors';
import type { DetectorStateStore } from '#ports/detector-state';

const MINUTE = 60_000;
/** Five one-minute buckets, up to four members each. */
export const SHAPE: WindowShape = { bucketMs: MINUTE, buckets: 5, maxMembers: 4 };
const T0 = Date.UTC(2026, 10, 28, 10, 0);

/** An increment of `count` records to `key` in the bucket `minute` minutes after 10:00. */
export function anIncrement(
  minute: number,
  overrides: Partial<WindowIncrement> = {},
  key = 'dns-tunnel 10.0.1.5 example.com',
): WindowIncrement {
  return { key, bucketStart: T0 + minute * MINUTE, count: 1, bytes: 0, members: [], ...overrides };
}

let runs = 0;

/** Runs the contract against stores from `makeStore` (a fresh, empty store each test). */
export function describeDetectorStateStoreContract(
  name: string,
  makeStore: () => Promise<DetectorStateStore>,
  options: { propertyRuns: number } = { propertyRuns: 100 },
): void {
  describe(`${name} (DetectorStateStore contract)`, () => {
    let store: DetectorStateStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    it('totals count, bytes and distinct members over the buckets of the window', async () => {
      // Prepare
      await store.addAndTotal([anIncrement(0, { count: 2, bytes: 100, members: ['a', 'b'] })], SHAPE);
      await store.addAndTotal([anIncrement(2, { count: 3, bytes: 50, members: ['b', 'c'] })], SHAPE);

      // Act
      const totals = await store.addAndTotal([anIncrement(4, { count: 1, bytes: 5, members: ['d'] })], SHAPE);

      // Assess
      expect(totals).toStrictEqual([
        {
          key: 'dns-tunnel 10.0.1.5 example.com',
          count: 6,
          bytes: 155,
          distinct: 4,
          members: ['a', 'b', 'c', 'd'],
          from: T0,
          to: T0 + 4 * MINUTE,
        },
      ]);
    });

    it('returns one total for every key touched, in the order of first appearance', async () => {
      // Act
      const totals = await store.addAndTotal(
        [anIncrement(1, {}, 'zulu'), anIncrement(0, { count: 2 }, 'alpha'), anIncrement(0, {}, 'zulu')],
        SHAPE,
      );

      // Assess
      expect(totals.map(({ key, count }) => ({ key, count }))).toStrictEqual([
        { key: 'zulu', count: 2 },
        { key: 'alpha', count: 2 },
      ]);
    });

    it('keeps keys apart', async () => {
      // Prepare
      await store.addAndTotal([anIncrement(0, { count: 7 }, 'other key')], SHAPE);

      // Act
      const [total] = await store.addAndTotal([anIncrement(0, { count: 1 }, 'this key')], SHAPE);

      // Assess
      expect(total?.count).toBe(1);
    });

    it('does not count buckets older than the window', async () => {
      // Prepare
      await store.addAndTotal([anIncrement(0, { count: 10, members: ['old'] })], SHAPE);

      // Act
      const [total] = await store.addAndTotal([anIncrement(5, { count: 1, members: ['new'] })], SHAPE);

      // Assess
      expect(total).toMatchObject({ count: 1, distinct: 1, members: ['new'], from: T0 + MINUTE });
    });

    it('adds a late record to its own bucket without moving the window back', async () => {
      // Prepare
      await store.addAndTotal([anIncrement(6, { count: 1 })], SHAPE);

      // Act
      const [withLate] = await store.addAndTotal([anIncrement(2, { count: 10 })], SHAPE);
      const [tooLate] = await store.addAndTotal([anIncrement(1, { count: 100 })], SHAPE);
      const [lateLeaves] = await store.addAndTotal([anIncrement(7, { count: 1 })], SHAPE);

      // Assess
      expect(withLate).toMatchObject({ count: 11, from: T0 + 2 * MINUTE, to: T0 + 6 * MINUTE });
      expect(tooLate).toMatchObject({ count: 11, from: T0 + 2 * MINUTE, to: T0 + 6 * MINUTE });
      // Had the late records gone into the newest bucket, they would still count here.
      expect(lateLeaves).toMatchObject({ count: 2, from: T0 + 3 * MINUTE, to: T0 + 7 * MINUTE });
    });

    it('gives the same totals for batches out of order as in order', async () => {
      // Prepare
      const batches = [0, 1, 2, 3, 4, 5].map((minute) => [
        anIncrement(minute, { count: minute + 1, bytes: 10 * minute, members: [`m${minute}`] }),
      ]);
      const shuffled = [3, 5, 0, 4, 1, 2].map((index) =>
        (batches[index] ?? []).map((i) => ({ ...i, key: 'b' })),
      );
      let inOrder: unknown;
      let outOfOrder: unknown;

      // Act
      for (const batch of batches) [inOrder] = await store.addAndTotal(batch, SHAPE);
      for (const batch of shuffled) [outOfOrder] = await store.addAndTotal(batch, SHAPE);

      // Assess
      expect(outOfOrder).toStrictEqual({ ...(inOrder as object), key: 'b' });
      expect(inOrder).toMatchObject({ count: 20, bytes: 150, distinct: 5 });
    });

    it('stops adding members to a full bucket and still counts its records', async () => {
      // Prepare
      await store.addAndTotal([anIncrement(0, { members: ['a', 'b', 'c'] })], SHAPE);
      await store.addAndTotal([anIncrement(0, { members: ['d', 'e'] })], SHAPE);

      // Act
      const [total] = await store.addAndTotal([anIncrement(0, { members: ['f'] })], SHAPE);

      // Assess
      expect(total).toMatchObject({ count: 3, distinct: 5, members: ['a', 'b', 'c', 'd'] });
    });

    it('counts increments without members, and no members for a window that keeps none', async () => {
      // Act
      const [total] = await store.addAndTotal([anIncrement(0, { count: 4, bytes: 9 })], {
        ...SHAPE,
        maxMembers: 0,
      });

      // Assess
      expect(total).toMatchObject({ count: 4, bytes: 9, distinct: 0, members: [] });
    });

    it('loses no count when 20 calls add to one key at once', async () => {
      // Act
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          store.addAndTotal([anIncrement(n % 2, { count: 1, bytes: 3, members: [`m${n}`] })], {
            ...SHAPE,
            maxMembers: 50,
          }),
        ),
      );
      const [total] = await store.addAndTotal([anIncrement(1, { count: 0 })], { ...SHAPE, maxMembers: 50 });

      // Assess
      expect(total).toMatchObject({ count: 20, bytes: 60, distinct: 20 });
    });

    it('returns nothing for no increments', async () => {
      // Act
      const totals = await store.addAndTotal([], SHAPE);

      // Assess
      expect(totals).toStrictEqual([]);
    });

    it.each([
      ['an empty key', anIncrement(0, {}, ''), 'increments[1].key'],
      ['an over-long key', anIncrement(0, {}, 'k'.repeat(MAX_WINDOW_KEY_BYTES + 1)), 'increments[1].key'],
      ['a key over-long in UTF-8 bytes', anIncrement(0, {}, 'é'.repeat(513)), 'increments[1].key'],
      [
        'an over-long member',
        anIncrement(0, { members: ['m'.repeat(MAX_MEMBER_BYTES + 1)] }),
        'increments[1].members',
      ],
      ['an empty member', anIncrement(0, { members: [''] }), 'increments[1].members'],
      [
        'more members than maxMembers',
        anIncrement(0, { members: ['a', 'b', 'c', 'd', 'e'] }),
        'increments[1].members',
      ],
      [
        'a bucket start off the bucket grid',
        anIncrement(0, { bucketStart: T0 + 1 }),
        'increments[1].bucketStart',
      ],
      ['a negative count', anIncrement(0, { count: -1 }), 'increments[1].count'],
      ['a fractional byte count', anIncrement(0, { bytes: 1.5 }), 'increments[1].bytes'],
    ])('refuses %s with InvalidInputError naming the field, and adds nothing', async (_, bad, field) => {
      // Act
      const attempt = store.addAndTotal([anIncrement(0, { key: 'good' }), bad], SHAPE);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toMatchObject({ field });
      const [after] = await store.addAndTotal([anIncrement(0, { key: 'good', count: 0 })], SHAPE);
      expect(after?.count).toBe(0);
    });

    it.each([
      ['bucketMs', { ...SHAPE, bucketMs: 0 }],
      ['buckets', { ...SHAPE, buckets: 1.5 }],
      ['maxMembers', { ...SHAPE, maxMembers: 501 }],
    ])('refuses a window with a bad %s', async (field, shape) => {
      // Act
      const attempt = store.addAndTotal([anIncrement(0)], shape);

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'InvalidInputError', field: `window.${field}` });
    });

    it('gives the same final totals for any split of the same observations into batches', async () => {
      // A window wide enough to keep every member, so members and distinct must match exactly too.
      const shape: WindowShape = { bucketMs: MINUTE, buckets: 3, maxMembers: 20 };
      const observation = fc.record({
        key: fc.constantFrom('k1', 'k2'),
        minute: fc.integer({ min: 0, max: 6 }),
        bytes: fc.integer({ min: 0, max: 1000 }),
        member: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(observation, { minLength: 1, maxLength: 30 }),
          fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
          async (observations, cuts) => {
            // Prepare
            const run = ++runs;
            const whole = batchOf(observations, shape, `one ${run}`);
            const batches: WindowIncrement[][] = [];
            let rest = observations;
            for (const size of cuts) {
              batches.push(batchOf(rest.slice(0, size), shape, `split ${run}`));
              rest = rest.slice(size);
            }
            batches.push(batchOf(rest, shape, `split ${run}`));

            // Act
            await store.addAndTotal(whole, shape);
            for (const batch of batches) await store.addAndTotal(batch, shape);
            const probe = (prefix: string) =>
              ['k1', 'k2'].map((key) => anIncrement(0, { count: 0 }, `${prefix} ${run} ${key}`));
            const one = await store.addAndTotal(probe('one'), shape);
            const split = await store.addAndTotal(probe('split'), shape);

            // Assess
            expect(split.map(({ key, ...total }) => total)).toStrictEqual(
              one.map(({ key, ...total }) => total),
            );
          },
        ),
        { numRuns: options.propertyRuns },
      );
    });
  });
}

/** One batch of observations, pre-aggregated as detectors do, under keys prefixed with `prefix`. */
function batchOf(
  observations: readonly { key: string; minute: number; bytes: number; member: string | undefined }[],
  shape: WindowShape,
  prefix: string,
): WindowIncrement[] {
  const batch = new WindowBatch(shape);
  for (const { key, minute, bytes, member } of observations) {
    batch.add(`${prefix} ${key}`, T0 + minute * MINUTE, {
      bytes,
      ...(member === undefined ? {} : { member }),
    });
  }
  return batch.increments();
}
