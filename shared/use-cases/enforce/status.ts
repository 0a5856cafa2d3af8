/** The enforce status record: what one run did, in the bounded shape the store keeps for `status`. */
import type { BreakerState } from '#domain/decision';
import type { PauseState } from '#domain/policy';
import {
  ENFORCE_STATUS_LIST_CAP,
  ENFORCE_STATUS_USAGE_CAP,
  type EnforceStatus,
  type TargetStatus,
} from '#ports/decision-store';
import type { ReconcileReport } from './reconcile';

/** The longest warning or error the record keeps, in characters; longer ones end with a notice. */
const MAX_TEXT = 500;

/** What the run knows besides its report. */
export interface RunFacts {
  /** When the run started (ISO 8601). */
  readonly at: string;
  readonly durationMs: number;
  readonly breaker: BreakerState;
  readonly pause: PauseState;
}

/**
 * The status record of one run. Bounded whatever the run did: at most ENFORCE_STATUS_LIST_CAP warnings and
 * ENFORCE_STATUS_USAGE_CAP usage meters per target (the number cut is kept), each text at most 500
 * characters, overflow as a count; so the item stays far below DynamoDB's 400 KB.
 */
export function toEnforceStatus(report: ReconcileReport, facts: RunFacts): EnforceStatus {
  const targets = report.targets.map((target): TargetStatus => {
    const warnings = target.warnings.slice(0, ENFORCE_STATUS_LIST_CAP).map(cut);
    const usage = target.usage?.slice(0, ENFORCE_STATUS_USAGE_CAP);
    return {
      target: target.target,
      mode: target.mode,
      status: target.status,
      ...(target.left !== undefined && { left: target.left }),
      changes: target.changes,
      held: target.held,
      overflowCount: target.overflow.length,
      warnings,
      ...(target.warnings.length > warnings.length && {
        warningsCut: target.warnings.length - warnings.length,
      }),
      ...(target.error !== undefined && { error: cut(target.error) }),
      ...(usage !== undefined && { usage }),
      ...(usage !== undefined &&
        (target.usage?.length ?? 0) > usage.length && {
          usageCut: (target.usage?.length ?? 0) - usage.length,
        }),
    };
  });
  const { breaker, pause } = facts;
  return {
    at: facts.at,
    durationMs: Math.round(facts.durationMs),
    targets,
    breaker: {
      open: breaker.open,
      ...(breaker.openedAt !== undefined && { openedAt: breaker.openedAt }),
      ...(breaker.reason !== undefined && { reason: cut(breaker.reason) }),
    },
    pause: {
      paused: pause.paused,
      ...(pause.since !== undefined && { since: pause.since }),
      ...(pause.by !== undefined && { by: cut(pause.by) }),
      ...(pause.reason !== undefined && { reason: cut(pause.reason) }),
    },
    ended: report.ended.length,
    driftRepaired: (report.drift ?? []).reduce((sum, r) => sum + r.restored.length + r.removed.length, 0),
  };
}

function cut(text: string): string {
  return text.length <= MAX_TEXT
    ? text
    : `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)`;
}
