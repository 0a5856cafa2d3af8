/**
 * Use case: enforce. Ends blocks that expired, lifts blocks that are now protected or allowlisted, then
 * converges every target to the projection of the active decisions. The only code that writes to a target;
 * running it twice changes nothing the second time.
 */
import { type Alert, lifecycleAlert, targetAlert } from '#domain/alert';
import type { BlockEntry } from '#domain/block';
import type { Decision } from '#domain/decision';
import { ConcurrentUpdateError, TargetCapacityError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { protectionOf } from '#domain/policy';
import { planDnsFirewall, toDnsFirewallEntries } from '#domain/reconcile/dns-firewall-plan';
import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import { planNetworkFirewall } from '#domain/reconcile/network-firewall-plan';
import { TARGET_NAMES, type TargetMode, type TargetName } from '#domain/target';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';
import type { NetworkAcls } from '#ports/network-acls';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';
import type { DecisionReport } from './decide-signal';
import type { Dependencies } from './dependencies';

/** How one target fared. */
export interface TargetReport {
  readonly target: TargetName;
  readonly mode: TargetMode;
  /**
   * `applied`: changes written; `unchanged`: already converged; `held`: changes computed but not written
   * (alert mode or breaker open); `failed`: see `error`; `off`: not deployed or switched off.
   */
  readonly status: 'applied' | 'unchanged' | 'held' | 'failed' | 'off';
  /** Write calls made, or that would be made when held. */
  readonly changes: number;
  /** Indicators that did not fit. */
  readonly overflow: readonly string[];
  readonly error?: string;
}

export interface ReconcileReport {
  readonly at: string;
  /** Blocks that ended in this run (expired, or lifted because they are now protected). */
  readonly ended: readonly DecisionReport[];
  readonly targets: readonly TargetReport[];
}

/** A target re-plans after a concurrent writer at most this many times per run. */
const MAX_ATTEMPTS = 3;

interface Outcome {
  readonly status: TargetReport['status'];
  readonly changes: number;
  readonly overflow: readonly string[];
}

/** Runs one reconcile pass. A failing target is reported and never stops the others. */
export async function reconcile(deps: Dependencies): Promise<ReconcileReport> {
  const { store, policy, clock } = deps;
  const now = clock.now();
  const at = now.toISOString();
  const ended: DecisionReport[] = [];

  for (const decision of await store.listDueBefore(at)) {
    const report = await end(decision, 'expired', `expired at ${decision.expiresAt}`, deps);
    if (report) ended.push(report);
  }
  const active: Decision[] = [];
  for (const stored of await store.listActive()) {
    if (stored.expiresAt !== null && Date.parse(stored.expiresAt) <= now.getTime()) continue;
    // The store is trusted, but not blindly: a record that does not hold a valid indicator (written by hand,
    // or by an older version) is lifted and reported rather than failing a whole target.
    let decision: Decision;
    try {
      decision = { ...stored, indicator: parseIndicator(stored.key) };
    } catch (error) {
      const report = await end(
        stored,
        'lifted',
        `lifted: the stored indicator is invalid (${(error as Error).message})`,
        deps,
      );
      if (report) ended.push(report);
      continue;
    }
    const protection = protectionOf(decision.indicator, policy);
    if (!protection) {
      active.push(decision);
      continue;
    }
    const report = await end(decision, 'lifted', `lifted: ${protection.detail}`, deps);
    if (report) ended.push(report);
  }

  const breaker = await store.getBreaker();
  const desiredFor = (target: TargetName): BlockEntry[] =>
    active
      .filter((d) => d.targets.includes(target))
      .map((d) => ({
        indicator: d.indicator,
        severity: d.severity,
        since: d.createdAt,
        expiresAt: d.expiresAt,
      }));

  const { dnsFirewall, networkAcls, networkFirewall } = deps;
  const runners: Partial<Record<TargetName, (write: boolean) => Promise<Outcome>>> = {
    ...(dnsFirewall && {
      dnsFirewall: (write: boolean) =>
        enforceDnsFirewall(dnsFirewall, deps, desiredFor('dnsFirewall'), write),
    }),
    ...(networkAcls && {
      networkAcls: (write: boolean) =>
        enforceNetworkAcls(networkAcls, deps, desiredFor('networkAcls'), write),
    }),
    ...(networkFirewall && {
      networkFirewall: (write: boolean) =>
        enforceNetworkFirewall(networkFirewall, desiredFor('networkFirewall'), write),
    }),
  };
  const targets: TargetReport[] = [];
  for (const target of TARGET_NAMES) {
    const mode = policy.targets[target].mode;
    const run = runners[target];
    if (mode === 'off' || !run) {
      targets.push({ target, mode, status: 'off', changes: 0, overflow: [] });
      continue;
    }
    try {
      targets.push({ target, mode, ...(await run(mode === 'enforce' && !breaker.open)) });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      targets.push({ target, mode, status: 'failed', changes: 0, overflow: [], error: message });
      await publishQuietly(deps, targetAlert(target, 'failure', `Updating ${target} failed: ${message}`));
    }
  }
  await recordOverflow(active, targets, deps);
  return { at, ended, targets };
}

async function end(
  decision: Decision,
  event: 'expired' | 'lifted',
  reason: string,
  deps: Dependencies,
): Promise<DecisionReport | undefined> {
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
  await publishQuietly(deps, lifecycleAlert(decision, event, reason));
  return {
    indicator: decision.key,
    outcome: 'unblocked',
    reason,
    source: decision.source,
    expiresAt: decision.expiresAt,
    targets: decision.targets,
  };
}

async function enforceDnsFirewall(
  port: DnsFirewallDomainList,
  deps: Dependencies,
  desired: BlockEntry[],
  write: boolean,
): Promise<Outcome> {
  const plan = planDnsFirewall(desired, await port.listDomains(), {
    maxDomains: deps.policy.targets.dnsFirewall.maxDomains,
  });
  const overflow = plan.overflow.map((entry) => entry.indicator.value);
  const calls = plan.add.length + plan.remove.length;
  if (calls === 0) return { status: 'unchanged', changes: 0, overflow };
  if (!write) return { status: 'held', changes: calls, overflow };
  // Removals first: they only ever unblock, and they free room under the account's domain quota.
  for (const chunk of plan.remove) await port.updateDomains('REMOVE', chunk);
  const owners = new Map<string, string>();
  for (const entry of desired) {
    if (entry.indicator.kind === 'domain') {
      for (const name of toDnsFirewallEntries(entry.indicator)) owners.set(name, entry.indicator.value);
    }
  }
  let changes = plan.remove.length;
  for (const [index, chunk] of plan.add.entries()) {
    try {
      await port.updateDomains('ADD', chunk);
      changes++;
    } catch (error) {
      if (!(error instanceof TargetCapacityError)) throw error;
      // The account's quota is shared with other lists: what does not fit is overflow, not a crash.
      const rest = plan.add.slice(index).flat();
      const lost = new Set(rest.map((name) => owners.get(name) ?? name));
      return { status: changes > 0 ? 'applied' : 'unchanged', changes, overflow: [...overflow, ...lost] };
    }
  }
  return { status: 'applied', changes, overflow };
}

async function enforceNetworkAcls(
  port: NetworkAcls,
  deps: Dependencies,
  desired: BlockEntry[],
  write: boolean,
): Promise<Outcome> {
  const options = deps.policy.targets.networkAcls;
  const overflow = new Set<string>();
  let changes = 0;
  let planned = 0;
  for (const initial of await port.list()) {
    let acl = initial;
    for (let attempt = 1; ; attempt++) {
      const plan = planNetworkAcl(acl, desired, options);
      for (const entry of plan.overflow) overflow.add(entry.indicator.value);
      planned += plan.steps.length;
      if (!write) break;
      try {
        for (const step of plan.steps) {
          if (step.op === 'create') await port.createEgressDeny(acl.aclId, step.ruleNumber, step.cidr);
          else await port.deleteEgressEntry(acl.aclId, step.ruleNumber);
          changes++;
        }
        break;
      } catch (error) {
        // A rule number taken by someone else: re-read this ACL and plan again.
        if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
        const fresh = (await port.list()).find((a) => a.aclId === acl.aclId);
        if (!fresh) throw error;
        acl = fresh;
      }
    }
  }
  if (planned === 0) return { status: 'unchanged', changes: 0, overflow: [...overflow] };
  return write
    ? { status: 'applied', changes, overflow: [...overflow] }
    : { status: 'held', changes: planned, overflow: [...overflow] };
}

async function enforceNetworkFirewall(
  port: NetworkFirewallRuleGroup,
  desired: BlockEntry[],
  write: boolean,
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const snapshot = await port.describe();
    const plan = planNetworkFirewall(desired, snapshot, {});
    const overflow = plan.overflow.map((entry) => entry.indicator.value);
    if (plan.rules === null) return { status: 'unchanged', changes: 0, overflow };
    if (!write) return { status: 'held', changes: 1, overflow };
    try {
      await port.update(plan.rules, snapshot.updateToken);
      return { status: 'applied', changes: 1, overflow };
    } catch (error) {
      // Someone else wrote the group since we read it: never overwrite blindly, re-read and re-plan.
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * Records on each active decision where it did not fit, and alerts once when that changes. Linear in the
 * active decisions and the overflow: each target's overflow is looked up in a set, never scanned.
 */
async function recordOverflow(
  active: readonly Decision[],
  targets: readonly TargetReport[],
  deps: Dependencies,
): Promise<void> {
  const overflowOf = new Map(targets.map((t) => [t.target, new Set(t.overflow)]));
  const newly = new Map<TargetName, string[]>();
  for (const decision of active) {
    const before = decision.overflow ?? [];
    // A target that failed says nothing about what fits: keep what was recorded, or the next run re-alerts.
    const overflow = targets
      .filter((t) =>
        t.status === 'failed' ? before.includes(t.target) : overflowOf.get(t.target)?.has(decision.key),
      )
      .map((t) => t.target);
    if (overflow.length === before.length && overflow.every((t) => before.includes(t))) continue;
    try {
      await deps.store.put({ ...decision, overflow, version: decision.version + 1 }, decision.version);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) continue;
      throw error;
    }
    for (const target of overflow.filter((t) => !before.includes(t))) {
      const lines = newly.get(target) ?? [];
      lines.push(`${decision.key} (severity ${decision.severity})`);
      newly.set(target, lines);
    }
  }
  for (const [target, lines] of newly) {
    const detail = `${lines.length} active block(s) did not fit in ${target}.`;
    await publishQuietly(deps, targetAlert(target, 'overflow', detail, lines));
  }
}

/** Alerts about the enforcer's own work must not undo that work when the topic is unavailable. */
async function publishQuietly(deps: Dependencies, alert: Alert): Promise<void> {
  try {
    await deps.alerts.publish(alert);
  } catch {
    // Reported by the next run's failure alert or the logs; the target state is what matters.
  }
}
