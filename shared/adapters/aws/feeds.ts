/**
 * Threat-intel feeds from the stack's feeds bucket: every object under `feeds/dns/` is a domain feed, every
 * object under `feeds/ip/` an IP feed. Listed with ListObjectsV2, read with GetObject, parsed, and cached per
 * Lambda container for 15 minutes; an object whose ETag has not changed is not read again.
 */
import { Buffer } from 'node:buffer';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type DomainFeed, domainFeedMatcher, parseDomainFeed } from '#domain/detect/domain-feeds';
import { type IpFeed, type IpFeedFormat, indexIpFeeds, parseIpFeed } from '#domain/detect/ip-feeds';
import { InvalidInputError } from '#domain/errors';
import type { Clock } from '#ports/clock';
import type { LoadedFeeds, ThreatFeeds } from '#ports/feeds';
import { withRetry } from '#shared/runtime/retry';
import { isRetryableS3Error, openObject, type S3RetryOptions, s3ReadError } from './log-objects';

/** The prefixes the feeds are read from. */
export const FEED_PREFIXES = { dns: 'feeds/dns/', ip: 'feeds/ip/' } as const;

/** How long loaded feeds are used before the bucket is listed again. */
export const FEED_CACHE_MS = 15 * 60_000;

/** The largest feed read: bigger objects are skipped and reported (the largest public feeds are a few MB). */
export const MAX_FEED_BYTES = 64 * 1024 * 1024;

/** Problems listed per feed in its log line; the rest are counted. */
const PROBLEMS_LOGGED = 20;

/** Where a feed's problems are reported (Powertools' Logger fits). */
export interface FeedLog {
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** Options of {@link S3ThreatFeeds}. */
export interface S3ThreatFeedsOptions extends S3RetryOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly clock: Clock;
  readonly log?: FeedLog;
  /** Default {@link FEED_CACHE_MS}. */
  readonly cacheMs?: number;
}

/**
 * The IP feed format a key names, by its extension: `.csv` is Feodo Tracker's CSV, `.jsonl` Spamhaus DROP's
 * JSON lines, `.json` Feodo Tracker's JSON array when the text starts with `[` and Spamhaus DROP's JSON lines
 * otherwise (Spamhaus publishes `drop_v4.json` as JSON lines), anything else a plain list.
 */
export function ipFeedFormatOf(key: string, text: string): IpFeedFormat {
  const name = key.toLowerCase();
  if (name.endsWith('.csv')) return 'feodo-csv';
  if (name.endsWith('.jsonl')) return 'spamhaus-drop';
  if (name.endsWith('.json')) return text.trimStart().startsWith('[') ? 'feodo-json' : 'spamhaus-drop';
  return 'plain';
}

/** A feed's name: its key after the prefix, without the last extension (`feeds/ip/feodo.csv` → `feodo`). */
export function feedNameOf(key: string, prefix: string): string {
  const rest = key.slice(prefix.length);
  const slash = rest.lastIndexOf('/');
  const dot = rest.lastIndexOf('.');
  return dot > slash + 1 ? rest.slice(0, dot) : rest;
}

interface Listed {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

type Parsed = { readonly etag: string } & ({ readonly dns: DomainFeed } | { readonly ip: IpFeed });

/**
 * The feeds in an S3 bucket. A bad line is left out and logged with its feed, line and reason; a feed that
 * cannot be read (deleted between list and read, too large) is left out and logged. A failure to list or read
 * the bucket throws (ThrottledError / ServiceUnavailableError when a retry may help) unless feeds were loaded
 * before: then the previous feeds stay in use and the next load tries again.
 */
export class S3ThreatFeeds implements ThreatFeeds {
  readonly #options: S3ThreatFeedsOptions;
  readonly #cacheMs: number;
  /** Parsed feeds by key, reused while the ETag stays the same. */
  #parsed = new Map<string, Parsed>();
  #loaded: { readonly feeds: LoadedFeeds; readonly at: number } | undefined;
  #loading: Promise<LoadedFeeds> | undefined;

  constructor(options: S3ThreatFeedsOptions) {
    this.#options = options;
    this.#cacheMs = options.cacheMs ?? FEED_CACHE_MS;
  }

  load(): Promise<LoadedFeeds> {
    const now = this.#options.clock.now().getTime();
    if (this.#loaded && now - this.#loaded.at < this.#cacheMs) return Promise.resolve(this.#loaded.feeds);
    // One read at a time: concurrent callers share it.
    this.#loading ??= this.#reload(now).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #reload(now: number): Promise<LoadedFeeds> {
    try {
      const [dns, ip] = await Promise.all([this.#list(FEED_PREFIXES.dns), this.#list(FEED_PREFIXES.ip)]);
      const parsed = new Map<string, Parsed>();
      for (const object of [...dns, ...ip]) {
        const feed = await this.#feedOf(object);
        if (feed) parsed.set(object.key, feed);
      }
      const changed =
        parsed.size !== this.#parsed.size ||
        [...parsed].some(([key, feed]) => this.#parsed.get(key) !== feed);
      this.#parsed = parsed;
      const feeds = changed || !this.#loaded ? this.#index() : this.#loaded.feeds;
      this.#loaded = { feeds, at: now };
      return feeds;
    } catch (error) {
      if (!this.#loaded) throw error;
      this.#options.log?.warn('threat feeds could not be read again: the previous feeds stay in use', {
        bucket: this.#options.bucket,
        error: (error as Error).message,
      });
      return this.#loaded.feeds;
    }
  }

  #index(): LoadedFeeds {
    const domains: DomainFeed[] = [];
    const ips: IpFeed[] = [];
    for (const feed of this.#parsed.values()) {
      if ('dns' in feed) domains.push(feed.dns);
      else ips.push(feed.ip);
    }
    return { domains: domainFeedMatcher(domains), ips: indexIpFeeds(ips) };
  }

  async #list(prefix: string): Promise<Listed[]> {
    const { client, bucket } = this.#options;
    const listed: Listed[] = [];
    let token: string | undefined;
    do {
      const page = await this.#retried(
        () =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        prefix,
      );
      for (const object of page.Contents ?? []) {
        // Keys ending `/` are the folder markers the console creates.
        if (object.Key && !object.Key.endsWith('/')) {
          listed.push({ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return listed;
  }

  async #feedOf(object: Listed): Promise<Parsed | undefined> {
    const { bucket, log } = this.#options;
    const known = this.#parsed.get(object.key);
    if (known && object.etag !== '' && known.etag === object.etag) return known;
    if (object.size > MAX_FEED_BYTES) {
      log?.warn('threat feed left out: too large', {
        bucket,
        key: object.key,
        size: object.size,
        max: MAX_FEED_BYTES,
      });
      return undefined;
    }
    let text: string;
    try {
      text = await this.#read(object.key);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      log?.warn('threat feed left out: deleted while being read', { bucket, key: object.key });
      return undefined;
    }
    const isDns = object.key.startsWith(FEED_PREFIXES.dns);
    const prefix = isDns ? FEED_PREFIXES.dns : FEED_PREFIXES.ip;
    const name = feedNameOf(object.key, prefix);
    if (isDns) {
      const feed = parseDomainFeed(name, text);
      this.#report(object.key, feed.domains.length, feed.errors.length, feed.errors);
      return { etag: object.etag, dns: feed };
    }
    const format = ipFeedFormatOf(object.key, text);
    const feed = parseIpFeed(name, format, text);
    this.#report(object.key, feed.entries.length, feed.problemCount, feed.problems, format);
    return { etag: object.etag, ip: feed };
  }

  async #read(key: string): Promise<string> {
    const { client, bucket, ...retry } = this.#options;
    const chunks: Buffer[] = [];
    for await (const chunk of await openObject(client, bucket, key, retry)) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }

  #report(
    key: string,
    entries: number,
    problemCount: number,
    problems: readonly { line: number; text: string; reason: string }[],
    format?: IpFeedFormat,
  ): void {
    if (problemCount === 0) return;
    this.#options.log?.warn('threat feed lines left out', {
      bucket: this.#options.bucket,
      key,
      ...(format ? { format } : {}),
      entries,
      badLines: problemCount,
      first: problems.slice(0, PROBLEMS_LOGGED),
    });
  }

  #retried<T>(operation: () => Promise<T>, prefix: string): Promise<T> {
    const { bucket, maxAttempts, sleep, random } = this.#options;
    return withRetry(operation, {
      attempts: maxAttempts ?? 4,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      isRetryable: isRetryableS3Error,
      ...(sleep ? { sleep } : {}),
      ...(random ? { random } : {}),
    }).catch((error: unknown) => {
      throw s3ReadError(error, bucket, prefix);
    });
  }
}
