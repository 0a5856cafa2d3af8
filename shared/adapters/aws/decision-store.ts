import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  activePartitions,
  alertClaimKey,
  alertClaimPartition,
  assertNextVersion,
  auditPrefix,
  breakerKey,
  catchUpWatermarkKey,
  DECISION_TABLE,
  decisionKey,
  enforceStatusKey,
  fromAuditItem,
  fromBreakerItem,
  fromCatchUpWatermarkItem,
  fromDecisionItem,
  fromEnforceStatusItem,
  fromNetworkAclLedgerItem,
  fromPauseItem,
  fromVpcCidrsItem,
  indicatorPartition,
  networkAclLedgerKey,
  pauseKey,
  toActiveBlock,
  toAlertClaimItem,
  toAuditItem,
  toBreakerItem,
  toCatchUpWatermarkItem,
  toDecisionItem,
  toEnforceStatusItem,
  toNetworkAclLedgerItem,
  toPauseItem,
  toSortableTime,
  toVpcCidrsItem,
  vpcCidrsKey,
} from '#adapters/aws/decision-table';
import { callDynamoDb, type DynamoDbCallOptions } from '#adapters/aws/dynamodb-calls';
import {
  ACTIVE_BLOCK_FIELDS,
  type ActiveBlock,
  type AuditRecord,
  type BreakerState,
  type Decision,
} from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import type { PauseState } from '#domain/policy';
import type { NetworkAclLedger } from '#domain/target';
import type { CatchUpWatermark, DecisionStore, EnforceStatus, VpcCidrsRecord } from '#ports/decision-store';

/** Options of the DynamoDB decision store. */
export interface DynamoDbDecisionStoreOptions {
  /** A document client; the store drops undefined values itself, so no marshalling options are required. */
  readonly client: DynamoDBDocumentClient;
  /** A table built from `createTableInput` / `DECISION_TABLE`. */
  readonly tableName: string;
  /** Attempts per request when DynamoDB throttles (first included, SDK retries aside). Default 4. */
  readonly maxAttempts?: number;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic. */
  readonly random?: () => number;
}

/**
 * The decision store on one DynamoDB table (layout in decision-table.ts).
 *
 * * `put`, `putBreaker`, `putNetworkAclLedger` and `putCatchUpWatermark` are conditional PutItems: `attribute_not_exists(pk)` for a new record, otherwise
 *   `#version = :expected`. A lost race is ConcurrentUpdateError (code `ConditionalCheckFailedException`);
 *   a `version` other than `expectedVersion + 1` is InvalidInputError before anything is sent.
 * * `appendAudit` writes one conditional PutItem per record, in order (BatchWriteItem has no conditions);
 *   an identical record already stored counts as written, so the call is idempotent and safe to retry after
 *   a partial failure.
 * * `putPause` is conditional like `putBreaker`.
 * * `putVpcCidrs` and `putEnforceStatus` are plain PutItems: its one writer, `enforce`, runs one at a time, so the last write wins.
 * * `get`, `getBreaker`, `getNetworkAclLedger`, `getCatchUpWatermark` and `getVpcCidrs` read consistently; `listActive`, `listActiveBlocks` and `listDueBefore` read the eventually
 *   consistent `active` index. Every Query is paginated to the end.
 * * Throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`, `RequestLimitExceeded`) is
 *   retried with backoff (on top of the SDK client's own retries), then ThrottledError. A missing table is
 *   TargetNotFoundError (`ResourceNotFoundException`); `ValidationException` and items over 400 KB are
 *   InvalidInputError. Anything else is rethrown as the SDK raised it.
 */
export class DynamoDbDecisionStore implements DecisionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #calls: DynamoDbCallOptions;

  constructor(options: DynamoDbDecisionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#calls = {
      tableName: options.tableName,
      maxAttempts: options.maxAttempts ?? 4,
      sleep: options.sleep,
      random: options.random,
      conditionIsConcurrentUpdate: true,
    };
  }

  async get(key: string): Promise<Decision | undefined> {
    const Item = await this.#getItem(decisionKey(key));
    return Item === undefined ? undefined : fromDecisionItem(Item);
  }

  async put(decision: Decision, expectedVersion: number | undefined): Promise<void> {
    assertNextVersion(decision.version, expectedVersion, `decision for ${decision.key}`);
    const item = toDecisionItem(decision);
    await this.#conditionalPut(
      item,
      expectedVersion === undefined ? 0 : expectedVersion,
      `decision for ${decision.key} changed since version ${expectedVersion ?? 'none'} was read`,
    );
  }

  async listActive(): Promise<Decision[]> {
    return (await this.#queryActive({})).map(fromDecisionItem);
  }

  async listActiveBlocks(): Promise<ActiveBlock[]> {
    const names = Object.fromEntries(ACTIVE_BLOCK_FIELDS.map((field, i) => [`#p${i}`, field]));
    // Only what reconcile needs crosses the network: evidence, seen keys and workloads stay behind.
    const items = await this.#queryActive({
      ProjectionExpression: Object.keys(names).join(', '),
      ExpressionAttributeNames: names,
    });
    return items.map(toActiveBlock);
  }

  async listDueBefore(time: string): Promise<Decision[]> {
    const limit = toSortableTime(time, 'time');
    const items = await this.#queryActive({
      sortKeyCondition: ' AND #gsi1sk <= :limit',
      ExpressionAttributeNames: { '#gsi1sk': DECISION_TABLE.activeIndex.sortKey.name },
      ExpressionAttributeValues: { ':limit': limit },
    });
    // A time past the permanent marker would otherwise return permanent blocks as due.
    return items.map(fromDecisionItem).filter((decision) => decision.expiresAt !== null);
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    const items = records.map(toAuditItem);
    for (const item of items) {
      try {
        await this.#call('PutItem', () =>
          this.#client.send(
            new PutCommand({
              TableName: this.#tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': DECISION_TABLE.partitionKey.name },
            }),
          ),
        );
      } catch (error) {
        // The key includes a hash of the whole record: the item that is there is this very record.
        if (!(error instanceof ConcurrentUpdateError)) throw error;
      }
    }
  }

  async listAudit(key: string): Promise<AuditRecord[]> {
    const items = await this.#queryAll({
      TableName: this.#tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: {
        '#pk': DECISION_TABLE.partitionKey.name,
        '#sk': DECISION_TABLE.sortKey.name,
      },
      ExpressionAttributeValues: { ':pk': indicatorPartition(key), ':prefix': auditPrefix() },
      ConsistentRead: true,
      ScanIndexForward: true,
    });
    return items.map(fromAuditItem);
  }

  async getBreaker(): Promise<BreakerState> {
    const Item = await this.#getItem(breakerKey());
    return Item === undefined ? { open: false, recentBlocks: [], version: 0 } : fromBreakerItem(Item);
  }

  async putBreaker(state: BreakerState, expectedVersion: number): Promise<void> {
    assertNextVersion(state.version, expectedVersion, 'breaker');
    await this.#conditionalPut(
      toBreakerItem(state),
      expectedVersion,
      `breaker changed since version ${expectedVersion} was read`,
    );
  }

  async getNetworkAclLedger(): Promise<NetworkAclLedger> {
    const Item = await this.#getItem(networkAclLedgerKey());
    return Item === undefined ? { acls: [], version: 0 } : fromNetworkAclLedgerItem(Item);
  }

  async putNetworkAclLedger(ledger: NetworkAclLedger, expectedVersion: number): Promise<void> {
    assertNextVersion(ledger.version, expectedVersion, 'network ACL ledger');
    await this.#conditionalPut(
      toNetworkAclLedgerItem(ledger),
      expectedVersion,
      `network ACL ledger changed since version ${expectedVersion} was read`,
    );
  }

  async getCatchUpWatermark(): Promise<CatchUpWatermark> {
    const Item = await this.#getItem(catchUpWatermarkKey());
    return Item === undefined ? { version: 0 } : fromCatchUpWatermarkItem(Item);
  }

  async putCatchUpWatermark(watermark: CatchUpWatermark, expectedVersion: number): Promise<void> {
    assertNextVersion(watermark.version, expectedVersion, 'catch-up watermark');
    await this.#conditionalPut(
      toCatchUpWatermarkItem(watermark),
      expectedVersion,
      `catch-up watermark changed since version ${expectedVersion} was read`,
    );
  }

  async getVpcCidrs(): Promise<VpcCidrsRecord | undefined> {
    const Item = await this.#getItem(vpcCidrsKey());
    return Item === undefined ? undefined : fromVpcCidrsItem(Item);
  }

  async putVpcCidrs(record: VpcCidrsRecord): Promise<void> {
    const item = toVpcCidrsItem(record);
    await this.#putItem(item);
  }

  async claimAlert(slot: string, fingerprint: string, at: string, until: string): Promise<boolean> {
    const item = toAlertClaimItem(slot, fingerprint, until);
    try {
      await this.#call('PutItem', () =>
        this.#client.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: item,
            // Times are normalised ISO 8601, so comparing them as text compares them as times.
            ConditionExpression: 'attribute_not_exists(#pk) OR #fingerprint <> :fingerprint OR #until <= :at',
            ExpressionAttributeNames: {
              '#pk': DECISION_TABLE.partitionKey.name,
              '#fingerprint': 'fingerprint',
              '#until': 'until',
            },
            ExpressionAttributeValues: { ':fingerprint': fingerprint, ':at': toSortableTime(at, 'at') },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) return false;
      throw error;
    }
  }

  async releaseAlerts(slots: readonly string[], at: string): Promise<void> {
    const wanted = new Set(slots.map((slot) => alertClaimKey(slot).sk));
    if (wanted.size === 0) return;
    // One read finds the few claims held; only those are written. A released claim is one that lapsed at `at`
    // (PutItem, which the functions may already call, rather than DeleteItem, which they need for nothing else).
    const held = await this.#queryAll({
      TableName: this.#tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': DECISION_TABLE.partitionKey.name },
      ExpressionAttributeValues: { ':pk': alertClaimPartition() },
      ConsistentRead: true,
    });
    const freed = held.filter((item) => wanted.has(String(item.sk)) && item.fingerprint !== '');
    await Promise.all(freed.map((item) => this.#putItem(toAlertClaimItem(String(item.sk), '', at))));
  }

  async getPause(): Promise<PauseState> {
    const Item = await this.#getItem(pauseKey());
    return Item === undefined ? { paused: false, version: 0 } : fromPauseItem(Item);
  }

  async putPause(state: PauseState, expectedVersion: number): Promise<void> {
    assertNextVersion(state.version, expectedVersion, 'pause');
    await this.#conditionalPut(
      toPauseItem(state),
      expectedVersion,
      `pause changed since version ${expectedVersion} was read`,
    );
  }

  async getEnforceStatus(): Promise<EnforceStatus | undefined> {
    const Item = await this.#getItem(enforceStatusKey());
    return Item === undefined ? undefined : fromEnforceStatusItem(Item);
  }

  async putEnforceStatus(status: EnforceStatus): Promise<void> {
    const item = toEnforceStatusItem(status);
    await this.#putItem(item);
  }

  /** One item read consistently by its key; undefined when there is none. */
  async #getItem(key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#call('GetItem', () =>
      this.#client.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true })),
    );
    return Item;
  }

  /** An unconditional PutItem: for records whose one writer (`enforce`) runs one at a time, and released claims. */
  async #putItem(item: Record<string, unknown>): Promise<void> {
    await this.#call('PutItem', () =>
      this.#client.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  /** A PutItem that only succeeds over `expectedVersion` (0 = the item must not exist). */
  async #conditionalPut(
    item: Record<string, unknown>,
    expectedVersion: number,
    conflict: string,
  ): Promise<void> {
    const condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      expectedVersion === 0
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': DECISION_TABLE.partitionKey.name },
          }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    try {
      await this.#call('PutItem', () =>
        this.#client.send(new PutCommand({ TableName: this.#tableName, Item: item, ...condition })),
      );
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) {
        throw new ConcurrentUpdateError(conflict, error.code, { cause: error.cause });
      }
      throw error;
    }
  }

  /**
   * Every item of the `active` index, its partitions queried concurrently: `sortKeyCondition` is appended to
   * the partition's key condition, and the names and values given are added to the partition's.
   */
  async #queryActive({
    sortKeyCondition = '',
    ProjectionExpression,
    ExpressionAttributeNames,
    ExpressionAttributeValues,
  }: {
    readonly sortKeyCondition?: string;
    readonly ProjectionExpression?: string;
    readonly ExpressionAttributeNames?: Record<string, string>;
    readonly ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const pages = await Promise.all(
      activePartitions().map((partition) =>
        this.#queryAll({
          TableName: this.#tableName,
          IndexName: DECISION_TABLE.activeIndex.indexName,
          KeyConditionExpression: `#gsi1pk = :partition${sortKeyCondition}`,
          ...(ProjectionExpression !== undefined && { ProjectionExpression }),
          ExpressionAttributeNames: {
            '#gsi1pk': DECISION_TABLE.activeIndex.partitionKey.name,
            ...ExpressionAttributeNames,
          },
          ExpressionAttributeValues: { ':partition': partition, ...ExpressionAttributeValues },
        }),
      ),
    );
    return pages.flat();
  }

  /** Every item a Query matches, following `LastEvaluatedKey` page by page. */
  async #queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#call('Query', () =>
        this.#client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** Sends with the shared DynamoDB retry and error policy (dynamodb-calls.ts). */
  #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return callDynamoDb(operation, send, this.#calls);
  }
}
