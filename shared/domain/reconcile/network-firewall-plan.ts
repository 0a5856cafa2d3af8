/**
 * Reconciliation plan for the stateful Network Firewall rule group. The group may also hold rules that are
 * not ours; they are kept as they are, in their order, ahead of ours. Our rules are recognised by a
 * `msg:"egress-warden …"` AND a SID in EGRESS_WARDEN_SID_RANGE, so a foreign rule is never rewritten.
 */
import type { BlockEntry } from '../block';
import { type CidrRange, compareRanges, toRange } from '../cidr';
import { InvalidInputError } from '../errors';
import { fnv1a32 } from '../hash';
import type { DomainIndicator, NetworkIndicator } from '../indicator';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '../target';
import { compareBlockPriority, compareText } from './block-priority';

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

interface RenderedBlock {
  /** Networks sort before domains, by address; domains by name. */
  readonly sortKey: CidrRange | string;
  readonly rules: { readonly key: string; readonly text: (sid: number) => string }[];
}

const SID_SPAN = EGRESS_WARDEN_SID_RANGE.last - EGRESS_WARDEN_SID_RANGE.first + 1;
const OWN_MESSAGE = 'msg:"egress-warden ';
const SID_PATTERN = /(?:^|[(;\s])sid\s*:\s*(\d+)\s*;/;
const encoder = new TextEncoder();

/**
 * Renders our Suricata rules for the blocks in `desired`: one `ip` rule per IP or CIDR, and a `tls` (SNI) and
 * an `http` (Host) rule per domain that match the domain and its subdomains (a wildcard `*.x` only the
 * subdomains). Rules are sorted (networks by address, then domains by name, TLS before HTTP) and each SID is
 * a hash of `<protocol>:<value>` into EGRESS_WARDEN_SID_RANGE, probed linearly in that order on a collision,
 * so adding or removing one block does not renumber the others. Blocks that would break the group limits
 * (rule length, 2,000,000 bytes, 30,000 rules) go to `overflow`, lowest priority first to go. Throws
 * InvalidInputError for an indicator that could inject rule syntax (it cannot come out of the parser).
 */
export function renderSuricataRules(
  desired: readonly BlockEntry[],
  options: NetworkFirewallPlanOptions = {},
): { rules: string[]; overflow: BlockEntry[] } {
  return renderWithin(desired, options.action ?? 'drop', {
    rules: NETWORK_FIREWALL_LIMITS.maxCapacity,
    bytes: NETWORK_FIREWALL_LIMITS.maxRulesBytes,
    takenSids: new Set(),
  });
}

/**
 * Plans the new rules string of the group: foreign lines kept in order at the top, then our rules for
 * `desired`, sorted. The total rule count stays within `actual.capacity` and the string within the size
 * limits; blocks that do not fit go to `overflow` best first, a domain's two rules together. `rules` is null
 * when the result equals `actual.rules`, so running it twice writes once. Pure and deterministic.
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
  const { rules, overflow } = renderWithin(desired, options.action ?? 'drop', {
    rules: Math.min(actual.capacity, NETWORK_FIREWALL_LIMITS.maxCapacity) - parsed.foreignRuleCount,
    bytes: NETWORK_FIREWALL_LIMITS.maxRulesBytes - foreignBytes,
    takenSids: new Set(foreign.flatMap((line) => sidsIn(line))),
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
 * block nothing), each sorted and listed once. Used to show what a rule group enforces.
 */
export function blockedByRules(rules: string): { ips: string[]; domains: string[] } {
  const ips = new Set<string>();
  const domains = new Set<string>();
  for (const line of parseOwnRules(rules).own) {
    const match = /^\s*(drop|reject)\s+(\S+)\s.*msg:"egress-warden block ([^"]+)"/.exec(line);
    if (!match) continue;
    const [, , protocol, value] = match;
    if (value === undefined) continue;
    if (protocol === 'ip') ips.add(value);
    else domains.add(value);
  }
  return {
    ips: [...ips].sort(compareNetworkText),
    domains: [...domains].sort(compareText),
  };
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

function sidsIn(line: string): number[] {
  const match = SID_PATTERN.exec(line);
  return match?.[1] === undefined ? [] : [Number(match[1])];
}

function trimTrailingBlankLines(lines: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]?.trim() === '') end--;
  return lines.slice(0, end);
}

/** Chooses blocks best first within the budget, then renders the chosen ones in sorted order with SIDs. */
function renderWithin(
  desired: readonly BlockEntry[],
  action: RuleAction,
  budget: { rules: number; bytes: number; takenSids: ReadonlySet<number> },
): { rules: string[]; overflow: BlockEntry[] } {
  const chosen = new Map<string, RenderedBlock>();
  const overflow: BlockEntry[] = [];
  let rulesLeft = budget.rules;
  let bytesLeft = budget.bytes;
  for (const block of [...desired].sort(compareBlockPriority)) {
    const key = `${block.indicator.kind === 'domain' ? 'domain' : 'ip'}:${block.indicator.value}`;
    if (chosen.has(key)) continue;
    const rendered = renderBlock(block, action);
    // The longest SID has as many digits as the last one, so this size is an upper bound.
    const texts = rendered.rules.map((rule) => rule.text(EGRESS_WARDEN_SID_RANGE.last));
    const bytes = texts.reduce((sum, text) => sum + text.length + 1, 0);
    const fits =
      texts.every((text) => text.length <= NETWORK_FIREWALL_LIMITS.maxRuleLength) &&
      texts.length <= rulesLeft &&
      bytes <= bytesLeft;
    if (!fits) {
      overflow.push(block);
      continue;
    }
    chosen.set(key, rendered);
    rulesLeft -= texts.length;
    bytesLeft -= bytes;
  }
  const ordered = [...chosen.values()].sort((a, b) => compareSortKeys(a.sortKey, b.sortKey));
  const taken = new Set(budget.takenSids);
  const rules = ordered.flatMap((block) => block.rules.map((rule) => rule.text(assignSid(rule.key, taken))));
  // Defence in depth: a chosen set that breaks a limit is a bug, and the service would reject it anyway.
  if (rules.some((rule) => rule.length > NETWORK_FIREWALL_LIMITS.maxRuleLength)) {
    throw new Error('a rendered Suricata rule is longer than the rule length limit');
  }
  return { rules, overflow };
}

function compareSortKeys(a: CidrRange | string, b: CidrRange | string): number {
  if (typeof a === 'string') return typeof b === 'string' ? compareText(a, b) : 1;
  return typeof b === 'string' ? -1 : compareRanges(a, b);
}

function compareNetworkText(a: string, b: string): number {
  try {
    return compareRanges(toRange(a), toRange(b));
  } catch {
    return compareText(a, b);
  }
}

function renderBlock(block: BlockEntry, action: RuleAction): RenderedBlock {
  const { indicator } = block;
  return indicator.kind === 'domain' ? renderDomain(indicator, action) : renderNetwork(indicator, action);
}

function renderNetwork(indicator: NetworkIndicator, action: RuleAction): RenderedBlock {
  // toRange accepts only canonical CIDRs, so nothing but digits, dots, colons and hex reaches the rule.
  const cidr = indicator.value;
  return {
    sortKey: toRange(cidr),
    rules: [
      {
        key: `ip:${cidr}`,
        text: (sid) =>
          `${action} ip $HOME_NET any -> ${cidr} any (msg:"egress-warden block ${cidr}"; sid:${sid}; rev:1;)`,
      },
    ],
  };
}

function renderDomain(indicator: DomainIndicator, action: RuleAction): RenderedBlock {
  const domain = indicator.value;
  // A quote, semicolon, backslash or pipe would end the content or the rule early.
  if (!/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain)) {
    throw new InvalidInputError(
      `${JSON.stringify(domain)} cannot be written into a Suricata rule`,
      'indicator',
    );
  }
  const wildcard = domain.startsWith('*.');
  const content = wildcard ? domain.slice(1) : `.${domain}`;
  // dotprefix puts a dot before the buffer, so `.evil.com` + endswith matches the apex and every subdomain.
  const dotprefix = wildcard ? '' : ' dotprefix;';
  const tail = `msg:"egress-warden block ${domain}"; flow:to_server, established;`;
  return {
    sortKey: domain,
    rules: [
      {
        key: `tls:${domain}`,
        text: (sid) =>
          `${action} tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni;${dotprefix} content:"${content}"; nocase; endswith; ${tail} sid:${sid}; rev:1;)`,
      },
      {
        // http.host is lowercased by Suricata and rejects nocase.
        key: `http:${domain}`,
        text: (sid) =>
          `${action} http $HOME_NET any -> $EXTERNAL_NET any (http.host;${dotprefix} content:"${content}"; endswith; ${tail} sid:${sid}; rev:1;)`,
      },
    ],
  };
}

/** FNV-1a 32-bit of the key, folded into the SID range, then the next free SID (wrapping) on a collision. */
function assignSid(key: string, taken: Set<number>): number {
  let offset = fnv1a32(key) % SID_SPAN;
  while (taken.has(EGRESS_WARDEN_SID_RANGE.first + offset)) offset = (offset + 1) % SID_SPAN;
  const sid = EGRESS_WARDEN_SID_RANGE.first + offset;
  taken.add(sid);
  return sid;
}
