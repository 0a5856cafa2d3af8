import { InvalidInputError, TargetCapacityError } from '#domain/errors';
import { DNS_FIREWALL_MAX_DOMAINS_PER_CALL } from '#domain/target';
import type { DnsFirewallDomainList } from '#ports/dns-firewall';

/** The default quota of domain specifications across all domain lists of one account and region. */
export const DNS_FIREWALL_DEFAULT_MAX_DOMAINS = 100_000;

/** DNS Firewall takes up to 255 characters per domain specification. */
const MAX_DOMAIN_LENGTH = 255;

// DNS Firewall's documented grammar: an optional leading `*`, then labels of A-Z a-z 0-9 and `-` with `.`
// between them. `*` may stand alone (every name) or prefix `.label…`; an empty label is never accepted. One
// trailing dot is accepted because the API itself writes names that way.
const DOMAIN_GRAMMAR = /^(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?$/;

/**
 * Applies the rules DNS Firewall enforces on one UpdateFirewallDomains call and returns the names normalised
 * (lowercase, no trailing dot) without duplicates, in input order. Shared by the in-memory and the AWS
 * adapter so both refuse exactly the same input, and the AWS one before spending a request. Throws
 * InvalidInputError for more than 1,000 domains or a name outside the grammar (AWS: `ValidationException`).
 */
export function normaliseDomainBatch(domains: readonly string[]): string[] {
  if (domains.length > DNS_FIREWALL_MAX_DOMAINS_PER_CALL) {
    throw new InvalidInputError(
      `${domains.length} domains in one call; UpdateFirewallDomains takes at most ${DNS_FIREWALL_MAX_DOMAINS_PER_CALL} (ValidationException)`,
      'domains',
      { code: 'ValidationException' },
    );
  }
  const normalised = new Set<string>();
  for (const [index, domain] of domains.entries()) {
    if (domain.length < 1 || domain.length > MAX_DOMAIN_LENGTH || !DOMAIN_GRAMMAR.test(domain)) {
      throw new InvalidInputError(
        `${JSON.stringify(domain)} is not a DNS Firewall domain: 1-${MAX_DOMAIN_LENGTH} characters, an optional leading "*", then labels of A-Z a-z 0-9 "-" separated by "." (ValidationException)`,
        `domains[${index}]`,
        { code: 'ValidationException' },
      );
    }
    normalised.add(normaliseDomain(domain));
  }
  return [...normalised];
}

/** Lowercase, without the trailing dot the Resolver API adds. */
export function normaliseDomain(domain: string): string {
  return (domain.endsWith('.') ? domain.slice(0, -1) : domain).toLowerCase();
}

/** Options of {@link InMemoryDnsFirewall}. */
export interface InMemoryDnsFirewallOptions {
  /** Domains the account-region can still hold in total; defaults to the AWS quota of 100,000. */
  readonly maxDomains?: number;
  /** What the list holds at the start; normalised but not validated, like a list edited by hand. */
  readonly domains?: readonly string[];
}

/**
 * A DNS Firewall domain list in memory, for the local simulation and the use-case tests. Enforces what AWS
 * enforces, with the same typed errors: at most 1,000 domains per call and the domain grammar
 * (InvalidInputError), the domain quota (TargetCapacityError `LimitExceededException`, the whole call refused).
 * ADD and REMOVE are idempotent. Writes take effect at once: there is no `UPDATING` state to wait for.
 */
export class InMemoryDnsFirewall implements DnsFirewallDomainList {
  /** Write calls that reached the list (empty and invalid calls excluded, as the AWS adapter makes none). */
  calls = 0;
  readonly #maxDomains: number;
  readonly #domains: Set<string>;
  #pendingFailure: Error | undefined;

  constructor(options: InMemoryDnsFirewallOptions = {}) {
    this.#maxDomains = options.maxDomains ?? DNS_FIREWALL_DEFAULT_MAX_DOMAINS;
    this.#domains = new Set((options.domains ?? []).map(normaliseDomain));
  }

  /** The domains, normalised and sorted. Never throws. */
  async listDomains(): Promise<string[]> {
    return this.snapshot();
  }

  /**
   * Adds or removes domains, all or nothing. Idempotent. Throws InvalidInputError, TargetCapacityError
   * (`LimitExceededException`), or the error given to {@link injectFailure}.
   */
  async updateDomains(operation: 'ADD' | 'REMOVE', domains: readonly string[]): Promise<void> {
    const batch = normaliseDomainBatch(domains);
    if (batch.length === 0) return;
    this.calls++;
    const failure = this.#pendingFailure;
    if (failure) {
      this.#pendingFailure = undefined;
      throw failure;
    }
    if (operation === 'REMOVE') {
      for (const domain of batch) this.#domains.delete(domain);
      return;
    }
    const added = batch.filter((domain) => !this.#domains.has(domain));
    if (this.#domains.size + added.length > this.#maxDomains) {
      throw new TargetCapacityError(
        `adding ${added.length} domains would exceed the quota of ${this.#maxDomains} domains (${this.#domains.size} in use)`,
        'LimitExceededException',
      );
    }
    for (const domain of added) this.#domains.add(domain);
  }

  /** The domains now in the list, normalised and sorted. */
  snapshot(): string[] {
    return [...this.#domains].sort();
  }

  /** Makes the next write call that reaches the list throw `error`, once. */
  injectFailure(error: Error): void {
    this.#pendingFailure = error;
  }
}
