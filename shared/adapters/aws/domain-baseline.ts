import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { baselineKey, DECISION_TABLE } from '#adapters/aws/decision-table';
import { CONDITION_FAILED, callDynamoDb, type DynamoDbCallOptions } from '#adapters/aws/dynamodb-calls';
import { awsErrorCode } from '#adapters/aws/errors';
import { inParallel } from '#adapters/aws/in-parallel';
import {
  BASELINE_KEEP,
  type BaselineEntry,
  baselineEntry,
  type DomainBaseline,
} from '#domain/detect/dns-baseline';
import { InvalidInputError } from '#domain/errors';
import type { BaselinePage, DomainBaselineStore } from '#ports/domain-baseline';

/** Options of the DynamoDB domain baseline store. */
export interface DynamoDbDomainBaselineStoreOptions {
  /** A document client (JavaScript Sets are written as string and number sets). */
  readonly client: DynamoDBDocumentClient;
  /** The decision table (decision-table.ts): retained and backed up, unlike the detector state table. */
  readonly tableName: string;
  /** Requests in flight at once. Default 16. */
  readonly concurrency?: number;
  /** Attempts per request when DynamoDB throttles or leaves keys unprocessed (first included). Default 4. */
  readonly maxAttempts?: number;
  /** Domains per export page. Default 1000. */
  readonly pageSize?: number;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic. */
  readonly random?: () => number;
}

const UNPROCESSED = 'UnprocessedKeys';
/** BatchGetItem's limit of keys per request. */
const BATCH_GET_KEYS = 100;
/** Entries remembered as full per container; past it the memory is cleared (only extra writes follow). */
const FULL_CACHE_LIMIT = 100_000;

type Part = 'hosts' | 'days';

/**
 * The domain baselines on the decision table (layout in decision-table.ts): one item per VPC and registered
 * domain, `pk` `BASELINE#<vpcId>`, `sk` the domain, `hosts` a string set and `days` a number set.
 *
 * * Recording is one atomic UpdateItem per VPC and domain: `ADD` of the delta's hosts and days, on condition
 *   that each set holds fewer than BASELINE_KEEP elements. When that fails, each set is sent on its own with
 *   its own condition, so a full host set never stops new days. Concurrent writers add up; nothing is read
 *   first. A set may end above BASELINE_KEEP (the last delta added below the cap is added whole); reads cut
 *   it with `baselineEntry`. Which elements are kept past the cap is first come, where `mergeBaselines`
 *   keeps the smallest hosts and newest days: the counts, and so every `isEstablished` answer, are the same.
 * * A set found full is remembered for the container's life and not sent again (stored sets only grow), so a
 *   popular domain costs nothing once established. Deleting an item by hand is seen by new containers.
 * * Lookups are BatchGetItem (100 keys a request, consistent reads), export pages a Query on the partition.
 * * Throttling, and keys BatchGetItem leaves unprocessed, are retried with backoff, then ThrottledError. A
 *   missing table is TargetNotFoundError, `ValidationException` InvalidInputError; anything else is
 *   rethrown as raised. Requests run at most `concurrency` at a time.
 */
export class DynamoDbDomainBaselineStore implements DomainBaselineStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #concurrency: number;
  readonly #pageSize: number;
  readonly #calls: DynamoDbCallOptions;
  readonly #full = new Map<string, Set<Part>>();

  constructor(options: DynamoDbDomainBaselineStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#concurrency = options.concurrency ?? 16;
    this.#pageSize = options.pageSize ?? 1000;
    this.#calls = {
      tableName: options.tableName,
      maxAttempts: options.maxAttempts ?? 4,
      sleep: options.sleep,
      random: options.random,
      alsoRetried: new Set([UNPROCESSED]),
    };
    for (const [field, value] of [
      ['concurrency', this.#concurrency],
      ['pageSize', this.#pageSize],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new InvalidInputError(`must be a positive integer, got ${value}`, field);
      }
    }
  }

  async record(deltas: ReadonlyMap<string, DomainBaseline>): Promise<void> {
    const writes: { vpcId: string; domain: string; entry: BaselineEntry }[] = [];
    for (const [vpcId, baseline] of deltas) {
      for (const [domain, entry] of baseline) {
        baselineKey(vpcId, domain);
        writes.push({ vpcId, domain, entry });
      }
    }
    await inParallel(writes, this.#concurrency, ({ vpcId, domain, entry }) =>
      this.#add(vpcId, domain, entry),
    );
  }

  async lookup(vpcId: string, domains: readonly string[]): Promise<DomainBaseline> {
    const unique = [...new Set(domains)];
    for (const domain of unique) baselineKey(vpcId, domain);
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) chunks.push(unique.slice(i, i + BATCH_GET_KEYS));
    const found = new Map<string, BaselineEntry>();
    const pages = await inParallel(chunks, this.#concurrency, (chunk) => this.#batchGet(vpcId, chunk));
    for (const items of pages) for (const item of items) found.set(String(item.sk), entryOf(item));
    return found;
  }

  async exportPage(vpcId: string, cursor?: string): Promise<BaselinePage> {
    // Checks the VPC id (and the cursor, when given) as every key is checked.
    const { pk } = baselineKey(vpcId, cursor ?? '-');
    const page = await this.#call('Query', () =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': DECISION_TABLE.partitionKey.name },
          ExpressionAttributeValues: { ':pk': pk },
          Limit: this.#pageSize,
          ...(cursor === undefined ? {} : { ExclusiveStartKey: baselineKey(vpcId, cursor) }),
        }),
      ),
    );
    const entries = new Map<string, BaselineEntry>();
    for (const item of page.Items ?? []) entries.set(String(item.sk), entryOf(item));
    const next = page.LastEvaluatedKey?.[DECISION_TABLE.sortKey.name];
    return next === undefined ? { entries } : { entries, next: String(next) };
  }

  /** One conditional ADD of the parts not known to be full; each part alone when the pair is refused. */
  async #add(vpcId: string, domain: string, entry: BaselineEntry): Promise<void> {
    const cacheKey = `${vpcId} ${domain}`;
    const full = this.#full.get(cacheKey);
    const parts = (['hosts', 'days'] as const).filter((part) => entry[part].length > 0 && !full?.has(part));
    if (parts.length === 0) return;
    if (await this.#addParts(vpcId, domain, entry, parts)) return;
    if (parts.length === 1) {
      this.#markFull(cacheKey, parts[0] as Part);
      return;
    }
    for (const part of parts) {
      if (!(await this.#addParts(vpcId, domain, entry, [part]))) this.#markFull(cacheKey, part);
    }
  }

  #markFull(cacheKey: string, part: Part): void {
    if (this.#full.size >= FULL_CACHE_LIMIT) this.#full.clear();
    const known = this.#full.get(cacheKey) ?? new Set<Part>();
    known.add(part);
    this.#full.set(cacheKey, known);
  }

  /** True when the ADD was applied, false when a set among `parts` already holds BASELINE_KEEP elements. */
  async #addParts(
    vpcId: string,
    domain: string,
    entry: BaselineEntry,
    parts: readonly Part[],
  ): Promise<boolean> {
    const names = Object.fromEntries(parts.map((part) => [`#${part}`, part]));
    const values: Record<string, unknown> = { ':keep': BASELINE_KEEP };
    for (const part of parts) values[`:${part}`] = new Set<string | number>(entry[part]);
    try {
      await this.#call('UpdateItem', () =>
        this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: baselineKey(vpcId, domain),
            UpdateExpression: `ADD ${parts.map((part) => `#${part} :${part}`).join(', ')}`,
            ConditionExpression: parts
              .map((part) => `(attribute_not_exists(#${part}) OR size(#${part}) < :keep)`)
              .join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (awsErrorCode(error) === CONDITION_FAILED) return false;
      throw error;
    }
  }

  /** The items of `domains` in one VPC; keys left unprocessed are asked again, with backoff. */
  async #batchGet(vpcId: string, domains: readonly string[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let keys: Record<string, unknown>[] = domains.map((domain) => baselineKey(vpcId, domain));
    await this.#call('BatchGetItem', async () => {
      const answer = await this.#client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.#tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: '#sk, #hosts, #days',
              ExpressionAttributeNames: {
                '#sk': DECISION_TABLE.sortKey.name,
                '#hosts': 'hosts',
                '#days': 'days',
              },
            },
          },
        }),
      );
      items.push(...(answer.Responses?.[this.#tableName] ?? []));
      keys = answer.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      if (keys.length > 0)
        throw Object.assign(new Error(`${keys.length} keys unprocessed`), { name: UNPROCESSED });
    });
    return items;
  }

  /** Sends with the shared DynamoDB retry and error policy (dynamodb-calls.ts). */
  #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return callDynamoDb(operation, send, this.#calls);
  }
}

function entryOf(item: Record<string, unknown>): BaselineEntry {
  const { hosts, days } = item;
  return baselineEntry(
    hosts instanceof Set ? [...hosts].map(String) : [],
    days instanceof Set ? [...days].map(Number) : [],
  );
}
