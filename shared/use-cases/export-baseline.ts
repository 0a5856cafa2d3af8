/**
 * Use case: a VPC's established domains, from its learned baseline, as a draft allowlist for a person to review
 * (the first step towards a learned default-deny egress allowlist).
 */
import { type BaselineThresholds, exportAllowlist } from '#domain/detect/dns-baseline';
import type { DomainBaselineStore } from '#ports/domain-baseline';

/**
 * Reads `vpcId`'s whole baseline page by page and returns the registered domains that meet `thresholds` (queried by
 * at least `minHosts` hosts on at least `minDays` days), sorted. Only the established ones are kept between pages.
 */
export async function exportEstablishedDomains(
  store: DomainBaselineStore,
  vpcId: string,
  thresholds: BaselineThresholds,
): Promise<string[]> {
  const established: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.exportPage(vpcId, cursor);
    established.push(...exportAllowlist(page.entries, thresholds));
    cursor = page.next;
  } while (cursor !== undefined);
  return established.sort();
}
