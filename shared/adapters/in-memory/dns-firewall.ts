import {
  DNS_FIREWALL_DEFAULT_MAX_DOMAINS,
  normaliseDomain,
  normaliseDomainBatch,
} from '#adapters/service-rules/dns-firewall';
import { TargetCapacityError } from '#domain/errors';
import type { DnsFirewallDomainList, DnsFirewallListStatus } from '#ports/dns-firewall';

/** Options of {@link InMemoryDnsFirewall}. */
export interface InMemoryDnsFirewallOptions {
  /** Domains the account-region can still hold in total; defaults to the AWS quota of 100,000. */
  readonly maxDomains?: number;
  /** What the list holds at the start; normalised but not validated, like a list edited by hand. */
  readonly domains?: readonly string[];
  /** Starts the list in `COMPLETE_IMPORT_FAILED` with this status message, as a failed console import does. */
  readonly failedImport?: string;
}

/**
 * A DNS Firewall domain list in memory, for the local simulation and the use-case tests. Enforces what AWS
 * enforces, with the same typed errors: at most 1,000 domains per call and the domain grammar
 * (InvalidInputError), the domain quota (TargetCapacityError `LimitExceededException`, the whole call refused).
 * ADD and REMOVE are idempotent. Writes take effect at once: there is no `UPDATING` state to wait for. A list
 * whose import failed takes writes like AWS's, and the first write that succeeds brings it back to `COMPLETE`.
 */
export class InMemoryDnsFirewall implements DnsFirewallDomainList {
  /** Write calls that reached the list (empty and invalid calls excluded, as the AWS adapter makes none). */
  calls = 0;
  readonly #maxDomains: number;
  readonly #domains: Set<string>;
  #pendingFailure: Error | undefined;
  #status: DnsFirewallListStatus;

  constructor(options: InMemoryDnsFirewallOptions = {}) {
    this.#maxDomains = options.maxDomains ?? DNS_FIREWALL_DEFAULT_MAX_DOMAINS;
    this.#domains = new Set((options.domains ?? []).map(normaliseDomain));
    this.#status =
      options.failedImport === undefined
        ? { status: 'COMPLETE' }
        : { status: 'COMPLETE_IMPORT_FAILED', message: options.failedImport };
  }

  /** `COMPLETE`, or `COMPLETE_IMPORT_FAILED` with its message until a write succeeds. Never throws. */
  async status(): Promise<DnsFirewallListStatus> {
    return this.#status;
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
      this.#status = { status: 'COMPLETE' };
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
    this.#status = { status: 'COMPLETE' };
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
