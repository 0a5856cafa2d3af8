import type { Policy } from '#domain/policy';
import type { AlertSink } from '#ports/alerts';
import type { Clock } from '#ports/clock';
import type { DecisionStore } from '#ports/decision-store';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';
import type { NetworkAcls } from '#ports/network-acls';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';
import type { AlertSettings } from './alerting';

/**
 * Everything a use case needs, built once by the caller (a Lambda handler, the CLI, the simulation) from
 * AWS or in-memory adapters. A target that is not deployed is left out.
 */
export interface Dependencies {
  readonly policy: Policy;
  readonly store: DecisionStore;
  readonly alerts: AlertSink;
  readonly clock: Clock;
  /** How alerts are grouped, repeated and which bus they name; the defaults when left out. */
  readonly alerting?: AlertSettings;
  readonly dnsFirewall?: DnsFirewallDomainList;
  readonly networkAcls?: NetworkAcls;
  readonly networkFirewall?: NetworkFirewallRuleGroup;
}
