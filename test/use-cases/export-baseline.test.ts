import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import type { DomainBaselineStore } from '#ports/domain-baseline';
import { exportEstablishedDomains } from '#shared/use-cases/export-baseline';
import { deltasOf } from '../contracts/domain-baseline.contract';
import { type Dynalite, startDynalite } from '../support/dynalite';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const DAY = 86_400_000;
const THRESHOLDS = { minHosts: 5, minDays: 7 };
const HOSTS = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
const WEEK = Array.from({ length: 7 }, (_, i) => i * DAY);

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

const stores: [string, () => Promise<DomainBaselineStore>][] = [
  ['in memory', async () => new InMemoryDomainBaselineStore({ pageSize: 2 })],
  [
    'on DynamoDB (dynalite)',
    async () =>
      new DynamoDbDomainBaselineStore({
        client: dynalite.doc,
        tableName: await dynalite.createTable(),
        pageSize: 2,
      }),
  ],
];

describe.each(stores)('exportEstablishedDomains %s', (_, createStore) => {
  it("lists, sorted and across pages, the domains the VPC's hosts established, and none that fall short", async () => {
    // Prepare: five established domains (more than a page), one seen by four hosts, one on six days, another VPC.
    const store = await createStore();
    const established = ['github.com', 'amazonaws.com', 'npmjs.org', 'pypi.org', 'docker.io'];
    await store.record(
      deltasOf(VPC, {
        ...Object.fromEntries(established.map((domain) => [domain, [HOSTS, WEEK]])),
        'four-hosts.example': [HOSTS.slice(0, 4), WEEK],
        'six-days.example': [HOSTS, WEEK.slice(0, 6)],
      }),
    );
    await store.record(deltasOf('vpc-other', { 'other-vpc.example': [HOSTS, WEEK] }));

    // Act
    const domains = await exportEstablishedDomains(store, VPC, THRESHOLDS);

    // Assess
    expect(domains).toEqual([...established].sort());
  });

  it('gives an empty list for a VPC with no baseline', async () => {
    // Act
    const domains = await exportEstablishedDomains(await createStore(), VPC, THRESHOLDS);

    // Assess
    expect(domains).toEqual([]);
  });
});
