/** Durations as people write them: `30m`, `4h`, `7d`, or ISO 8601 (`PT4H`, `P7D`, `P1DT12H`), in any case. */
import { InvalidInputError, quotedExcerpt } from './errors';

const MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Ten years: anything longer is a typo or should be `permanent`, and `999999d` would overflow a Date. */
const MAX_MS = 3650 * MS.d;
/** How much of a refused value an error repeats. */
const MAX_REPORTED_LENGTH = 64;
const SHORT = /^(\d{1,6})(s|m|h|d|w)$/;
const ISO = /^P(?:(\d{1,5})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

/** Parses a duration into milliseconds. Throws InvalidInputError naming `field` and the value. */
export function parseDuration(raw: unknown, field: string): number {
  if (typeof raw !== 'string')
    throw new InvalidInputError('must be a duration string such as "4h" or "PT4H"', field);
  // Units in any case: `4H` means what `4h` and `PT4H` mean.
  const value = raw.trim().toLowerCase();
  const short = SHORT.exec(value);
  if (short) return check(Number(short[1]) * MS[short[2] as keyof typeof MS], raw, field);
  const iso = ISO.exec(value.toUpperCase());
  if (iso && value.length > 1 && !value.toUpperCase().endsWith('T')) {
    const [, w, d, h, m, s] = iso.map((part) => Number(part ?? 0));
    return check(
      (w ?? 0) * MS.w + (d ?? 0) * MS.d + (h ?? 0) * MS.h + (m ?? 0) * MS.m + (s ?? 0) * MS.s,
      raw,
      field,
    );
  }
  throw new InvalidInputError(
    `${quotedExcerpt(raw, MAX_REPORTED_LENGTH)} is not a duration: use a number with s, m, h, d or w ("30m", "4h", "7d") or ISO 8601 ("PT4H")`,
    field,
  );
}

function check(ms: number, raw: string, field: string): number {
  if (ms <= 0)
    throw new InvalidInputError(`${quotedExcerpt(raw, MAX_REPORTED_LENGTH)} must be longer than zero`, field);
  if (ms > MAX_MS)
    throw new InvalidInputError(
      `${quotedExcerpt(raw, MAX_REPORTED_LENGTH)} must not be longer than 3650d`,
      field,
    );
  return ms;
}

/** Formats milliseconds the short way, for reports and alerts: `4h`, `7d`, `90m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', MS.d],
    ['h', MS.h],
    ['m', MS.m],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
