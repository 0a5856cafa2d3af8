import { baselineKey } from '#adapters/aws/decision-table';
import {
  BASELINE_KEEP,
  type BaselineEntry,
  baselineEntry,
  type DomainBaseline,
} from '#domain/detect/dns-baseline';
import { InvalidInputError } from '#domain/errors';
import type { BaselinePage, DomainBaselineStore } from '#ports/domain-baseline';

interface StoredEntry {
  readonly hosts: Set<string>;
  readonly days: Set<number>;
}

/**
 * The domain baselines in memory, for the local simulation and the use-case tests, with the rules of the
 * DynamoDB store: the same key checks (`baselineKey`), a delta's hosts (and, separately, its days) are added while the stored set holds fewer than
 * BASELINE_KEEP, what is read back goes through `baselineEntry`, and export pages follow the domains in order.
 * Each call is applied at once, so concurrent calls lose nothing.
 */
export class InMemoryDomainBaselineStore implements DomainBaselineStore {
  readonly #vpcs = new Map<string, Map<string, StoredEntry>>();
  readonly #pageSize: number;

  /** `pageSize`: domains per export page (default 1000). */
  constructor(options: { readonly pageSize?: number } = {}) {
    this.#pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(this.#pageSize) || this.#pageSize < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${this.#pageSize}`, 'pageSize');
    }
  }

  async record(deltas: ReadonlyMap<string, DomainBaseline>): Promise<void> {
    // Every key is checked before anything is added, as the DynamoDB store checks before sending.
    for (const [vpc, baseline] of deltas) {
      for (const [domain] of baseline) baselineKey(vpc, domain);
    }
    for (const [vpc, baseline] of deltas) {
      let domains = this.#vpcs.get(vpc);
      if (!domains) {
        domains = new Map();
        this.#vpcs.set(vpc, domains);
      }
      for (const [domain, delta] of baseline) {
        let stored = domains.get(domain);
        if (!stored) {
          stored = { hosts: new Set(), days: new Set() };
          domains.set(domain, stored);
        }
        if (stored.hosts.size < BASELINE_KEEP) for (const host of delta.hosts) stored.hosts.add(host);
        if (stored.days.size < BASELINE_KEEP) for (const day of delta.days) stored.days.add(day);
      }
    }
  }

  async lookup(vpcId: string, domains: readonly string[]): Promise<DomainBaseline> {
    for (const domain of domains) baselineKey(vpcId, domain);
    const stored = this.#vpcs.get(vpcId);
    const found = new Map<string, BaselineEntry>();
    for (const domain of domains) {
      const entry = stored?.get(domain);
      if (entry) found.set(domain, baselineEntry(entry.hosts, entry.days));
    }
    return found;
  }

  async exportPage(vpcId: string, cursor?: string): Promise<BaselinePage> {
    baselineKey(vpcId, cursor ?? '-');
    const stored = this.#vpcs.get(vpcId) ?? new Map<string, StoredEntry>();
    const after = [...stored.keys()].filter((domain) => cursor === undefined || domain > cursor).sort();
    const page = after.slice(0, this.#pageSize);
    const entries = new Map<string, BaselineEntry>();
    for (const domain of page) {
      const entry = stored.get(domain) as StoredEntry;
      entries.set(domain, baselineEntry(entry.hosts, entry.days));
    }
    const last = page.at(-1);
    return after.length > page.length && last !== undefined ? { entries, next: last } : { entries };
  }
}
