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
import { lifecycleAlert, type Removal, targetAlert } from '#domain/alert';
import type { BlockEntry } from '#domain/block';
import type { ActiveBlock, Decision } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import { type Protection, protectionOf } from '#domain/guard-rails';
import { type Indicator, parseIndicator } from '#domain/indicator';
import { isCanonicalInstant } from '#domain/reconcile/block-priority';
import { TARGET_NAMES, type TargetName } from '#domain/target';
import type { DecisionReport } from '../decide-signal';
import type { Dependencies } from '../dependencies';
import { enforceDnsFirewall } from './dns-firewall';
import { enforceNetworkAcls } from './network-acls';
import { enforceNetworkFirewall } from './network-firewall';
import {
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
}

type Enforcer = (desired: readonly BlockEntry[], options: EnforceOptions) => Promise<TargetOutcome>;

interface Ending {
  readonly decision: Decision;
  readonly event: 'expired' | 'lifted';
  readonly reason: string;
}

/** Runs one reconcile pass. A failing target is reported and never stops the others. */
export async function reconcile(deps: Dependencies): Promise<ReconcileReport> {
  const { store, policy, clock } = deps;
  const now = clock.now();
  const at = now.toISOString();
  const endings: Ending[] = [];

  for (const decision of await store.listDueBefore(at)) {
    const ending = await end(decision, 'expired', `expired at ${decision.expiresAt}`, deps);
    if (ending) endings.push(ending);
  }
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
  const targets: TargetReport[] = [];
  for (const target of TARGET_NAMES) {
    const mode = policy.targets[target].mode;
    const enforce = enforcers[target];
    if (!enforce) {
      targets.push({ target, mode, status: 'off', changes: 0, held: 0, overflow: [], warnings: [] });
      continue;
    }
    try {
      // Off: nothing is wanted there any more, so every entry of ours is removed.
      const outcome =
        mode === 'off'
          ? await enforce([], { hold: false })
          : await enforce(desiredFor(target), { hold: mode === 'alert' });
      const status = mode === 'off' && outcome.status === 'unchanged' ? 'off' : outcome.status;
      targets.push({ target, mode, ...outcome, status, warnings: outcome.warnings ?? [] });
    } catch (error) {
      const message = describeError(error);
      targets.push({
        target,
        mode,
        status: 'failed',
        changes: 0,
        held: 0,
        overflow: [],
        warnings: [],
        error: message,
      });
      await publishQuietly(deps, targetAlert(target, 'failure', `Updating ${target} failed: ${message}`));
    }
  }
  await recordOverflow(active, targets, deps);
  for (const { decision, event, reason } of endings) {
    await publishQuietly(deps, lifecycleAlert(decision, event, reason, removalsOf(decision, targets)));
  }
  return { at, ended: endings.map(toReport), targets };
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

/** What became of an ended block on each of its targets in this run. */
function removalsOf(decision: Decision, targets: readonly TargetReport[]): Removal[] {
  return decision.targets.map((target) => {
    const report = targets.find((t) => t.target === target);
    if (!report || report.status === 'failed') return { target, removed: false, note: report?.error };
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
