/**
 * The detectors' window model: event time, fixed buckets. A record counts in the bucket of its own timestamp,
 * so late and out-of-order records land where they happened; a key's window is the `buckets` buckets ending at
 * the newest bucket it holds (a sliding window in bucket steps). Within a batch, records are pre-aggregated per
 * key and bucket, so the store's writes grow with distinct keys, not with records.
 */
import { excerpt, InvalidInputError } from '#domain/errors';
import { utf8Length } from '#domain/record-budget';

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

/**
 * The longest key, in UTF-8 bytes. DynamoDB allows a partition key of 2,048 bytes; half of it leaves room and
 * is far more than any detector key (a detector name, an address and a registered domain).
 */
export const MAX_WINDOW_KEY_BYTES = 1024;
/** The longest member, in UTF-8 bytes: a DNS name is at most 253 octets; ports and addresses are far shorter. */
export const MAX_MEMBER_BYTES = 256;
/**
 * The largest `maxMembers`. A bucket's stored set can reach `2 × maxMembers − 1` members (members are added
 * while it holds fewer than `maxMembers`, an increment brings up to `maxMembers`), so a bucket holds at most
 * 999 × 256 bytes ≈ 250 KB of members: within DynamoDB's 400 KB item limit with the key and counters.
 */
export const MAX_MEMBERS = 500;

/** What a store holds for one key in one bucket. */
export interface WindowBucket {
  readonly bucketStart: number;
  readonly count: number;
  readonly bytes: number;
  /** The members stored in the bucket; may exceed `maxMembers` by less than `maxMembers` (see MAX_MEMBERS). */
  readonly members: readonly string[];
}

/** The first bucket start of the window whose newest bucket starts at `newest`. */
export function windowStart(newest: number, shape: WindowShape): number {
  return newest - (shape.buckets - 1) * shape.bucketMs;
}

/**
 * A key's totals over the window ending at the newest of `buckets` (a key's stored buckets, in any order);
 * buckets before that window are ignored. `members` are the smallest (by code unit) of the window's distinct
 * members, at most `maxMembers`, so that both stores report the same ones. Undefined when there is no bucket.
 */
export function totalOf(
  key: string,
  buckets: readonly WindowBucket[],
  shape: WindowShape,
): WindowTotal | undefined {
  if (buckets.length === 0) return undefined;
  const to = Math.max(...buckets.map((bucket) => bucket.bucketStart));
  const from = windowStart(to, shape);
  let count = 0;
  let bytes = 0;
  const members = new Set<string>();
  for (const bucket of buckets) {
    if (bucket.bucketStart < from) continue;
    count += bucket.count;
    bytes += bucket.bytes;
    for (const member of bucket.members) members.add(member);
  }
  const sorted = [...members].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { key, count, bytes, distinct: members.size, members: sorted.slice(0, shape.maxMembers), from, to };
}

/**
 * Throws InvalidInputError (naming the field and the value) unless `bucketMs` and `buckets` are positive
 * integers and `maxMembers` an integer from 0 to MAX_MEMBERS.
 */
export function checkWindowShape(shape: WindowShape): void {
  for (const field of ['bucketMs', 'buckets'] as const) {
    if (!Number.isSafeInteger(shape[field]) || shape[field] < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${shape[field]}`, `window.${field}`);
    }
  }
  if (!Number.isSafeInteger(shape.maxMembers) || shape.maxMembers < 0 || shape.maxMembers > MAX_MEMBERS) {
    throw new InvalidInputError(
      `must be an integer from 0 to ${MAX_MEMBERS}, got ${shape.maxMembers}`,
      'window.maxMembers',
    );
  }
}

/**
 * Throws InvalidInputError naming the field (`increments[i].key`, …) and the value unless every increment fits
 * the window and the stores' limits: a non-empty key of at most MAX_WINDOW_KEY_BYTES, a bucket start that is
 * a non-negative multiple of `bucketMs`, non-negative integer counts, at most `maxMembers` members, each
 * non-empty and at most MAX_MEMBER_BYTES. Checks the shape first (see checkWindowShape).
 */
export function checkIncrements(increments: readonly WindowIncrement[], shape: WindowShape): void {
  checkWindowShape(shape);
  for (const [index, increment] of increments.entries()) {
    const at = `increments[${index}]`;
    const keyBytes = utf8Length(increment.key);
    if (keyBytes === 0 || keyBytes > MAX_WINDOW_KEY_BYTES) {
      throw new InvalidInputError(
        `must be 1 to ${MAX_WINDOW_KEY_BYTES} bytes of UTF-8, got ${keyBytes}: ${preview(increment.key)}`,
        `${at}.key`,
      );
    }
    const { bucketStart } = increment;
    if (!Number.isSafeInteger(bucketStart) || bucketStart < 0 || bucketStart % shape.bucketMs !== 0) {
      throw new InvalidInputError(
        `must be a non-negative multiple of the bucket length ${shape.bucketMs}, got ${bucketStart}`,
        `${at}.bucketStart`,
      );
    }
    for (const field of ['count', 'bytes'] as const) {
      if (!Number.isSafeInteger(increment[field]) || increment[field] < 0) {
        throw new InvalidInputError(
          `must be a non-negative integer, got ${increment[field]}`,
          `${at}.${field}`,
        );
      }
    }
    if (increment.members.length > shape.maxMembers) {
      throw new InvalidInputError(
        `holds ${increment.members.length} members, over the window's maxMembers ${shape.maxMembers}`,
        `${at}.members`,
      );
    }
    for (const member of increment.members) {
      const memberBytes = utf8Length(member);
      if (memberBytes === 0 || memberBytes > MAX_MEMBER_BYTES) {
        throw new InvalidInputError(
          `must be 1 to ${MAX_MEMBER_BYTES} bytes of UTF-8, got ${memberBytes}: ${preview(member)}`,
          `${at}.members`,
        );
      }
    }
  }
}

/** The start of a value for an error message: an over-long key must not make the message over-long too. */
function preview(value: string): string {
  return JSON.stringify(excerpt(value, 80));
}
