import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '#domain/duration';
import { InvalidInputError } from '#domain/errors';
import { DAY, HOUR, MINUTE } from '../support/signals';

const FIELD = 'detail.ttl';

function rejectionOf(raw: unknown): InvalidInputError {
  try {
    parseDuration(raw, FIELD);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * MINUTE],
    ['4h', 4 * HOUR],
    ['7d', 7 * DAY],
    ['2w', 14 * DAY],
    ['45s', 45_000],
    ['PT4H', 4 * HOUR],
    ['P7D', 7 * DAY],
    ['P1DT12H', 36 * HOUR],
    ['PT90M', 90 * MINUTE],
    ['PT30S', 30_000],
    ['P1W', 7 * DAY],
    ['pt4h', 4 * HOUR],
    ['4H', 4 * HOUR],
    ['7D', 7 * DAY],
    ['30M', 30 * MINUTE],
    ['p1dT12h', 36 * HOUR],
    [' 4h ', 4 * HOUR],
    ['3650d', 3650 * DAY],
  ])('reads %j as %d ms', (raw, expected) => {
    // Prepare
    const field = FIELD;

    // Act
    const ms = parseDuration(raw, field);

    // Assess
    expect(ms).toBe(expected);
  });

  it.each([
    ['4', 'is not a duration'],
    ['h', 'is not a duration'],
    ['-4h', 'is not a duration'],
    ['4.5h', 'is not a duration'],
    ['4 hours', 'is not a duration'],
    ['', 'is not a duration'],
    ['P', 'is not a duration'],
    ['PT', 'is not a duration'],
    ['P1DT', 'is not a duration'],
    ['P1M', 'is not a duration'],
    ['0h', 'must be longer than zero'],
    ['PT0S', 'must be longer than zero'],
    ['3651d', 'must not be longer than 3650d'],
    ['999999d', 'must not be longer than 3650d'],
  ])('rejects %j, naming the field', (raw, problem) => {
    // Prepare
    const expected = `${FIELD}: ${JSON.stringify(raw)}`;

    // Act
    const error = rejectionOf(raw);

    // Assess
    expect(error.field).toBe(FIELD);
    expect(error.message.startsWith(expected)).toBe(true);
    expect(error.message).toContain(problem);
  });

  it.each([4, null, undefined, { hours: 4 }, ['4h']])(
    'rejects the non-string %j, naming the field',
    (raw) => {
      // Prepare
      const expected = `${FIELD}: must be a duration string`;

      // Act
      const error = rejectionOf(raw);

      // Assess
      expect(error.field).toBe(FIELD);
      expect(error.message.startsWith(expected)).toBe(true);
    },
  );

  it('property: the case of the letters never changes what a duration means', () => {
    const written = fc.oneof(
      fc
        .tuple(fc.integer({ min: 1, max: 9_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'))
        .map(([n, unit]) => `${n}${unit}`),
      fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map(([d, h, m]) => `P${d}DT${h}H${m}M`),
    );
    fc.assert(
      fc.property(written, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (raw, upper) => {
        // Prepare
        const mixed = [...raw].map((char, i) => (upper[i % 12] ? char.toUpperCase() : char.toLowerCase()));

        // Act
        const outcome = (text: string) => {
          try {
            return parseDuration(text, FIELD);
          } catch (error) {
            return (error as Error).constructor.name;
          }
        };

        // Assess
        expect(outcome(mixed.join(''))).toBe(outcome(raw));
      }),
    );
  });

  it('property: every accepted duration is positive and at most 3650 days', () => {
    const written = fc.oneof(
      fc
        .tuple(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'))
        .map(([n, unit]) => `${n}${unit}`),
      fc
        .tuple(fc.nat(99_999), fc.nat(99_999), fc.nat(999_999), fc.nat(9_999_999))
        .map(([w, d, h, m]) => `P${w}W${d}DT${h}H${m}M`),
    );
    fc.assert(
      fc.property(written, (raw) => {
        let ms: number;
        try {
          ms = parseDuration(raw, FIELD);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          return;
        }
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(3650 * DAY);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [4 * HOUR, '4h'],
    [7 * DAY, '7d'],
    [90 * MINUTE, '90m'],
    [36 * HOUR, '36h'],
    [45_000, '45s'],
  ])('writes %d ms as %s', (ms, expected) => {
    // Prepare
    const input = ms;

    // Act
    const text = formatDuration(input);

    // Assess
    expect(text).toBe(expected);
  });

  it('property: what it writes reads back as the same duration', () => {
    // Up to 999,999 minutes (about 694 days): the short form takes at most six digits.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), (minutes) => {
        const ms = minutes * MINUTE;
        expect(parseDuration(formatDuration(ms), FIELD)).toBe(ms);
      }),
    );
  });
});
