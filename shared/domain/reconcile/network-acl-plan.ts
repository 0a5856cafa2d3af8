/**
 * Reconciliation plan for network ACL egress denies. Only rule numbers in the reserved range belong to
 * Egress Warden; every other entry (the allows, the default `*` rules, anything an operator wrote) is left
 * alone but still counts against the per-family entry quota.
 */
import type { BlockEntry } from '../block';
import { aggregateCidrs, type CidrRange, compareRanges, toRange } from '../cidr';
import { ConcurrentUpdateError, InvalidInputError } from '../errors';
import { isNetwork } from '../indicator';
import type { NetworkAcl, NetworkAclEntry } from '../target';
import { compareBlockPriority, compareNewestFirst, compareText } from './block-priority';

/** One EC2 call: CreateNetworkAclEntry (egress, deny, all protocols) or DeleteNetworkAclEntry (egress). */
export interface NetworkAclStep {
  readonly op: 'create' | 'delete';
  readonly ruleNumber: number;
  /** The CIDR created, or the CIDR of the entry deleted (for logs; the delete is by rule number). */
  readonly cidr: string;
}

/** The steps that converge one ACL, in the order they must run. */
export interface NetworkAclPlan {
  readonly aclId: string;
  /** Empty when the ACL is converged. */
  readonly steps: NetworkAclStep[];
  /** Blocks that found no room in this ACL, best first, as the original entries. */
  readonly overflow: BlockEntry[];
  /** Desired CIDRs written as one wider entry that covers exactly the same addresses. */
  readonly merged: { cidr: string; from: string[] }[];
}

/** Options of planNetworkAcl. */
export interface NetworkAclPlanOptions {
  /** First and last rule number that Egress Warden owns (inclusive). Default [1, 18]. */
  readonly ruleRange?: readonly [number, number];
  /**
   * Egress entries allowed per IP family, counting the default rule and every entry outside the range
   * (the EC2 quota: 20 by default, up to 40). Default 20.
   */
  readonly maxEntriesPerFamily?: number;
  /** Vetoes a merge of two desired CIDRs into their parent (the guard rails' mayMergeUnder). Default: none. */
  readonly mayMerge?: (parent: CidrRange) => boolean;
}

/** The rule numbers Egress Warden uses unless configured otherwise: low, so its denies run before allows. */
export const DEFAULT_NETWORK_ACL_RULE_RANGE: readonly [number, number] = [1, 18];
/** The default EC2 quota of egress entries per ACL and IP family, default rule included. */
export const DEFAULT_NETWORK_ACL_MAX_ENTRIES_PER_FAMILY = 20;

/** The highest rule number a user entry can have; 32767 and 32768 are the default rules. */
const MAX_RULE_NUMBER = 32766;

interface Candidate {
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly severity: number;
  readonly since: string;
  readonly parts: BlockEntry[];
}

/**
 * Plans the creates and deletes that make the reserved range of `acl` hold exactly one `deny` for all
 * protocols per chosen CIDR, for the IP and CIDR blocks in `desired` (domains are ignored).
 *
 * Desired CIDRs are first aggregated per family with exact merges only, so nothing is blocked that was not
 * blocked already. Room per family is the smaller of the reserved numbers (one pool for both families) and
 * the quota left by the entries outside the range; CIDRs are chosen by severity, then newest, then CIDR text,
 * and the rest go to `overflow`. Correct entries keep their rule numbers. Steps never exceed the quota on
 * the way and avoid gaps: first the creates that fit in numbers free now and under the family's current
 * count, then the deletes (ascending), then the creates that needed a freed number. Only when the range or
 * the quota is full can an entry being replaced (a CIDR merged into a wider one) go before its replacement
 * exists. New entries take the lowest number available at their step. Pure and deterministic. Throws
 * InvalidInputError for a bad option or a desired CIDR that is not canonical.
 */
export function planNetworkAcl(
  acl: NetworkAcl,
  desired: readonly BlockEntry[],
  options: NetworkAclPlanOptions = {},
): NetworkAclPlan {
  const [low, high] = options.ruleRange ?? DEFAULT_NETWORK_ACL_RULE_RANGE;
  const maxEntries = options.maxEntriesPerFamily ?? DEFAULT_NETWORK_ACL_MAX_ENTRIES_PER_FAMILY;
  validateOptions(low, high, maxEntries);
  const inRange = (ruleNumber: number) => ruleNumber >= low && ruleNumber <= high;

  const { candidates, merged } = aggregate(desired, options.mayMerge);
  const outside = countByFamily(acl.egress.filter((entry) => !inRange(entry.ruleNumber)));
  const quota = { 4: Math.max(0, maxEntries - outside[4]), 6: Math.max(0, maxEntries - outside[6]) };
  let pool = high - low + 1;
  const used = { 4: 0, 6: 0 };
  const chosen: Candidate[] = [];
  const overflow: BlockEntry[] = [];
  for (const candidate of candidates) {
    if (pool > 0 && used[candidate.family] < quota[candidate.family]) {
      chosen.push(candidate);
      used[candidate.family]++;
      pool--;
    } else {
      overflow.push(...candidate.parts);
    }
  }

  const wanted = new Set(chosen.map((candidate) => candidate.cidr));
  const kept = new Set<string>();
  const deletes: NetworkAclEntry[] = [];
  for (const entry of [...acl.egress].sort((a, b) => a.ruleNumber - b.ruleNumber)) {
    if (!inRange(entry.ruleNumber)) continue;
    if (isOurDeny(entry) && wanted.has(entry.cidr) && !kept.has(entry.cidr)) {
      kept.add(entry.cidr);
    } else {
      deletes.push(entry);
    }
  }

  const held = new Set(acl.egress.map((entry) => entry.ruleNumber));
  const freeNow: number[] = [];
  for (let ruleNumber = low; ruleNumber <= high; ruleNumber++) {
    if (!held.has(ruleNumber)) freeNow.push(ruleNumber);
  }
  const freed = deletes.map((entry) => entry.ruleNumber);
  const count = countByFamily(acl.egress);
  const early: NetworkAclStep[] = [];
  const late: Candidate[] = [];
  for (const candidate of chosen) {
    if (kept.has(candidate.cidr)) continue;
    const ruleNumber = count[candidate.family] < maxEntries ? freeNow.shift() : undefined;
    if (ruleNumber !== undefined) {
      count[candidate.family]++;
      early.push({ op: 'create', ruleNumber, cidr: candidate.cidr });
    } else {
      late.push(candidate);
    }
  }
  // Room was counted over the whole range, so the numbers freed by deletes and any still free suffice.
  const available = [...freed, ...freeNow].sort((a, b) => a - b);
  const lateSteps = late.map((candidate, index): NetworkAclStep => {
    const ruleNumber = available[index];
    if (ruleNumber === undefined) throw new Error('network ACL plan ran out of rule numbers');
    return { op: 'create', ruleNumber, cidr: candidate.cidr };
  });
  const steps: NetworkAclStep[] = [
    ...early,
    ...deletes.map(
      (entry): NetworkAclStep => ({ op: 'delete', ruleNumber: entry.ruleNumber, cidr: entry.cidr }),
    ),
    ...lateSteps,
  ];
  return { aclId: acl.aclId, steps, overflow, merged };
}

/**
 * Runs the steps of a plan on an ACL, as EC2 would, and returns the new ACL with its egress entries sorted
 * by rule number. A delete of a missing number is a no-op, as in the adapter. Throws InvalidInputError when
 * the plan is for another ACL and ConcurrentUpdateError (`NetworkAclEntryAlreadyExists`) when a create hits
 * a number that is taken.
 */
export function applyNetworkAclPlan(acl: NetworkAcl, plan: NetworkAclPlan): NetworkAcl {
  if (plan.aclId !== acl.aclId) {
    throw new InvalidInputError(`the plan is for ${plan.aclId}, not ${acl.aclId}`, 'aclId');
  }
  const entries = new Map<number, NetworkAclEntry>(acl.egress.map((entry) => [entry.ruleNumber, entry]));
  for (const step of plan.steps) {
    if (step.op === 'delete') {
      entries.delete(step.ruleNumber);
      continue;
    }
    if (entries.has(step.ruleNumber)) {
      throw new ConcurrentUpdateError(
        `rule number ${step.ruleNumber} already exists in ${acl.aclId}`,
        'NetworkAclEntryAlreadyExists',
      );
    }
    entries.set(step.ruleNumber, {
      ruleNumber: step.ruleNumber,
      cidr: step.cidr,
      action: 'deny',
      protocol: '-1',
    });
  }
  return { ...acl, egress: [...entries.values()].sort((a, b) => a.ruleNumber - b.ruleNumber) };
}

/** The IP family of an entry as EC2 reports it: IPv6 entries have an IPv6 CIDR. */
export function entryFamily(entry: Pick<NetworkAclEntry, 'cidr'>): 4 | 6 {
  return entry.cidr.includes(':') ? 6 : 4;
}

function isOurDeny(entry: NetworkAclEntry): boolean {
  return entry.action === 'deny' && entry.protocol === '-1';
}

function countByFamily(entries: readonly NetworkAclEntry[]): { 4: number; 6: number } {
  const count = { 4: 0, 6: 0 };
  for (const entry of entries) count[entryFamily(entry)]++;
  return count;
}

/** Aggregates the desired networks and returns them best first, with the merges that were made. */
function aggregate(
  desired: readonly BlockEntry[],
  mayMerge?: (parent: CidrRange) => boolean,
): {
  candidates: Candidate[];
  merged: { cidr: string; from: string[] }[];
} {
  const blocks = desired.filter((entry) => isNetwork(entry.indicator));
  const values = [...new Set(blocks.map((block) => block.indicator.value))];
  const ranges = new Map(values.map((value) => [value, toRange(value)]));
  // aggregateCidrs returns disjoint networks sorted by address, so each part's owner is the last aggregated
  // network that starts at or before it: one binary search per part instead of a scan of every pair.
  const aggregated = aggregateCidrs(values, mayMerge).map((cidr) => ({ cidr, range: toRange(cidr) }));
  const ownerOf = (value: string): number => {
    const range = ranges.get(value) as CidrRange;
    let low = 0;
    let high = aggregated.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (compareRanges((aggregated[middle] as (typeof aggregated)[number]).range, range) <= 0) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const parts = aggregated.map((): BlockEntry[] => []);
  const from = aggregated.map((): string[] => []);
  for (const block of blocks) parts[ownerOf(block.indicator.value)]?.push(block);
  const byAddress = values.sort((a, b) =>
    compareRanges(ranges.get(a) as CidrRange, ranges.get(b) as CidrRange),
  );
  for (const value of byAddress) from[ownerOf(value)]?.push(value);

  const candidates: Candidate[] = [];
  const merged: { cidr: string; from: string[] }[] = [];
  for (const [index, { cidr, range }] of aggregated.entries()) {
    const sources = from[index] ?? [];
    if (sources.length > 1 || sources[0] !== cidr) merged.push({ cidr, from: sources });
    const owned = (parts[index] ?? []).sort(compareBlockPriority);
    const best = owned[0];
    if (!best) continue;
    const newest = owned.map((part) => part.since).sort(compareNewestFirst)[0] ?? best.since;
    candidates.push({ cidr, family: range.family, severity: best.severity, since: newest, parts: owned });
  }
  candidates.sort(
    (a, b) => b.severity - a.severity || compareNewestFirst(a.since, b.since) || compareText(a.cidr, b.cidr),
  );
  return { candidates, merged };
}

function validateOptions(low: number, high: number, maxEntries: number): void {
  if (
    !Number.isSafeInteger(low) ||
    !Number.isSafeInteger(high) ||
    low < 1 ||
    high > MAX_RULE_NUMBER ||
    low > high
  ) {
    throw new InvalidInputError(
      `must be two rule numbers with 1 <= first <= last <= ${MAX_RULE_NUMBER}`,
      'ruleRange',
    );
  }
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidInputError(`must be a positive integer, got ${maxEntries}`, 'maxEntriesPerFamily');
  }
}
