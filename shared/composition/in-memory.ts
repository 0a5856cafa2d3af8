/**
 * The in-memory composition root: Egress Warden wired on adapters that honour AWS's limits and errors, with a
 * clock that moves only when told to. The simulation, the tests and the benchmarks all start here.
 */
import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import { ManualClock } from '#adapters/in-memory/clock';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { InMemoryDnsFirewall } from '#adapters/in-memory/dns-firewall';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import { InMemoryNetworkFirewall } from '#adapters/in-memory/network-firewall';
import type { Policy } from '#domain/policy';
import type { NetworkAclEntry } from '#domain/target';
import type { Dependencies } from '#shared/use-cases/dependencies';

/** What a VPC's ACL usually holds besides the default rules: allow all egress, after the reserved range. */
export const USUAL_EGRESS: readonly NetworkAclEntry[] = [
  { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' },
  { ruleNumber: 101, cidr: '::/0', action: 'allow', protocol: '-1' },
];

/** What the in-memory targets start from. */
export interface InMemoryWardenOptions {
  readonly policy: Policy;
  readonly now: Date;
  /** The ACLs, each with its VPC and its egress entries besides the default rules ({@link USUAL_EGRESS} if left out). */
  readonly acls: readonly { aclId: string; vpcId: string; egress?: readonly NetworkAclEntry[] }[];
  readonly networkFirewallCapacity: number;
}

/** Egress Warden on in-memory adapters, with each adapter at hand for inspection. */
export interface InMemoryWarden {
  /** Replaceable: a test switches policy as a redeploy with a new configuration does. */
  deps: Dependencies;
  readonly clock: ManualClock;
  readonly store: InMemoryDecisionStore;
  readonly alerts: InMemoryAlerts;
  readonly dnsFirewall: InMemoryDnsFirewall;
  readonly networkAcls: InMemoryNetworkAcls;
  readonly networkFirewall: InMemoryNetworkFirewall;
}

/** A fresh Egress Warden on empty in-memory targets sized by the policy. */
export function createInMemoryWarden(options: InMemoryWardenOptions): InMemoryWarden {
  const { policy } = options;
  const clock = new ManualClock(options.now);
  const store = new InMemoryDecisionStore();
  const alerts = new InMemoryAlerts();
  const dnsFirewall = new InMemoryDnsFirewall({ maxDomains: policy.targets.dnsFirewall.maxDomains });
  const networkAcls = new InMemoryNetworkAcls(
    options.acls.map(({ aclId, vpcId, egress }) => ({ aclId, vpcId, egress: egress ?? USUAL_EGRESS })),
    { maxEntriesPerFamily: policy.targets.networkAcls.maxEntriesPerFamily },
  );
  const networkFirewall = new InMemoryNetworkFirewall({ capacity: options.networkFirewallCapacity });
  return {
    deps: { policy, store, alerts, clock, dnsFirewall, networkAcls, networkFirewall },
    clock,
    store,
    alerts,
    dnsFirewall,
    networkAcls,
    networkFirewall,
  };
}
