/**
 * The size switch of the reliability tests: long runs (big fuzz counts, the full 10,000-signal burst, a day of
 * flow logs) only when WARDEN_LONG_TESTS=1 (`npm run test:long`); otherwise a short run that asserts the same.
 */

/** Whether the long runs were asked for. */
export const LONG = process.env.WARDEN_LONG_TESTS === '1';

/** `long` under {@link LONG}, else `short`. */
export function sized(short: number, long: number): number {
  return LONG ? long : short;
}
