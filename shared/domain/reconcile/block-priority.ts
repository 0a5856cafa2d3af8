/**
 * The one order every planner uses when a target has less room than there are blocks: higher severity
 * first, then the newer block, then the indicator itself so that the result never depends on input order.
 */
import type { BlockEntry } from '../block';

/**
 * Sorts blocks best first: severity descending, then `since` descending, then IPs and CIDRs before domains
 * (a domain is also blocked by DNS Firewall, an address has no other tier than the scarce network ACLs), then
 * the indicator's kind and value.
 */
export function compareBlockPriority(a: BlockEntry, b: BlockEntry): number {
  if (a.severity !== b.severity) return b.severity - a.severity;
  const since = compareNewestFirst(a.since, b.since);
  if (since !== 0) return since;
  const tier = Number(a.indicator.kind === 'domain') - Number(b.indicator.kind === 'domain');
  return (
    tier ||
    compareText(a.indicator.kind, b.indicator.kind) ||
    compareText(a.indicator.value, b.indicator.value)
  );
}

/** Orders text by UTF-16 code units, independent of the runtime's locale. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Orders ISO 8601 instants newest first, by time so that offsets are respected; values that do not parse,
 * or name the same instant, fall back to text order so the result stays deterministic.
 */
export function compareNewestFirst(a: string, b: string): number {
  const left = Date.parse(a);
  const right = Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right) || left === right) return compareText(b, a);
  return right - left;
}
