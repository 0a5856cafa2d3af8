import type { ActiveBlock, AuditRecord, BreakerState, Decision } from '#domain/decision';
import type { NetworkAclLedger } from '#domain/target';

/**
 * How far the GuardDuty catch-up has read: every finding updated before `since` was handled (or reported
 * invalid). `since` is ISO 8601; version 0 with `since` undefined means no run has finished yet.
 */
export interface CatchUpWatermark {
  readonly since?: string;
  readonly version: number;
}

/**
 * The CIDR blocks of the protected VPCs that the configuration lists none for, as the `enforce` function last
 * read them from EC2, so that the other functions learn them from the store without calling EC2.
 */
export interface VpcCidrsRecord {
  /** The VPCs whose blocks `cidrs` holds, sorted, each once. */
  readonly vpcIds: readonly string[];
  /** Their canonical IPv4 and IPv6 blocks. */
  readonly cidrs: readonly string[];
  /** When they were read from EC2 (ISO 8601). */
  readonly readAt: string;
}

/**
 * The single source of truth: one decision record per indicator, the append-only audit trail, the breaker
 * the ledger of the network ACL entries Egress Warden wrote, the GuardDuty catch-up's watermark and the VPC CIDRs
 * record. Writes are conditional on the version read, so two writers never lose each other's update.
 * Any method may also throw ThrottledError or TargetNotFoundError (the table is missing).
 */
export interface DecisionStore {
  /** The record for an indicator key, in any status; undefined if the indicator was never decided. */
  get(key: string): Promise<Decision | undefined>;
  /**
   * Writes `decision` (whose `version` must be `expectedVersion + 1`, or 1 for a new record) only if the
   * stored record still has `expectedVersion` (undefined or 0 = must not exist yet). Undefined fields are not
   * stored. Throws ConcurrentUpdateError when another writer got there first; InvalidInputError for a wrong
   * `version`, an `expiresAt` that is not a time or a record over 400 KB, before writing anything.
   */
  put(decision: Decision, expectedVersion: number | undefined): Promise<void>;
  /** Every record with status `active`, in no particular order. */
  listActive(): Promise<Decision[]>;
  /**
   * Every record with status `active`, projected to what reconcile needs (ACTIVE_BLOCK_FIELDS; `overflow`
   * absent when the record has none), in no particular order: a run over many active decisions reads and
   * holds a fraction of each record.
   */
  listActiveBlocks(): Promise<ActiveBlock[]>;
  /** Active records whose `expiresAt` is at or before `time` (ISO 8601). Throws InvalidInputError for a bad `time`. */
  listDueBefore(time: string): Promise<Decision[]>;
  /**
   * Appends audit records; never overwrites one. Idempotent for identical records. Throws InvalidInputError
   * (an `at` that is not a time, a record over 400 KB) before writing any of them.
   */
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
  /** The audit trail of one indicator, oldest first. */
  listAudit(key: string): Promise<AuditRecord[]>;
  /** The breaker; a closed breaker with version 0 when none was ever written. */
  getBreaker(): Promise<BreakerState>;
  /** Conditional on `expectedVersion` like `put`. Throws ConcurrentUpdateError. */
  putBreaker(state: BreakerState, expectedVersion: number): Promise<void>;
  /** The network ACL ledger; empty with version 0 when none was ever written. */
  getNetworkAclLedger(): Promise<NetworkAclLedger>;
  /**
   * Conditional on `expectedVersion` like `putBreaker`. Throws ConcurrentUpdateError; InvalidInputError before
   * writing anything for a wrong `version`, an ACL listed twice, a rule number outside 1–32766, an empty CIDR,
   * or more than MAX_LEDGER_ENTRIES_PER_ACL_FAMILY entries of one IP family in one ACL.
   */
  putNetworkAclLedger(ledger: NetworkAclLedger, expectedVersion: number): Promise<void>;
  /** The GuardDuty catch-up's watermark; version 0 without `since` when none was ever written. */
  getCatchUpWatermark(): Promise<CatchUpWatermark>;
  /**
   * Conditional on `expectedVersion` like `putBreaker`, so two overlapping runs cannot move it backwards
   * unnoticed. Throws ConcurrentUpdateError; InvalidInputError before writing for a wrong `version` or a
   * `since` that is not a time.
   */
  putCatchUpWatermark(watermark: CatchUpWatermark, expectedVersion: number): Promise<void>;
  /**
   * The VPC CIDRs record; undefined when none was ever written. Throws InvalidInputError naming the field when
   * the stored item is corrupt (not lists of strings, a CIDR that is not canonical, a `readAt` that is not a time).
   */
  getVpcCidrs(): Promise<VpcCidrsRecord | undefined>;
  /**
   * Replaces the VPC CIDRs record, unconditionally (its only writer is `enforce`, which runs one at a time),
   * with `vpcIds` sorted and deduplicated and `readAt` normalised. Throws InvalidInputError before writing for
   * no VPC id or an empty one, a CIDR that is not canonical, or a `readAt` that is not a time.
   */
  putVpcCidrs(record: VpcCidrsRecord): Promise<void>;
}
