/**
 * Use case: one inbound event (a GuardDuty finding, a manual request, a Threat Signal) through intake and
 * decide. Every entry point calls this: the `decide` function, the GuardDuty catch-up, the simulation.
 */
import { toCommands } from '#shared/intake/event';
import {
  type BreakerResetReport,
  type ConflictRetryOverrides,
  type DecisionReport,
  decideSignal,
  type PauseReport,
  resetBreaker,
  setPause,
} from './decide-signal';
import type { Dependencies } from './dependencies';

/** What one event did: a report per signal (ignored inputs included), per breaker reset and per pause/resume. */
export interface EventReport {
  readonly decisions: readonly DecisionReport[];
  readonly breakerResets: readonly BreakerResetReport[];
  readonly pauses: readonly PauseReport[];
}

/**
 * Parses the event and decides each signal it carries, in order. Throws InvalidInputError (naming the field)
 * before anything is written when the event is malformed, and whatever the store throws once retries on
 * concurrent writers are exhausted; a retried event is idempotent (its signals come back as duplicates).
 */
export async function handleEvent(
  event: unknown,
  deps: Dependencies,
  retry: ConflictRetryOverrides = {},
): Promise<EventReport> {
  const decisions: DecisionReport[] = [];
  const breakerResets: BreakerResetReport[] = [];
  const pauses: PauseReport[] = [];
  for (const command of toCommands(event, deps.policy, deps.clock.now())) {
    if (command.kind === 'signal') decisions.push(await decideSignal(command.signal, deps, retry));
    else if (command.kind === 'reset-breaker') {
      breakerResets.push(await resetBreaker(command.requestedBy, command.reason, deps, retry));
    } else if (command.kind === 'pause' || command.kind === 'resume') {
      pauses.push(await setPause(command.kind === 'pause', command.requestedBy, command.reason, deps, retry));
    } else {
      decisions.push({
        indicator: command.label,
        outcome: 'skipped',
        skipReason: 'not-handled',
        reason: command.reason,
        source: command.source,
        expiresAt: null,
        targets: [],
      });
    }
  }
  return { decisions, breakerResets, pauses };
}
