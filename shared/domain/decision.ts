/**
 * Decisions: the single source of truth. One record per indicator holds its current state, its offence
 * history (for escalating durations) and the evidence that led to it; targets are projections of the
 * active records.
 */
import type { Indicator } from './indicator';
import type { Evidence, SignalSource, Workload } from './signal';
import type { TargetName } from './target';

/**
 * `active`: blocked until `expiresAt` (or for ever when null). `shadow`: decided but not enforced.
 * `expired`, `unblocked` (by request) and `lifted` (allowlisted or protected after the fact) are ended blocks
 * whose offence history is still used for escalation.
 */
export type DecisionStatus = 'active' | 'shadow' | 'expired' | 'unblocked' | 'lifted';

export interface Decision {
  /** The indicator's normalised value; one record per indicator. */
  readonly key: string;
  readonly indicator: Indicator;
  readonly status: DecisionStatus;
  /** Highest severity seen while this block was active. */
  readonly severity: number;
  readonly source: SignalSource;
  /** What saw it: finding type, detector name, or `manual`. */
  readonly detector: string;
  /** Why the record is in its current state, in one sentence. */
  readonly reason: string;
  /**
   * The targets this block applies to: those that can block the indicator's kind, narrowed by a manual
   * request, and for an active block to the ones in `enforce` mode when it was decided (an extension adds
   * any switched to `enforce` since). Reconcile projects the record onto exactly these.
   */
  readonly targets: readonly TargetName[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** null = permanent. */
  readonly expiresAt: string | null;
  /**
   * Start times of blocks within the escalation window, oldest first. A block an operator unblocked is not
   * an offence: the unblock takes its start out again.
   */
  readonly offences: readonly string[];
  /** Newest last, within a byte budget (`record-budget.ts`); long details are cut with a notice. */
  readonly evidence: readonly Evidence[];
  /**
   * The evidence acted on, each key once with its latest `observedAt`, newest first and bounded (decide keeps
   * 100, `record-budget.ts` a byte budget); makes replays and re-publications idempotent. A list rather than a
   * map keyed by evidence: records with many distinct keys would each get their own object shape.
   */
  readonly seen: readonly SeenEvidence[];
  readonly workloads: readonly Workload[];
  /** Evidence that may not block this indicator again for a while, because an operator unblocked it. */
  readonly suppressions?: readonly Suppression[];
  readonly requestedBy?: string;
  /** Targets this active block did not fit in at the last reconcile (reported once when it changes). */
  readonly overflow?: readonly TargetName[];
  /** Incremented on every write; the store refuses a write made from a stale copy. */
  readonly version: number;
}

/** What reconcile needs of an active decision, and all the active index hands it (a projection). */
export type ActiveBlock = Pick<Decision, (typeof ACTIVE_BLOCK_FIELDS)[number]>;

/** The fields of {@link ActiveBlock}, for the stores that project them. */
export const ACTIVE_BLOCK_FIELDS = [
  'key',
  'severity',
  'targets',
  'createdAt',
  'expiresAt',
  'overflow',
  // Drift detection tells a block that went missing from one decided since the previous run.
  'updatedAt',
  'version',
] as const;

/** One evidence key acted on, and the latest time it was observed. */
export interface SeenEvidence {
  readonly key: string;
  /** Canonical ISO 8601 (`toISOString`), so times compare as text. */
  readonly at: string;
}

/**
 * An operator unblocked the indicator while this evidence (a GuardDuty finding id, a detector's key) was
 * known: until `until`, that evidence does not block it again. GuardDuty re-publishes a finding every 6 hours
 * while the activity goes on; without this, a false positive the operator lifted would come straight back.
 */
export interface Suppression {
  /** The evidence key. */
  readonly key: string;
  /** Who unblocked. */
  readonly by: string;
  /** When the unblock was decided. */
  readonly at: string;
  readonly until: string;
}

/** What deciding one signal came to. */
export type Outcome = 'blocked' | 'extended' | 'unblocked' | 'skipped' | 'shadow';

/** Why a signal was skipped. */
export type SkipReason =
  | 'allowlisted'
  | 'guard-rail'
  | 'below-threshold'
  | 'breaker-open'
  | 'duplicate'
  | 'suppressed'
  | 'not-blocked'
  | 'not-handled'
  | 'no-target';

/** One append-only audit entry: who or what, when, why, with which evidence. */
export interface AuditRecord {
  readonly key: string;
  readonly at: string;
  /** The outcome, or a lifecycle event of the enforcer itself (`expired`, `lifted`, `breaker-opened`…). */
  readonly event: string;
  readonly actor: string;
  readonly reason: string;
  readonly source?: SignalSource;
  readonly expiresAt?: string | null;
  readonly evidence?: Evidence;
}

/** The blast-radius breaker. */
export interface BreakerState {
  readonly open: boolean;
  readonly openedAt?: string;
  readonly reason?: string;
  /**
   * New blocks counted per minute within the rolling window, oldest first. Per-minute counts keep the record
   * small (at most one entry a minute of the window) however many blocks the window allows.
   */
  readonly recentBlocks: readonly BlockCount[];
  readonly version: number;
}

/** How many new blocks started in one minute. */
export interface BlockCount {
  /** The minute, as the ISO 8601 time of its first millisecond. */
  readonly minute: string;
  readonly count: number;
}
