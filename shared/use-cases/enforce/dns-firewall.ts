/** Converges the DNS Firewall domain list to the active domain blocks. */
import type { BlockEntry } from '#domain/block';
import { TargetCapacityError } from '#domain/errors';
import { planDnsFirewall, toDnsFirewallEntries } from '#domain/reconcile/dns-firewall-plan';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';
import type { Dependencies } from '../dependencies';
import { type EnforceOptions, statusOf, type TargetOutcome } from './outcome';

/**
 * Removes what is no longer wanted, then adds what is missing, in chunks of at most 1,000 names. Held (alert
 * mode), it still removes but adds nothing. When the account's domain quota refuses a chunk, that chunk and
 * the rest are overflow, not a failure: the chunks come best block first, so what is left out is the least
 * important.
 */
export async function enforceDnsFirewall(
  port: DnsFirewallDomainList,
  deps: Pick<Dependencies, 'policy'>,
  desired: readonly BlockEntry[],
  { hold }: EnforceOptions,
): Promise<TargetOutcome> {
  const { status, message } = await port.status();
  // A failed ImportFirewallDomains leaves the list writable; the operator should still hear of it.
  const warnings =
    status === 'COMPLETE_IMPORT_FAILED'
      ? [`the domain list's last import failed (${message ?? 'no message'}); it is still written to`]
      : [];
  const plan = planDnsFirewall(desired, await port.listDomains(), {
    maxDomains: deps.policy.targets.dnsFirewall.maxDomains,
  });
  const overflow = plan.overflow.map((entry) => entry.indicator.value);
  const adds = hold ? [] : plan.add;
  const held = plan.add.length - adds.length;
  // Removals first: they only ever unblock, and they free room under the account's domain quota.
  for (const chunk of plan.remove) await port.updateDomains('REMOVE', chunk);
  let changes = plan.remove.length;
  for (const [index, chunk] of adds.entries()) {
    try {
      await port.updateDomains('ADD', chunk);
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
      return { status: statusOf(changes, held), changes, held, overflow: [...owners], warnings };
    }
  }
  return { status: statusOf(changes, held), changes, held, overflow, warnings };
}
