/**
 * Use case: a stream of Route 53 Resolver query records (one CloudWatch Logs batch, or one S3 file) through the
 * DNS detections. Records are folded into one batch (memory grows with distinct keys, not with records), the
 * windowed counts go to the detector state store in one call per window kind, what the batch adds to each VPC's
 * domain baseline goes to the baseline store, and the signals found are put on the warden bus (a signal against
 * a domain established in its VPC as alert-only), where they take the same path as every other input.
 */
import { DnsBatch, type DnsContext, type DnsQuery, type DnsSignal } from '#domain/detect/dns';
import { type DomainBaseline, shadowEstablished } from '#domain/detect/dns-baseline';
import { registeredDomainOf } from '#domain/indicator';
import type { DetectorStateStore } from '#ports/detector-state';
import type { DomainBaselineStore } from '#ports/domain-baseline';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import type { MalformedRecord } from '#shared/logs/malformed';
import type { QueryLogEntry, QueryLogRecord } from '#shared/logs/query-log';

/** Malformed records listed in a report, at most; the rest are only counted. */
export const MALFORMED_LISTED = 20;

/** What the DNS detector needs besides its records. */
export interface DnsDetectorDependencies {
  readonly context: DnsContext;
  readonly state: DetectorStateStore;
  readonly publisher: ThreatSignalPublisher;
  /** Each VPC's learned baseline of registered domains: this batch is added to it, signals are checked against it. */
  readonly baseline: DomainBaselineStore;
}

/** What one run found. */
export interface DnsDetectionReport {
  /** Records read, malformed ones included. */
  readonly records: number;
  readonly excluded: Readonly<Record<string, number>>;
  readonly malformed: { readonly count: number; readonly first: readonly MalformedRecord[] };
  readonly signals: readonly DnsSignal[];
}

/** The detector's view of one logged query. */
export function dnsQueryOf(record: QueryLogRecord): DnsQuery {
  const action = record.firewallRuleAction?.toUpperCase();
  return {
    at: record.time,
    name: record.queryName,
    type: record.queryType,
    rcode: record.rcode,
    srcAddr: record.srcaddr,
    raw: record.raw,
    ...(record.instanceId ? { instanceId: record.instanceId } : {}),
    ...(record.vpcId ? { vpcId: record.vpcId } : {}),
    ...(record.accountId ? { account: record.accountId } : {}),
    ...(record.region ? { region: record.region } : {}),
    ...(action === 'ALERT' || action === 'BLOCK' || action === 'ALLOW' ? { firewallAction: action } : {}),
    ...(record.firewallRuleGroupId ? { firewallRuleGroupId: record.firewallRuleGroupId } : {}),
    ...(record.firewallDomainListId ? { firewallDomainListId: record.firewallDomainListId } : {}),
  };
}

/**
 * Runs the DNS detections over parsed query-log entries (malformed ones are counted and listed, the rest goes
 * on), adds the batch to the domain baselines, and publishes what they find, a signal against a domain
 * established in its VPC (as stored after this batch) lowered to alert-only. Throws what the stores or the publisher
 * throws (retryable ones are ThrottledError / ServiceUnavailableError): the caller retries the whole input, and
 * intake's de-duplication on each signal's evidence key keeps a retried detection from counting twice;
 * `input` names it (a file, a subscription batch) so that the store counts a retried input's records once.
 */
export async function detectDns(
  entries: AsyncIterable<QueryLogEntry> | Iterable<QueryLogEntry>,
  deps: DnsDetectorDependencies,
  input?: string,
): Promise<DnsDetectionReport> {
  const { context, state, publisher, baseline } = deps;
  const batch = new DnsBatch(context);
  const malformed = { count: 0, first: [] as MalformedRecord[] };
  for await (const entry of entries) {
    if (entry.kind === 'query') batch.add(dnsQueryOf(entry));
    else if (++malformed.count <= MALFORMED_LISTED) malformed.first.push(entry);
  }
  const [tunnelTotals, dgaTotals] = await Promise.all([
    state.addAndTotal(batch.tunnel.increments(), batch.tunnel.shape, input),
    state.addAndTotal(batch.dga.increments(), batch.dga.shape, input),
    baseline.record(batch.baselineDeltas()),
  ]);
  const found = [
    ...batch.immediateSignals(),
    ...batch.tunnelSignals(tunnelTotals),
    ...batch.dgaSignals(dgaTotals),
  ];
  const stored = await storedEntriesNamed(found, baseline, context.thresholds.minSeverity);
  const signals = found.map((signal) =>
    shadowEstablished(signal, (vpcId) => stored.get(vpcId), context.settings.baseline, context.thresholds),
  );
  if (signals.length > 0) await publisher.publish(signals);
  const { records: count, excluded } = batch.stats;
  return { records: count + malformed.count, excluded, malformed, signals };
}

/**
 * The stored baseline entries of the registered domains the signals name, per VPC (`-` without one): only
 * signals that would be enforced (at or above minSeverity) and name a domain need one, so a batch reads a few
 * items, not the baseline.
 */
async function storedEntriesNamed(
  signals: readonly DnsSignal[],
  store: DomainBaselineStore,
  minSeverity: number,
): Promise<Map<string, DomainBaseline>> {
  const wanted = new Map<string, Set<string>>();
  for (const signal of signals) {
    if (signal.severity < minSeverity || signal.indicator.includes('/')) continue;
    const vpc = signal.workload?.vpcId ?? '-';
    const bare = signal.indicator.replace(/^\*\./, '');
    const domains = wanted.get(vpc) ?? new Set<string>();
    domains.add(registeredDomainOf(bare) ?? bare);
    wanted.set(vpc, domains);
  }
  const entries = await Promise.all(
    [...wanted].map(async ([vpc, domains]) => [vpc, await store.lookup(vpc, [...domains])] as const),
  );
  return new Map(entries);
}
