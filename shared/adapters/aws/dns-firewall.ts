import {
  GetFirewallDomainListCommand,
  ListFirewallDomainsCommand,
  type Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { awsErrorCode } from '#adapters/aws/errors';
import { normaliseDomain, normaliseDomainBatch } from '#adapters/service-rules/dns-firewall';
import {
  ConcurrentUpdateError,
  DeadlineReachedError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
  WardenError,
} from '#domain/errors';
import type {
  DnsFirewallDomainList,
  DnsFirewallListStatus,
  DnsFirewallWriteOptions,
} from '#ports/dns-firewall';
import { sleep as defaultSleep, withRetry } from '#shared/runtime/retry';

/** Options of {@link Route53ResolverDomainList}. */
export interface Route53ResolverDomainListOptions {
  readonly client: Route53ResolverClient;
  /** `rslvr-fdl-…`, created empty by CDK. */
  readonly domainListId: string;
  /** Injected so tests never wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; injected with `sleep` so tests can check the spacing of requests. */
  readonly now?: () => number;
  /** Least time between two requests of this adapter; 200 ms keeps it at the Resolver's 5 requests/s. */
  readonly minIntervalMs?: number;
  /** GetFirewallDomainList polls before giving up on a list that stays `UPDATING` (about 5 s apart at most). */
  readonly maxWaitAttempts?: number;
}

const DEFAULT_MIN_INTERVAL_MS = 200;
const DEFAULT_MAX_WAIT_ATTEMPTS = 24;
const WAIT_BASE_DELAY_MS = 500;
const WAIT_MAX_DELAY_MS = 5_000;
// The Resolver allows 5 requests/s per account and region and tells throttled callers to "try again in a
// few minutes"; six attempts wait at most 15.5 s in all (full jitter), then the error policy retries the batch.
const RETRY = { attempts: 6, baseDelayMs: 500, maxDelayMs: 10_000 } as const;
const RETRYABLE_CODES = new Set(['ThrottlingException', 'Throttling', 'ConflictException']);
// States in which the list takes writes. A failed ImportFirewallDomains leaves `COMPLETE_IMPORT_FAILED` for
// good (Terraform's waiter treats it as a target state too): waiting for `COMPLETE` would never end.
const AT_REST = new Set(['COMPLETE', 'COMPLETE_IMPORT_FAILED']);
// ListFirewallDomains takes MaxResults 1-5,000 (default 100): the maximum reads the account's quota of
// 100,000 domains in 20 requests, each of which counts against the Resolver's 5 requests/s.
const PAGE_SIZE = 5000;

/**
 * A Route 53 Resolver DNS Firewall domain list. Absorbs the service's quirks: names come back with a trailing
 * dot (stripped), listings are paginated, a write leaves the list `UPDATING` (every write waits for it to be
 * at rest, `COMPLETE` or `COMPLETE_IMPORT_FAILED`, before and after), and the API takes about 5 requests/s
 * (every request of this instance is spaced by `minIntervalMs`). Throttling and `ConflictException` are
 * retried with bounded backoff. Errors: InvalidInputError (more than 1,000 domains or an invalid name, refused
 * before any request; or `ValidationException`), TargetCapacityError (`LimitExceededException`),
 * TargetNotFoundError (`ResourceNotFoundException`, or a list that is `DELETING`), ThrottledError,
 * ConcurrentUpdateError (`ConflictException`, or still `UPDATING` after `maxWaitAttempts` polls),
 * DeadlineReachedError (a write's deadline came while waiting to make it). Other SDK errors, such as
 * `AccessDeniedException`, propagate unchanged.
 *
 * How long a list stays `UPDATING` is undocumented, so a write with a deadline never sleeps past it: before
 * the write, a wait or a retry that would end after the deadline gives up with DeadlineReachedError (nothing
 * written); after it, the wait for the list simply ends at the deadline, and the next write waits again.
 */
export class Route53ResolverDomainList implements DnsFirewallDomainList {
  readonly #client: Route53ResolverClient;
  readonly #domainListId: string;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #minIntervalMs: number;
  readonly #maxWaitAttempts: number;
  #lastRequestAt = Number.NEGATIVE_INFINITY;
  // Set once this instance has seen the list at rest after its own last write, so a sequence of writes
  // costs one status poll each instead of two; any conflict clears it.
  #knownAtRest = false;

  constructor(options: Route53ResolverDomainListOptions) {
    this.#client = options.client;
    this.#domainListId = options.domainListId;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? Date.now;
    this.#minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.#maxWaitAttempts = options.maxWaitAttempts ?? DEFAULT_MAX_WAIT_ATTEMPTS;
  }

  /** Every domain, lowercase, without the trailing dot, sorted. Reads only; follows `NextToken`. */
  async listDomains(): Promise<string[]> {
    const domains = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await this.#call(() =>
        this.#client.send(
          new ListFirewallDomainsCommand({
            FirewallDomainListId: this.#domainListId,
            MaxResults: PAGE_SIZE,
            NextToken: nextToken,
          }),
        ),
      );
      for (const domain of page.Domains ?? []) domains.add(normaliseDomain(domain));
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    return [...domains].sort();
  }

  /** `Status` and `StatusMessage` from one GetFirewallDomainList; the message only when AWS gives one. */
  async status(): Promise<DnsFirewallListStatus> {
    const list = await this.#describe();
    return { status: list.status, ...(list.message ? { message: list.message } : {}) };
  }

  /**
   * Adds or removes up to 1,000 domains and returns once the list is at rest again, or when `withinMs` is up
   * once the write is made. Idempotent; an empty list makes no request.
   */
  async updateDomains(
    operation: 'ADD' | 'REMOVE',
    domains: readonly string[],
    { withinMs }: DnsFirewallWriteOptions = {},
  ): Promise<void> {
    const batch = normaliseDomainBatch(domains);
    if (batch.length === 0) return;
    const sleep = this.#sleepBefore(withinMs === undefined ? undefined : this.#now() + withinMs);
    await this.#retrying(async () => {
      // A conflict means the list changed state under us: check it again before the next attempt.
      if (!this.#knownAtRest) await this.#waitUntilAtRest(sleep);
      try {
        const response = await this.#paced(() =>
          this.#client.send(
            new UpdateFirewallDomainsCommand({
              FirewallDomainListId: this.#domainListId,
              Operation: operation,
              Domains: batch,
            }),
          ),
        );
        this.#knownAtRest = AT_REST.has(response.Status ?? '');
      } catch (error) {
        this.#knownAtRest = false;
        throw error;
      }
    }, sleep);
    if (this.#knownAtRest) return;
    try {
      await this.#waitUntilAtRest(sleep);
    } catch (error) {
      // The write is made; the list finishes updating on its own and the next write waits for it first.
      if (!(error instanceof DeadlineReachedError)) throw error;
    }
  }

  /** The adapter's sleep, refusing with DeadlineReachedError any wait that would end after `deadline`. */
  #sleepBefore(deadline: number | undefined): (ms: number) => Promise<void> {
    if (deadline === undefined) return this.#sleep;
    return async (ms) => {
      if (this.#now() + ms > deadline) {
        throw new DeadlineReachedError(
          `DNS Firewall domain list ${this.#domainListId}: the run's deadline comes before a ${ms} ms wait ends; the next run continues`,
        );
      }
      await this.#sleep(ms);
    };
  }

  async #waitUntilAtRest(sleep: (ms: number) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { status, message } = await this.#describe(sleep);
      const described = `DNS Firewall domain list ${this.#domainListId} is ${status}${message ? ` (${message})` : ''}`;
      if (AT_REST.has(status)) {
        this.#knownAtRest = true;
        return;
      }
      if (status === 'DELETING') {
        // Waiting does not help: the list is being deleted.
        throw new TargetNotFoundError(`${described}; check the stack that owns it`, status);
      }
      if (attempt >= this.#maxWaitAttempts) {
        throw new ConcurrentUpdateError(
          `${described} after ${attempt} status checks; the next write will wait again`,
          status,
        );
      }
      await sleep(Math.min(WAIT_MAX_DELAY_MS, WAIT_BASE_DELAY_MS * 2 ** (attempt - 1)));
    }
  }

  async #describe(sleep = this.#sleep): Promise<{ status: string; message: string | undefined }> {
    const response = await this.#call(
      () => this.#client.send(new GetFirewallDomainListCommand({ FirewallDomainListId: this.#domainListId })),
      sleep,
    );
    const list = response.FirewallDomainList;
    // A missing status has only ever meant "not done yet": treat it as UPDATING and poll again.
    return { status: list?.Status ?? 'UPDATING', message: list?.StatusMessage || undefined };
  }

  /** One paced request with bounded retries (waiting with `sleep`), its errors mapped to typed ones. */
  #call<T>(request: () => Promise<T>, sleep = this.#sleep): Promise<T> {
    return this.#retrying(() => this.#paced(request), sleep);
  }

  async #retrying<T>(operation: () => Promise<T>, sleep = this.#sleep): Promise<T> {
    try {
      return await withRetry(operation, {
        ...RETRY,
        sleep,
        // Typed errors come from a nested step that has already retried.
        isRetryable: (error) =>
          !(error instanceof WardenError) && RETRYABLE_CODES.has(awsErrorCode(error) ?? ''),
      });
    } catch (error) {
      throw this.#toTypedError(error);
    }
  }

  // Requests are spaced from the start of one to the start of the next, which is what the rate limit counts.
  async #paced<T>(operation: () => Promise<T>): Promise<T> {
    const wait = this.#lastRequestAt + this.#minIntervalMs - this.#now();
    if (wait > 0) await this.#sleep(wait);
    this.#lastRequestAt = this.#now();
    return operation();
  }

  #toTypedError(error: unknown): unknown {
    if (error instanceof WardenError) return error;
    const code = awsErrorCode(error);
    const reason = error instanceof Error ? error.message : String(error);
    const where = `DNS Firewall domain list ${this.#domainListId}`;
    switch (code) {
      case 'ThrottlingException':
      case 'Throttling':
        return new ThrottledError(
          `${where}: still throttled after ${RETRY.attempts} attempts: ${reason}`,
          code,
          {
            cause: error,
          },
        );
      case 'ConflictException':
        return new ConcurrentUpdateError(`${where}: changing state, retry later: ${reason}`, code, {
          cause: error,
        });
      case 'LimitExceededException':
        return new TargetCapacityError(`${where}: domain quota reached: ${reason}`, code, { cause: error });
      case 'ResourceNotFoundException':
        return new TargetNotFoundError(`${where} not found: ${reason}`, code, { cause: error });
      case 'ValidationException':
        return new InvalidInputError(`refused by DNS Firewall (${code}): ${reason}`, 'domains', {
          cause: error,
          code,
        });
      default:
        return error;
    }
  }
}
