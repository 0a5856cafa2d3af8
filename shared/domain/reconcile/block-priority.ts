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

/** `toISOString`'s format (UTC, milliseconds, four-digit year): its text order is its time order. */
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether `text` is an instant in `toISOString`'s format, whose text order is its time order: by length and
 * ending first, the regular expression only then.
 */
export function isCanonicalInstant(text: string): boolean {
  return text.length === 24 && text.charCodeAt(23) === 90 && CANONICAL_INSTANT.test(text);
}

/** Orders text by UTF-16 code units, independent of the runtime's locale. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Orders ISO 8601 instants newest first, by time so that offsets are respected; values that do not parse,
 * or name the same instant, fall back to text order so the result stays deterministic. Canonical instants
 * (`toISOString`, what the store holds) compare as text without being parsed: sorts call this for every
 * comparison, and parsing was most of their time.
 */
export function compareNewestFirst(a: string, b: string): number {
  if (a === b) return 0;
  if (isCanonicalInstant(a) && isCanonicalInstant(b)) return compareText(b, a);
  const left = Date.parse(a);
  const right = Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right) || left === right) return compareText(b, a);
  return right - left;
}

/**
 * Sorts blocks best first: exactly `[...blocks].sort(compareBlockPriority)`, with the part of the comparison
 * that looks at one block alone (is its `since` canonical, the instant it names) worked out at most once per
 * block, when a comparison first needs it, rather than at each of the n log n comparisons. The planners sort
 * every active block on every reconcile.
 */
export function sortByPriority(blocks: readonly BlockEntry[]): BlockEntry[] {
  const keyed = blocks.map((block): PriorityKey => ({ block }));
  keyed.sort((a, b) => {
    const left = a.block;
    const right = b.block;
    if (left.severity !== right.severity) return right.severity - left.severity;
    if (left.since !== right.since) {
      // compareNewestFirst, with its per-instant work done once per block.
      if (isCanonical(a) && isCanonical(b)) return compareText(right.since, left.since);
      const leftTime = timeOf(a);
      const rightTime = timeOf(b);
      if (Number.isNaN(leftTime) || Number.isNaN(rightTime) || leftTime === rightTime) {
        return compareText(right.since, left.since);
      }
      return rightTime - leftTime;
    }
    return compareBlockPriority(left, right);
  });
  return keyed.map((item) => item.block);
}

/** A block with what its `since` is, each worked out at most once. */
interface PriorityKey {
  readonly block: BlockEntry;
  canonical?: boolean;
  time?: number;
}

function isCanonical(key: PriorityKey): boolean {
  key.canonical ??= isCanonicalInstant(key.block.since);
  return key.canonical;
}

function timeOf(key: PriorityKey): number {
  key.time ??= Date.parse(key.block.since);
  return key.time;
}
