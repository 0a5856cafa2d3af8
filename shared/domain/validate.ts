/** Parsing at the edge: one schema per input, and an error that names the field and what was wrong with it. */
import * as v from 'valibot';
import { excerpt, InvalidInputError } from './errors';

/**
 * Validates `input` against `schema` and returns the typed output. Throws InvalidInputError whose `field` is
 * the path of the first problem (prefixed with `root`) and whose message says what was expected.
 */
export function parseWith<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  root = '',
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = pathOf(issue, root);
  throw new InvalidInputError(describeIssue(issue), field);
}

/** `root.a.b[1].c`: array positions in brackets, as the other checks write them (`allowlist.cidrs[1]`). */
function pathOf(issue: v.BaseIssue<unknown>, root: string): string {
  let field = root;
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') field += `[${key}]`;
    else if (typeof key === 'string') {
      const name = excerpt(key, MAX_REPORTED_KEY);
      field += field ? `.${name}` : name;
    }
  }
  return field;
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === 'never') return 'is not a known field';
  if (issue.received === 'undefined') {
    return issue.expected?.startsWith('"') ? 'is required' : `is required (expected ${issue.expected})`;
  }
  // Valibot repeats the value it received in full: a huge one must not flood a log line or an alert.
  const { received } = issue;
  return received.length > MAX_REPORTED_VALUE
    ? issue.message.replace(received, excerpt(received, MAX_REPORTED_VALUE))
    : issue.message;
}

/** How much of a refused value an error repeats, and of a field name that is not a known one. */
const MAX_REPORTED_VALUE = 256;
const MAX_REPORTED_KEY = 64;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`, a space allowed for the `T`. Narrower than valibot's
 * isoTimestamp on purpose: that grammar also takes `+05` and ` +05:00`, which `Date` cannot read.
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

/** How much of a refused timestamp an error repeats. */
const MAX_REPORTED_TIMESTAMP = 64;

/**
 * The instant (ms since the epoch) a timestamp names, or undefined. It is accepted only when the instant
 * computed from its parts is the one `Date.parse` reads: the same parser reads it later, so a value that
 * passes here can never become "Invalid time value" (or another day, as `Date` makes of 30 February).
 */
function instantOf(text: string): number | undefined {
  const parts = TIMESTAMP.exec(text);
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as number[];
  const [, , , , , , , fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = parts;
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) {
    return undefined;
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(year ?? 0, (month ?? 0) - 1, day);
  if (date.getUTCMonth() !== (month ?? 0) - 1 || date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const instant = date.getTime() - (sign === '-' ? -offsetMs : offsetMs);
  return Date.parse(text) === instant ? instant : undefined;
}

/**
 * An ISO 8601 timestamp with a time and a zone, read as `Date` reads it; the output is the canonical
 * `toISOString()` form (UTC, milliseconds). Every inbound time goes through this one schema.
 */
export const TimestampSchema = v.pipe(
  v.string('must be an ISO 8601 timestamp such as "2026-11-28T10:00:00Z"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const instant = instantOf(dataset.value);
    if (instant === undefined) {
      addIssue({
        message: `${JSON.stringify(excerpt(dataset.value, MAX_REPORTED_TIMESTAMP))} is not a timestamp: write ISO 8601 with a time and a zone, such as "2026-11-28T10:00:00Z" or "2026-11-28T12:00:00+02:00"`,
      });
      return NEVER;
    }
    return new Date(instant).toISOString();
  }),
);
