import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbDetectorStateStore } from '#adapters/aws/detector-state';
import { DETECTOR_TABLE } from '#adapters/aws/detector-table';
import { MAX_MEMBER_BYTES, MAX_MEMBERS } from '#domain/detect/window';
import { TargetNotFoundError, ThrottledError } from '#domain/errors';
import {
  anIncrement,
  describeDetectorStateStoreContract,
  SHAPE,
} from '../../contracts/detector-state.contract';
import { type Dynalite, startDynalite } from '../../support/dynalite';

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

describeDetectorStateStoreContract(
  'DynamoDbDetectorStateStore on dynalite',
  async () =>
    new DynamoDbDetectorStateStore({ client: dynalite.doc, tableName: await dynalite.createDetectorTable() }),
  { propertyRuns: 25 },
);

describe('DynamoDbDetectorStateStore on dynalite', () => {
  let tableName: string;
  let store: DynamoDbDetectorStateStore;

  beforeEach(async () => {
    tableName = await dynalite.createDetectorTable();
    store = new DynamoDbDetectorStateStore({ client: dynalite.doc, tableName });
  });

  it('stores one item per key and bucket: counters, a string set of members, and a TTL past the window', async () => {
    // Prepare
    const increment = anIncrement(0, { count: 3, bytes: 70, members: ['a.example.com', 'b.example.com'] });

    // Act
    await store.addAndTotal([increment], SHAPE);

    // Assess
    const { Item } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: increment.key, sk: increment.bucketStart } }),
    );
    expect(Item).toStrictEqual({
      pk: increment.key,
      sk: increment.bucketStart,
      count: 3,
      bytes: 70,
      members: new Set(['a.example.com', 'b.example.com']),
      ttl: (increment.bucketStart + 5 * 60_000) / 1000 + DETECTOR_TABLE.retentionSeconds,
    });
  });

  it('writes no member set for an increment without members', async () => {
    // Prepare
    const increment = anIncrement(0, { count: 2 });

    // Act
    await store.addAndTotal([increment], SHAPE);

    // Assess
    const { Item } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: increment.key, sk: increment.bucketStart } }),
    );
    expect(Item).not.toHaveProperty('members');
    expect(Item).toMatchObject({ count: 2 });
  });

  it('fits the largest bucket the limits allow in one item', async () => {
    // Prepare: the set is one short of full, then takes a whole increment of maximal members.
    const shape = { ...SHAPE, maxMembers: MAX_MEMBERS };
    const member = (n: number) => `${n}`.padStart(MAX_MEMBER_BYTES, 'x');
    const first = Array.from({ length: MAX_MEMBERS - 1 }, (_, n) => member(n));
    const second = Array.from({ length: MAX_MEMBERS }, (_, n) => member(MAX_MEMBERS + n));
    const key = 'k'.repeat(1024);

    // Act
    await store.addAndTotal([anIncrement(0, { members: first }, key)], shape);
    const [total] = await store.addAndTotal([anIncrement(0, { members: second }, key)], shape);

    // Assess
    expect(total).toMatchObject({ count: 2, distinct: 2 * MAX_MEMBERS - 1 });
    expect(total?.members).toHaveLength(MAX_MEMBERS);
  });

  it('adds the increments of one input once, whether or not the member set is full', async () => {
    // Prepare: one key with a full set, one with room, each written once by the input that is then retried.
    const shape = { ...SHAPE, maxMembers: 2 };
    const full = anIncrement(0, { count: 3, members: ['a', 'b'] }, 'full');
    const room = anIncrement(0, { count: 1, members: ['a'] }, 'room');
    await store.addAndTotal([anIncrement(0, { count: 1, members: ['x', 'y'] }, 'full')], shape, 'earlier');
    await store.addAndTotal([full, room], shape, 's3://logs/file-1');

    // Act: the same input again (Lambda's retry), then another input.
    await store.addAndTotal([full, room], shape, 's3://logs/file-1');
    const totals = await store.addAndTotal([room], shape, 's3://logs/file-2');

    // Assess
    const count = async (key: string) =>
      (
        await dynalite.doc.send(
          new GetCommand({ TableName: tableName, Key: { pk: key, sk: full.bucketStart } }),
        )
      ).Item?.count;
    expect({ full: await count('full'), room: await count('room') }).toEqual({ full: 4, room: 2 });
    expect(totals).toMatchObject([{ key: 'room', count: 2 }]);
  });

  it('reports a missing table as TargetNotFoundError', async () => {
    // Prepare
    const missing = new DynamoDbDetectorStateStore({ client: dynalite.doc, tableName: 'no-such-table' });

    // Act
    const attempt = missing.addAndTotal([anIncrement(0)], SHAPE);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
  });
});

describe('DynamoDbDetectorStateStore requests', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const mock = mockClient(doc);
  const sleep = vi.fn(async (_ms: number) => undefined);
  const store = new DynamoDbDetectorStateStore({ client: doc, tableName: 'state', sleep, random: () => 0.5 });
  const metadata = { $metadata: {} };
  const stored = (minute: number, count: number) => ({
    pk: 'k',
    sk: anIncrement(minute).bucketStart,
    count,
    bytes: 0,
  });

  beforeEach(() => {
    mock.reset();
    sleep.mockClear();
  });

  it('sends one conditional ADD per increment with members, and one newest-first Query per key', async () => {
    // Prepare
    mock.on(UpdateCommand).resolves({});
    mock.on(QueryCommand).resolves({ Items: [stored(1, 2), stored(0, 1)] });

    // Act
    const totals = await store.addAndTotal(
      [anIncrement(0, { members: ['a'] }, 'k'), anIncrement(1, { count: 2 }, 'k')],
      SHAPE,
    );

    // Assess
    expect(totals).toMatchObject([{ key: 'k', count: 3 }]);
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(mock).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'ADD #count :count, #bytes :bytes, #members :members SET #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#members) OR size(#members) < :maxMembers',
      ExpressionAttributeValues: expect.objectContaining({ ':members': new Set(['a']), ':maxMembers': 4 }),
    });
    expect(mock).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'ADD #count :count, #bytes :bytes SET #ttl = :ttl',
      ExpressionAttributeValues: expect.not.objectContaining({ ':members': expect.anything() }),
    });
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(mock).toHaveReceivedCommandWith(QueryCommand, {
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: SHAPE.buckets,
    });
  });

  it('counts without members when the set is full', async () => {
    // Prepare
    mock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'full', ...metadata }))
      .resolves({});
    mock.on(QueryCommand).resolves({ Items: [stored(0, 1)] });

    // Act
    await store.addAndTotal([anIncrement(0, { members: ['a'] }, 'k')], SHAPE);

    // Assess
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(mock).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      UpdateExpression: 'ADD #count :count, #bytes :bytes SET #ttl = :ttl',
    });
  });

  it('follows Query pages until it holds the window', async () => {
    // Prepare
    mock.on(UpdateCommand).resolves({});
    mock
      .on(QueryCommand)
      .resolvesOnce({ Items: [stored(4, 1), stored(3, 1)], LastEvaluatedKey: { pk: 'k', sk: 3 } })
      .resolvesOnce({
        Items: [stored(2, 1), stored(1, 1), stored(0, 1)],
        LastEvaluatedKey: { pk: 'k', sk: 0 },
      });

    // Act
    const [total] = await store.addAndTotal([anIncrement(4, {}, 'k')], SHAPE);

    // Assess
    expect(total?.count).toBe(5);
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(mock).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: { pk: 'k', sk: 3 },
      Limit: 3,
    });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { Items: [] };
    };
    mock.on(UpdateCommand).callsFake(slow);
    mock.on(QueryCommand).callsFake(slow);
    const limited = new DynamoDbDetectorStateStore({ client: doc, tableName: 'state', concurrency: 3 });
    const increments = Array.from({ length: 12 }, (_, n) => anIncrement(0, {}, `key ${n}`));

    // Act
    const totals = await limited.addAndTotal(increments, SHAPE);

    // Assess
    expect(peak).toBe(3);
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 12);
    // Nothing came back from the Query (as after a TTL deletion): each key's own increment still counts.
    expect(totals.map(({ count }) => count)).toStrictEqual(Array(12).fill(1));
  });

  it('starts no more writes after one fails', async () => {
    // Prepare
    mock.on(UpdateCommand).rejects(new Error('network down'));
    const serial = new DynamoDbDetectorStateStore({ client: doc, tableName: 'state', concurrency: 1 });

    // Act
    const attempt = serial.addAndTotal([anIncrement(0, {}, 'a'), anIncrement(0, {}, 'b')], SHAPE);

    // Assess
    await expect(attempt).rejects.toThrow('network down');
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 1);
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
  ])('retries %s, then gives up after 4 attempts with ThrottledError', async (code, error) => {
    // Prepare
    mock.on(UpdateCommand).rejects(error);

    // Act
    const attempt = store.addAndTotal([anIncrement(0, { members: ['a'] })], SHAPE);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    await expect(attempt).rejects.toMatchObject({ code, retryable: true });
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 4);
    expect(sleep.mock.calls.map(([ms]) => ms)).toStrictEqual([25, 50, 100]);
  });

  it('gets through once throttling stops', async () => {
    // Prepare
    mock
      .on(UpdateCommand)
      .rejectsOnce(new ThrottlingException({ message: 'x', ...metadata }))
      .resolves({});
    mock
      .on(QueryCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'x', ...metadata }))
      .resolves({ Items: [stored(0, 1)] });

    // Act
    const [total] = await store.addAndTotal([anIncrement(0, {}, 'k')], SHAPE);

    // Assess
    expect(total?.count).toBe(1);
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(mock).toHaveReceivedCommandTimes(QueryCommand, 2);
  });

  it('reports a request DynamoDB refuses as invalid input', async () => {
    // Prepare
    mock.on(UpdateCommand).rejects(
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'bad',
        ...metadata,
      }),
    );

    // Act
    const attempt = store.addAndTotal([anIncrement(0)], SHAPE);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInputError', code: 'ValidationException' });
  });
});
