import { describe, expect, it } from 'vitest';
import {
  checkIncrements,
  checkWindowShape,
  MAX_MEMBERS,
  totalOf,
  type WindowShape,
  windowStart,
} from '#domain/detect/window';
import { InvalidInputError } from '#domain/errors';

const SHAPE: WindowShape = { bucketMs: 1000, buckets: 3, maxMembers: 2 };
const bucket = (bucketStart: number, count: number, members: string[] = [], bytes = 0) => ({
  bucketStart,
  count,
  bytes,
  members,
});

describe('windowStart', () => {
  it('is the start of the first of `buckets` buckets ending at the newest', () => {
    // Act
    const start = windowStart(10_000, SHAPE);

    // Assess
    expect(start).toBe(8_000);
  });
});

describe('totalOf', () => {
  it('sums the buckets of the window ending at the newest bucket, in any order', () => {
    // Act
    const total = totalOf(
      'k',
      [bucket(9_000, 2, [], 10), bucket(11_000, 1, [], 5), bucket(10_000, 4)],
      SHAPE,
    );

    // Assess
    expect(total).toStrictEqual({
      key: 'k',
      count: 7,
      bytes: 15,
      distinct: 0,
      members: [],
      from: 9_000,
      to: 11_000,
    });
  });

  it('ignores buckets before the window', () => {
    // Act
    const total = totalOf('k', [bucket(7_000, 100, ['old']), bucket(10_000, 1, ['new'])], SHAPE);

    // Assess
    expect(total).toMatchObject({ count: 1, distinct: 1, members: ['new'], from: 8_000 });
  });

  it('counts distinct members across buckets and reports the smallest, at most maxMembers', () => {
    // Act
    const total = totalOf('k', [bucket(9_000, 1, ['c', 'b']), bucket(10_000, 1, ['b', 'a', 'd'])], SHAPE);

    // Assess
    expect(total).toMatchObject({ distinct: 4, members: ['a', 'b'] });
  });

  it('is undefined without buckets', () => {
    // Act
    const total = totalOf('k', [], SHAPE);

    // Assess
    expect(total).toBeUndefined();
  });
});

describe('checkWindowShape', () => {
  it('accepts the largest maxMembers', () => {
    // Act
    const check = () => checkWindowShape({ ...SHAPE, maxMembers: MAX_MEMBERS });

    // Assess
    expect(check).not.toThrow();
  });

  it.each([
    ['bucketMs', { ...SHAPE, bucketMs: -1 }, '-1'],
    ['buckets', { ...SHAPE, buckets: 0 }, '0'],
    ['maxMembers', { ...SHAPE, maxMembers: MAX_MEMBERS + 1 }, `${MAX_MEMBERS + 1}`],
  ])('refuses a bad %s, naming it and its value', (field, shape, value) => {
    // Act
    const check = () => checkWindowShape(shape);

    // Assess
    expect(check).toThrow(InvalidInputError);
    expect(check).toThrow(expect.objectContaining({ field: `window.${field}` }));
    expect(check).toThrow(value);
  });
});

describe('checkIncrements', () => {
  const good = { key: 'k', bucketStart: 5_000, count: 1, bytes: 0, members: ['a'] };

  it('accepts increments within the limits', () => {
    // Act
    const check = () => checkIncrements([good, { ...good, members: ['a', 'b'] }], SHAPE);

    // Assess
    expect(check).not.toThrow();
  });

  it('names the increment and quotes the start of an over-long key', () => {
    // Act
    const check = () => checkIncrements([good, { ...good, key: 'x'.repeat(5000) }], SHAPE);

    // Assess
    expect(check).toThrow(expect.objectContaining({ field: 'increments[1].key' }));
    expect(check).toThrow(/got 5000: "x{80}…"$/);
  });

  it('checks the shape before the increments', () => {
    // Act
    const check = () => checkIncrements([{ ...good, key: '' }], { ...SHAPE, buckets: 0 });

    // Assess
    expect(check).toThrow(expect.objectContaining({ field: 'window.buckets' }));
  });
});
