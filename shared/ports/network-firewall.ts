import type { RuleGroupSnapshot } from '#domain/target';

/** One stateful AWS Network Firewall rule group (Suricata rules string) that Egress Warden writes. */
export interface NetworkFirewallRuleGroup {
  /**
   * The rules string, its update token and the fixed capacity. Throws TargetNotFoundError, ThrottledError,
   * InvalidInputError (the group is not a STATEFUL rules-string group).
   */
  describe(): Promise<RuleGroupSnapshot>;
  /**
   * Replaces the whole rules string; returns the new update token. Throws ConcurrentUpdateError
   * (`InvalidTokenException`: the token is stale, re-describe), TargetCapacityError (over capacity or over a
   * size limit), InvalidInputError (a rule the service rejects), TargetNotFoundError, ThrottledError,
   * ServiceUnavailableError (the service itself is out of capacity: try later).
   */
  update(rules: string, updateToken: string): Promise<string>;
}
