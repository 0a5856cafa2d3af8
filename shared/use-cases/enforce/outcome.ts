/** What one target's enforcer reports, and the helpers every enforcer shares. */
import type { Alert } from '#domain/alert';
import type { TargetMode, TargetName } from '#domain/target';
import type { Clock } from '#ports/clock';
import type { UsageMeter } from '#ports/decision-store';
import type { Dependencies } from '../dependencies';

/** How one target fared in a reconcile run. */
export interface TargetReport {
  readonly target: TargetName;
  readonly mode: TargetMode;
  /**
   * `applied`: every change written; `unchanged`: already converged; `held`: alert mode kept back changes that
   * would block more (removals were still written, see `changes`); `partial`: the run's time budget ran out
   * before every change was written (what was written stands, nothing enforced was taken away, the next run
   * continues; see `left`); `failed`: see `error`; `off`: not deployed, or switched off with nothing of ours
   * left on it.
   */
  readonly status: 'applied' | 'unchanged' | 'held' | 'partial' | 'failed' | 'off';
  /** Write calls made. */
  readonly changes: number;
  /** Write calls kept back because the target is in alert mode. */
  readonly held: number;
  /** When `partial`: the writes left for the next run (domain chunks, or network ACLs not yet visited). */
  readonly left?: number;
  /** Indicators that did not fit. */
  readonly overflow: readonly string[];
  /** Conditions that need an operator but did not stop the target (a foreign entry, one ACL failing). */
  readonly warnings: readonly string[];
  /**
   * Parts of the target that could not be written (one network ACL of several), with why; absent when none.
   * The target converged elsewhere, so its status is not `failed`, but what it holds there is not known.
   */
  readonly failures?: readonly string[];
  readonly error?: string;
  /**
   * The target's room after the run, from what the enforcer read and wrote (no extra call): entries per ACL
   * and family against the quota, domains against maxDomains, rule capacity and rules bytes. Absent when the
   * target was not read.
   */
  readonly usage?: readonly UsageMeter[];
  /** What this run put on the target (domain names, CIDRs, indicators), for drift detection; absent when none. */
  readonly added?: readonly string[];
  /** What this run took off the target, in the same terms; absent when none. */
  readonly removed?: readonly string[];
}

/** What an enforcer returns; the use case adds the target's name and mode. */
export type TargetOutcome = Omit<TargetReport, 'target' | 'mode' | 'error' | 'warnings'> & {
  readonly warnings?: readonly string[];
};

/**
 * How an enforcer runs: `hold` (alert mode) writes only what unblocks, never what blocks more; `budget`, when
 * given, is the run's time left: no write starts without {@link WRITE_RESERVE_MS} of it.
 */
export interface EnforceOptions {
  readonly hold: boolean;
  readonly budget?: Budget;
}

/** The time an enforce run has left, read from the injected clock: Lambda's deadline, or none. */
export interface Budget {
  /** The deadline in milliseconds since the epoch; undefined when the run has none (the CLI, the simulation). */
  readonly deadline: number | undefined;
  /** Milliseconds left before the deadline; Infinity without one. */
  left(): number;
}

/**
 * Least time left for a write to start: one request (an EC2 entry, a rule group update of up to 2 MB, a
 * Resolver write spaced at 5 requests/s, with a throttling retry) and the ledger write after it.
 */
export const WRITE_RESERVE_MS = 5_000;

/** The budget of a run that must end by `deadline` on `clock`; without a deadline, an unlimited one. */
export function budgetOf(clock: Clock, deadline?: Date): Budget {
  if (deadline === undefined) return { deadline: undefined, left: () => Number.POSITIVE_INFINITY };
  const at = deadline.getTime();
  return { deadline: at, left: () => at - clock.now().getTime() };
}

/** Whether a write may still start within `budget`. */
export function mayStartWrite(budget: Budget | undefined): boolean {
  return budget === undefined || budget.left() >= WRITE_RESERVE_MS;
}

/** A target re-plans after a concurrent writer at most this many times per run. */
export const MAX_ATTEMPTS = 3;

/** The status of a run that wrote `changes` calls and kept `held` back. */
export function statusOf(changes: number, held: number): TargetOutcome['status'] {
  if (held > 0) return 'held';
  return changes > 0 ? 'applied' : 'unchanged';
}

/** An error as one line of a report or an alert: its class name and message. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Alerts about the enforcer's own work must not undo that work when the topic is unavailable. */
export async function publishQuietly(deps: Pick<Dependencies, 'alerts'>, alert: Alert): Promise<void> {
  try {
    await deps.alerts.publish(alert);
  } catch {
    // Reported by the next run's failure alert or the logs; the target state is what matters.
  }
}
