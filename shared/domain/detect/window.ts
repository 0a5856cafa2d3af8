/**
 * The detectors' window model: event time, fixed buckets. A record counts in the bucket of its own timestamp,
 * so late and out-of-order records land where they happened; a key's window is the `buckets` buckets ending at
 * the newest bucket it holds (a sliding window in bucket steps). Within a batch, records are pre-aggregated per
 * key and bucket, so the store's writes grow with distinct keys, not with records.
 */

/** What one batch adds to one key in one bucket; callers pre-aggregate, so there is at most one per key and bucket. */
export interface WindowIncrement {
  /** The detector's key, e.g. `dns-tunnel 10.0.1.5 example.com`. */
  readonly key: string;
  /** The bucket's start, epoch milliseconds, a multiple of the window's bucket length. */
  readonly bucketStart: number;
  /** Records counted. */
  readonly count: number;
  /** Bytes counted (flow logs). */
  readonly bytes: number;
  /** Distinct members seen (names, ports, addresses), at most the window's `maxMembers`. */
  readonly members: readonly string[];
}

/** A window: `buckets` buckets of `bucketMs`, ending at the newest bucket a key has. */
export interface WindowShape {
  readonly bucketMs: number;
  readonly buckets: number;
  /** Distinct members kept per key and bucket: enough to see a threshold crossed, no more. */
  readonly maxMembers: number;
}

/** One key's totals over its window. */
export interface WindowTotal {
  readonly key: string;
  readonly count: number;
  readonly bytes: number;
  /** Distinct members across the window's buckets; a lower bound once a bucket reached `maxMembers`. */
  readonly distinct: number;
  /** Some of those members, for evidence (at most `maxMembers`). */
  readonly members: readonly string[];
  /** The window's first and newest bucket starts. */
  readonly from: number;
  readonly to: number;
}

/** The start of the bucket holding `atMs`. */
export function bucketOf(atMs: number, bucketMs: number): number {
  return Math.floor(atMs / bucketMs) * bucketMs;
}

/** What one record adds to a key. */
export interface Observation {
  readonly count?: number;
  readonly bytes?: number;
  /** A distinct member (a name, a port, an address), kept up to the window's `maxMembers` per bucket. */
  readonly member?: string;
}

/** Collects one batch's observations into at most one increment per key and bucket. */
export class WindowBatch {
  readonly #shape: WindowShape;
  readonly #cells = new Map<
    string,
    { key: string; bucketStart: number; count: number; bytes: number; members: Set<string> }
  >();

  constructor(shape: WindowShape) {
    this.#shape = shape;
  }

  /** Adds one record's observation at `atMs` (epoch milliseconds) to `key`. */
  add(key: string, atMs: number, observation: Observation): void {
    const bucketStart = bucketOf(atMs, this.#shape.bucketMs);
    const id = `${bucketStart} ${key}`;
    let cell = this.#cells.get(id);
    if (!cell) {
      cell = { key, bucketStart, count: 0, bytes: 0, members: new Set() };
      this.#cells.set(id, cell);
    }
    cell.count += observation.count ?? 1;
    cell.bytes += observation.bytes ?? 0;
    if (observation.member !== undefined && cell.members.size < this.#shape.maxMembers) {
      cell.members.add(observation.member);
    }
  }

  /** The batch's increments, one per key and bucket. */
  increments(): WindowIncrement[] {
    return [...this.#cells.values()].map(({ key, bucketStart, count, bytes, members }) => ({
      key,
      bucketStart,
      count,
      bytes,
      members: [...members],
    }));
  }
}
