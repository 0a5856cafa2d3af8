/**
 * The detectors' windowed counts, kept across invocations: a burst spans many batches and files, and logs arrive
 * late and out of order. Windows are in event time, made of fixed buckets (see `#domain/detect/window`).
 */
import type { WindowIncrement, WindowShape, WindowTotal } from '#domain/detect/window';

/** Where the windows live: DynamoDB in AWS (atomic updates), memory in the simulation and the tests. */
export interface DetectorStateStore {
  /**
   * Adds the increments, each atomically, then returns, for every key they touch, its totals over the window
   * ending at the newest bucket that key holds (a late record adds to its own bucket and does not move the
   * window back). Buckets older than the window may be dropped. `input` names the log input the increments
   * come from (a file, a subscription batch): Lambda retries an input whose invocation failed half-way, and a
   * store that keeps counts across invocations adds each increment of one input once.
   */
  addAndTotal(
    increments: readonly WindowIncrement[],
    window: WindowShape,
    input?: string,
  ): Promise<WindowTotal[]>;
}
