import type { Clock } from '#ports/clock';

/** The machine's clock, for Lambda and the CLI. */
export const systemClock: Clock = { now: () => new Date() };
