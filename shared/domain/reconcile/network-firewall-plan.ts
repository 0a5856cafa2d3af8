/**
 * Reconciliation plan for the stateful Network Firewall rule group. The group may also hold rules that are
 * not ours; they are kept as they are, in their order, ahead of ours. Our rules are recognised by a
 * `msg:"egress-warden …"` AND a SID in EGRESS_WARDEN_SID_RANGE, so a foreign rule is never rewritten.
 *
 * Our rules are grouped, so that one group holds tens of thousands of blocks within its 2,000,000 bytes
 * (a rule per indicator bound at about 4,300 domains):
 *
 * ```
 * drop ip any any -> [198.51.100.7/32,2001:db8::/32] any (msg:"egress-warden block ip 1"; sid:…; rev:1;)
 * drop tls any any -> any any (msg:"egress-warden block tls 1"; flow:to_server; tls.sni; pcre:"/(?:^|\.)(?:evil\.example\.org|bad\.example\.net)\.?$/i"; sid:…; rev:1;)
 * drop tls any any -> any any (msg:"egress-warden block tls-wildcard 1"; flow:to_server; tls.sni; pcre:"/\.(?:evil\.example\.com)\.?$/i"; sid:…; rev:1;)
 * drop http any any -> any any (msg:"egress-warden block http 1"; flow:to_server; http.host; pcre:"/(?:^|\.)(?:evil\.example\.org|bad\.example\.net)\.?$/"; sid:…; rev:1;)
 * ```
 *
 * * The names are anchored at the end and at a label boundary, and `\.?` takes the final dot that Suricata 7
 *   keeps in `tls.sni` and `http.host` (`evil.example.org.` is the same name). A name blocks itself and its
 *   subdomains; a wildcard `*.x` (its own rules) only names with a label before `x`. SNI is matched without
 *   regard to case (`/i`); Suricata lowercases `http.host` and strips its port.
 * * No rule names `$HOME_NET` or `$EXTERNAL_NET`: the firewall policy's default HOME_NET is the firewall's
 *   own VPC, so rules bound to it see nothing of IPv6 or of centrally inspected (Transit Gateway) traffic.
 *   Direction comes from `flow:to_server`; an address is blocked as a destination from anywhere.
 * * Every embedded value is validated first (canonical CIDRs; names of `[a-z0-9_-]` labels) and every regex
 *   metacharacter escaped, so no value can end the pattern, the option or the rule.
 * * Rules are packed in sorted order (addresses by range, names by text), each up to the 8,192-character
 *   limit. A rule's identity is its kind and ordinal (its `msg`); a rule keeps the SID that the group already
 *   gives that identity, and a new identity gets a hash of it into the range, probed to the next free SID.
 */
import type { BlockEntry } from '../block';
import { type CidrRange, compareRanges, toRange } from '../cidr';
import { InvalidInputError } from '../errors';
import { fnv1a32 } from '../hash';
import type { Indicator } from '../indicator';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '../target';
import { compareText, sortByPriority } from './block-priority';

/**
 * The SIDs our rules use: 1,900,000,000 to 1,999,999,999 (inclusive). Below 2^31 so that tools that read a
 * SID as a signed 32-bit integer accept it; a foreign rule that holds a SID in it only pushes ours to the
 * next free one, as SIDs must be unique in a group.
 */
export const EGRESS_WARDEN_SID_RANGE = { first: 1_900_000_000, last: 1_999_999_999 } as const;

/** What our rules do on a match: `drop` enforces, `alert` only logs (shadow mode). */
export type RuleAction = 'drop' | 'alert';

/** Options of renderSuricataRules and planNetworkFirewall. */
export interface NetworkFirewallPlanOptions {
  /** Default `drop`. */
  readonly action?: RuleAction;
}

/** The rules string to write, or null when the group already holds exactly it. */
export interface NetworkFirewallPlan {
  /** The whole new rules string (foreign lines first, then ours), or null when nothing changes. */
  readonly rules: string | null;
  /** Rules in the resulting group, foreign and ours: what the group's capacity is measured against. */
  readonly ruleCount: number;
  /** Blocks that did not fit in the capacity or size limits, best first. */
  readonly overflow: BlockEntry[];
}

/** A rules string split into our rules and everything else. */
export interface ParsedRules {
  /** Every line that is not one of our rules (foreign rules, comments, blank lines), in order. */
  readonly foreign: string[];
  /** How many of the foreign lines are rules (not comments, not blank, continuations counted once). */
  readonly foreignRuleCount: number;
  /** Our rule lines, in order. */
  readonly own: string[];
}

/** The kinds of our rules, in the order they are written. */
const KINDS = ['ip', 'tls', 'tls-wildcard', 'http', 'http-wildcard'] as const;
type Kind = (typeof KINDS)[number];

/** One value to embed in a rule of a kind, and the text it takes there (escaped, for names). */
interface Item {
  readonly sortKey: CidrRange | string;
  readonly text: string;
}

const SID_SPAN = EGRESS_WARDEN_SID_RANGE.last - EGRESS_WARDEN_SID_RANGE.first + 1;
const OWN_MESSAGE = 'msg:"egress-warden ';
const SID_PATTERN = /(?:^|[(;\s])sid\s*:\s*(\d+)\s*;/;
const NAME = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
/** More rules than a group can ever hold, so the longest ordinal is an upper bound for every rule. */
const LONGEST_ORDINAL = 99_999;
const encoder = new TextEncoder();
const LINE_TERMINATORS = '\n\r\u2028\u2029';

/**
 * Renders our Suricata rules for `desired` into an empty group (see the module comment for their shape).
 * Blocks that would break the group limits (2,000,000 bytes, 30,000 rules) go to `overflow`, best first.
 * Throws InvalidInputError for an indicator that could inject rule syntax (it cannot come out of the parser).
 */
export function renderSuricataRules(
  desired: readonly BlockEntry[],
  options: NetworkFirewallPlanOptions = {},
): { rules: string[]; overflow: BlockEntry[] } {
  return renderWithin(desired, options.action ?? 'drop', {
    rules: NETWORK_FIREWALL_LIMITS.maxCapacity,
    bytes: NETWORK_FIREWALL_LIMITS.maxRulesBytes,
    takenSids: new Set(),
    sidsByIdentity: new Map(),
  });
}

/**
 * Plans the new rules string of the group: foreign lines kept in order at the top, then our rules for
 * `desired`. The total rule count stays within `actual.capacity` and the string within the size limits;
 * blocks that do not fit go to `overflow` best first. Each of our rules keeps the SID it has in `actual`.
 * `rules` is null when the result equals `actual.rules`, so running it twice writes once. Pure and
 * deterministic.
 */
export function planNetworkFirewall(
  desired: readonly BlockEntry[],
  actual: RuleGroupSnapshot,
  options: NetworkFirewallPlanOptions = {},
): NetworkFirewallPlan {
  const parsed = parseOwnRules(actual.rules);
  const foreign = trimTrailingBlankLines(parsed.foreign);
  // A blank line ends a foreign rule left open by a trailing backslash, so it cannot swallow our first rule.
  if (splitLines(foreign).open) foreign.push('');
  const foreignBytes = foreign.reduce((sum, line) => sum + encoder.encode(line).length + 1, 0);
  const sidsByIdentity = new Map<string, number>();
  for (const line of parsed.own) {
    const identity = identityOf(line);
    const sid = sidsIn(line)[0];
    if (identity !== undefined && sid !== undefined && !sidsByIdentity.has(identity)) {
      sidsByIdentity.set(identity, sid);
    }
  }
  const { rules, overflow } = renderWithin(desired, options.action ?? 'drop', {
    rules: Math.min(actual.capacity, NETWORK_FIREWALL_LIMITS.maxCapacity) - parsed.foreignRuleCount,
    bytes: NETWORK_FIREWALL_LIMITS.maxRulesBytes - foreignBytes,
    takenSids: new Set(foreign.flatMap((line) => sidsIn(line))),
    sidsByIdentity,
  });
  const text = [...foreign, ...rules].join('\n');
  return {
    rules: text === actual.rules ? null : text,
    ruleCount: parsed.foreignRuleCount + rules.length,
    overflow,
  };
}

/**
 * Splits a rules string into our rules and everything else. A line is ours when it has
 * `msg:"egress-warden ` and a SID in EGRESS_WARDEN_SID_RANGE; a rule continued over several lines with a
 * trailing backslash is never ours. Lines are split on `\n` and kept byte for byte.
 */
export function parseOwnRules(rules: string): ParsedRules {
  const { foreign, foreignRuleCount, own } = splitLines(rules === '' ? [] : rules.split('\n'));
  return { foreign, foreignRuleCount, own };
}

/**
 * The IPs/CIDRs and domains that our rules in a rules string block (action `drop` or `reject`; `alert` rules
 * block nothing), each sorted and listed once, read from what the rules match: an `ip` rule's destinations,
 * a `tls`/`http` rule's pattern (`*.x` when it matches subdomains only). Rules of the earlier one-rule-per-
 * indicator shape (a `content` with or without `dotprefix`) are read too, so a group not yet rewritten is
 * shown as it is. Used to show what a rule group enforces.
 */
export function blockedByRules(rules: string): { ips: string[]; domains: string[] } {
  const { ips, domains } = blockedSetsByRules(rules);
  return { ips: sortNetworkText([...ips]), domains: [...domains].sort(compareText) };
}

/** What our rules block, as {@link blockedByRules} reads it, in sets and unsorted: for comparing two groups. */
export interface BlockedSets {
  readonly ips: ReadonlySet<string>;
  readonly domains: ReadonlySet<string>;
}

/** {@link blockedByRules} without the sorting, for callers that only test membership. */
export function blockedSetsByRules(rules: string): BlockedSets {
  const ips = new Set<string>();
  const domains = new Set<string>();
  for (const line of parseOwnRules(rules).own) {
    const header = /^\s*(drop|reject)\s+(\S+)\s+\S+\s+\S+\s+->\s+(\S+)\s/.exec(line);
    if (!header) continue;
    const [, , protocol, destination = ''] = header;
    if (protocol === 'ip') {
      for (const cidr of destination.replace(/^\[|\]$/g, '').split(',')) ips.add(cidr);
      continue;
    }
    const pattern = /pcre:"\/(\(\?:\^\|\\\.\)|\\\.)\(\?:([^)"]*)\)\\\.\?\$\/i?";/.exec(line);
    if (pattern) {
      const wildcard = pattern[1] === '\\.' ? '*.' : '';
      for (const name of (pattern[2] ?? '').split('|')) domains.add(wildcard + unescapePattern(name));
      continue;
    }
    const content = /content:"\.?([^"]+)"/.exec(line)?.[1];
    if (content !== undefined) domains.add(line.includes('dotprefix;') ? content : `*.${content}`);
  }
  return { ips, domains };
}

/**
 * What the rules a plan writes block, worked out from its input rather than read back from its text: every
 * desired block that is not in the plan's overflow (nothing for `alert` rules). Equal to
 * `blockedSetsByRules(plan.rules)` whenever the plan writes, at the cost of one pass over `desired`.
 */
export function blockedSetsOfPlan(
  desired: readonly BlockEntry[],
  plan: Pick<NetworkFirewallPlan, 'overflow'>,
  options: NetworkFirewallPlanOptions = {},
): BlockedSets {
  const ips = new Set<string>();
  const domains = new Set<string>();
  if ((options.action ?? 'drop') === 'alert') return { ips, domains };
  const left = new Set(plan.overflow);
  for (const block of desired) {
    if (left.has(block)) continue;
    if (block.indicator.kind === 'domain') domains.add(block.indicator.value);
    else ips.add(block.indicator.value);
  }
  return { ips, domains };
}

/**
 * What `after` blocks that `before` did not (`added`) and the reverse (`removed`), each listed as
 * {@link blockedByRules} would order them (addresses by range, then names), read from the two groups'
 * {@link BlockedSets}. Only the differences are sorted, not every value of both groups.
 */
export function changedBlocks(
  before: BlockedSets,
  after: BlockedSets,
): { added: string[]; removed: string[] } {
  return { added: missingFrom(after, before), removed: missingFrom(before, after) };
}

/**
 * The values of `from` that `other` lacks, addresses first (by range), then names (as text). The addresses
 * are sorted whole before filtering, as their order is not total when one does not parse, and only when one
 * is missing; names are sorted after filtering, as text order is total.
 */
function missingFrom(from: BlockedSets, other: BlockedSets): string[] {
  const lacks = (value: string) => !other.ips.has(value) && !other.domains.has(value);
  let ips: string[] = [];
  for (const ip of from.ips) {
    if (!lacks(ip)) continue;
    ips = sortNetworkText([...from.ips]).filter(lacks);
    break;
  }
  const domains: string[] = [];
  // A value read both as an address and as a name is listed once, with the addresses.
  for (const domain of from.domains) if (lacks(domain) && !from.ips.has(domain)) domains.push(domain);
  return [...ips, ...domains.sort(compareText)];
}

/**
 * A name as the pattern holds it with each escape (`\.`) replaced by the character escaped. A scan rather
 * than a regular expression replace: this runs for every name of every rule each time a group is read.
 */
function unescapePattern(text: string): string {
  let backslash = text.indexOf('\\');
  if (backslash < 0) return text;
  let result = '';
  let from = 0;
  while (backslash >= 0 && backslash + 1 < text.length) {
    // As `.` in a regular expression, a line terminator is not escaped: the backslash stays.
    const next = text.charAt(backslash + 1);
    const dropped = LINE_TERMINATORS.includes(next) ? 0 : 1;
    result += text.slice(from, backslash + 1 - dropped) + next;
    from = backslash + 2;
    backslash = text.indexOf('\\', from);
  }
  return result + text.slice(from);
}

/** `open` is true when the last line continues onto the next one, which would swallow a rule put after it. */
function splitLines(lines: readonly string[]): ParsedRules & { open: boolean } {
  const foreign: string[] = [];
  const own: string[] = [];
  let foreignRuleCount = 0;
  let continued = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (continued) {
      foreign.push(line);
    } else if (isOwnRule(line)) {
      own.push(line);
    } else {
      foreign.push(line);
      if (trimmed !== '' && !trimmed.startsWith('#')) foreignRuleCount++;
    }
    continued = trimmed.endsWith('\\') && (continued || !trimmed.startsWith('#'));
  }
  return { foreign, foreignRuleCount, own, open: continued };
}

function isOwnRule(line: string): boolean {
  const trimmed = line.trim();
  if (!line.includes(OWN_MESSAGE) || trimmed.startsWith('#') || trimmed.endsWith('\\')) return false;
  const sid = sidsIn(line)[0];
  return sid !== undefined && sid >= EGRESS_WARDEN_SID_RANGE.first && sid <= EGRESS_WARDEN_SID_RANGE.last;
}

/** The identity of one of our grouped rules, its kind and ordinal (`tls 3`); none for any other line. */
function identityOf(line: string): string | undefined {
  return /msg:"egress-warden block ([a-z-]+ \d+)";/.exec(line)?.[1];
}

function sidsIn(line: string): number[] {
  const match = SID_PATTERN.exec(line);
  return match?.[1] === undefined ? [] : [Number(match[1])];
}

function trimTrailingBlankLines(lines: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]?.trim() === '') end--;
  return lines.slice(0, end);
}

/** The length of the fixed text of a rule of `kind` (everything but its values), at its longest ordinal and SID. */
function overheadOf(kind: Kind, action: RuleAction): number {
  return ruleText(kind, action, LONGEST_ORDINAL, '', EGRESS_WARDEN_SID_RANGE.last).length;
}

/**
 * Chooses blocks best first within the budget, then packs the chosen values in sorted order into rules and
 * gives each rule its SID. Packing is next-fit, so every rule but the last is more than full minus one value:
 * `units / (room - largest) + 1` rules per kind is an upper bound, checked before a block is taken. `units` is
 * the sum over a kind's values of their text length plus one separator, `largest` the largest such value.
 * Per kind in arrays and plain numbers: this loop runs for every block on every reconcile.
 */
function renderWithin(
  desired: readonly BlockEntry[],
  action: RuleAction,
  budget: {
    rules: number;
    bytes: number;
    takenSids: ReadonlySet<number>;
    sidsByIdentity: ReadonlyMap<string, number>;
  },
): { rules: string[]; overflow: BlockEntry[] } {
  const overhead = KINDS.map((kind) => overheadOf(kind, action));
  // A rule holds `room` units: its values and their separators, plus the separator its last value lacks.
  const room = overhead.map((fixed) => NETWORK_FIREWALL_LIMITS.maxRuleLength - fixed + 1);
  const units = KINDS.map(() => 0);
  const largest = KINDS.map(() => 0);
  // Each kind's chosen values, once per text, and their texts.
  const chosen = KINDS.map((): Item[] => []);
  const chosenTexts = KINDS.map(() => new Set<string>());
  const boundRules = (kind: number, kindUnits: number, kindLargest: number) =>
    kindUnits === 0 ? 0 : Math.floor(kindUnits / ((room[kind] ?? 0) - kindLargest)) + 1;
  const overflow: BlockEntry[] = [];
  let usedRules = 0;
  let usedBytes = 0;
  const taken: Placement[] = [];
  for (const block of sortByPriority(desired)) {
    const placements = placementsOf(block);
    let placedAlready = true;
    let fitsOneRule = true;
    let nextRules = usedRules;
    let nextBytes = usedBytes;
    for (const placement of placements) {
      const { kind, item } = placement;
      if (!chosenTexts[kind]?.has(item.text)) {
        placedAlready = false;
        taken.push(placement);
      }
      const fixed = overhead[kind] ?? 0;
      if (fixed + item.text.length > NETWORK_FIREWALL_LIMITS.maxRuleLength) fitsOneRule = false;
      const before = units[kind] ?? 0;
      const after = before + item.text.length + 1;
      const beforeRules = boundRules(kind, before, largest[kind] ?? 0);
      const afterRules = boundRules(kind, after, Math.max(largest[kind] ?? 0, item.text.length + 1));
      nextRules += afterRules - beforeRules;
      nextBytes += afterRules * fixed + after - (beforeRules * fixed + before);
    }
    if (placedAlready) continue;
    if (!fitsOneRule || nextRules > budget.rules || nextBytes > budget.bytes) {
      taken.length = 0;
      overflow.push(block);
      continue;
    }
    usedRules = nextRules;
    usedBytes = nextBytes;
    for (const { kind, item } of placements) {
      units[kind] = (units[kind] ?? 0) + item.text.length + 1;
      largest[kind] = Math.max(largest[kind] ?? 0, item.text.length + 1);
    }
    for (const { kind, item } of taken) {
      chosenTexts[kind]?.add(item.text);
      chosen[kind]?.push(item);
    }
    taken.length = 0;
  }
  const packed = KINDS.flatMap((kind, index) => pack(kind, chosen[index] ?? [], overhead[index] ?? 0));
  const sids = assignSids(
    packed.map((rule) => rule.identity),
    budget,
  );
  const rules = packed.map((rule, index) =>
    ruleText(rule.kind, action, rule.ordinal, rule.list, sids[index] ?? 0),
  );
  // Defence in depth: a packing that breaks a limit is a bug, and the service would reject it anyway.
  if (rules.some((rule) => rule.length > NETWORK_FIREWALL_LIMITS.maxRuleLength)) {
    throw new Error('a rendered Suricata rule is longer than the rule length limit');
  }
  return { rules, overflow };
}

/** Packs the values of one kind, sorted, into as few rules as next-fit gives, numbered from 1. */
function pack(
  kind: Kind,
  items: Item[],
  overhead: number,
): { kind: Kind; ordinal: number; identity: string; list: string }[] {
  const separator = kind === 'ip' ? ',' : '|';
  const sorted = items.sort((a, b) => compareSortKeys(a.sortKey, b.sortKey));
  const lists: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const item of sorted) {
    const added = current.length === 0 ? item.text.length : item.text.length + 1;
    if (current.length > 0 && overhead + length + added > NETWORK_FIREWALL_LIMITS.maxRuleLength) {
      lists.push(current);
      current = [];
      length = 0;
    }
    length += current.length === 0 ? item.text.length : item.text.length + 1;
    current.push(item.text);
  }
  if (current.length > 0) lists.push(current);
  return lists.map((list, index) => ({
    kind,
    ordinal: index + 1,
    identity: `${kind} ${index + 1}`,
    list: list.join(separator),
  }));
}

/**
 * SIDs for the rules, in order: first the SID the group already gives the identity (unless a foreign rule
 * took it since), then, for new identities, FNV-1a of the identity folded into the range, probed to the next
 * free SID (wrapping).
 */
function assignSids(
  identities: readonly string[],
  budget: { takenSids: ReadonlySet<number>; sidsByIdentity: ReadonlyMap<string, number> },
): number[] {
  const taken = new Set(budget.takenSids);
  const sids = identities.map((identity) => {
    const kept = budget.sidsByIdentity.get(identity);
    if (kept === undefined || taken.has(kept)) return undefined;
    taken.add(kept);
    return kept;
  });
  return identities.map((identity, index) => {
    const kept = sids[index];
    if (kept !== undefined) return kept;
    let offset = fnv1a32(identity) % SID_SPAN;
    while (taken.has(EGRESS_WARDEN_SID_RANGE.first + offset)) offset = (offset + 1) % SID_SPAN;
    const sid = EGRESS_WARDEN_SID_RANGE.first + offset;
    taken.add(sid);
    return sid;
  });
}

function ruleText(kind: Kind, action: RuleAction, ordinal: number, list: string, sid: number): string {
  const tail = `sid:${sid}; rev:1;)`;
  const msg = `msg:"egress-warden block ${kind} ${ordinal}";`;
  if (kind === 'ip') return `${action} ip any any -> [${list}] any (${msg} ${tail}`;
  const [protocol, buffer, flags] = kind.startsWith('tls')
    ? ['tls', 'tls.sni', 'i']
    : ['http', 'http.host', ''];
  // A wildcard needs a label before the name; a name matches itself or after a dot. `\.?` takes the final dot.
  const anchor = kind.endsWith('-wildcard') ? '\\.' : '(?:^|\\.)';
  return `${action} ${protocol} any any -> any any (${msg} flow:to_server; ${buffer}; pcre:"/${anchor}(?:${list})\\.?$/${flags}"; ${tail}`;
}

/**
 * Placements already worked out, by indicator: reconcile hands the same indicator objects to every run, and
 * validating and escaping each name is most of a plan's cost per block. Weak, so they go with the indicators.
 */
const placementsByIndicator = new WeakMap<Indicator, readonly Placement[]>();

/** One value of a block in the rules of one kind (its index in KINDS). */
interface Placement {
  readonly kind: number;
  readonly item: Item;
}

/** Where a block's value goes: an address into the `ip` rules, a name into a TLS and an HTTP rule. */
function placementsOf(block: BlockEntry): readonly Placement[] {
  let placements = placementsByIndicator.get(block.indicator);
  if (!placements) {
    placements = placementsFor(block.indicator);
    placementsByIndicator.set(block.indicator, placements);
  }
  return placements;
}

function placementsFor(indicator: Indicator): Placement[] {
  if (indicator.kind !== 'domain') {
    // toRange accepts only the canonical CIDR, so nothing but digits, dots, colons and hex reaches the rule.
    return [{ kind: kindIndex('ip'), item: { sortKey: toRange(indicator.value), text: indicator.value } }];
  }
  const name = indicator.value;
  // A quote, semicolon, slash, backslash or pipe would end the pattern, the option or the rule early.
  if (!NAME.test(name)) {
    throw new InvalidInputError(
      `${JSON.stringify(name)} cannot be written into a Suricata rule`,
      'indicator',
    );
  }
  const wildcard = name.startsWith('*.');
  const bare = wildcard ? name.slice(2) : name;
  // NAME allows no PCRE metacharacter but the dot, so escaping the dots makes the name literal text.
  const item = { sortKey: bare, text: bare.replaceAll('.', '\\.') };
  return wildcard
    ? [
        { kind: kindIndex('tls-wildcard'), item },
        { kind: kindIndex('http-wildcard'), item },
      ]
    : [
        { kind: kindIndex('tls'), item },
        { kind: kindIndex('http'), item },
      ];
}

function kindIndex(kind: Kind): number {
  return KINDS.indexOf(kind);
}

function compareSortKeys(a: CidrRange | string, b: CidrRange | string): number {
  if (typeof a === 'string') return typeof b === 'string' ? compareText(a, b) : 1;
  return typeof b === 'string' ? -1 : compareRanges(a, b);
}

/**
 * Sorts addresses by range, as text when either of two does not parse (the same order as comparing each pair
 * after parsing it), each parsed once rather than at every comparison.
 */
function sortNetworkText(values: readonly string[]): string[] {
  const keyed = values.map((text) => ({ text, range: rangeOrUndefined(text) }));
  keyed.sort((a, b) => (a.range && b.range ? compareRanges(a.range, b.range) : compareText(a.text, b.text)));
  return keyed.map((item) => item.text);
}

function rangeOrUndefined(text: string): CidrRange | undefined {
  try {
    return toRange(text);
  } catch {
    return undefined;
  }
}
