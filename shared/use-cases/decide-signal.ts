/** Use case: decide one signal and record the result (store, audit trail, alert). */
import { breakerAlert, decisionAlert } from '#domain/alert';
import { decide } from '#domain/decide';
import type { Outcome, SkipReason } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import type { Signal, SignalSource } from '#domain/signal';
import type { TargetName } from '#domain/target';
import type { Dependencies } from './dependencies';

/** What happened to one signal, as reported by the simulation, the CLI and the Lambda functions. */
export interface DecisionReport {
  readonly indicator: string;
  readonly outcome: Outcome;
  readonly skipReason?: SkipReason;
  readonly reason: string;
  readonly source: SignalSource;
  readonly expiresAt: string | null;
  readonly targets: readonly TargetName[];
  /** Set when the decision was recorded but its alert could not be published. */
  readonly alertError?: string;
}

/** Two writers on one indicator: the loser re-reads and decides again (it becomes `extended` or a duplicate). */
const MAX_ATTEMPTS = 5;

/**
 * Decides a signal against the indicator's current record and the breaker, writes the result conditionally
 * and appends the audit trail. Idempotent: replaying a signal is a `duplicate`. Throws what the store throws
 * once retries on concurrent writers are exhausted.
 */
export async function decideSignal(signal: Signal, deps: Dependencies): Promise<DecisionReport> {
  const { store, policy, clock } = deps;
  for (let attempt = 1; ; attempt++) {
    const [current, breaker] = await Promise.all([store.get(signal.indicator.value), store.getBreaker()]);
    const result = decide(signal, current, { policy, now: clock.now(), breaker });
    try {
      if (result.breaker) await store.putBreaker(result.breaker, breaker.version);
      if (result.decision) await store.put(result.decision, current?.version);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    await store.appendAudit(result.audit);
    const report: DecisionReport = {
      indicator: signal.indicator.value,
      outcome: result.outcome,
      ...(result.skipReason ? { skipReason: result.skipReason } : {}),
      reason: result.reason,
      source: signal.source,
      expiresAt: result.expiresAt,
      targets: result.targets,
    };
    const alerts = [
      ...(result.notify ? [decisionAlert(signal, result)] : []),
      ...(result.breaker?.open && !breaker.open ? [breakerAlert(result.breaker)] : []),
    ];
    try {
      for (const alert of alerts) await deps.alerts.publish(alert);
    } catch (error) {
      // The decision stands; a retry of the whole event would only be a duplicate and lose the alert anyway.
      return { ...report, alertError: error instanceof Error ? error.message : String(error) };
    }
    return report;
  }
}

/** Use case: an operator closes the breaker again after reviewing what tripped it. */
export async function resetBreaker(
  requestedBy: string,
  reason: string,
  deps: Dependencies,
): Promise<boolean> {
  const { store, clock } = deps;
  for (let attempt = 1; ; attempt++) {
    const breaker = await store.getBreaker();
    if (!breaker.open) return false;
    try {
      await store.putBreaker(
        { open: false, recentBlocks: [], version: breaker.version + 1 },
        breaker.version,
      );
    } catch (error) {
      if (error instanceof ConcurrentUpdateError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    const at = clock.now().toISOString();
    await store.appendAudit([{ key: 'BREAKER', at, event: 'breaker-reset', actor: requestedBy, reason }]);
    return true;
  }
}
