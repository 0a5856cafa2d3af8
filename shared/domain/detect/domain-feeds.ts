/**
 * Domain threat-intel feeds: text in the two formats public domain lists use (hosts files such as URLhaus's
 * `hostfile`, and one name a line such as Hagezi's lists), parsed into names that could be blocked, and a
 * matcher that finds a query name or any of its parents in them.
 */
import { excerpt, InvalidIndicatorError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';

/** A line of a feed that was not used, with its 1-based number and why. */
export interface FeedLineError {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** One parsed feed: its name (as configured), the names it lists, and the lines it could not use. */
export interface DomainFeed {
  readonly name: string;
  /** Normalised names (lowercase, punycode, no trailing dot), in feed order, without duplicates. */
  readonly domains: readonly string[];
  readonly errors: readonly FeedLineError[];
}

/** The addresses hosts files point blocked names at; a line starting with one of them is a hosts line. */
const SINKHOLES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0', '::0']);

/** Names every hosts file maps to itself in its header: not threats, never reported as bad lines. */
const HOSTS_HEADER_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

/** How much of a bad line an error repeats. */
const MAX_REPORTED = 120;

/**
 * Parses a feed's text. Comments (`#`, `//`, `<!--`, `!`, and `#` after a name), blank lines and hosts-file
 * header names are skipped; a hosts line (`0.0.0.0 evil.example`, `127.0.0.1<TAB>evil.example`) gives each
 * name after the address; any other line must be one name, optionally written `*.name` (wildcard lists).
 * A name that is not a blockable domain (an IP address, a public suffix, a URL, anything `parseIndicator`
 * refuses) is reported with its line number and the rest of the feed is kept.
 */
export function parseDomainFeed(name: string, text: string): DomainFeed {
  const domains = new Set<string>();
  const errors: FeedLineError[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = stripComment(lines[index] ?? '');
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    const first = tokens[0] ?? '';
    const names = SINKHOLES.has(first) ? tokens.slice(1) : tokens;
    if (names.length !== 1 && !SINKHOLES.has(first)) {
      errors.push(bad(index, lines[index] ?? '', 'must be one name, or a hosts-file line "0.0.0.0 name"'));
      continue;
    }
    if (names.length === 0) {
      errors.push(bad(index, lines[index] ?? '', 'a hosts-file line needs a name after the address'));
      continue;
    }
    for (const raw of names) {
      if (HOSTS_HEADER_NAMES.has(raw.toLowerCase())) continue;
      const reason = refusal(raw);
      if (typeof reason === 'string') errors.push(bad(index, lines[index] ?? '', reason));
      else domains.add(reason.value);
    }
  }
  return { name, domains: [...domains], errors };
}

function stripComment(line: string): string {
  const trimmed = line.trim();
  if (/^(#|\/\/|<!--|!)/.test(trimmed)) return '';
  const hash = trimmed.indexOf('#');
  return (hash === -1 ? trimmed : trimmed.slice(0, hash)).trim();
}

function bad(index: number, text: string, reason: string): FeedLineError {
  return { line: index + 1, text: excerpt(text, MAX_REPORTED), reason };
}

/** The normalised name, or why it cannot be a domain block. */
function refusal(raw: string): { value: string } | string {
  // Wildcard lists write `*.evil.example`; matching parents already covers every name under it.
  const bare = raw.startsWith('*.') ? raw.slice(2) : raw;
  // A URL feed's entries are pages on possibly shared hosts; turning them into domain blocks has blocked
  // GitHub and Google Drive elsewhere (detection.md §7.1), so they are refused, not converted.
  if (bare.includes('/')) return 'is a URL or a network, not a name: domain feeds list names only';
  try {
    const indicator = parseIndicator(bare);
    if (indicator.kind !== 'domain') return 'is an IP address or network, not a domain name';
    if (indicator.registeredDomain === null) {
      return `${indicator.value} is a public suffix: blocking it would block every site under it`;
    }
    return { value: indicator.value };
  } catch (error) {
    if (error instanceof InvalidIndicatorError) return error.rule;
    throw error;
  }
}

/**
 * A set of domains that answers "is this name, or one of its parents, in the set?" with one hash lookup per
 * label (a name has at most 127), so it stays as fast at 100,000+ entries as at ten.
 */
export class DomainSuffixSet {
  readonly #entries: Map<string, readonly string[]>;

  /** `entries` maps each domain (normalised, no `*.`) to the tags it carries, such as the feeds listing it. */
  constructor(entries: ReadonlyMap<string, readonly string[]>) {
    this.#entries = new Map(entries);
  }

  /** A set of plain domains (no tags); each is lower-cased and stripped of `*.` and a trailing dot. */
  static of(domains: Iterable<string>): DomainSuffixSet {
    const entries = new Map<string, readonly string[]>();
    for (const domain of domains) entries.set(bareName(domain), []);
    return new DomainSuffixSet(entries);
  }

  /** How many domains the set holds. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The widest entry that is `name` or one of its parents (the one whose block covers the most), with its
   * tags; undefined when none is. `name` must already be normalised (lowercase, no trailing dot).
   */
  match(name: string): { readonly domain: string; readonly tags: readonly string[] } | undefined {
    // From the top-level label down, so that the first hit is the widest.
    let dot = name.length;
    while (dot > 0) {
      dot = name.lastIndexOf('.', dot - 1);
      const suffix = dot === -1 ? name : name.slice(dot + 1);
      const tags = this.#entries.get(suffix);
      if (tags) return { domain: suffix, tags };
      if (dot === -1) break;
    }
    return undefined;
  }

  /** True when `name` or one of its parents is in the set. */
  has(name: string): boolean {
    return this.match(name) !== undefined;
  }
}

function bareName(domain: string): string {
  let bare = domain.trim().toLowerCase();
  if (bare.startsWith('*.')) bare = bare.slice(2);
  if (bare.endsWith('.')) bare = bare.slice(0, -1);
  return bare;
}

/** A matcher over parsed feeds: each domain is tagged with the names of the feeds that list it. */
export function domainFeedMatcher(feeds: readonly DomainFeed[]): DomainSuffixSet {
  const entries = new Map<string, string[]>();
  for (const feed of feeds) {
    for (const domain of feed.domains) {
      const tags = entries.get(domain);
      if (!tags) entries.set(domain, [feed.name]);
      else if (!tags.includes(feed.name)) tags.push(feed.name);
    }
  }
  return new DomainSuffixSet(entries);
}
