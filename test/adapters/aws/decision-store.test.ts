import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { activeShard, auditSortKey, PERMANENT_SORT_KEY } from '#adapters/aws/decision-table';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import {
  aDecision,
  anAuditRecord,
  describeDecisionStoreContract,
} from '../../contracts/decision-store.contract';
import { type Dynalite, startDynalite } from '../../support/dynalite';

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

describeDecisionStoreContract('DynamoDbDecisionStore on dynalite', async () => {
  const tableName = await dynalite.createTable();
  return new DynamoDbDecisionStore({ client: dynalite.doc, tableName });
});

describe('DynamoDbDecisionStore on dynalite', () => {
  let tableName: string;
  let store: DynamoDbDecisionStore;

  beforeEach(async () => {
    tableName = await dynalite.createTable();
    store = new DynamoDbDecisionStore({ client: dynalite.doc, tableName });
  });

  it('lets exactly one of two concurrent updates from the same version through', async () => {
    // Prepare
    await store.put(aDecision(), undefined);

    // Act
    const results = await Promise.allSettled([
      store.put(aDecision({ version: 2, reason: 'first writer' }), 1),
      store.put(aDecision({ version: 2, reason: 'second writer' }), 1),
    ]);

    // Assess
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(ConcurrentUpdateError);
    const winner = results.findIndex((result) => result.status === 'fulfilled');
    expect((await store.get('evil.example.com'))?.reason).toBe(
      winner === 0 ? 'first writer' : 'second writer',
    );
  });

  it('reads a record written with the earlier map form of `seen` as the list, and rewrites it as the list', async () => {
    // Prepare: an item as an earlier version wrote it, `seen` a map from evidence key to time.
    const { seen: _, ...rest } = aDecision();
    await dynalite.doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...rest,
          seen: {
            'guardduty:finding-1': '2026-11-28T09:59:00.000Z',
            'guardduty:finding-2': '2026-11-28T09:58:00.000Z',
            'guardduty:finding-3': '2026-11-28T10:00:00.000Z',
          },
          pk: 'IND#evil.example.com',
          sk: 'DECISION',
          gsi1pk: `ACTIVE#${activeShard('evil.example.com')}`,
          gsi1sk: '2026-11-29T10:00:00.000Z',
        },
      }),
    );

    // Act
    const read = await store.get('evil.example.com');
    const [listed] = await store.listActive();
    if (!read) throw new Error('the record was not read');
    await store.put({ ...read, version: read.version + 1 }, read.version);

    // Assess
    const newestFirst = [
      { key: 'guardduty:finding-3', at: '2026-11-28T10:00:00.000Z' },
      { key: 'guardduty:finding-1', at: '2026-11-28T09:59:00.000Z' },
      { key: 'guardduty:finding-2', at: '2026-11-28T09:58:00.000Z' },
    ];
    expect(read.seen).toStrictEqual(newestFirst);
    expect(listed?.seen).toStrictEqual(newestFirst);
    const { Item } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'IND#evil.example.com', sk: 'DECISION' } }),
    );
    expect(Item?.seen).toStrictEqual(newestFirst);
    expect(Item?.version).toBe(2);
  });

  it('lets exactly one of two concurrent creations through', async () => {
    // Act
    const results = await Promise.allSettled([
      store.put(aDecision({ reason: 'a' }), undefined),
      store.put(aDecision({ reason: 'b' }), undefined),
    ]);

    // Assess
    expect(results.map((result) => result.status).sort()).toStrictEqual(['fulfilled', 'rejected']);
  });

  it('puts a TTL on audit items and none on decisions', async () => {
    // Prepare
    const record = anAuditRecord({ at: '2026-11-28T10:00:00.000Z' });
    await store.put(aDecision(), undefined);
    await store.appendAudit([record]);

    // Act
    const { Item: decision } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'IND#evil.example.com', sk: 'DECISION' } }),
    );
    const { Item: audit } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'IND#evil.example.com', sk: auditSortKey(record) } }),
    );

    // Assess
    expect(decision).toBeDefined();
    expect(decision).not.toHaveProperty('ttl');
    expect(audit?.ttl).toBe(Date.parse('2026-11-28T10:00:00.000Z') / 1000 + 400 * 86_400);
  });

  it('stores an active block under its shard with its expiry, and removes both when it ends', async () => {
    // Prepare
    const key = { pk: 'IND#evil.example.com', sk: 'DECISION' };
    await store.put(aDecision({ expiresAt: null }), undefined);
    const { Item: active } = await dynalite.doc.send(new GetCommand({ TableName: tableName, Key: key }));

    // Act
    await store.put(aDecision({ status: 'lifted', version: 2 }), 1);
    const { Item: lifted } = await dynalite.doc.send(new GetCommand({ TableName: tableName, Key: key }));

    // Assess
    expect(active).toMatchObject({
      gsi1pk: `ACTIVE#${activeShard('evil.example.com')}`,
      gsi1sk: PERMANENT_SORT_KEY,
    });
    expect(lifted).not.toHaveProperty('gsi1pk');
    expect(lifted).not.toHaveProperty('gsi1sk');
  });

  it('keeps the VPC CIDRs under a fixed key of their own', async () => {
    // Prepare
    const record = {
      vpcIds: ['vpc-0a1b2c3d4e5f60718'],
      cidrs: ['10.20.0.0/16'],
      readAt: '2026-11-28T10:00:00.000Z',
    };

    // Act
    await store.putVpcCidrs(record);

    // Assess
    const { Item } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'CONTEXT', sk: 'VPC_CIDRS' } }),
    );
    expect(Item).toStrictEqual({ ...record, pk: 'CONTEXT', sk: 'VPC_CIDRS' });
  });

  it.each([
    ['CIDRs that are not a list', { cidrs: '10.20.0.0/16' }, /cidrs: must be a list of strings/],
    ['a CIDR that is not canonical', { cidrs: ['10.20.0.1/16'] }, /cidrs: "10.20.0.1\/16" is not canonical/],
    ['no VPC ids', { vpcIds: null }, /vpcIds: must be a list of strings/],
    ['a time that is not a time', { readAt: 'soon' }, /readAt: "soon" is not an ISO 8601 time/],
  ])('refuses a stored VPC CIDRs item with %s, naming the item and the field', async (_, change, message) => {
    // Prepare
    const item = {
      pk: 'CONTEXT',
      sk: 'VPC_CIDRS',
      vpcIds: ['vpc-0a1b2c3d4e5f60718'],
      cidrs: ['10.20.0.0/16'],
      readAt: '2026-11-28T10:00:00.000Z',
      ...change,
    };
    await dynalite.doc.send(new PutCommand({ TableName: tableName, Item: item }));

    // Act
    const read = store.getVpcCidrs();

    // Assess
    await expect(read).rejects.toBeInstanceOf(InvalidInputError);
    await expect(read).rejects.toThrow(/stored VPC CIDRs \(CONTEXT VPC_CIDRS\) are corrupt/);
    await expect(read).rejects.toThrow(message);
  });

  it('reports a missing table as TargetNotFoundError', async () => {
    // Prepare
    const missing = new DynamoDbDecisionStore({ client: dynalite.doc, tableName: 'no-such-table' });

    // Act
    const attempt = missing.get('evil.example.com');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });
});

describe('DynamoDbDecisionStore requests', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const mock = mockClient(doc);
  const sleep = vi.fn(async (_ms: number) => undefined);
  const store = new DynamoDbDecisionStore({ client: doc, tableName: 'decisions', sleep, random: () => 0.5 });
  const metadata = { $metadata: {} };

  beforeEach(() => {
    mock.reset();
    sleep.mockClear();
  });

  it('creates a decision with a conditional put keyed by indicator and indexed by shard and expiry', async () => {
    // Prepare
    mock.on(PutCommand).resolves({});
    const decision = aDecision();

    // Act
    await store.put(decision, undefined);

    // Assess
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'decisions',
      Item: {
        ...decision,
        pk: 'IND#evil.example.com',
        sk: 'DECISION',
        gsi1pk: `ACTIVE#${activeShard('evil.example.com')}`,
        gsi1sk: '2026-11-29T10:00:00.000Z',
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('updates a decision only over the version it read, without index attributes once inactive', async () => {
    // Prepare
    mock.on(PutCommand).resolves({});
    const { requestedBy: _, ...expired } = aDecision({ status: 'expired', version: 3 });

    // Act
    await store.put(expired, 2);

    // Assess
    expect(mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'decisions',
      Item: { ...expired, pk: 'IND#evil.example.com', sk: 'DECISION' },
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': 2 },
    });
    const item = mock.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(Object.keys(item ?? {})).not.toEqual(expect.arrayContaining(['gsi1pk']));
    expect(item).not.toHaveProperty('requestedBy');
  });

  it('sends nothing when the version does not follow the expected one', async () => {
    // Act
    const attempt = store.put(aDecision({ version: 3 }), 1);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 0);
  });

  it('reads a decision consistently by its key', async () => {
    // Prepare
    const decision = aDecision();
    mock.on(GetCommand).resolves({
      Item: { ...decision, pk: 'IND#evil.example.com', sk: 'DECISION', gsi1pk: 'x', gsi1sk: 'y' },
    });

    // Act
    const found = await store.get('evil.example.com');

    // Assess
    expect(found).toStrictEqual(decision);
    expect(mock).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'decisions',
      Key: { pk: 'IND#evil.example.com', sk: 'DECISION' },
      ConsistentRead: true,
    });
  });

  it('queries every shard of the active index and follows every page', async () => {
    // Prepare
    const first = aDecision({ key: 'a.example.com' });
    const second = aDecision({ key: 'b.example.com' });
    mock.on(QueryCommand).resolves({ Items: [] });
    mock
      .on(QueryCommand, {
        ExpressionAttributeValues: { ':partition': 'ACTIVE#2' },
        ExclusiveStartKey: undefined,
      })
      .resolves({ Items: [first], LastEvaluatedKey: { pk: 'IND#a.example.com', sk: 'DECISION' } });
    mock
      .on(QueryCommand, { ExclusiveStartKey: { pk: 'IND#a.example.com', sk: 'DECISION' } })
      .resolves({ Items: [second] });

    // Act
    const listed = await store.listActive();

    // Assess
    expect(listed).toStrictEqual([first, second]);
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 5);
    for (const shard of [0, 1, 2, 3]) {
      expect(mock).toHaveReceivedCommandWith(QueryCommand, {
        TableName: 'decisions',
        IndexName: 'active',
        KeyConditionExpression: '#gsi1pk = :partition',
        ExpressionAttributeNames: { '#gsi1pk': 'gsi1pk' },
        ExpressionAttributeValues: { ':partition': `ACTIVE#${shard}` },
      });
    }
    expect(mock).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':partition': 'ACTIVE#2' },
      ExclusiveStartKey: { pk: 'IND#a.example.com', sk: 'DECISION' },
    });
  });

  it('asks each shard for blocks due at or before the normalised time', async () => {
    // Prepare
    mock.on(QueryCommand).resolves({ Items: [] });

    // Act
    await store.listDueBefore('2026-12-01T11:00:00+01:00');

    // Assess
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 4);
    expect(mock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'active',
      KeyConditionExpression: '#gsi1pk = :partition AND #gsi1sk <= :limit',
      ExpressionAttributeNames: { '#gsi1pk': 'gsi1pk', '#gsi1sk': 'gsi1sk' },
      ExpressionAttributeValues: { ':partition': 'ACTIVE#3', ':limit': '2026-12-01T10:00:00.000Z' },
    });
  });

  it('reads the audit trail consistently, oldest first, page by page', async () => {
    // Prepare
    const older = anAuditRecord({ at: '2026-11-28T10:00:00.000Z' });
    const newer = anAuditRecord({ at: '2026-11-28T11:00:00.000Z' });
    mock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ ...older, pk: 'p', sk: 's', ttl: 1 }],
        LastEvaluatedKey: { pk: 'p', sk: 's' },
      })
      .resolvesOnce({ Items: [{ ...newer, pk: 'p', sk: 't', ttl: 2 }] });

    // Act
    const trail = await store.listAudit('evil.example.com');

    // Assess
    expect(trail).toStrictEqual([older, newer]);
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(mock).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: 'decisions',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'IND#evil.example.com', ':prefix': 'AUDIT#' },
      ConsistentRead: true,
      ScanIndexForward: true,
    });
    expect(mock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { pk: 'p', sk: 's' } });
  });

  it('appends each audit record with its own conditional put and TTL', async () => {
    // Prepare
    mock.on(PutCommand).resolves({});
    const record = anAuditRecord();

    // Act
    await store.appendAudit([record, anAuditRecord({ event: 'extended' })]);

    // Assess
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(mock).toHaveReceivedNthCommandWith(PutCommand, 1, {
      TableName: 'decisions',
      Item: {
        ...record,
        pk: 'IND#evil.example.com',
        sk: auditSortKey(record),
        ttl: Date.parse(record.at) / 1000 + 400 * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('treats an audit record that is already stored as written and goes on with the next', async () => {
    // Prepare
    mock
      .on(PutCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', ...metadata }),
      )
      .resolves({});

    // Act
    await store.appendAudit([anAuditRecord(), anAuditRecord({ event: 'extended' })]);

    // Assess
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('writes the breaker conditionally under its own key', async () => {
    // Prepare
    mock.on(PutCommand).resolves({});
    mock.on(GetCommand).resolves({});
    const state = { open: true, openedAt: '2026-11-28T10:00:00.000Z', recentBlocks: [], version: 1 };

    // Act
    await store.putBreaker(state, 0);
    await store.putBreaker({ ...state, open: false, version: 2 }, 1);
    const missing = await store.getBreaker();

    // Assess
    expect(missing).toStrictEqual({ open: false, recentBlocks: [], version: 0 });
    expect(mock).toHaveReceivedNthCommandWith(PutCommand, 1, {
      Item: { ...state, pk: 'BREAKER', sk: 'STATE' },
      ConditionExpression: 'attribute_not_exists(#pk)',
    });
    expect(mock).toHaveReceivedNthCommandWith(PutCommand, 2, {
      ConditionExpression: '#version = :expected',
      ExpressionAttributeValues: { ':expected': 1 },
    });
    expect(mock).toHaveReceivedCommandWith(GetCommand, {
      Key: { pk: 'BREAKER', sk: 'STATE' },
      ConsistentRead: true,
    });
  });

  it('reports a failed condition as ConcurrentUpdateError with the DynamoDB code', async () => {
    // Prepare
    const cause = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      ...metadata,
    });
    mock.on(PutCommand).rejects(cause);

    // Act
    const attempt = store.put(aDecision({ version: 2 }), 1);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await expect(attempt).rejects.toMatchObject({ code: 'ConditionalCheckFailedException', cause });
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('retries a throttled request with backoff and succeeds', async () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', ...metadata });
    mock.on(GetCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({});

    // Act
    const found = await store.get('evil.example.com');

    // Assess
    expect(found).toBeUndefined();
    expect(mock).toHaveReceivedCommandTimes(GetCommand, 3);
    expect(sleep.mock.calls.map(([ms]) => ms)).toStrictEqual([25, 50]);
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'x', ...metadata }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'x', ...metadata })],
    [
      'RequestLimitExceeded',
      new DynamoDBServiceException({
        name: 'RequestLimitExceeded',
        $fault: 'client',
        message: 'x',
        ...metadata,
      }),
    ],
  ])('gives up on %s after 4 attempts with ThrottledError', async (code, error) => {
    // Prepare
    mock.on(PutCommand).rejects(error);

    // Act
    const attempt = store.put(aDecision(), undefined);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    await expect(attempt).rejects.toMatchObject({ code, retryable: true });
    expect(mock).toHaveReceivedCommandTimes(PutCommand, 4);
    expect(sleep).toHaveBeenCalledTimes(3);
  });

  it('retries a throttled page of a query without losing the pages before it', async () => {
    // Prepare
    const throttled = new ThrottlingException({ message: 'Rate exceeded', ...metadata });
    const older = anAuditRecord({ at: '2026-11-28T10:00:00.000Z' });
    const newer = anAuditRecord({ at: '2026-11-28T11:00:00.000Z' });
    mock
      .on(QueryCommand)
      .resolvesOnce({ Items: [older], LastEvaluatedKey: { pk: 'p', sk: 's' } })
      .rejectsOnce(throttled)
      .resolvesOnce({ Items: [newer] });

    // Act
    const trail = await store.listAudit('evil.example.com');

    // Assess
    expect(trail).toStrictEqual([older, newer]);
    expect(mock).toHaveReceivedNthCommandWith(QueryCommand, 3, { ExclusiveStartKey: { pk: 'p', sk: 's' } });
  });

  it('reports a missing table as TargetNotFoundError without retrying', async () => {
    // Prepare
    mock
      .on(QueryCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', ...metadata }));

    // Act
    const attempt = store.listAudit('evil.example.com');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('reports a request DynamoDB refuses as invalid input', async () => {
    // Prepare
    mock.on(PutCommand).rejects(
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'Item size has exceeded the maximum allowed size',
        ...metadata,
      }),
    );

    // Act
    const attempt = store.putBreaker({ open: false, recentBlocks: [], version: 1 }, 0);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ code: 'ValidationException' });
    await expect(attempt).rejects.toThrow(/maximum allowed size/);
  });

  it('rethrows any other error as the SDK raised it', async () => {
    // Prepare
    const denied = new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      message: 'not authorized',
      ...metadata,
    });
    mock.on(GetCommand).rejects(denied);

    // Act
    const attempt = store.getBreaker();

    // Assess
    await expect(attempt).rejects.toBe(denied);
    expect(mock).toHaveReceivedCommandTimes(GetCommand, 1);
  });
});
