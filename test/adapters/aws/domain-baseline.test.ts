import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import { BASELINE_KEEP } from '#domain/detect/dns-baseline';
import { ThrottledError } from '#domain/errors';
import { deltasOf, describeDomainBaselineStoreContract } from '../../contracts/domain-baseline.contract';
import { type Dynalite, startDynalite } from '../../support/dynalite';

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

describeDomainBaselineStoreContract(
  'DynamoDbDomainBaselineStore on dynalite',
  async (pageSize) =>
    new DynamoDbDomainBaselineStore({
      client: dynalite.doc,
      tableName: await dynalite.createTable(),
      ...(pageSize === undefined ? {} : { pageSize }),
    }),
  { propertyRuns: 15 },
);

const VPC = 'vpc-0a1b2c3d';
const DAY = 20_500;
const noWait = async (): Promise<void> => undefined;

describe('DynamoDbDomainBaselineStore on dynalite', () => {
  let tableName: string;
  let store: DynamoDbDomainBaselineStore;

  beforeEach(async () => {
    tableName = await dynalite.createTable();
    store = new DynamoDbDomainBaselineStore({ client: dynalite.doc, tableName });
  });

  it('stores one decision-table item per VPC and domain: hosts a string set, days a number set', async () => {
    // Act
    await store.record(
      deltasOf(VPC, {
        'github.com': [
          ['i-1', '10.0.1.5'],
          [DAY, DAY - 1],
        ],
      }),
    );

    // Assess
    const { Item } = await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: `BASELINE#${VPC}`, sk: 'github.com' } }),
    );
    expect(Item).toStrictEqual({
      pk: `BASELINE#${VPC}`,
      sk: 'github.com',
      hosts: new Set(['10.0.1.5', 'i-1']),
      days: new Set([DAY, DAY - 1]),
    });
  });

  it('sends nothing more for a domain whose sets it found full', async () => {
    // Prepare
    const hosts = Array.from({ length: BASELINE_KEEP }, (_, i) => `host-${i}`);
    const days = Array.from({ length: BASELINE_KEEP }, (_, i) => DAY - i);
    await store.record(deltasOf(VPC, { 'github.com': [hosts, days] }));
    await store.record(deltasOf(VPC, { 'github.com': [['late'], [DAY + 1]] }));
    const sent: unknown[] = [];
    dynalite.doc.middlewareStack.add(
      (next) => async (args) => {
        sent.push(args.input);
        return next(args);
      },
      { step: 'initialize', name: 'countBaselineWrites' },
    );

    // Act
    try {
      await store.record(deltasOf(VPC, { 'github.com': [['later'], [DAY + 2]] }));
    } finally {
      dynalite.doc.middlewareStack.remove('countBaselineWrites');
    }

    // Assess
    expect(sent).toEqual([]);
  });
});

describe('DynamoDbDomainBaselineStore retries', () => {
  it('retries throttling, then throws ThrottledError', async () => {
    // Prepare
    const doc = DynamoDBDocumentClient.from(dynalite.client);
    const mock = mockClient(doc);
    mock
      .on(UpdateCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const throttled = new DynamoDbDomainBaselineStore({
      client: doc,
      tableName: 't',
      maxAttempts: 3,
      sleep: noWait,
    });

    // Act
    const outcome = throttled.record(deltasOf(VPC, { 'github.com': [['i-1'], [DAY]] }));

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ThrottledError);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(3);
    mock.restore();
  });

  it('asks again for the keys BatchGetItem left unprocessed', async () => {
    // Prepare
    const doc = DynamoDBDocumentClient.from(dynalite.client);
    const mock = mockClient(doc);
    const key = { pk: `BASELINE#${VPC}`, sk: 'github.com' };
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: [key] } } })
      .resolvesOnce({ Responses: { t: [{ ...key, hosts: new Set(['i-1']), days: new Set([DAY]) }] } });
    const store = new DynamoDbDomainBaselineStore({ client: doc, tableName: 't', sleep: noWait });

    // Act
    const found = await store.lookup(VPC, ['github.com']);

    // Assess
    expect(found).toStrictEqual(new Map([['github.com', { hosts: ['i-1'], days: [DAY] }]]));
    expect(mock.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.t?.Keys).toStrictEqual([key]);
    mock.restore();
  });
});
