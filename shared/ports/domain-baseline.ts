/**
 * Each VPC's learned baseline of registered domains (dns-baseline.ts), kept across invocations: a domain becomes
 * established over days, so no single batch can tell. The store only ever adds: what a batch saw is folded in
 * with the entries' caps, and a lookup reads the few domains a batch's signals name.
 */
import type { DomainBaseline } from '#domain/detect/dns-baseline';

/** One page of a VPC's baseline, domains in ascending order. */
export interface BaselinePage {
  readonly entries: DomainBaseline;
  /** Pass it back to read the next page; absent on the last one. */
  readonly next?: string;
}

/** Where baselines live: DynamoDB in AWS (retained with the decisions), memory in the simulation and the tests. */
export interface DomainBaselineStore {
  /**
   * Adds each VPC's deltas (VPC id → registered domain → hosts and days seen, as `baselineDeltas` gives them).
   * Adding is a union within BASELINE_KEEP hosts and days per domain: concurrent and repeated calls lose
   * nothing below the caps, and once a set holds BASELINE_KEEP elements it answers every threshold.
   */
  record(deltas: ReadonlyMap<string, DomainBaseline>): Promise<void>;
  /** The stored entries of `domains` (registered domains) in `vpcId`'s baseline; a domain never seen is absent. */
  lookup(vpcId: string, domains: readonly string[]): Promise<DomainBaseline>;
  /** One page of `vpcId`'s whole baseline (for the allowlist export), starting after `cursor`. */
  exportPage(vpcId: string, cursor?: string): Promise<BaselinePage>;
}
