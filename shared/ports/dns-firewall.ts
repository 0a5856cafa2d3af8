/**
 * What a domain list says about itself (Route 53 Resolver's `Status` and `StatusMessage`). `COMPLETE` and
 * `COMPLETE_IMPORT_FAILED` (an import into the list failed; it is at rest and takes writes) are worth an
 * alert only in the second case, with `message`; `UPDATING`, `IMPORTING` and `DELETING` are passing states.
 */
export interface DnsFirewallListStatus {
  readonly status: string;
  readonly message?: string;
}

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
  /** The list's state now, read once; changes nothing. Throws TargetNotFoundError, ThrottledError. */
  status(): Promise<DnsFirewallListStatus>;
}
