import type { AuditRecord, BreakerState, Decision } from '#domain/decision';

/**
 * The single source of truth: one decision record per indicator, the append-only audit trail and the
 * breaker. Writes are conditional on the version read, so two writers never lose each other's update.
 */
export interface DecisionStore {
  /** The record for an indicator key, in any status; undefined if the indicator was never decided. */
  get(key: string): Promise<Decision | undefined>;
  /**
   * Writes `decision` (whose `version` must be `expectedVersion + 1`, or 1 for a new record) only if the
   * stored record still has `expectedVersion` (undefined = must not exist yet).
   * Throws ConcurrentUpdateError when another writer got there first.
   */
  put(decision: Decision, expectedVersion: number | undefined): Promise<void>;
  /** Every record with status `active`, in no particular order. */
  listActive(): Promise<Decision[]>;
  /** Active records whose `expiresAt` is at or before `time` (ISO 8601). */
  listDueBefore(time: string): Promise<Decision[]>;
  /** Appends audit records; never overwrites one. Idempotent for identical records. */
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  /** The audit trail of one indicator, oldest first. */
  listAudit(key: string): Promise<AuditRecord[]>;
  /** The breaker; a closed breaker with version 0 when none was ever written. */
  getBreaker(): Promise<BreakerState>;
  /** Conditional on `expectedVersion` like `put`. Throws ConcurrentUpdateError. */
  putBreaker(state: BreakerState, expectedVersion: number): Promise<void>;
}
