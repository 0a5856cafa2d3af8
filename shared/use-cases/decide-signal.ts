/** Use case: decide one signal and record the result (store, audit trail, alert). */
import { breakerAlert, breakerClosedAlert, decisionAlert, pauseAlert, resumeAlert } from '#domain/alert';
import { coveringKeys, type DecideContext, type DecideResult, decide } from '#domain/decide';
import type { BreakerState, Decision, Outcome, SkipReason } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import type { Signal, SignalSource } from '#domain/signal';
import type { TargetName } from '#domain/target';
import { type RetryOptions, withRetry } from '#shared/runtime/retry';
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

/**
 * How a writer that lost a conditional write retries: it waits, re-reads and decides again (on one indicator
 * the loser then becomes `extended` or a duplicate; on the breaker it simply counts again). Every new
 * automated block writes the one breaker item, so a burst, which is what the breaker is for, makes it hot:
 * waiting with full jitter spreads the writers out, where retrying at once makes them collide again. The
 * ceiling grows to 4 s so that it can exceed what the writers need in all (200 writers of ~15 ms each on
 * DynamoDB); 200 writers racing on the breaker against dynalite on a busy machine
 * (test/reliability/concurrency-decide.test.ts) needed up to 15 attempts. 20 attempts wait at most 54 s in
 * all, about half that on average; only hundreds of concurrent writers get near it.
 */
export const CONFLICT_RETRY: RetryOptions = {
  attempts: 20,
  baseDelayMs: 25,
  maxDelayMs: 4000,
  isRetryable: (error) => error instanceof ConcurrentUpdateError,
};

/** What a caller may change of {@link CONFLICT_RETRY}: tests inject the clock and the randomness. */
export type ConflictRetryOverrides = Partial<Pick<RetryOptions, 'sleep' | 'random'>>;

/**
 * Decides a signal against the indicator's current record and the breaker, writes the result conditionally
 * and appends the audit trail. Idempotent: replaying a signal is a `duplicate`. An unblock of an indicator
 * that is not blocked looks up the wider blocks that would cover it, to say which one to unblock instead.
 * Throws what the store throws once retries on concurrent writers (`retry`) are exhausted.
 */
export async function decideSignal(
  signal: Signal,
  deps: Dependencies,
  retry: ConflictRetryOverrides = {},
): Promise<DecisionReport> {
  const { store } = deps;
  // The breaker is written before the record, so that it admits no more blocks than it allows. A writer that
  // counted its block and then lost the record to another writer of the same indicator started no block: it
  // owes the breaker that count back, and takes it out when it writes the breaker again.
  let owed: string | undefined;
  const { result, current, breaker } = await withRetry(
    async () => {
      const decided = await decideOnce(signal, deps, owed);
      const { result, current, breaker, stored } = decided;
      const write =
        result.breaker ?? (breaker === stored ? undefined : { ...breaker, version: stored.version + 1 });
      if (write) {
        await store.putBreaker(write, stored.version);
        owed = result.breaker ? countedMinute(breaker, result.breaker) : undefined;
      }
      if (result.decision) await store.put(result.decision, current?.version);
      return decided;
    },
    { ...CONFLICT_RETRY, ...retry },
  );
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
  const busName = deps.alerting?.busName;
  const context = { now: deps.clock.now().toISOString(), ...(busName ? { busName } : {}) };
  const alerts = [
    ...(worthAlerting(result, current) ? [decisionAlert(signal, result, context)] : []),
    ...(result.breaker?.open && !breaker.open ? [breakerAlert(result.breaker, busName)] : []),
  ];
  try {
    for (const alert of alerts) await deps.alerts.publish(alert);
  } catch (error) {
    // The decision stands; a retry of the whole event would only be a duplicate and lose the alert anyway.
    return { ...report, alertError: error instanceof Error ? error.message : String(error) };
  }
  return report;
}

/**
 * Whether a person should hear of this result: what the policy marks worth it, and an extension that moved the
 * end of the block (a re-published finding that changes nothing is not news).
 */
function worthAlerting(result: DecideResult, current: Decision | undefined): boolean {
  if (result.notify) return true;
  return result.outcome === 'extended' && current !== undefined && current.expiresAt !== result.expiresAt;
}

/** One decision: what it decided, on which record, against which breaker (as stored, and as decided on). */
interface Decided {
  readonly result: DecideResult;
  readonly current: Decision | undefined;
  /** The breaker decided on: the stored one less the block this call owes back. */
  readonly breaker: BreakerState;
  readonly stored: BreakerState;
}

/**
 * One read and one decision; for an unblock of an indicator that is not blocked, a second with its covers.
 * `owed` is the minute of a block this call counted on the breaker without starting it.
 */
async function decideOnce(
  signal: Signal,
  { store, policy, clock }: Dependencies,
  owed: string | undefined,
): Promise<Decided> {
  const [current, stored, pause] = await Promise.all([
    store.get(signal.indicator.value),
    store.getBreaker(),
    store.getPause(),
  ]);
  const breaker = owed === undefined ? stored : uncounted(stored, owed);
  const context: DecideContext = { policy, now: clock.now(), breaker, pause };
  const result = decide(signal, current, context);
  const decided = { result, current, breaker, stored };
  if (signal.intent !== 'unblock' || result.skipReason !== 'not-blocked') return decided;
  const found = await Promise.all(coveringKeys(signal.indicator, policy).map((key) => store.get(key)));
  const covering = found.filter((decision): decision is Decision => decision !== undefined);
  if (covering.length === 0) return decided;
  return { ...decided, result: decide(signal, current, { ...context, covering }) };
}

/** The minute whose count `after` raised over `before`; undefined when it counted no block (or tripped). */
function countedMinute(before: BreakerState, after: BreakerState): string | undefined {
  const last = after.recentBlocks.at(-1);
  if (after.open || last === undefined) return undefined;
  const previous = before.recentBlocks.find((bucket) => bucket.minute === last.minute)?.count ?? 0;
  return last.count > previous ? last.minute : undefined;
}

/** `breaker` less one block in `minute`; the same object when that minute has aged out or was reset. */
function uncounted(breaker: BreakerState, minute: string): BreakerState {
  if (!breaker.recentBlocks.some((bucket) => bucket.minute === minute)) return breaker;
  const recentBlocks = breaker.recentBlocks
    .map((bucket) => (bucket.minute === minute ? { ...bucket, count: bucket.count - 1 } : bucket))
    .filter((bucket) => bucket.count > 0);
  return { ...breaker, recentBlocks };
}

/** What a Reset Breaker request did, for a report line. */
export interface BreakerResetReport {
  /** `already-closed`: nothing was written and no alert sent. */
  readonly outcome: 'closed' | 'already-closed';
  readonly requestedBy: string;
  readonly reason: string;
  readonly at: string;
  /** When the breaker had opened, and why. */
  readonly openedAt?: string;
  readonly openReason?: string;
  /** Set when the breaker was closed but its alert could not be published. */
  readonly alertError?: string;
}

/**
 * Use case: an operator closes the breaker again after reviewing what tripped it. Writes the breaker
 * conditionally (retried like {@link decideSignal}), appends an audit entry and alerts who closed it and why.
 */
export async function resetBreaker(
  requestedBy: string,
  reason: string,
  deps: Dependencies,
  retry: ConflictRetryOverrides = {},
): Promise<BreakerResetReport> {
  const { store, clock } = deps;
  const breaker = await withRetry(
    async () => {
      const breaker = await store.getBreaker();
      if (breaker.open) {
        await store.putBreaker(
          { open: false, recentBlocks: [], version: breaker.version + 1 },
          breaker.version,
        );
      }
      return breaker;
    },
    { ...CONFLICT_RETRY, ...retry },
  );
  const at = clock.now().toISOString();
  if (!breaker.open) return { outcome: 'already-closed', requestedBy, reason, at };
  await store.appendAudit([{ key: 'BREAKER', at, event: 'breaker-reset', actor: requestedBy, reason }]);
  const report: BreakerResetReport = {
    outcome: 'closed',
    requestedBy,
    reason,
    at,
    ...(breaker.openedAt ? { openedAt: breaker.openedAt } : {}),
    ...(breaker.reason ? { openReason: breaker.reason } : {}),
  };
  try {
    await deps.alerts.publish(breakerClosedAlert(breaker, requestedBy, reason, at));
  } catch (error) {
    // The breaker is closed; a retry of the request would find it closed and lose the alert anyway.
    return { ...report, alertError: error instanceof Error ? error.message : String(error) };
  }
  return report;
}

/** The audit trail key of pause and resume requests. */
export const PAUSE_AUDIT_KEY = 'PAUSE';

/** What a Pause or Resume request did, for a report line. */
export interface PauseReport {
  /** `already-paused` / `not-paused`: nothing was written and no alert sent. */
  readonly outcome: 'paused' | 'resumed' | 'already-paused' | 'not-paused';
  readonly requestedBy: string;
  readonly reason: string;
  readonly at: string;
  /** Set when the state changed but its alert could not be published. */
  readonly alertError?: string;
}

/**
 * Use case: the emergency brake. Pausing makes every target run as in `alert` mode (decide shadows new blocks,
 * enforce writes nothing that blocks more; removals still reach the targets); resuming puts the configured
 * modes back. Writes the pause state conditionally (retried like {@link decideSignal}), appends an audit
 * entry under PAUSE_AUDIT_KEY and alerts who, when and why. A request that changes nothing writes nothing.
 */
export async function setPause(
  paused: boolean,
  requestedBy: string,
  reason: string,
  deps: Dependencies,
  retry: ConflictRetryOverrides = {},
): Promise<PauseReport> {
  const { store, clock } = deps;
  const at = clock.now().toISOString();
  const previous = await withRetry(
    async () => {
      const state = await store.getPause();
      if (state.paused !== paused) {
        await store.putPause(
          { paused, since: at, by: requestedBy, reason, version: state.version + 1 },
          state.version,
        );
      }
      return state;
    },
    { ...CONFLICT_RETRY, ...retry },
  );
  if (previous.paused === paused) {
    return { outcome: paused ? 'already-paused' : 'not-paused', requestedBy, reason, at };
  }
  const event = paused ? 'paused' : 'resumed';
  await store.appendAudit([{ key: PAUSE_AUDIT_KEY, at, event, actor: requestedBy, reason }]);
  const report: PauseReport = { outcome: event, requestedBy, reason, at };
  try {
    await deps.alerts.publish(
      paused ? pauseAlert(requestedBy, reason, at) : resumeAlert(requestedBy, reason, at, previous.since),
    );
  } catch (error) {
    // The state changed; a retry of the request would find it so and lose the alert anyway.
    return { ...report, alertError: error instanceof Error ? error.message : String(error) };
  }
  return report;
}
