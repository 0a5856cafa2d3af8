import {
  checkIncrements,
  totalOf,
  type WindowBucket,
  type WindowIncrement,
  type WindowShape,
  type WindowTotal,
  windowStart,
} from '#domain/detect/window';
import type { DetectorStateStore } from '#ports/detector-state';

interface Bucket {
  count: number;
  bytes: number;
  readonly members: Set<string>;
}

/**
 * The detector state in memory, for the local simulation and the use-case tests, with the rules of the
 * DynamoDB store: the same limits and InvalidInputError (checked before anything is added), the same member
 * cap (an increment's members are added while the bucket holds fewer than `maxMembers`, otherwise only its
 * counts are), the same totals (`totalOf`). Each call is applied at once, so concurrent calls lose nothing.
 * Buckets older than a key's window are dropped, as DynamoDB's TTL does later, so memory grows with keys.
 */
export class InMemoryDetectorStateStore implements DetectorStateStore {
  readonly #keys = new Map<string, Map<number, Bucket>>();
  #writes = 0;

  /** Increments applied so far: what the DynamoDB store would pay as UpdateItem calls. */
  get writes(): number {
    return this.#writes;
  }

  async addAndTotal(increments: readonly WindowIncrement[], window: WindowShape): Promise<WindowTotal[]> {
    checkIncrements(increments, window);
    for (const increment of increments) this.#add(increment, window);
    const touched = [...new Set(increments.map((increment) => increment.key))];
    return touched.flatMap((key) => {
      const buckets = this.#keys.get(key) ?? new Map<number, Bucket>();
      const total = totalOf(key, [...buckets].map(toWindowBucket), window);
      return total === undefined ? [] : [total];
    });
  }

  #add(increment: WindowIncrement, window: WindowShape): void {
    this.#writes++;
    let buckets = this.#keys.get(increment.key);
    if (!buckets) {
      buckets = new Map();
      this.#keys.set(increment.key, buckets);
    }
    let bucket = buckets.get(increment.bucketStart);
    if (!bucket) {
      bucket = { count: 0, bytes: 0, members: new Set() };
      buckets.set(increment.bucketStart, bucket);
    }
    bucket.count += increment.count;
    bucket.bytes += increment.bytes;
    if (bucket.members.size < window.maxMembers) {
      for (const member of increment.members) bucket.members.add(member);
    }
    const oldest = windowStart(Math.max(...buckets.keys()), window);
    for (const start of buckets.keys()) if (start < oldest) buckets.delete(start);
  }
}

function toWindowBucket([bucketStart, bucket]: [number, Bucket]): WindowBucket {
  return { bucketStart, count: bucket.count, bytes: bucket.bytes, members: [...bucket.members] };
}
