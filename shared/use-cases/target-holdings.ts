/**
 * Use case: what each target holds now that blocks one indicator, for `explain`. The DNS Firewall domain list and
 * the Network Firewall rule group are read live; for network ACLs the ledger of the entries Egress Warden wrote
 * is read instead of every ACL (EC2 entries carry no owner, and the ledger is what reconcile trusts too).
 */
import { cidrContains } from '#domain/cidr';
import { type Indicator, isNetwork, isSubdomainOrSame } from '#domain/indicator';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import type { TargetName } from '#domain/target';
import type { DecisionStore } from '#ports/decision-store';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';
import { describeError } from './enforce/outcome';

/** What one target holds for an indicator. */
export interface TargetHolding {
  readonly target: TargetName;
  /** The entries that block the indicator: its own, or a wider one that covers it (a parent domain, a CIDR). */
  readonly entries: readonly string[];
  /** Where the entries were read: the target itself, or Egress Warden's ledger of what it wrote there. */
  readonly readFrom: 'target' | 'ledger';
  /** Why the target could not be read; `entries` is then empty. */
  readonly error?: string;
}

/** The targets to read; one that is not deployed is left out. */
export interface HoldingSources {
  readonly store: Pick<DecisionStore, 'getNetworkAclLedger'>;
  readonly dnsFirewall?: Pick<DnsFirewallDomainList, 'listDomains'>;
  readonly networkFirewall?: Pick<NetworkFirewallRuleGroup, 'describe'>;
  /** Whether network ACLs are a deployed target. */
  readonly networkAcls: boolean;
}

/**
 * Reads every deployed target once, concurrently, and lists what blocks `indicator` there. A target that
 * cannot be read is reported with its error; it never hides the others.
 */
export async function targetHoldings(
  indicator: Indicator,
  sources: HoldingSources,
): Promise<TargetHolding[]> {
  const reads: Promise<TargetHolding>[] = [];
  const { dnsFirewall, networkFirewall } = sources;
  if (dnsFirewall) {
    reads.push(
      read('dnsFirewall', 'target', async () => {
        if (isNetwork(indicator)) return [];
        return (await dnsFirewall.listDomains()).filter((entry) => listEntryCovers(entry, indicator.value));
      }),
    );
  }
  if (sources.networkAcls) {
    reads.push(
      read('networkAcls', 'ledger', async () => {
        if (!isNetwork(indicator)) return [];
        const ledger = await sources.store.getNetworkAclLedger();
        return ledger.acls.flatMap(({ aclId, entries }) =>
          entries
            .filter((entry) => cidrContains(entry.cidr, indicator.value))
            .map((entry) => `${aclId} rule ${entry.ruleNumber} deny ${entry.cidr}`),
        );
      }),
    );
  }
  if (networkFirewall) {
    reads.push(
      read('networkFirewall', 'target', async () => {
        const blocked = blockedByRules((await networkFirewall.describe()).rules);
        return isNetwork(indicator)
          ? blocked.ips.filter((cidr) => cidrContains(cidr, indicator.value))
          : blocked.domains.filter((domain) => ruleDomainCovers(domain, indicator.value));
      }),
    );
  }
  return Promise.all(reads);
}

async function read(
  target: TargetName,
  readFrom: TargetHolding['readFrom'],
  entries: () => Promise<string[]>,
): Promise<TargetHolding> {
  try {
    return { target, readFrom, entries: await entries() };
  } catch (error) {
    return { target, readFrom, entries: [], error: describeError(error) };
  }
}

/**
 * True when a domain list entry blocks `name` or part of it. DNS Firewall matches a plain entry exactly and a
 * `*.` entry on every subdomain; a `*.` entry is also shown for its apex, which reconcile writes alongside it.
 */
function listEntryCovers(entry: string, name: string): boolean {
  if (entry.startsWith('*.')) return isSubdomainOrSame(name, entry.slice(2));
  return entry === name;
}

/**
 * True when a rule group's domain blocks `name` or part of it. A plain name in a rule matches the name and its
 * subdomains (`(?:^|\.)`), a `*.` one its subdomains only.
 */
function ruleDomainCovers(domain: string, name: string): boolean {
  return isSubdomainOrSame(name, domain.startsWith('*.') ? domain.slice(2) : domain);
}
