/** What Route 53 Resolver DNS Firewall accepts, shared by its in-memory and AWS adapters. */
import { InvalidInputError } from '#domain/errors';
import { DNS_FIREWALL_MAX_DOMAINS_PER_CALL } from '#domain/target';

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
