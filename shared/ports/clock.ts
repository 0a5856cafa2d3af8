/** Time, injected so that the core never reads the system clock. */
export interface Clock {
  now(): Date;
}
