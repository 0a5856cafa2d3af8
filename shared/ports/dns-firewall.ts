/**
 * What a domain list says about itself (Route 53 Resolver's `Status` and `StatusMessage`). `COMPLETE` and
 * `COMPLETE_IMPORT_FAILED` (an import into the list failed; it is at rest and takes writes) are worth an
 * alert only in the second case, with `message`; `UPDATING`, `IMPORTING` and `DELETING` are passing states.
 */
export interface DnsFirewallListStatus {
  readonly status: string;
  readonly message?: string;
}

/** How long a write may take: no wait for the list (nor retry) goes past it. */
export interface DnsFirewallWriteOptions {
  /**
   * Milliseconds the call may take from its start, read on the adapter's own clock (so no two clocks need
   * to agree); none, no limit.
   */
  readonly withinMs?: number | undefined;
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
   * the list can take the next write, or, given `withinMs`, when that time is up once the write is made (the list
   * may then still be `UPDATING`). Idempotent: adding a present domain or removing an absent one changes
   * nothing. Throws InvalidInputError (more than 1,000 domains, an invalid name), TargetCapacityError
   * (`LimitExceededException`: the account's domain quota), TargetNotFoundError, ThrottledError, and
   * DeadlineReachedError when the time is up before the write could be made (nothing was written).
   */
  updateDomains(
    operation: 'ADD' | 'REMOVE',
    domains: readonly string[],
    options?: DnsFirewallWriteOptions,
  ): Promise<void>;
  /** The list's state now, read once; changes nothing. Throws TargetNotFoundError, ThrottledError. */
  status(): Promise<DnsFirewallListStatus>;
}
