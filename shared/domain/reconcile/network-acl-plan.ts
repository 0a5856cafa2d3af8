/**
 * Reconciliation plan for network ACL egress denies. Network ACL entries carry no owner tag, so ownership
 * comes from the ledger of the entries Egress Warden wrote: a live entry is ours only when it is a deny for
 * all protocols whose rule number and CIDR the ledger holds. Every other entry (the allows, the default `*`
 * rules, an operator's own denies, inside the reserved range or not) is never deleted or replaced; it keeps
 * its number and counts against the per-family entry quota.
 */
import type { BlockEntry } from '../block';
import {
  aggregateCidrs,
  type CidrRange,
  compareRanges,
  rangeContains,
  rangesOverlap,
  toRange,
} from '../cidr';
import { ConcurrentUpdateError, InvalidInputError } from '../errors';
import { type Indicator, isNetwork } from '../indicator';
import type { NetworkAcl, NetworkAclEntry, NetworkAclLedger, OwnedAclEntry } from '../target';
import { compareBlockPriority, compareNewestFirst, compareText } from './block-priority';

/**
 * One EC2 call on an egress entry: CreateNetworkAclEntry (deny, all protocols), ReplaceNetworkAclEntry (our
 * deny swapped in place for one on another CIDR) or DeleteNetworkAclEntry (one of ours).
 */
export interface NetworkAclStep {
  readonly op: 'create' | 'replace' | 'delete';
  readonly ruleNumber: number;
  /** The CIDR created, written by the replace, or of the entry deleted (the delete is by rule number). */
  readonly cidr: string;
  /** For a replace, the CIDR of our entry that it replaces. */
  readonly previous?: string;
}

/** A desired CIDR that no rule number can make effective, because an allow before it matches first. */
export interface ShadowedBlock {
  readonly cidr: string;
  /** The lowest-numbered allow whose CIDR overlaps `cidr`. */
  readonly allow: NetworkAclEntry;
  /** The blocks written as this CIDR. */
  readonly parts: BlockEntry[];
}

/** The steps that converge one ACL, in the order they must run, and what the ACL could not take. */
export interface NetworkAclPlan {
  readonly aclId: string;
  /** Empty when the ACL is converged (or every remaining change is held). */
  readonly steps: NetworkAclStep[];
  /** Blocks that found no room in this ACL, best first, as the original entries. */
  readonly overflow: BlockEntry[];
  /** Desired CIDRs written as one wider entry that covers exactly the same addresses. */
  readonly merged: { cidr: string; from: string[] }[];
  /** Entries inside the reserved range that Egress Warden did not write: left alone, counted against room. */
  readonly foreign: NetworkAclEntry[];
  /**
   * Allows for `0.0.0.0/0` or `::/0` numbered at or before the end of the reserved range: denies placed after
   * them never match, so the range does not sit before every allow and the ACL is not (fully) effective.
   */
  readonly coveringAllows: NetworkAclEntry[];
  /** Desired CIDRs not written because an allow before every usable number would match first. */
  readonly shadowed: ShadowedBlock[];
  /** Ledger entries that no live entry matches any more (never written, deleted, or replaced by someone). */
  readonly stale: OwnedAclEntry[];
  /** Steps of the full plan left out because the plan is held (0 when it is not). */
  readonly held: number;
}

/** Options of planNetworkAcl. */
export interface NetworkAclPlanOptions {
  /** First and last rule number where Egress Warden writes its denies (inclusive). Default [1, 18]. */
  readonly ruleRange?: readonly [number, number];
  /**
   * Egress entries allowed per IP family, counting the default rule and every entry that is not ours
   * (the EC2 quota: 20 by default, up to 40). Default 20.
   */
  readonly maxEntriesPerFamily?: number;
  /** The ledger's entries for this ACL: what Egress Warden wrote. None when absent. */
  readonly owned?: readonly OwnedAclEntry[];
  /**
   * Held (alert mode): keep only the steps that unblock or narrow, that is deletes of our
   * entries whose addresses are no longer wanted, and creates or replaces that block only addresses one of
   * our current entries already blocks. The rest is counted in `held`.
   */
  readonly hold?: boolean;
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
  readonly range: CidrRange;
  readonly family: 4 | 6;
  readonly severity: number;
  readonly since: string;
  readonly parts: BlockEntry[];
}

/** A CIDR to hold, with the first rule number at which an allow would make it a no-op. */
interface Target {
  readonly candidate: Candidate;
  readonly limit: number;
}

interface Context {
  readonly low: number;
  readonly high: number;
  readonly maxEntries: number;
  readonly egress: readonly NetworkAclEntry[];
  readonly own: readonly NetworkAclEntry[];
}

/**
 * Plans the steps that make `acl` hold exactly one effective deny for all protocols per chosen CIDR, for
 * the IP and CIDR blocks in `desired` (domains are ignored), touching only entries the ledger (`owned`)
 * says are ours.
 *
 * Desired CIDRs are first aggregated per family with exact merges only. A CIDR is shadowed when every
 * usable number of the range comes after an allow whose CIDR overlaps it: it is reported, never written.
 * Room per family is the smaller of the range's numbers not held by foreign entries (one pool for both
 * families) and the quota left by foreign entries; CIDRs are chosen by severity, then newest, then CIDR
 * text, and the rest go to `overflow`. Correct own entries keep their numbers. Steps never exceed the quota
 * on the way and never open a gap: first the creates that fit in numbers free now and under the family's
 * current count, then, when the range or the quota is full, replaces of own entries of the same family
 * (ReplaceNetworkAclEntry, preferring an entry the new CIDR contains), then the deletes of own entries
 * (ascending), then the creates that needed a freed number. New entries take the lowest number available
 * at their step. Pure and deterministic. Throws InvalidInputError for a bad option or a desired CIDR that is
 * not canonical.
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

  const egress = [...acl.egress].sort((a, b) => a.ruleNumber - b.ruleNumber);
  const ownedKeys = new Set((options.owned ?? []).map(ledgerKey));
  const own = egress.filter((entry) => isDenyAll(entry) && ownedKeys.has(ledgerKey(entry)));
  const ownKeys = new Set(own.map(ledgerKey));
  const foreignEntries = egress.filter((entry) => !ownKeys.has(ledgerKey(entry)));
  const stale = dedupe(options.owned ?? []).filter((entry) => !ownKeys.has(ledgerKey(entry)));
  const allows = parsedAllows(foreignEntries);
  // An allow numbered before a deny exempts every address they share, so a deny must come before each allow
  // it overlaps (not only those that contain it) to take full effect; one that cannot is reported, not written.
  const limitOf = (range: CidrRange) => allows.find((allow) => rangesOverlap(allow.range, range))?.entry;

  const { candidates, merged } = aggregateOnce(desired, options.mayMerge);
  const foreignCount = countByFamily(foreignEntries);
  const quota = {
    4: Math.max(0, maxEntries - foreignCount[4]),
    6: Math.max(0, maxEntries - foreignCount[6]),
  };
  const foreignNumbers = new Set(foreignEntries.map((entry) => entry.ruleNumber));
  let firstUsable: number | undefined;
  let pool = 0;
  for (let ruleNumber = low; ruleNumber <= high; ruleNumber++) {
    if (foreignNumbers.has(ruleNumber)) continue;
    firstUsable ??= ruleNumber;
    pool++;
  }
  const used = { 4: 0, 6: 0 };
  const chosen: Target[] = [];
  const overflow: BlockEntry[] = [];
  const shadowed: ShadowedBlock[] = [];
  for (const candidate of candidates) {
    const allow = limitOf(candidate.range);
    const limit = allow?.ruleNumber ?? Number.POSITIVE_INFINITY;
    if (allow && (firstUsable === undefined || firstUsable >= limit)) {
      shadowed.push({ cidr: candidate.cidr, allow, parts: [...candidate.parts] });
    } else if (pool > 0 && used[candidate.family] < quota[candidate.family]) {
      chosen.push({ candidate, limit });
      used[candidate.family]++;
      pool--;
    } else {
      overflow.push(...candidate.parts);
    }
  }

  const context: Context = { low, high, maxEntries, egress, own };
  const full = placeTargets(context, chosen, new Set());
  overflow.push(...full.unplaced.flatMap((target) => target.candidate.parts));
  let steps = full.steps;
  let held = 0;
  if (options.hold) {
    let { targets, pinned } = heldTargets(own, chosen, candidates);
    let placed = placeTargets(context, targets, pinned);
    // A narrower CIDR that finds no number must not cost the wider entry of ours that still blocks it.
    while (placed.unplaced.length > 0) {
      const unplaced = new Set(placed.unplaced);
      targets = targets.filter((target) => !unplaced.has(target));
      pinned = new Set([
        ...pinned,
        ...overlapping(
          own,
          placed.unplaced.map((target) => target.candidate.range),
        ),
      ]);
      placed = placeTargets(context, targets, pinned);
    }
    steps = placed.steps;
    const written = new Set(steps.map(stepKey));
    held = full.steps.filter((step) => !written.has(stepKey(step))).length;
  }
  return {
    aclId: acl.aclId,
    steps,
    overflow,
    // Each plan owns its lists: the aggregation is shared by every ACL planned for the same blocks.
    merged: merged.map(({ cidr, from }) => ({ cidr, from: [...from] })),
    foreign: foreignEntries.filter((entry) => inRange(entry.ruleNumber)),
    coveringAllows: foreignEntries.filter(
      (entry) =>
        entry.action === 'allow' &&
        (entry.cidr === '0.0.0.0/0' || entry.cidr === '::/0') &&
        entry.ruleNumber <= high,
    ),
    shadowed,
    stale,
    held,
  };
}

/**
 * The steps that bring the own entries to `targets` (best first), keeping `pinned` own entries as they are.
 * Returns the targets that found no number or quota.
 */
function placeTargets(
  { low, high, maxEntries, egress, own }: Context,
  targets: readonly Target[],
  pinned: ReadonlySet<NetworkAclEntry>,
): { steps: NetworkAclStep[]; unplaced: Target[] } {
  const inRange = (ruleNumber: number) => ruleNumber >= low && ruleNumber <= high;
  const kept = new Set<NetworkAclEntry>(pinned);
  const needing: Target[] = [];
  for (const target of targets) {
    const existing = own.find(
      (entry) =>
        entry.cidr === target.candidate.cidr &&
        inRange(entry.ruleNumber) &&
        entry.ruleNumber < target.limit &&
        !kept.has(entry),
    );
    if (existing) kept.add(existing);
    else needing.push(target);
  }
  const removals = own.filter((entry) => !kept.has(entry));

  const taken = new Set(egress.map((entry) => entry.ruleNumber));
  const freeNow: number[] = [];
  for (let ruleNumber = low; ruleNumber <= high; ruleNumber++) {
    if (!taken.has(ruleNumber)) freeNow.push(ruleNumber);
  }
  const count = countByFamily(egress);
  const early: NetworkAclStep[] = [];
  const late: Target[] = [];
  for (const target of needing) {
    const ruleNumber = freeNow[0];
    const family = target.candidate.family;
    if (ruleNumber !== undefined && ruleNumber < target.limit && count[family] < maxEntries) {
      freeNow.shift();
      count[family]++;
      early.push({ op: 'create', ruleNumber, cidr: target.candidate.cidr });
    } else {
      late.push(target);
    }
  }

  // The range or the quota is full: swap one of our entries in place rather than delete then create.
  const replaced = new Set<NetworkAclEntry>();
  const replaces: NetworkAclStep[] = [];
  const lateCreates: Target[] = [];
  for (const target of late) {
    const { range, family } = target.candidate;
    const options = removals.filter(
      (entry) =>
        !replaced.has(entry) &&
        inRange(entry.ruleNumber) &&
        entryFamily(entry) === family &&
        entry.ruleNumber < target.limit,
    );
    const entryRange = (entry: NetworkAclEntry) => toRange(entry.cidr);
    const swap =
      options.find((entry) => rangeContains(range, entryRange(entry))) ??
      options.find((entry) => rangeContains(entryRange(entry), range)) ??
      options[0];
    if (!swap) {
      lateCreates.push(target);
      continue;
    }
    replaced.add(swap);
    replaces.push({
      op: 'replace',
      ruleNumber: swap.ruleNumber,
      cidr: target.candidate.cidr,
      previous: swap.cidr,
    });
  }

  const deletes = removals.filter((entry) => !replaced.has(entry));
  for (const entry of deletes) count[entryFamily(entry)]--;
  const available = [...deletes.map((entry) => entry.ruleNumber).filter(inRange), ...freeNow].sort(
    (a, b) => a - b,
  );
  const lateSteps: NetworkAclStep[] = [];
  const unplaced: Target[] = [];
  for (const target of lateCreates) {
    const family = target.candidate.family;
    const ruleNumber = available[0];
    if (ruleNumber === undefined || ruleNumber >= target.limit || count[family] >= maxEntries) {
      unplaced.push(target);
      continue;
    }
    available.shift();
    count[family]++;
    lateSteps.push({ op: 'create', ruleNumber, cidr: target.candidate.cidr });
  }
  return {
    steps: [
      ...early,
      ...replaces,
      ...deletes.map(
        (entry): NetworkAclStep => ({ op: 'delete', ruleNumber: entry.ruleNumber, cidr: entry.cidr }),
      ),
      ...lateSteps,
    ],
    unplaced,
  };
}

/**
 * What a held plan converges to: the chosen CIDRs that one of our entries already covers (so writing them
 * blocks nothing new), and, pinned as they are, our entries that still block addresses of a desired CIDR
 * that cannot be written now (a wider merge, a new block, a block displaced by a new one).
 */
function heldTargets(
  own: readonly NetworkAclEntry[],
  chosen: readonly Target[],
  candidates: readonly Candidate[],
): { targets: Target[]; pinned: Set<NetworkAclEntry> } {
  const ownRanges = own.map((entry) => toRange(entry.cidr));
  const covered = (range: CidrRange) => ownRanges.some((item) => rangeContains(item, range));
  const targets = chosen.filter((target) => covered(target.candidate.range));
  const placed = new Set(targets.map((target) => target.candidate));
  const unplaced = candidates.filter((candidate) => !placed.has(candidate));
  return {
    targets,
    pinned: new Set(
      overlapping(
        own,
        unplaced.map((candidate) => candidate.range),
      ),
    ),
  };
}

/** Our entries that share an address with any of the ranges. */
function overlapping(own: readonly NetworkAclEntry[], ranges: readonly CidrRange[]): NetworkAclEntry[] {
  return own.filter((entry) => {
    const range = toRange(entry.cidr);
    return ranges.some((other) => rangesOverlap(range, other));
  });
}

/**
 * Runs the steps of a plan on an ACL, as EC2 would, and returns the new ACL with its egress entries sorted
 * by rule number. A delete of a missing number is a no-op, as in the adapter. Throws InvalidInputError when
 * the plan is for another ACL, ConcurrentUpdateError when a create hits a number that is taken
 * (`NetworkAclEntryAlreadyExists`) or a replace a number that is empty (`InvalidNetworkAclEntry.NotFound`).
 */
export function applyNetworkAclPlan(
  acl: NetworkAcl,
  plan: Pick<NetworkAclPlan, 'aclId' | 'steps'>,
): NetworkAcl {
  if (plan.aclId !== acl.aclId) {
    throw new InvalidInputError(`the plan is for ${plan.aclId}, not ${acl.aclId}`, 'aclId');
  }
  const entries = new Map<number, NetworkAclEntry>(acl.egress.map((entry) => [entry.ruleNumber, entry]));
  for (const step of plan.steps) {
    if (step.op === 'delete') {
      entries.delete(step.ruleNumber);
      continue;
    }
    if (step.op === 'create' && entries.has(step.ruleNumber)) {
      throw new ConcurrentUpdateError(
        `rule number ${step.ruleNumber} already exists in ${acl.aclId}`,
        'NetworkAclEntryAlreadyExists',
      );
    }
    if (step.op === 'replace' && !entries.has(step.ruleNumber)) {
      throw new ConcurrentUpdateError(
        `rule number ${step.ruleNumber} does not exist in ${acl.aclId}`,
        'InvalidNetworkAclEntry.NotFound',
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

/** The ledger entries that steps write: recorded before the steps run, so a crash leaves an intent, not a loss. */
export function claimedBy(steps: readonly NetworkAclStep[]): OwnedAclEntry[] {
  return steps
    .filter((step) => step.op !== 'delete')
    .map((step) => ({ ruleNumber: step.ruleNumber, cidr: step.cidr }));
}

/** The ledger entries that steps remove from the ACL: dropped from the ledger only after the steps ran. */
export function releasedBy(steps: readonly NetworkAclStep[]): OwnedAclEntry[] {
  return steps.flatMap((step): OwnedAclEntry[] => {
    if (step.op === 'delete') return [{ ruleNumber: step.ruleNumber, cidr: step.cidr }];
    if (step.op === 'replace' && step.previous !== undefined) {
      return [{ ruleNumber: step.ruleNumber, cidr: step.previous }];
    }
    return [];
  });
}

/** The entries the ledger holds for one ACL (none when it holds nothing for it). */
export function ownedIn(ledger: NetworkAclLedger, aclId: string): readonly OwnedAclEntry[] {
  return ledger.acls.find((acl) => acl.aclId === aclId)?.entries ?? [];
}

/**
 * The next version of the ledger with one ACL changed: `remove` dropped, then `add` added. Entries stay
 * sorted and unique, ACLs sorted by id, an ACL left with no entry is dropped.
 */
export function changeLedger(
  ledger: NetworkAclLedger,
  aclId: string,
  change: { readonly add: readonly OwnedAclEntry[]; readonly remove: readonly OwnedAclEntry[] },
): NetworkAclLedger {
  const removed = new Set(change.remove.map(ledgerKey));
  const entries = dedupe([
    ...ownedIn(ledger, aclId).filter((entry) => !removed.has(ledgerKey(entry))),
    ...change.add,
  ]);
  const others = ledger.acls.filter((acl) => acl.aclId !== aclId);
  const acls = entries.length === 0 ? others : [...others, { aclId, entries }];
  return {
    acls: acls.sort((a, b) => compareText(a.aclId, b.aclId)),
    version: ledger.version + 1,
  };
}

/** The IP family of an entry as EC2 reports it: IPv6 entries have an IPv6 CIDR. */
export function entryFamily(entry: Pick<NetworkAclEntry, 'cidr'>): 4 | 6 {
  return entry.cidr.includes(':') ? 6 : 4;
}

function isDenyAll(entry: NetworkAclEntry): boolean {
  return entry.action === 'deny' && entry.protocol === '-1';
}

function ledgerKey(entry: OwnedAclEntry): string {
  return `${entry.ruleNumber} ${entry.cidr}`;
}

function stepKey(step: NetworkAclStep): string {
  return `${step.op} ${step.ruleNumber} ${step.cidr} ${step.previous ?? ''}`;
}

/** Unique entries (number and CIDR only), sorted by rule number then CIDR. */
function dedupe(entries: readonly OwnedAclEntry[]): OwnedAclEntry[] {
  const unique = new Map(
    entries.map((entry) => [ledgerKey(entry), { ruleNumber: entry.ruleNumber, cidr: entry.cidr }]),
  );
  return [...unique.values()].sort((a, b) => a.ruleNumber - b.ruleNumber || compareText(a.cidr, b.cidr));
}

/** The allows, lowest number first, with their parsed ranges; an allow EC2 reported oddly is skipped. */
function parsedAllows(entries: readonly NetworkAclEntry[]): { entry: NetworkAclEntry; range: CidrRange }[] {
  const allows: { entry: NetworkAclEntry; range: CidrRange }[] = [];
  for (const entry of entries) {
    if (entry.action !== 'allow') continue;
    try {
      allows.push({ entry, range: toRange(entry.cidr) });
    } catch {
      // The adapter reports CIDRs it cannot canonicalise as they are; such an allow cannot be reasoned about.
    }
  }
  return allows.sort((a, b) => a.entry.ruleNumber - b.entry.ruleNumber);
}

function countByFamily(entries: readonly NetworkAclEntry[]): { 4: number; 6: number } {
  const count = { 4: 0, 6: 0 };
  for (const entry of entries) count[entryFamily(entry)]++;
  return count;
}

/** The desired networks aggregated, best first, with the merges that were made. */
interface Aggregation {
  readonly candidates: readonly Candidate[];
  readonly merged: readonly { readonly cidr: string; readonly from: readonly string[] }[];
}

/**
 * Aggregations already made, by desired list and veto: a reconcile plans the same desired list for every ACL,
 * and aggregating it (parsing and merging every CIDR) is most of a plan. Weak, so a list and its aggregation
 * go together; `desired` is read-only input, never changed after it is planned.
 */
const aggregations = new WeakMap<
  readonly BlockEntry[],
  Map<((parent: CidrRange) => boolean) | undefined, Aggregation>
>();

/** {@link aggregate}, once per desired list and veto. */
function aggregateOnce(
  desired: readonly BlockEntry[],
  mayMerge?: (parent: CidrRange) => boolean,
): Aggregation {
  let byVeto = aggregations.get(desired);
  if (!byVeto) {
    byVeto = new Map();
    aggregations.set(desired, byVeto);
  }
  let aggregation = byVeto.get(mayMerge);
  if (!aggregation) {
    aggregation = aggregate(desired, mayMerge);
    byVeto.set(mayMerge, aggregation);
  }
  return aggregation;
}

/**
 * Ranges already parsed, by indicator: reconcile hands the same indicator objects to every run, and parsing
 * is most of an aggregation. Weak, so they go with the indicators.
 */
const rangesByIndicator = new WeakMap<Indicator, CidrRange>();

/** The range of a network indicator's (canonical) value. */
function rangeOf(indicator: Indicator): CidrRange {
  let range = rangesByIndicator.get(indicator);
  if (!range) {
    range = toRange(indicator.value);
    rangesByIndicator.set(indicator, range);
  }
  return range;
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
  const ranges = new Map<string, CidrRange>();
  for (const block of blocks) {
    if (!ranges.has(block.indicator.value)) ranges.set(block.indicator.value, rangeOf(block.indicator));
  }
  const values = [...ranges.keys()];
  // aggregateCidrs returns disjoint networks sorted by address, so each part's owner is the last aggregated
  // network that starts at or before it: one binary search per part instead of a scan of every pair. Most
  // are desired CIDRs themselves, whose range is known.
  const aggregated = aggregateCidrs(values, mayMerge).map((cidr) => ({
    cidr,
    range: ranges.get(cidr) ?? toRange(cidr),
  }));
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
    candidates.push({
      cidr,
      range,
      family: range.family,
      severity: best.severity,
      since: newest,
      parts: owned,
    });
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
