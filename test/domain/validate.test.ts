import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseWith, TimestampSchema } from '#domain/validate';

const FIELD = 'detail.observedAt';

/** What parseWith makes of `raw` as a timestamp: the canonical string, or the InvalidInputError. */
function timestampOf(raw: unknown): string | InvalidInputError {
  try {
    return parseWith(TimestampSchema, raw, FIELD);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
}

/** valibot's own isoTimestamp grammar, which the schema used before (and which `Date` does not fully read). */
const VALIBOT_ISO_TIMESTAMP =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:[12]\d|0[1-9]|3[01])[T ](?:0\d|1\d|2[0-3])(?::[0-5]\d){2}(?:\.\d{1,9})?(?:Z| ?[+-](?:0\d|1\d|2[0-3])(?::?[0-5]\d)?)$/;

describe('TimestampSchema', () => {
  it.each([
    ['2026-11-28T10:00:00Z', '2026-11-28T10:00:00.000Z'],
    ['2026-11-28T10:00:00.5Z', '2026-11-28T10:00:00.500Z'],
    ['2026-11-28T10:00:00.123456789Z', '2026-11-28T10:00:00.123Z'],
    ['2026-11-28T12:30:00+02:30', '2026-11-28T10:00:00.000Z'],
    ['2026-11-28T05:00:00-0500', '2026-11-28T10:00:00.000Z'],
    ['2026-11-28 10:00:00Z', '2026-11-28T10:00:00.000Z'],
  ])('reads %j as the instant %j', (raw, expected) => {
    // Act
    const output = timestampOf(raw);

    // Assess
    expect(output).toBe(expected);
  });

  it.each([
    ['an offset of hours only', '2026-11-28T10:00:00+05'],
    ['a space before the offset', '2026-11-28T10:00:00 +05:00'],
    ['a space before a compact offset', '2026-11-28T10:00:00 -0500'],
    ['a day the month does not have', '2026-02-30T10:00:00Z'],
    ['31 April', '2026-04-31T10:00:00Z'],
    ['a date only', '2026-11-28'],
    ['a word', 'yesterday'],
  ])('rejects %s, naming the field and the value', (_label, raw) => {
    // Act
    const output = timestampOf(raw);

    // Assess
    expect(output).toBeInstanceOf(InvalidInputError);
    expect(output).toMatchObject({ field: FIELD });
    expect((output as Error).message).toContain(JSON.stringify(raw));
  });

  it('rejects a value that is not a string, naming the field', () => {
    // Act
    const output = timestampOf(1_795_860_000_000);

    // Assess
    expect(output).toMatchObject({ field: FIELD });
  });

  it('keeps the error short for a huge value', () => {
    // Prepare
    const raw = `2026-11-28T10:00:00${'Z'.repeat(100_000)}`;

    // Act
    const output = timestampOf(raw);

    // Assess
    expect((output as Error).message.length).toBeLessThan(400);
  });

  it('property: whatever the valibot grammar accepts is either refused or read as the same instant by Date', () => {
    fc.assert(
      fc.property(fc.stringMatching(VALIBOT_ISO_TIMESTAMP), (raw) => {
        // Act
        const output = timestampOf(raw);

        // Assess
        expect(v.is(v.pipe(v.string(), v.isoTimestamp()), raw)).toBe(true);
        if (typeof output === 'string') {
          expect(output).toBe(new Date(Date.parse(raw)).toISOString());
          expect(new Date(output).toISOString()).toBe(output);
        } else {
          expect(output.field).toBe(FIELD);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('property: any string is either a canonical timestamp or an InvalidInputError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (raw) => {
        // Act
        const output = timestampOf(raw);

        // Assess
        if (typeof output === 'string') expect(new Date(output).toISOString()).toBe(output);
        else expect(output).toBeInstanceOf(InvalidInputError);
      }),
    );
  });
});
