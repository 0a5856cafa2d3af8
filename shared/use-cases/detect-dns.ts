/**
 * Use case: a stream of Route 53 Resolver query records (one CloudWatch Logs batch, or one S3 file) through the
 * DNS detections. Records are folded into one batch (memory grows with distinct keys, not with records), the
 * windowed counts go to the detector state store in one call per window kind, and the signals found are put on
 * the warden bus, where they take the same path as every other input.
 */
import { DnsBatch, type DnsContext, type DnsQuery, type DnsSignal } from '#domain/detect/dns';
import { type DomainBaseline, shadowEstablished } from '#domain/detect/dns-baseline';
import type { DetectorStateStore } from '#ports/detector-state';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';

/** What the DNS detector needs besides its records. */
export interface DnsDetectorDependencies {
  readonly context: DnsContext;
  readonly state: DetectorStateStore;
  readonly publisher: ThreatSignalPublisher;
  /** A VPC's learned baseline of established domains; none learned yet is `undefined`. */
  readonly baselineOf?: (vpcId: string) => DomainBaseline | undefined;
}

/** What one run found. */
export interface DnsDetectionReport {
  readonly records: number;
  readonly excluded: Readonly<Record<string, number>>;
  readonly signals: readonly DnsSignal[];
}

/**
 * Runs the DNS detections over `records` and publishes what they find. Throws what the store or the publisher
 * throws (retryable ones are ThrottledError / ServiceUnavailableError): the caller retries the whole input, and
 * intake's de-duplication on each signal's evidence key keeps a retried detection from counting twice.
 */
export async function detectDns(
  records: AsyncIterable<DnsQuery> | Iterable<DnsQuery>,
  deps: DnsDetectorDependencies,
): Promise<DnsDetectionReport> {
  const { context, state, publisher } = deps;
  const batch = new DnsBatch(context);
  for await (const record of records) batch.add(record);
  const [tunnelTotals, dgaTotals] = await Promise.all([
    state.addAndTotal(batch.tunnel.increments(), batch.tunnel.shape),
    state.addAndTotal(batch.dga.increments(), batch.dga.shape),
  ]);
  const found = [
    ...batch.immediateSignals(),
    ...batch.tunnelSignals(tunnelTotals),
    ...batch.dgaSignals(dgaTotals),
  ];
  const baselineOf = deps.baselineOf ?? (() => undefined);
  const signals = found.map((signal) =>
    shadowEstablished(signal, baselineOf, context.settings.baseline, context.thresholds),
  );
  if (signals.length > 0) await publisher.publish(signals);
  const { records: count, excluded } = batch.stats;
  return { records: count, excluded, signals };
}
