import type { ActiveBlock, AuditRecord, BreakerState, Decision } from '#domain/decision';
import type { PauseState } from '#domain/policy';
import type { NetworkAclLedger, TargetMode, TargetName } from '#domain/target';

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

/** One measure of a target's room: `used` of `limit` (free = limit − used), e.g. one ACL's IPv4 entries. */
export interface UsageMeter {
  /** What is counted, for a person: `acl-0a1b IPv4 entries`, `domains`, `rule capacity`, `rules bytes`. */
  readonly what: string;
  readonly used: number;
  readonly limit: number;
}

/** How one target fared in the last enforce run, as the status record keeps it. */
export interface TargetStatus {
  readonly target: TargetName;
  /** The effective mode: a paused `enforce` target is `alert`. */
  readonly mode: TargetMode;
  /** `partial`: the run's time ran out with `left` writes still to do (the next run does them). */
  readonly status: 'applied' | 'unchanged' | 'held' | 'failed' | 'off' | 'partial';
  readonly left?: number;
  readonly changes: number;
  readonly held: number;
  readonly overflowCount: number;
  /** At most ENFORCE_STATUS_LIST_CAP of them; `warningsCut` says how many more there were. */
  readonly warnings: readonly string[];
  readonly warningsCut?: number;
  readonly error?: string;
  /** Absent when the target was not read (off, or failed before reading). At most ENFORCE_STATUS_USAGE_CAP. */
  readonly usage?: readonly UsageMeter[];
  readonly usageCut?: number;
}

/**
 * The one record the `enforce` function writes at the end of each run, for `status` and `--wait`: when it
 * ran, how long it took, each target's result and room, the breaker and the pause.
 */
export interface EnforceStatus {
  /** When the run started (ISO 8601). */
  readonly at: string;
  readonly durationMs: number;
  readonly targets: readonly TargetStatus[];
  readonly breaker: { readonly open: boolean; readonly openedAt?: string; readonly reason?: string };
  readonly pause: {
    readonly paused: boolean;
    readonly since?: string;
    readonly by?: string;
    readonly reason?: string;
  };
  /** How many blocks ended in the run, and drift repairs made. */
  readonly ended: number;
  readonly driftRepaired: number;
}

/** The most warnings (and other lists) one target keeps in the status record, so the item stays small. */
export const ENFORCE_STATUS_LIST_CAP = 20;
/** The most usage meters one target keeps (two per network ACL: 300 ACLs), so the item stays small. */
export const ENFORCE_STATUS_USAGE_CAP = 600;

/**
 * The single source of truth: one decision record per indicator, the append-only audit trail, the breaker,
 * the pause, the last enforce run's status, the ledger of the network ACL entries Egress Warden wrote, the
 * GuardDuty catch-up's watermark, the VPC CIDRs record and the claims that keep repeated failure alerts apart.
 * Writes are conditional on the version read, so two writers never lose each other's update.
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
  /**
   * Claims `slot` (what fails, such as `failure:dnsFirewall`) for the alert identified by `fingerprint` until
   * `until`, so that an identical alert is sent once per interval across invocations. True, and the claim is
   * written, when the slot is free, holds another fingerprint, or its claim lapsed (its `until` is at or before
   * `at`); false while the same fingerprint's claim holds. Conditional: of two concurrent claimers of the same
   * fingerprint one wins. Throws InvalidInputError for an `at` or `until` that is not a time.
   */
  claimAlert(slot: string, fingerprint: string, at: string, until: string): Promise<boolean>;
  /**
   * Frees these slots at `at` (their failures cleared), so that the next failure there alerts at once.
   * Idempotent; writes only for slots that hold a claim. Throws InvalidInputError for an `at` that is not a time.
   */
  releaseAlerts(slots: readonly string[], at: string): Promise<void>;
  /** The pause state; not paused at version 0 when no operator ever paused. */
  getPause(): Promise<PauseState>;
  /** Conditional on `expectedVersion` like `putBreaker`. Throws ConcurrentUpdateError; InvalidInputError for a wrong `version`. */
  putPause(state: PauseState, expectedVersion: number): Promise<void>;
  /** The last enforce run's status record; undefined before the first run finished. */
  getEnforceStatus(): Promise<EnforceStatus | undefined>;
  /**
   * Replaces the status record, unconditionally (its only writer is `enforce`, which runs one at a time).
   * Throws InvalidInputError before writing for an `at` that is not a time or an item over 400 KB.
   */
  putEnforceStatus(status: EnforceStatus): Promise<void>;
}
