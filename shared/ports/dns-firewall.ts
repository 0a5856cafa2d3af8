/**
 * One Route 53 Resolver DNS Firewall domain list, owned by Egress Warden (CDK creates it empty).
 * Domains are exchanged without the trailing dot the API returns; a `*.` prefix is a wildcard entry.
 */
export interface DnsFirewallDomainList {
  /** Every domain in the list, normalised (lowercase, no trailing dot), sorted. Throws TargetNotFoundError. */
  listDomains(): Promise<string[]>;
  /**
   * Adds or removes at most 1,000 domains (DNS_FIREWALL_MAX_DOMAINS_PER_CALL) in one write and returns when
   * the list can take the next write. Idempotent: adding a present domain or removing an absent one changes
   * nothing. Throws InvalidInputError (more than 1,000 domains, an invalid name), TargetCapacityError
   * (`LimitExceededException`: the account's domain quota), TargetNotFoundError, ThrottledError.
   */
  updateDomains(operation: 'ADD' | 'REMOVE', domains: readonly string[]): Promise<void>;
}
