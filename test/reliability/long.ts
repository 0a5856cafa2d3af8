/** Long runs (big fuzz counts, full-size floods) only when WARDEN_LONG_TESTS=1; a short default otherwise. */
export const LONG = process.env.WARDEN_LONG_TESTS === '1';

/** `short` by default, `long` when WARDEN_LONG_TESTS=1. */
export function sized(short: number, long: number): number {
  return LONG ? long : short;
}
