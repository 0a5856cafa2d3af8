/** Converges the DNS Firewall domain list to the active domain blocks. */
import type { BlockEntry } from '#domain/block';
import { DeadlineReachedError, TargetCapacityError } from '#domain/errors';
import { planDnsFirewall, toDnsFirewallEntries } from '#domain/reconcile/dns-firewall-plan';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';
import type { Dependencies } from '../dependencies';
import { type Budget, type EnforceOptions, mayStartWrite, statusOf, type TargetOutcome } from './outcome';

/**
 * Removes what is no longer wanted, then adds what is missing, in chunks of at most 1,000 names. Held (alert
 * mode), it still removes but adds nothing. When the account's domain quota refuses a chunk, that chunk and
 * the rest are overflow, not a failure: the chunks come best block first, so what is left out is the least
 * important.
 *
 * Within a time budget, a chunk is written only when the budget leaves room for it, and the adapter's wait
 * for a list that stays `UPDATING` ends at the deadline: the run then stops between two chunks, `partial`.
 * Every chunk is whole, removals only ever touch names no block wants, and the next run plans again from
 * what the list holds, so nothing enforced is taken away and nothing is lost.
 */
export async function enforceDnsFirewall(
  port: DnsFirewallDomainList,
  deps: Pick<Dependencies, 'policy'>,
  desired: readonly BlockEntry[],
  { hold, budget }: EnforceOptions,
): Promise<TargetOutcome> {
  const { status, message } = await port.status();
  // A failed ImportFirewallDomains leaves the list writable; the operator should still hear of it.
  const warnings =
    status === 'COMPLETE_IMPORT_FAILED'
      ? [`the domain list's last import failed (${message ?? 'no message'}); it is still written to`]
      : [];
  const listed = await port.listDomains();
  const { maxDomains } = deps.policy.targets.dnsFirewall;
  const plan = planDnsFirewall(desired, listed, { maxDomains });
  const overflow = plan.overflow.map((entry) => entry.indicator.value);
  const adds = hold ? [] : plan.add;
  const held = plan.add.length - adds.length;
  let changes = 0;
  const added: string[] = [];
  const removed: string[] = [];
  const outcome = (owners: readonly string[]) => ({
    changes,
    held,
    overflow: [...owners],
    warnings,
    usage: [{ what: 'domains', used: listed.length - removed.length + added.length, limit: maxDomains }],
    ...(added.length > 0 && { added: namesOf(added) }),
    ...(removed.length > 0 && { removed: namesOf(removed) }),
  });
  const finish = (owners: readonly string[]): TargetOutcome => ({
    status: statusOf(changes, held),
    ...outcome(owners),
  });
  const cutShort = (left: number): TargetOutcome => ({ status: 'partial', ...outcome(overflow), left });
  // Removals first: they only ever unblock, and they free room under the account's domain quota.
  for (const [index, chunk] of plan.remove.entries()) {
    if (!(await writeWithin(budget, port, 'REMOVE', chunk))) {
      return cutShort(plan.remove.length - index + adds.length);
    }
    removed.push(...chunk);
    changes++;
  }
  for (const [index, chunk] of adds.entries()) {
    try {
      if (!(await writeWithin(budget, port, 'ADD', chunk))) return cutShort(adds.length - index);
      added.push(...chunk);
      changes++;
    } catch (error) {
      if (!(error instanceof TargetCapacityError)) throw error;
      // The account's quota is shared with other lists: what does not fit is overflow, not a crash.
      const lost = new Set(adds.slice(index).flat());
      const owners = new Set<string>(overflow);
      for (const entry of desired) {
        if (entry.indicator.kind !== 'domain') continue;
        if (toDnsFirewallEntries(entry.indicator).some((name) => lost.has(name))) {
          owners.add(entry.indicator.value);
        }
      }
      return finish([...owners]);
    }
  }
  return finish(overflow);
}

/**
 * The domains behind list entries: `evil.com` for the pair `*.evil.com` and `evil.com` written for it, a
 * wildcard entry on its own only when its apex is not there too. The entries come from the plan, which already
 * lowercased them and dropped trailing dots.
 */
function namesOf(entries: readonly string[]): string[] {
  const names = new Set(entries);
  return [...names].filter((name) => !(name.startsWith('*.') && names.has(name.slice(2)))).sort();
}

/** Writes one chunk unless the budget has run out; false when it did not start. */
async function writeWithin(
  budget: Budget | undefined,
  port: DnsFirewallDomainList,
  operation: 'ADD' | 'REMOVE',
  chunk: readonly string[],
): Promise<boolean> {
  if (!mayStartWrite(budget)) return false;
  try {
    const left = budget?.left();
    await port.updateDomains(
      operation,
      chunk,
      left === undefined || left === Infinity ? {} : { withinMs: left },
    );
    return true;
  } catch (error) {
    // The adapter gave up waiting for the list at the deadline, before writing anything.
    if (error instanceof DeadlineReachedError) return false;
    throw error;
  }
}
