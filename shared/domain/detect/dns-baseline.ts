/**
 * The established-domain guard. An attacker inside a VPC can make a detector name a popular domain (queries
 * for `<data>.www.github.com` look like exfiltration through `github.com`); blocking it would cut every
 * workload off. So each VPC learns which registered domains its hosts use, many hosts on many days, and a
 * signal against one of those is never enforced automatically: it becomes an alert for a person to decide
 * (a manual block still works). The baseline exported as a sorted list is a reviewed allowlist's first draft.
 */
import { InvalidInputError } from '#domain/errors';
import { registeredDomainOf } from '#domain/indicator';
import type { DnsQuery, DnsSignal, SeverityThresholds } from './dns';
import type { NameScreen } from './dns-names';

/** What one VPC's baseline knows about one registered domain. */
export interface BaselineEntry {
  /** Distinct hosts (instance ids, else addresses), sorted, at most BASELINE_KEEP. */
  readonly hosts: readonly string[];
  /** Distinct UTC days (days since the epoch) it was queried on, newest first, at most BASELINE_KEEP. */
  readonly days: readonly number[];
}

/** One VPC's baseline: registered domain → entry. It grows with distinct domains, not with queries. */
export type DomainBaseline = ReadonlyMap<string, BaselineEntry>;

/** The thresholds that make a domain established (the detector settings' `baseline`). */
export interface BaselineThresholds {
  readonly minHosts: number;
  readonly minDays: number;
}

/**
 * Hosts and days kept per domain: the settings cap both thresholds at this, so a full entry always answers
 * them. Which ones are kept is fixed (the smallest host names, the newest days), so that merging is
 * commutative, associative and idempotent: batches can be folded in any order, and replays change nothing.
 */
export const BASELINE_KEEP = 32;

const DAY_MS = 86_400_000;

/** An empty baseline. */
export function emptyBaseline(): DomainBaseline {
  return new Map();
}

/**
 * What a batch of queries adds to each VPC's baseline, keyed by VPC id (`-` when the record has none).
 * Only answered queries (NOERROR) of names the screen keeps count: NXDOMAIN noise and internal names never
 * make a domain established.
 */
export function baselineDeltas(queries: Iterable<DnsQuery>, screen: NameScreen): Map<string, DomainBaseline> {
  const recorder = new BaselineRecorder();
  for (const query of queries) {
    if (query.rcode !== 'NOERROR') continue;
    const screened = screen.screen(query.name, query.rcode);
    if (screened.excluded === undefined) recorder.add(query, screened.registeredDomain);
  }
  return recorder.deltas();
}

/**
 * Collects a batch's baseline deltas one screened query at a time, so that a detector that already screened
 * each name (DnsBatch) does not screen it again. Memory grows with distinct VPCs, domains, hosts and days.
 */
export class BaselineRecorder {
  readonly #vpcs = new Map<string, Map<string, { hosts: Set<string>; days: Set<number> }>>();

  /** Adds one query whose name kept `registeredDomain` through the screen; only NOERROR answers count. */
  add(query: DnsQuery, registeredDomain: string): void {
    if (query.rcode !== 'NOERROR') return;
    const vpc = query.vpcId ?? '-';
    let domains = this.#vpcs.get(vpc);
    if (!domains) {
      domains = new Map();
      this.#vpcs.set(vpc, domains);
    }
    let entry = domains.get(registeredDomain);
    if (!entry) {
      entry = { hosts: new Set(), days: new Set() };
      domains.set(registeredDomain, entry);
    }
    entry.hosts.add(query.instanceId ?? query.srcAddr);
    entry.days.add(Math.floor(query.at / DAY_MS));
  }

  /** The deltas so far, keyed by VPC id, each entry within the caps. */
  deltas(): Map<string, DomainBaseline> {
    const deltas = new Map<string, DomainBaseline>();
    for (const [vpc, domains] of this.#vpcs) {
      const baseline = new Map<string, BaselineEntry>();
      for (const [domain, { hosts, days }] of domains) baseline.set(domain, baselineEntry(hosts, days));
      deltas.set(vpc, baseline);
    }
    return deltas;
  }
}

/** The union of two baselines, within the per-domain caps. Commutative, associative and idempotent. */
export function mergeBaselines(a: DomainBaseline, b: DomainBaseline): DomainBaseline {
  const merged = new Map(a);
  for (const [domain, entry] of b) {
    const current = merged.get(domain);
    merged.set(
      domain,
      current ? baselineEntry([...current.hosts, ...entry.hosts], [...current.days, ...entry.days]) : entry,
    );
  }
  return merged;
}

/**
 * An entry as the baseline keeps it: distinct hosts sorted, distinct days newest first, each cut to
 * BASELINE_KEEP. Stores use it on what they read back, whose sets may hold more.
 */
export function baselineEntry(hosts: Iterable<string>, days: Iterable<number>): BaselineEntry {
  return {
    hosts: [...new Set(hosts)].sort().slice(0, BASELINE_KEEP),
    days: [...new Set(days)].sort((x, y) => y - x).slice(0, BASELINE_KEEP),
  };
}

/**
 * True when `domain`'s registered domain (or, for a name that is itself a public suffix, the name) was
 * queried by at least `minHosts` hosts on at least `minDays` days.
 */
export function isEstablished(
  baseline: DomainBaseline,
  domain: string,
  thresholds: BaselineThresholds,
): boolean {
  const bare = domain.replace(/^\*\./, '');
  const entry = baseline.get(registeredDomainOf(bare) ?? bare);
  return (
    entry !== undefined &&
    entry.hosts.length >= thresholds.minHosts &&
    entry.days.length >= thresholds.minDays
  );
}

/** The established domains, sorted: a draft allowlist for a person to review. */
export function exportAllowlist(baseline: DomainBaseline, thresholds: BaselineThresholds): string[] {
  return [...baseline.keys()].filter((domain) => isEstablished(baseline, domain, thresholds)).sort();
}

/**
 * Turns a signal against an established domain into an alert-only one: its severity drops to the policy's
 * alertMinSeverity (below minSeverity, so decide records it as below threshold and alerts, and never blocks),
 * and the evidence says why. Other signals come back unchanged. `baselineOf` gives a VPC's baseline; a
 * signal without a VPC is checked against the `-` baseline. Throws InvalidInputError when the thresholds leave no
 * alert-only severity (alertMinSeverity ≥ minSeverity): the guard must never fail open silently.
 */
export function shadowEstablished(
  signal: DnsSignal,
  baselineOf: (vpcId: string) => DomainBaseline | undefined,
  thresholds: BaselineThresholds,
  severities: SeverityThresholds,
): DnsSignal {
  if (severities.alertMinSeverity >= severities.minSeverity) {
    throw new InvalidInputError(
      `${severities.alertMinSeverity} must be below minSeverity ${severities.minSeverity}, or a signal against an established domain could not be made alert-only`,
      'policy.detectors.alertMinSeverity',
    );
  }
  if (signal.indicator.includes('/')) return signal;
  const vpc = signal.workload?.vpcId ?? '-';
  const baseline = baselineOf(vpc);
  if (!baseline || !isEstablished(baseline, signal.indicator, thresholds)) return signal;
  if (signal.severity < severities.minSeverity) return signal;
  const reason =
    `established domain: ${registeredDomainOf(signal.indicator) ?? signal.indicator} is queried by at least ` +
    `${thresholds.minHosts} hosts on at least ${thresholds.minDays} days in ${vpc}; severity lowered from ` +
    `${signal.severity} to ${severities.alertMinSeverity} so that a person decides (a manual block still works)`;
  return {
    ...signal,
    severity: severities.alertMinSeverity,
    evidence: {
      ...signal.evidence,
      summary: `${signal.evidence.summary} [established domain: alert only]`.slice(0, 1024),
      details: [reason, ...signal.evidence.details].slice(0, 50),
    },
  };
}
