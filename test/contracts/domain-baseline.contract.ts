/**
 * The behaviour every DomainBaselineStore must show, run against the in-memory store and the DynamoDB store,
 * so that the simulation and production learn alike.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BASELINE_KEEP,
  type BaselineEntry,
  type DomainBaseline,
  emptyBaseline,
  isEstablished,
  mergeBaselines,
} from '#domain/detect/dns-baseline';
import { InvalidInputError } from '#domain/errors';
import type { DomainBaselineStore } from '#ports/domain-baseline';

/** Deltas of one VPC: domain → [hosts, days]. */
export function deltasOf(
  vpcId: string,
  domains: Record<string, [readonly string[], readonly number[]]>,
): Map<string, DomainBaseline> {
  const baseline = new Map<string, BaselineEntry>();
  for (const [domain, [hosts, days]] of Object.entries(domains)) {
    baseline.set(domain, {
      hosts: [...new Set(hosts)].sort(),
      days: [...new Set(days)].sort((a, b) => b - a),
    });
  }
  return new Map([[vpcId, baseline]]);
}

const VPC = 'vpc-0a1b2c3d';
const DAY = 20_500;

/** Every stored entry of a VPC, through the export pages. */
async function exported(store: DomainBaselineStore, vpcId: string): Promise<DomainBaseline> {
  const all = new Map<string, BaselineEntry>();
  let cursor: string | undefined;
  do {
    const page = await store.exportPage(vpcId, cursor);
    for (const [domain, entry] of page.entries) all.set(domain, entry);
    cursor = page.next;
  } while (cursor !== undefined);
  return all;
}

/** Runs the contract against stores from `makeStore` (a fresh, empty store each test, `pageSize` domains a page). */
export function describeDomainBaselineStoreContract(
  name: string,
  makeStore: (pageSize?: number) => Promise<DomainBaselineStore>,
  options: { propertyRuns: number } = { propertyRuns: 100 },
): void {
  describe(`${name} (DomainBaselineStore contract)`, () => {
    let store: DomainBaselineStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    it('looks up the entries it recorded, hosts sorted and days newest first, and leaves unseen domains out', async () => {
      // Prepare
      await store.record(deltasOf(VPC, { 'github.com': [['i-2', 'i-1'], [DAY]] }));
      await store.record(
        deltasOf(VPC, { 'github.com': [['i-3'], [DAY + 1]], 'example.org': [['i-1'], [DAY]] }),
      );

      // Act
      const found = await store.lookup(VPC, ['github.com', 'never-seen.net']);

      // Assess
      expect(found).toStrictEqual(
        new Map([['github.com', { hosts: ['i-1', 'i-2', 'i-3'], days: [DAY + 1, DAY] }]]),
      );
    });

    it("keeps each VPC's baseline apart", async () => {
      // Prepare
      await store.record(deltasOf('vpc-other', { 'github.com': [['i-1'], [DAY]] }));

      // Act
      const found = await store.lookup(VPC, ['github.com']);

      // Assess
      expect(found.size).toBe(0);
    });

    it('changes nothing when the same deltas are recorded again', async () => {
      // Prepare
      const deltas = deltasOf(VPC, {
        'github.com': [
          ['i-1', 'i-2'],
          [DAY, DAY - 1],
        ],
      });
      await store.record(deltas);

      // Act
      await store.record(deltas);

      // Assess
      expect(await store.lookup(VPC, ['github.com'])).toStrictEqual(deltas.get(VPC));
    });

    it('loses nothing when many recorders add to one domain at once', async () => {
      // Prepare
      const recorders = Array.from({ length: 24 }, (_, i) =>
        deltasOf(VPC, { 'github.com': [[`i-${String(i).padStart(2, '0')}`], [DAY - i]] }),
      );

      // Act
      await Promise.all(recorders.map((deltas) => store.record(deltas)));

      // Assess
      const entry = (await store.lookup(VPC, ['github.com'])).get('github.com');
      expect(entry?.hosts).toHaveLength(24);
      expect(entry?.days).toHaveLength(24);
    });

    it('keeps at most BASELINE_KEEP hosts and days a domain, enough for every threshold', async () => {
      // Prepare
      for (let i = 0; i < BASELINE_KEEP + 8; i++) {
        await store.record(deltasOf(VPC, { 'github.com': [[`host-${i}`], [DAY - i]] }));
      }

      // Act
      const found = await store.lookup(VPC, ['github.com']);

      // Assess
      expect(found.get('github.com')?.hosts).toHaveLength(BASELINE_KEEP);
      expect(found.get('github.com')?.days).toHaveLength(BASELINE_KEEP);
      expect(isEstablished(found, 'github.com', { minHosts: BASELINE_KEEP, minDays: BASELINE_KEEP })).toBe(
        true,
      );
    });

    it('still adds days once the host set is full', async () => {
      // Prepare
      const hosts = Array.from({ length: BASELINE_KEEP }, (_, i) => `host-${i}`);
      await store.record(deltasOf(VPC, { 'github.com': [hosts, [DAY]] }));

      // Act
      await store.record(deltasOf(VPC, { 'github.com': [['host-late'], [DAY + 1]] }));
      await store.record(deltasOf(VPC, { 'github.com': [['host-later'], [DAY + 2]] }));

      // Assess
      const entry = (await store.lookup(VPC, ['github.com'])).get('github.com');
      expect(entry?.days).toStrictEqual([DAY + 2, DAY + 1, DAY]);
    });

    it('looks up more domains than one request holds', async () => {
      // Prepare
      const domains = Array.from({ length: 150 }, (_, i) => `domain-${i}.example`);
      await store.record(deltasOf(VPC, Object.fromEntries(domains.map((d) => [d, [['i-1'], [DAY]]]))));

      // Act
      const found = await store.lookup(VPC, [...domains, domains[0] as string]);

      // Assess
      expect([...found.keys()].sort()).toStrictEqual([...domains].sort());
    });

    it("exports a VPC's whole baseline in pages, domains in order", async () => {
      // Prepare
      const paged = await makeStore(2);
      const domains = ['e.example', 'a.example', 'c.example', 'b.example', 'd.example'];
      await paged.record(deltasOf(VPC, Object.fromEntries(domains.map((d) => [d, [['i-1'], [DAY]]]))));
      await paged.record(deltasOf('vpc-other', { 'z.example': [['i-1'], [DAY]] }));

      // Act
      const first = await paged.exportPage(VPC);
      const all = await exported(paged, VPC);

      // Assess
      expect([...first.entries.keys()]).toStrictEqual(['a.example', 'b.example']);
      expect(first.next).toBeDefined();
      expect([...all.keys()]).toStrictEqual([...domains].sort());
    });

    it('refuses an empty VPC id or domain, naming the field', async () => {
      // Act and Assess
      await expect(store.record(deltasOf('', { 'github.com': [['i-1'], [DAY]] }))).rejects.toThrow(
        expect.objectContaining({ field: 'vpcId' }),
      );
      await expect(store.lookup(VPC, [''])).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('records deltas in any split and order as mergeBaselines merges them, below the caps', async () => {
      const deltaArb = fc.dictionary(
        fc.constantFrom('a.example', 'b.example', 'c.example'),
        fc.record({
          hosts: fc.uniqueArray(fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `i-${i}`)), {
            minLength: 1,
            maxLength: 4,
          }),
          days: fc.uniqueArray(fc.integer({ min: DAY - 11, max: DAY }), { minLength: 1, maxLength: 4 }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(deltaArb, { minLength: 1, maxLength: 6 }), async (batches) => {
          // Prepare
          const fresh = await makeStore();
          const deltas = batches.map((batch) =>
            deltasOf(
              VPC,
              Object.fromEntries(Object.entries(batch).map(([d, { hosts, days }]) => [d, [hosts, days]])),
            ),
          );

          // Act
          await Promise.all(deltas.map((delta) => fresh.record(delta)));

          // Assess
          const merged = deltas.reduce<DomainBaseline>(
            (sum, delta) => mergeBaselines(sum, delta.get(VPC) ?? emptyBaseline()),
            emptyBaseline(),
          );
          expect(await exported(fresh, VPC)).toStrictEqual(
            new Map([...merged].sort(([a], [b]) => (a < b ? -1 : 1))),
          );
        }),
        { numRuns: options.propertyRuns },
      );
    });

    it('past the caps, keeps as many hosts and days as mergeBaselines, so every threshold answers alike', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              hosts: fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 20 }),
              days: fc.uniqueArray(fc.integer({ min: DAY - 60, max: DAY }), { minLength: 1, maxLength: 20 }),
            }),
            { minLength: 1, maxLength: 5 },
          ),
          async (batches) => {
            // Prepare
            const fresh = await makeStore();
            const deltas = batches.map(({ hosts, days }) =>
              deltasOf(VPC, { 'github.com': [hosts.map((h) => `i-${h}`), days] }),
            );

            // Act
            for (const delta of deltas) await fresh.record(delta);

            // Assess
            const merged = deltas.reduce<DomainBaseline>(
              (sum, delta) => mergeBaselines(sum, delta.get(VPC) ?? emptyBaseline()),
              emptyBaseline(),
            );
            const stored = (await fresh.lookup(VPC, ['github.com'])).get('github.com');
            const expected = merged.get('github.com');
            expect(stored?.hosts.length).toBe(expected?.hosts.length);
            expect(stored?.days.length).toBe(expected?.days.length);
          },
        ),
        { numRuns: options.propertyRuns },
      );
    });
  });
}
