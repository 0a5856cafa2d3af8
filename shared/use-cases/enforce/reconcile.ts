/**
 * Use case: enforce. Ends blocks that expired, lifts blocks that are now protected or allowlisted, then
 * converges every target to the projection of the active decisions. The only code that writes to a target;
 * running it twice changes nothing the second time.
 *
 * Removals always reach the targets: neither the blast-radius breaker (which only shadows new automated
 * blocks, in decide) nor `alert` mode holds back an expiry, an unblock or a lift, and a target switched `off`
 * is emptied of Egress Warden's entries. Alerts about ended blocks go out after the targets were written and
 * say, per target, whether the block is gone.
 */
import {
  type DriftRepair,
  driftAlert,
  lifecycleAlert,
  type Removal,
  repeatSlot,
  targetAlert,
} from '#domain/alert';
import type { BlockEntry } from '#domain/block';
import type { ActiveBlock, Decision } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import { type Protection, protectionOf } from '#domain/guard-rails';
import { type Indicator, parseIndicator } from '#domain/indicator';
import { effectiveModeOf } from '#domain/policy';
import { isCanonicalInstant } from '#domain/reconcile/block-priority';
import { TARGET_NAMES, type TargetName } from '#domain/target';
import { AlertBatch, type AlertFlushReport } from '../alerting';
import type { DecisionReport } from '../decide-signal';
import type { Dependencies } from '../dependencies';
import { enforceDnsFirewall } from './dns-firewall';
import { repairedDrift } from './drift';
import { enforceNetworkAcls } from './network-acls';
import { enforceNetworkFirewall } from './network-firewall';
import {
  type Budget,
  budgetOf,
  describeError,
  type EnforceOptions,
  publishQuietly,
  type TargetOutcome,
  type TargetReport,
} from './outcome';
import { recordOverflow } from './overflow';

export type { TargetReport } from './outcome';

export interface ReconcileReport {
  readonly at: string;
  /** Blocks that ended in this run (expired, or lifted because they are now protected). */
  readonly ended: readonly DecisionReport[];
  readonly targets: readonly TargetReport[];
  /** Entries repaired because a target changed outside Egress Warden since the previous run. */
  readonly drift?: readonly DriftRepair[];
  /**
   * Expired blocks left for the next run to mark ended (over {@link MAX_ENDINGS_PER_RUN}, or out of time).
   * They are already out of the desired state, so the targets drop them in this run all the same.
   */
  readonly deferred: number;
  /** True when the time budget ran out: a target is `partial`, or some endings were deferred. */
  readonly cutShort: boolean;
  /** What the run's alerts came to: sent, held back as repeats, failed. */
  readonly alerts: AlertFlushReport;
}

/** How a reconcile run is bounded. */
export interface ReconcileOptions {
  /** When the run must be done (Lambda's deadline less a margin), read on the dependencies' clock. */
  readonly deadline?: Date;
}

/**
 * Most blocks marked ended in one run: each is a conditional write and an audit write, so thousands due at
 * once are spread over runs instead of taking the time the targets need.
 */
export const MAX_ENDINGS_PER_RUN = 1_000;

/**
 * Store writes that end blocks, and alerts about them, sent at once: far below DynamoDB's and SNS's request
 * quotas, and enough that their latency does not add up to the run's time.
 */
const WRITES_IN_FLIGHT = 10;

type Enforcer = (desired: readonly BlockEntry[], options: EnforceOptions) => Promise<TargetOutcome>;

interface Ending {
  readonly decision: Decision;
  readonly event: 'expired' | 'lifted';
  readonly reason: string;
}

/**
 * Runs one reconcile pass. The targets are written concurrently, each on its own: a failing target is
 * reported and never stops the others, and the report keeps the fixed target order. With a deadline, the run
 * stops at a consistent point when its time runs out and reports what is left; the next run continues.
 */
export async function reconcile(
  dependencies: Dependencies,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  // The run's alerts go out together at its end: one digest for a burst, repeated failures held back.
  const alerting = new AlertBatch(dependencies);
  const deps: Dependencies = { ...dependencies, alerts: alerting };
  const { store, policy, clock } = deps;
  const now = clock.now();
  const at = now.toISOString();
  const budget = budgetOf(clock, options.deadline);
  const endings: Ending[] = [];
  const previous = await store.getEnforceStatus();

  const due = await store.listDueBefore(at);
  const ending = endingsWithin(budget);
  let handled = 0;
  // Each record is its own conditional write; a few in flight at once keep a thousand of them to seconds.
  while (handled < Math.min(due.length, MAX_ENDINGS_PER_RUN) && ending.mayContinue()) {
    const group = due.slice(handled, Math.min(handled + WRITES_IN_FLIGHT, MAX_ENDINGS_PER_RUN));
    handled += group.length;
    const ended = await Promise.all(
      group.map((decision) => end(decision, 'expired', `expired at ${decision.expiresAt}`, deps)),
    );
    for (const item of ended) if (item) endings.push(item);
  }
  const deferred = due.length - handled;
  const active: ActiveBlock[] = [];
  // Each target's desired entries, built in the same pass: one entry object per block, shared by its targets.
  const desired = new Map<TargetName, BlockEntry[]>(TARGET_NAMES.map((target) => [target, []]));
  const checked = new Map<string, Checked>();
  for (const stored of await store.listActiveBlocks()) {
    if (stored.expiresAt !== null && isPast(stored.expiresAt, at)) continue;
    // The store is trusted, but not blindly: a record that does not hold a valid indicator (written by hand,
    // or by an older version) is lifted and reported rather than failing a whole target.
    let known = lastChecked.get(stored.key);
    try {
      known ??= { indicator: parseIndicator(stored.key) };
    } catch (error) {
      const reason = `lifted: the stored indicator is invalid (${(error as Error).message})`;
      const ending = await endActive(stored, 'lifted', reason, deps);
      if (ending) endings.push(ending);
      continue;
    }
    const { indicator } = known;
    const protection = known.policy === policy ? known.protection : protectionOf(indicator, policy);
    checked.set(stored.key, { indicator, policy, protection });
    if (!protection) {
      active.push(stored);
      const entry = {
        indicator,
        severity: stored.severity,
        since: stored.createdAt,
        expiresAt: stored.expiresAt,
      };
      for (const target of stored.targets) desired.get(target)?.push(entry);
      continue;
    }
    const ending = await endActive(stored, 'lifted', `lifted: ${protection.detail}`, deps);
    if (ending) endings.push(ending);
  }
  lastChecked = checked;

  const desiredFor = (target: TargetName): BlockEntry[] => desired.get(target) ?? [];

  const { dnsFirewall, networkAcls, networkFirewall } = deps;
  const enforcers: Partial<Record<TargetName, Enforcer>> = {
    ...(dnsFirewall && {
      dnsFirewall: (desired, options) => enforceDnsFirewall(dnsFirewall, deps, desired, options),
    }),
    ...(networkAcls && {
      networkAcls: (desired, options) => enforceNetworkAcls(networkAcls, deps, desired, options),
    }),
    ...(networkFirewall && {
      networkFirewall: (desired, options) => enforceNetworkFirewall(networkFirewall, desired, options),
    }),
  };
  // Paused, every enforcing target runs as in alert mode: it holds new blocks and still removes.
  const pause = await store.getPause();
  const enforceTarget = async (target: TargetName): Promise<TargetReport> => {
    const mode = effectiveModeOf(target, policy, pause);
    const enforce = enforcers[target];
    if (!enforce) return { target, mode, status: 'off', changes: 0, held: 0, overflow: [], warnings: [] };
    try {
      // Off: nothing is wanted there any more, so every entry of ours is removed.
      const outcome =
        mode === 'off'
          ? await enforce([], { hold: false, budget })
          : await enforce(desiredFor(target), { hold: mode === 'alert', budget });
      const status = mode === 'off' && outcome.status === 'unchanged' ? 'off' : outcome.status;
      // Part of the target failed (one network ACL of several, deleted or refusing): the rest was written,
      // and the part that was not must reach the operator as a whole failure would.
      if (outcome.failures && outcome.failures.length > 0) {
        const detail = `Updating ${target} failed in part: ${outcome.failures.join('; ')}`;
        await publishQuietly(deps, targetAlert(target, 'failure', detail));
      }
      return { target, mode, ...outcome, status, warnings: outcome.warnings ?? [] };
    } catch (error) {
      const message = describeError(error);
      await publishQuietly(deps, targetAlert(target, 'failure', `Updating ${target} failed: ${message}`));
      return {
        target,
        mode,
        status: 'failed',
        changes: 0,
        held: 0,
        overflow: [],
        warnings: [],
        error: message,
      };
    }
  };
  // The targets share nothing but the store: a DNS Firewall list that stays UPDATING must not hold back the
  // IP blocks. Each catches its own failure, so one never stops the others.
  const targets = await Promise.all(TARGET_NAMES.map(enforceTarget));
  await recordOverflow(active, targets, deps);
  const ended = new Set(endings.map((ending) => ending.decision.key));
  const drift = await repairedDrift(previous, targets, active, ended, store);
  if (drift.length > 0) await publishQuietly(deps, driftAlert(drift, at));
  // Buffered: the batch sends them at the end of the run, as one digest when there are many.
  for (const { decision, event, reason } of endings) {
    await publishQuietly(deps, lifecycleAlert(decision, event, reason, removalsOf(decision, targets)));
  }
  // Like publishQuietly: freeing repeat slots must not fail a run whose targets were written; a slot left
  // claimed only delays the next alert of that problem to the end of its interval.
  await alerting.cleared(healthySlots(targets)).catch(() => undefined);
  const alerts = await alerting.flush();
  const cutShort = deferred > 0 || targets.some((t) => t.status === 'partial');
  return {
    at,
    ended: endings.map(toReport),
    targets,
    deferred,
    cutShort,
    alerts,
    ...(drift.length > 0 && { drift }),
  };
}

/**
 * Ending expired blocks may take a third of the run's budget at most: the rest is for the targets, which
 * drop those blocks in this run whether or not they were marked ended yet.
 */
function endingsWithin(budget: Budget): { mayContinue(): boolean } {
  if (budget.deadline === undefined) return { mayContinue: () => true };
  const stopAt = (budget.left() * 2) / 3;
  return { mayContinue: () => budget.left() > stopAt };
}

/**
 * Whether `expiresAt` is at or before `now` (canonical ISO 8601): canonical times, what the store holds,
 * compare as text, without parsing one per active block per run.
 */
function isPast(expiresAt: string, now: string): boolean {
  if (isCanonicalInstant(expiresAt) && isCanonicalInstant(now)) return expiresAt <= now;
  return Date.parse(expiresAt) <= Date.parse(now);
}

/** An active key parsed, and what the guard rails of one policy said of it. */
interface Checked {
  readonly indicator: Indicator;
  readonly policy?: Dependencies['policy'];
  readonly protection?: Protection | null;
}

/**
 * The keys of the last run, parsed and checked: a warm function parses only the keys that are new since, and
 * checks them again only against a new policy. Never more than one run's active keys.
 */
let lastChecked = new Map<string, Checked>();

/** {@link end} for an active block listed in projection: reads the whole record first (rare: a lift). */
async function endActive(
  block: ActiveBlock,
  event: Ending['event'],
  reason: string,
  deps: Dependencies,
): Promise<Ending | undefined> {
  const decision = await deps.store.get(block.key);
  // Changed since it was listed: the next run sees its result.
  if (decision?.version !== block.version) return undefined;
  return end(decision, event, reason, deps);
}

/** Marks a decision ended in the store and the audit trail; undefined when another writer got there first. */
async function end(
  decision: Decision,
  event: Ending['event'],
  reason: string,
  deps: Dependencies,
): Promise<Ending | undefined> {
  const at = deps.clock.now().toISOString();
  const next: Decision = {
    ...decision,
    status: event,
    reason,
    updatedAt: at,
    overflow: [],
    version: decision.version + 1,
  };
  try {
    await deps.store.put(next, decision.version);
  } catch (error) {
    // Another writer changed the record (an extension, an unblock): the next run sees its result.
    if (error instanceof ConcurrentUpdateError) return undefined;
    throw error;
  }
  await deps.store.appendAudit([
    { key: decision.key, at, event, actor: 'egress-warden', reason, expiresAt: decision.expiresAt },
  ]);
  return { decision, event, reason };
}

/** The repeat slots of the problems this run did not have: a failure there next time alerts at once. */
function healthySlots(targets: readonly TargetReport[]): string[] {
  return targets.flatMap(({ target, status, overflow, failures }) => [
    ...(status === 'failed' || (failures?.length ?? 0) > 0 ? [] : [repeatSlot(target, 'failure')]),
    ...(status === 'failed' || overflow.length > 0 ? [] : [repeatSlot(target, 'overflow')]),
  ]);
}

/** What became of an ended block on each of its targets in this run. */
function removalsOf(decision: Decision, targets: readonly TargetReport[]): Removal[] {
  return decision.targets.map((target) => {
    const report = targets.find((t) => t.target === target);
    if (!report || report.status === 'failed') return { target, removed: false, note: report?.error };
    if (report.status === 'partial') {
      return {
        target,
        removed: false,
        unconfirmed: true,
        note: 'the run ran out of time; the next one goes on',
      };
    }
    // Written in part: where it failed, the entry may still be there.
    if (report.failures)
      return { target, removed: false, unconfirmed: true, note: report.failures.join('; ') };
    if (report.status === 'off' && report.mode !== 'off') {
      return { target, removed: false, note: 'not deployed' };
    }
    return { target, removed: true };
  });
}

function toReport({ decision, reason }: Ending): DecisionReport {
  return {
    indicator: decision.key,
    outcome: 'unblocked',
    reason,
    source: decision.source,
    expiresAt: decision.expiresAt,
    targets: decision.targets,
  };
}
