/**
 * IP and CIDR threat feeds, parsed from their text as published and indexed for the flow detector. A bad line
 * is reported with its number and the reason, never thrown: one broken line must not drop a whole feed.
 * Every entry goes through parseIndicator, so that it is the canonical CIDR that a signal and a target carry.
 */
import { type CidrRange, toRange } from '../cidr';
import { InvalidInputError } from '../errors';
import { parseIndicator } from '../indicator';
import { buildCidrMatcher, type CidrMatcher } from './cidr-matcher';

/**
 * How a feed is written (detection.md §7.1):
 * * `plain`: one address or CIDR a line; `#`, `;` and `//` start comments, and a comment after an entry
 *   becomes its label (`1.10.16.0/20 ; SBL256894`, Spamhaus's legacy `drop.txt`). Feodo Tracker's
 *   `ipblocklist.txt` is such a list.
 * * `spamhaus-drop`: Spamhaus DROP JSON lines (`drop_v4.json`, `drop_v6.json`):
 *   `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}` and one `{"type":"metadata",…}` line.
 * * `feodo-json`: Feodo Tracker's `ipblocklist.json`, an array of `{ip_address, port, malware, …}`.
 * * `feodo-csv`: Feodo Tracker's `ipblocklist.csv`, `#` comments then quoted
 *   `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware` rows.
 */
export type IpFeedFormat = 'plain' | 'spamhaus-drop' | 'feodo-json' | 'feodo-csv';

/** The formats, for configuration schemas and messages. */
export const IP_FEED_FORMATS: readonly IpFeedFormat[] = ['plain', 'spamhaus-drop', 'feodo-json', 'feodo-csv'];

/** One listed network. */
export interface IpFeedEntry {
  /** Canonical CIDR (`198.51.100.7/32`, `2001:db8::/32`). */
  readonly cidr: string;
  readonly range: CidrRange;
  /** What the feed says about it: an SBL id, a malware family and port, a comment. */
  readonly label?: string;
}

/** A line (or, in a JSON array, an element) that gave no entry, and why. */
export interface FeedProblem {
  /** 1-based line number; for `feodo-json`, the 1-based position of the element in the array. */
  readonly line: number;
  /** The offending text, cut to 200 characters. */
  readonly text: string;
  readonly reason: string;
}

/** A parsed feed. */
export interface IpFeed {
  readonly name: string;
  readonly entries: readonly IpFeedEntry[];
  /** The first {@link MAX_REPORTED_PROBLEMS} problems; `problemCount` counts them all. */
  readonly problems: readonly FeedProblem[];
  readonly problemCount: number;
}

/** Problems kept per feed: a feed that turned into an HTML page must not turn into a huge report. */
export const MAX_REPORTED_PROBLEMS = 100;

/**
 * The widest networks accepted. No published feed lists anything wider (DROP's widest are around /10), and
 * one line such as `0.0.0.0/0` would make every destination a threat-intel hit.
 */
export const MIN_FEED_PREFIX = { 4: 8, 6: 16 } as const;

const MAX_PROBLEM_TEXT = 200;

/** Parses a feed's text. Never throws for bad content: each bad line becomes a FeedProblem. */
export function parseIpFeed(name: string, format: IpFeedFormat, text: string): IpFeed {
  const collector = new Collector(name);
  if (format === 'feodo-json') parseFeodoJson(text, collector);
  else {
    const lines = text.split(/\r?\n/);
    lines.forEach((line, index) => {
      const number = index + 1;
      if (format === 'plain') parsePlainLine(line, number, collector);
      else if (format === 'spamhaus-drop') parseDropLine(line, number, collector);
      else parseFeodoCsvLine(line, number, collector);
    });
  }
  return collector.feed();
}

/** What a feed lookup found: the most specific listed network holding the address, and who lists it. */
export interface IpFeedMatch {
  readonly cidr: string;
  readonly listings: readonly { readonly feed: string; readonly label?: string }[];
}

/**
 * Indexes feeds for lookups (see CidrMatcher): a network listed by several feeds, or twice by one, is one
 * entry that names every listing.
 */
export function indexIpFeeds(feeds: readonly IpFeed[]): CidrMatcher<IpFeedMatch> {
  const byCidr = new Map<string, { range: CidrRange; listings: { feed: string; label?: string }[] }>();
  for (const feed of feeds) {
    for (const entry of feed.entries) {
      let merged = byCidr.get(entry.cidr);
      if (!merged) {
        merged = { range: entry.range, listings: [] };
        byCidr.set(entry.cidr, merged);
      }
      const listing = { feed: feed.name, ...(entry.label ? { label: entry.label } : {}) };
      if (!merged.listings.some((known) => known.feed === listing.feed && known.label === listing.label)) {
        merged.listings.push(listing);
      }
    }
  }
  return buildCidrMatcher(
    [...byCidr].map(([cidr, { range, listings }]) => ({ range, value: { cidr, listings } })),
  );
}

class Collector {
  readonly #name: string;
  readonly #entries: IpFeedEntry[] = [];
  readonly #problems: FeedProblem[] = [];
  #problemCount = 0;

  constructor(name: string) {
    this.#name = name;
  }

  /** Parses one listed value; a problem when it is no address or CIDR, or too wide. */
  add(value: string, label: string | undefined, line: number, text: string): void {
    try {
      const indicator = parseIndicator(value, `${this.#name} line ${line}`);
      if (indicator.kind === 'domain')
        throw new InvalidInputError('is a domain name, not an address or CIDR');
      if (indicator.prefixLength < MIN_FEED_PREFIX[indicator.family]) {
        throw new InvalidInputError(
          `is wider than /${MIN_FEED_PREFIX[indicator.family]}, which no IPv${indicator.family} feed lists`,
        );
      }
      const trimmed = label?.trim();
      this.#entries.push({
        cidr: indicator.value,
        range: toRange(indicator.value),
        ...(trimmed ? { label: trimmed.slice(0, MAX_PROBLEM_TEXT) } : {}),
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      this.problem(line, text, `${JSON.stringify(value.slice(0, MAX_PROBLEM_TEXT))} ${reasonOf(error)}`);
    }
  }

  problem(line: number, text: string, reason: string): void {
    this.#problemCount++;
    if (this.#problems.length < MAX_REPORTED_PROBLEMS) {
      this.#problems.push({ line, text: text.slice(0, MAX_PROBLEM_TEXT), reason });
    }
  }

  feed(): IpFeed {
    return {
      name: this.#name,
      entries: this.#entries,
      problems: this.#problems,
      problemCount: this.#problemCount,
    };
  }
}

function reasonOf(error: InvalidInputError): string {
  const message = error.message.replace(/^.*? is not a valid indicator: /, '');
  return message.startsWith('is ') ? message : `is refused: ${message}`;
}

function parsePlainLine(line: string, number: number, collector: Collector): void {
  const comment = /#|;|\/\//.exec(line);
  const value = (comment ? line.slice(0, comment.index) : line).trim();
  if (value === '') return;
  const label = comment ? line.slice(comment.index + comment[0].length) : undefined;
  collector.add(value, label, number, line);
}

function parseDropLine(line: string, number: number, collector: Collector): void {
  if (line.trim() === '') return;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    collector.problem(number, line, 'is not a JSON object');
    return;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    collector.problem(number, line, 'is not a JSON object');
    return;
  }
  const fields = record as Record<string, unknown>;
  if (fields.type === 'metadata') return;
  if (typeof fields.cidr !== 'string') {
    collector.problem(number, line, 'has no "cidr" string');
    return;
  }
  const label = typeof fields.sblid === 'string' ? fields.sblid : undefined;
  collector.add(fields.cidr, label, number, line);
}

function parseFeodoCsvLine(line: string, number: number, collector: Collector): void {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return;
  const fields = trimmed.split(',').map((field) => field.trim().replace(/^"(.*)"$/, '$1'));
  if (fields[1] === 'dst_ip') return;
  const [, address, port, , , malware] = fields;
  if (address === undefined || address === '') {
    collector.problem(number, line, 'has no dst_ip (second field)');
    return;
  }
  collector.add(address, labelOf(malware, port), number, line);
}

function parseFeodoJson(text: string, collector: Collector): void {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    collector.problem(1, text, 'is not JSON');
    return;
  }
  if (!Array.isArray(document)) {
    collector.problem(1, text, 'is not a JSON array of {"ip_address", …} objects');
    return;
  }
  document.forEach((element: unknown, index) => {
    const shown = JSON.stringify(element) ?? String(element);
    const fields =
      typeof element === 'object' && element !== null ? (element as Record<string, unknown>) : undefined;
    if (typeof fields?.ip_address !== 'string') {
      collector.problem(index + 1, shown, 'has no "ip_address" string');
      return;
    }
    const port = typeof fields.port === 'number' || typeof fields.port === 'string' ? fields.port : undefined;
    const malware = typeof fields.malware === 'string' ? fields.malware : undefined;
    collector.add(fields.ip_address, labelOf(malware, port), index + 1, shown);
  });
}

function labelOf(malware: string | undefined, port: string | number | undefined): string | undefined {
  const parts = [malware, port === undefined || port === '' ? undefined : `port ${port}`].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
