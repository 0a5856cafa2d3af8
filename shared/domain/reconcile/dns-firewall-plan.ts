/**
 * Reconciliation plan for the Route 53 Resolver DNS Firewall domain list. The list is owned by Egress
 * Warden: whatever is in it and not desired is removed.
 */
import type { BlockEntry } from '../block';
import { InvalidInputError } from '../errors';
import type { DomainIndicator } from '../indicator';
import { DNS_FIREWALL_MAX_DOMAINS_PER_CALL } from '../target';
import { compareText, sortByPriority } from './block-priority';

/** The writes that converge the domain list: UpdateFirewallDomains ADD and REMOVE calls, in order. */
export interface DnsFirewallPlan {
  /**
   * Domains to add, in chunks of at most DNS_FIREWALL_MAX_DOMAINS_PER_CALL (one call each), best block first
   * (block-priority order) and a block's entries always in the same chunk: when the account's quota, shared
   * with other lists, refuses a chunk, the chunks not written hold the lowest-priority blocks, whole.
   */
  readonly add: string[][];
  /** Domains to remove, sorted and chunked the same way. */
  readonly remove: string[][];
  /** Blocks that did not fit in `maxDomains`, best first; none of their entries is in the list. */
  readonly overflow: BlockEntry[];
}

/** Options of planDnsFirewall. */
export interface DnsFirewallPlanOptions {
  /** The most entries the list may hold (the account's domain quota, or a share of it). */
  readonly maxDomains: number;
}

/**
 * The domain list entries that block one domain indicator, sorted. `evil.com` gives `*.evil.com` and
 * `evil.com`: whether a `*.` entry also matches the apex is not documented, so both are written. A
 * wildcard indicator `*.evil.com` gives only itself.
 */
export function toDnsFirewallEntries(indicator: DomainIndicator): string[] {
  if (indicator.wildcard) return [indicator.value];
  return [`*.${indicator.value}`, indicator.value];
}

/**
 * Plans the ADD and REMOVE calls that make the list hold exactly the entries of the domain blocks in
 * `desired` (IP and CIDR blocks are ignored). `actual` is compared after lowercasing and dropping a trailing
 * dot. When the entries exceed `maxDomains`, blocks are kept best first (severity, then newest) and a block
 * that does not fit goes whole to `overflow` while smaller ones after it may still fit. The ADD calls follow
 * the same order, so the account quota, which only the writes discover, also leaves out the worst. Pure and
 * deterministic; an empty plan (no add, no remove) means the list is converged. Throws InvalidInputError when
 * `maxDomains` is not a non-negative integer.
 */
export function planDnsFirewall(
  desired: readonly BlockEntry[],
  actual: readonly string[],
  options: DnsFirewallPlanOptions,
): DnsFirewallPlan {
  const { maxDomains } = options;
  if (!Number.isSafeInteger(maxDomains) || maxDomains < 0) {
    throw new InvalidInputError(`must be a non-negative integer, got ${maxDomains}`, 'maxDomains');
  }
  const present = new Set<string>();
  for (const domain of actual) present.add(normaliseListedDomain(domain));
  const wanted = new Set<string>();
  // How many wanted entries the list already holds: when that is all of them, nothing is to be removed.
  let wantedPresent = 0;
  const additions: string[][] = [];
  const overflow: BlockEntry[] = [];
  const blocks = sortByPriority(desired.filter((entry) => entry.indicator.kind === 'domain'));
  for (const block of blocks) {
    if (block.indicator.kind !== 'domain') continue;
    // Plain loops: this runs for every domain block on every reconcile.
    const missing: string[] = [];
    for (const entry of entriesOf(block.indicator)) if (!wanted.has(entry)) missing.push(entry);
    if (wanted.size + missing.length > maxDomains) {
      overflow.push(block);
      continue;
    }
    let toAdd: string[] | undefined;
    for (const entry of missing) {
      wanted.add(entry);
      if (present.has(entry)) {
        wantedPresent++;
        continue;
      }
      toAdd ??= [];
      toAdd.push(entry);
    }
    if (toAdd) additions.push(toAdd);
  }
  return {
    add: chunkWhole(additions),
    remove: wantedPresent === present.size ? [] : chunk(unwanted(present, wanted).sort(compareText)),
    overflow,
  };
}

/**
 * The entries of each indicator already worked out: reconcile hands the same indicator objects to every run.
 * Weak, so they go with the indicators; read-only, so one indicator's list is never changed by another plan.
 */
const entriesByIndicator = new WeakMap<DomainIndicator, readonly string[]>();

function entriesOf(indicator: DomainIndicator): readonly string[] {
  let entries = entriesByIndicator.get(indicator);
  if (!entries) {
    entries = toDnsFirewallEntries(indicator);
    entriesByIndicator.set(indicator, entries);
  }
  return entries;
}

/** The entries of `present` that are not `wanted`. */
function unwanted(present: ReadonlySet<string>, wanted: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const entry of present) if (!wanted.has(entry)) found.push(entry);
  return found;
}

/** The list returns names with a trailing dot and keeps the case they were written with. */
function normaliseListedDomain(domain: string): string {
  const lower = domain.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Packs groups (one block's entries each, two at most) into calls, never splitting a group, in order. */
function chunkWhole(groups: readonly (readonly string[])[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  for (const group of groups) {
    if (current.length + group.length > DNS_FIREWALL_MAX_DOMAINS_PER_CALL) {
      chunks.push(current);
      current = [];
    }
    for (const entry of group) current.push(entry);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function chunk(sorted: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let start = 0; start < sorted.length; start += DNS_FIREWALL_MAX_DOMAINS_PER_CALL) {
    chunks.push(sorted.slice(start, start + DNS_FIREWALL_MAX_DOMAINS_PER_CALL));
  }
  return chunks;
}
