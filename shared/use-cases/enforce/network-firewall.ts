/** Converges Egress Warden's rules in the Network Firewall rule group to the active blocks. */
import type { BlockEntry } from '#domain/block';
import { ConcurrentUpdateError } from '#domain/errors';
import {
  type BlockedSets,
  blockedByRules,
  blockedSetsByRules,
  blockedSetsOfPlan,
  changedBlocks,
  planNetworkFirewall,
} from '#domain/reconcile/network-firewall-plan';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '#domain/target';
import type { UsageMeter } from '#ports/decision-store';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';
import { type EnforceOptions, MAX_ATTEMPTS, mayStartWrite, statusOf, type TargetOutcome } from './outcome';

/**
 * Rewrites the group when our rules differ from the desired ones, re-reading and re-planning on a stale
 * update token. Held (alert mode), the new rules keep only the blocks the group already enforces, so removals
 * still reach it and nothing new is blocked. The group is replaced whole or not at all: when the time budget
 * leaves no room for the update, nothing is written and the target is `partial`, for the next run to write.
 */
export async function enforceNetworkFirewall(
  port: NetworkFirewallRuleGroup,
  desired: readonly BlockEntry[],
  { hold, budget }: EnforceOptions,
): Promise<TargetOutcome> {
  for (let attempt = 1; ; attempt++) {
    const snapshot = await port.describe();
    let plan = planNetworkFirewall(desired, snapshot, {});
    // The blocks and the plan whose rules are written: what the group blocks after the update.
    let written = { desired, plan };
    let held = 0;
    if (hold && plan.rules !== null) {
      const enforced = blockedByRules(snapshot.rules);
      const present = new Set([...enforced.ips, ...enforced.domains]);
      const kept = desired.filter((block) => present.has(block.indicator.value));
      const narrowed = planNetworkFirewall(kept, snapshot, {});
      if (narrowed.rules !== plan.rules) held = 1;
      written = { desired: kept, plan: narrowed };
      plan = { ...narrowed, overflow: plan.overflow };
    }
    const overflow = plan.overflow.map((entry) => entry.indicator.value);
    const usage = usageOf(snapshot, plan.ruleCount, plan.rules ?? snapshot.rules);
    if (plan.rules === null) return { status: statusOf(0, held), changes: 0, held, overflow, usage };
    if (!mayStartWrite(budget)) return { status: 'partial', changes: 0, held, overflow, usage, left: 1 };
    try {
      await port.update(plan.rules, snapshot.updateToken);
      return {
        status: statusOf(1, held),
        changes: 1,
        held,
        overflow,
        usage,
        ...changed(snapshot.rules, plan.rules, blockedSetsOfPlan(written.desired, written.plan)),
      };
    } catch (error) {
      // Someone else wrote the group since we read it: never overwrite blindly, re-read and re-plan.
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** The group's room after the run: stateful rules against its capacity, and the rules string against 2 MB. */
function usageOf(snapshot: RuleGroupSnapshot, ruleCount: number, rules: string): UsageMeter[] {
  return [
    {
      what: 'rule capacity',
      used: ruleCount,
      limit: Math.min(snapshot.capacity, NETWORK_FIREWALL_LIMITS.maxCapacity),
    },
    {
      what: 'rules bytes',
      used: Buffer.byteLength(rules, 'utf8'),
      limit: NETWORK_FIREWALL_LIMITS.maxRulesBytes,
    },
  ];
}

/**
 * The rules this process last wrote and what they block. A warm function's next run reads that same group
 * back (unless someone else wrote it since, which the text comparison tells), so it need not parse them; what
 * the new rules block comes from their plan, so a write parses no rules at all.
 */
let lastWritten: { readonly rules: string; readonly blocked: BlockedSets } | undefined;

/**
 * The IPs and domains our rules block after the update (`after`, which blocks `now`) and not before
 * (`added`), and the reverse.
 */
function changed(before: string, after: string, now: BlockedSets): { added?: string[]; removed?: string[] } {
  const was = lastWritten?.rules === before ? lastWritten.blocked : blockedSetsByRules(before);
  lastWritten = { rules: after, blocked: now };
  const { added, removed } = changedBlocks(was, now);
  return { ...(added.length > 0 && { added }), ...(removed.length > 0 && { removed }) };
}
