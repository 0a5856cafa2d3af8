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
  const listed = await port.listDomains();
  const { maxDomains } = deps.policy.targets.dnsFirewall;
  const plan = planDnsFirewall(desired, listed, { maxDomains });
  const overflow = plan.overflow.map((entry) => entry.indicator.value);
  const adds = hold ? [] : plan.add;
  const held = plan.add.length - adds.length;
  const added: string[] = [];
  const removed: string[] = [];
  const finish = (changes: number, owners: readonly string[]): TargetOutcome => ({
    status: statusOf(changes, held),
    changes,
    held,
    overflow: [...owners],
    warnings,
    usage: [{ what: 'domains', used: listed.length - removed.length + added.length, limit: maxDomains }],
    ...(added.length > 0 && { added: namesOf(added) }),
    ...(removed.length > 0 && { removed: namesOf(removed) }),
  });
  // Removals first: they only ever unblock, and they free room under the account's domain quota.
  for (const chunk of plan.remove) {
    await port.updateDomains('REMOVE', chunk);
    removed.push(...chunk);
  }
  let changes = plan.remove.length;
  for (const [index, chunk] of adds.entries()) {
    try {
      await port.updateDomains('ADD', chunk);
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
      return finish(changes, [...owners]);
    }
  }
  return finish(changes, overflow);
}

/**
 * The domains behind list entries: `evil.com` for the pair `*.evil.com` and `evil.com` written for it, a
 * wildcard entry on its own only when its apex is not there too. Trailing dots dropped.
 */
function namesOf(entries: readonly string[]): string[] {
  const names = new Set(entries.map((name) => name.toLowerCase().replace(/\.$/, '')));
  return [...names].filter((name) => !(name.startsWith('*.') && names.has(name.slice(2)))).sort();
}
