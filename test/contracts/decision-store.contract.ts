/**
 * The behaviour every DecisionStore must show, run against the in-memory store and the DynamoDB store, so
 * that the simulation and production cannot drift apart.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { activeShard, MAX_LEDGER_ENTRIES_PER_ACL_FAMILY } from '#adapters/aws/decision-table';
import type { AuditRecord, BreakerState, Decision } from '#domain/decision';
import { ConcurrentUpdateError, InvalidInputError } from '#domain/errors';
import type { PauseState } from '#domain/policy';
import type { NetworkAclLedger } from '#domain/target';
import type { DecisionStore, EnforceStatus, VpcCidrsRecord } from '#ports/decision-store';

/** A decision with every field set, optional ones included. */
export function aDecision(overrides: Partial<Decision> = {}): Decision {
  const key = overrides.key ?? 'evil.example.com';
  return {
    key,
    indicator: { kind: 'domain', value: key, wildcard: false, registeredDomain: 'example.com' },
    status: 'active',
    severity: 8.5,
    source: 'guardduty',
    detector: 'Trojan:EC2/DNSDataExfiltration',
    reason: 'GuardDuty finding with severity 8.5',
    targets: ['dnsFirewall', 'networkFirewall'],
    createdAt: '2026-11-28T10:00:00.000Z',
    updatedAt: '2026-11-28T10:00:00.000Z',
    expiresAt: '2026-11-29T10:00:00.000Z',
    offences: ['2026-11-01T08:00:00.000Z', '2026-11-28T10:00:00.000Z'],
    evidence: [
      {
        key: 'guardduty:finding-1',
        summary: 'EC2 instance is querying a domain used for data exfiltration',
        details: ['arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/finding-1'],
      },
      { key: 'guardduty:finding-2', summary: 'Repeated' },
    ],
    seen: [{ key: 'guardduty:finding-1', at: '2026-11-28T09:59:00.000Z' }],
    workloads: [
      { account: '123456789012', region: 'us-east-1', vpcId: 'vpc-0abc', instanceId: 'i-0123456789abcdef0' },
      {},
    ],
    requestedBy: 'alice@example.com',
    overflow: ['networkAcls'],
    version: 1,
    ...overrides,
  };
}

/** An audit record for `key` at `at`. */
export function anAuditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    key: 'evil.example.com',
    at: '2026-11-28T10:00:00.000Z',
    event: 'blocked',
    actor: 'decide',
    reason: 'GuardDuty finding with severity 8.5',
    source: 'guardduty',
    expiresAt: '2026-11-29T10:00:00.000Z',
    evidence: { key: 'guardduty:finding-1', summary: 'Exfiltration', details: ['line 1', 'line 2'] },
    ...overrides,
  };
}

/** Indicator keys that between them land in every shard of the active index. */
function keysCoveringEveryShard(count: number): string[] {
  const keys = Array.from({ length: count }, (_, i) => `host-${i}.example.com`);
  expect(new Set(keys.map(activeShard)).size).toBe(4);
  return keys;
}

const byKey = (a: { key: string }, b: { key: string }): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConcurrentUpdateError);
  expect((error as ConcurrentUpdateError).code).toBe('ConditionalCheckFailedException');
}

/** Registers the decision-store behaviour tests; `setup` returns a fresh, empty store for each test. */
export function describeDecisionStoreContract(label: string, setup: () => Promise<DecisionStore>): void {
  describe(`${label} (decision store contract)`, () => {
    let store: DecisionStore;

    beforeEach(async () => {
      store = await setup();
    });

    describe('decisions', () => {
      it('returns undefined for an indicator that was never decided', async () => {
        // Act
        const found = await store.get('never.example.com');

        // Assess
        expect(found).toBeUndefined();
      });

      it('reads back every field it wrote', async () => {
        // Prepare
        const decision = aDecision();

        // Act
        await store.put(decision, undefined);
        const found = await store.get(decision.key);

        // Assess
        expect(found).toStrictEqual(decision);
      });

      it('reads back a permanent network block without its optional fields', async () => {
        // Prepare
        const { requestedBy: _, ...withoutRequester } = aDecision({
          key: '198.51.100.0/24',
          indicator: { kind: 'cidr', value: '198.51.100.0/24', family: 4, prefixLength: 24 },
          expiresAt: null,
          targets: [],
          offences: [],
          evidence: [],
          seen: [],
          workloads: [],
        });

        // Act
        await store.put(withoutRequester, undefined);
        const found = await store.get(withoutRequester.key);

        // Assess
        expect(found).toStrictEqual(withoutRequester);
        expect(found && 'requestedBy' in found).toBe(false);
      });

      it('drops optional fields given as undefined, nested ones included', async () => {
        // Prepare
        const {
          requestedBy: _,
          overflow: __,
          ...expected
        } = aDecision({
          workloads: [{ account: '123456789012', region: 'us-east-1' }],
        });
        const withUndefined: Decision = {
          ...expected,
          requestedBy: undefined,
          overflow: undefined,
          workloads: [{ account: '123456789012', region: 'us-east-1', vpcId: undefined }],
        };

        // Act
        await store.put(withUndefined, undefined);
        const found = await store.get(expected.key);

        // Assess
        expect(found).toStrictEqual(expected);
      });

      it('keeps what it stored when the caller mutates its objects afterwards', async () => {
        // Prepare
        const decision = aDecision();
        await store.put(decision, undefined);

        // Act
        (decision.offences as string[]).push('2030-01-01T00:00:00.000Z');
        const first = await store.get(decision.key);
        // A store may hand out a copy or a frozen record (which refuses the change): either keeps its own.
        try {
          (first?.evidence as unknown[]).length = 0;
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
        }
        const second = await store.get(decision.key);

        // Assess
        expect(second?.offences).toHaveLength(2);
        expect(second?.evidence).toHaveLength(2);
      });

      it('updates a record from the version it read, one version at a time', async () => {
        // Prepare
        await store.put(aDecision({ version: 1 }), undefined);

        // Act
        await store.put(aDecision({ version: 2, severity: 9 }), 1);
        await store.put(aDecision({ version: 3, status: 'expired' }), 2);

        // Assess
        expect(await store.get('evil.example.com')).toMatchObject({
          version: 3,
          status: 'expired',
          severity: 8.5,
        });
      });

      it('refuses to create a record that already exists', async () => {
        // Prepare
        await store.put(aDecision({ reason: 'first' }), undefined);

        // Act
        const attempt = store.put(aDecision({ reason: 'second' }), undefined);

        // Assess
        await expectConflict(attempt);
        expect((await store.get('evil.example.com'))?.reason).toBe('first');
      });

      it('reads expected version 0 as "no record yet", as the breaker does', async () => {
        // Prepare
        await store.put(aDecision({ reason: 'first' }), 0);

        // Act
        const again = store.put(aDecision({ reason: 'second' }), 0);

        // Assess
        await expectConflict(again);
        expect((await store.get('evil.example.com'))?.reason).toBe('first');
      });

      it('refuses a write made from a stale version', async () => {
        // Prepare
        await store.put(aDecision({ version: 1 }), undefined);
        await store.put(aDecision({ version: 2, reason: 'winner' }), 1);

        // Act
        const attempt = store.put(aDecision({ version: 2, reason: 'loser' }), 1);

        // Assess
        await expectConflict(attempt);
        expect(await store.get('evil.example.com')).toMatchObject({ version: 2, reason: 'winner' });
      });

      it('refuses an update of a record that does not exist', async () => {
        // Act
        const attempt = store.put(aDecision({ version: 4 }), 3);

        // Assess
        await expectConflict(attempt);
        expect(await store.get('evil.example.com')).toBeUndefined();
      });

      it.each([
        { version: 2, expected: undefined },
        { version: 1, expected: 1 },
        { version: 5, expected: 3 },
      ])(
        'rejects version $version written over $expected as invalid input',
        async ({ version, expected }) => {
          // Act
          const attempt = store.put(aDecision({ version }), expected);

          // Assess
          await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
          expect(await store.get('evil.example.com')).toBeUndefined();
        },
      );

      it('rejects an active decision whose expiry is not a time', async () => {
        // Act
        const attempt = store.put(aDecision({ expiresAt: 'tomorrow' }), undefined);

        // Assess
        await expect(attempt).rejects.toThrow(InvalidInputError);
        await expect(attempt).rejects.toThrow(/expiresAt/);
        expect(await store.get('evil.example.com')).toBeUndefined();
      });

      it('rejects a record over the 400 KB item limit and writes nothing', async () => {
        // Act
        const attempt = store.put(aDecision({ reason: 'x'.repeat(410 * 1024) }), undefined);

        // Assess
        await expect(attempt).rejects.toThrow(/400|409600/);
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.get('evil.example.com')).toBeUndefined();
      });

      it('accepts a record just under the item limit', async () => {
        // Prepare
        const decision = aDecision({ reason: 'x'.repeat(395 * 1024) });

        // Act
        await store.put(decision, undefined);

        // Assess
        expect((await store.get(decision.key))?.reason).toHaveLength(395 * 1024);
      });
    });

    describe('active decisions', () => {
      it('lists active records from every shard, permanent ones included, and nothing else', async () => {
        // Prepare
        const keys = keysCoveringEveryShard(12);
        const active = keys.map((key, i) =>
          aDecision({ key, expiresAt: i % 3 === 0 ? null : `2026-12-0${(i % 9) + 1}T00:00:00.000Z` }),
        );
        for (const decision of active) await store.put(decision, undefined);
        await store.put(aDecision({ key: 'shadow.example.com', status: 'shadow' }), undefined);
        await store.put(aDecision({ key: 'old.example.com', status: 'expired' }), undefined);
        await store.appendAudit([anAuditRecord({ key: keys[0] ?? '' })]);

        // Act
        const listed = await store.listActive();

        // Assess
        expect(listed.sort(byKey)).toStrictEqual([...active].sort(byKey));
      });

      it('lists only the fields reconcile needs of every active record, and nothing else', async () => {
        // Prepare
        const keys = keysCoveringEveryShard(12);
        const active = keys.map((key, i) =>
          aDecision({
            key,
            expiresAt: i % 3 === 0 ? null : `2026-12-0${(i % 9) + 1}T00:00:00.000Z`,
            ...(i % 2 === 0 ? { overflow: undefined } : {}),
          }),
        );
        for (const decision of active) await store.put(decision, undefined);
        await store.put(aDecision({ key: 'shadow.example.com', status: 'shadow' }), undefined);
        await store.put(aDecision({ key: 'old.example.com', status: 'expired' }), undefined);

        // Act
        const listed = await store.listActiveBlocks();

        // Assess
        expect(listed.sort(byKey)).toStrictEqual(
          [...active]
            .sort(byKey)
            .map(({ key, severity, targets, createdAt, expiresAt, overflow, updatedAt, version }) => ({
              key,
              severity,
              targets,
              createdAt,
              expiresAt,
              ...(overflow === undefined ? {} : { overflow }),
              updatedAt,
              version,
            })),
        );
      });

      it('drops a record from the active list and the due list when it stops being active', async () => {
        // Prepare
        const [first = '', second = ''] = keysCoveringEveryShard(8);
        await store.put(aDecision({ key: first }), undefined);
        await store.put(aDecision({ key: second }), undefined);

        // Act
        await store.put(aDecision({ key: first, status: 'unblocked', version: 2 }), 1);

        // Assess
        expect((await store.listActive()).map((decision) => decision.key)).toStrictEqual([second]);
        expect((await store.listDueBefore('2027-01-01T00:00:00.000Z')).map((d) => d.key)).toStrictEqual([
          second,
        ]);
        expect((await store.get(first))?.status).toBe('unblocked');
      });

      it('puts a record back in the active list when it is blocked again', async () => {
        // Prepare
        await store.put(aDecision({ status: 'expired' }), undefined);

        // Act
        await store.put(aDecision({ status: 'active', version: 2 }), 1);

        // Assess
        expect((await store.listActive()).map((decision) => decision.version)).toStrictEqual([2]);
      });

      it('lists active records due at or before a time, from every shard, never permanent ones', async () => {
        // Prepare
        const keys = keysCoveringEveryShard(12);
        for (const [i, key] of keys.entries()) {
          await store.put(
            aDecision({ key, expiresAt: `2026-12-01T00:00:${String(i).padStart(2, '0')}.000Z` }),
            undefined,
          );
        }
        await store.put(aDecision({ key: 'forever.example.com', expiresAt: null }), undefined);
        await store.put(
          aDecision({ key: 'ended.example.com', status: 'expired', expiresAt: '2026-01-01T00:00:00.000Z' }),
          undefined,
        );

        // Act
        const due = await store.listDueBefore('2026-12-01T00:00:05.000Z');

        // Assess
        expect(due.map((decision) => decision.key).sort()).toStrictEqual(keys.slice(0, 6).sort());
      });

      it('compares times as instants whatever their offset or precision', async () => {
        // Prepare
        await store.put(aDecision({ key: 'a.example.com', expiresAt: '2026-12-01T10:00:00Z' }), undefined);
        await store.put(
          aDecision({ key: 'b.example.com', expiresAt: '2026-12-01T12:30:00+02:00' }),
          undefined,
        );
        await store.put(
          aDecision({ key: 'c.example.com', expiresAt: '2026-12-01T10:30:00.001Z' }),
          undefined,
        );

        // Act
        const due = await store.listDueBefore('2026-12-01T11:30:00+01:00');

        // Assess
        expect(due.map((decision) => decision.key).sort()).toStrictEqual(['a.example.com', 'b.example.com']);
        expect(due.find((decision) => decision.key === 'b.example.com')?.expiresAt).toBe(
          '2026-12-01T12:30:00+02:00',
        );
      });

      it('never lists a permanent block as due, even at the end of time', async () => {
        // Prepare
        await store.put(aDecision({ expiresAt: null }), undefined);

        // Act
        const due = await store.listDueBefore('9999-12-31T23:59:59.999Z');

        // Assess
        expect(due).toStrictEqual([]);
      });

      it('rejects a due time that is not a time', async () => {
        // Act
        const attempt = store.listDueBefore('soon');

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      });

      it('lists more active records than one 1 MB query page holds', async () => {
        // Prepare
        const keys = Array.from({ length: 40 }, (_, i) => `big-${i}.example.com`);
        for (const key of keys)
          await store.put(aDecision({ key, reason: 'r'.repeat(150 * 1024) }), undefined);

        // Act
        const listed = await store.listActive();
        const due = await store.listDueBefore('2030-01-01T00:00:00.000Z');

        // Assess
        expect(listed.map((decision) => decision.key).sort()).toStrictEqual([...keys].sort());
        expect(due).toHaveLength(keys.length);
      });
    });

    describe('audit trail', () => {
      it('lists an indicator’s audit records oldest first with every field, and no one else’s', async () => {
        // Prepare
        const records = [
          anAuditRecord({ at: '2026-11-28T12:00:00.000Z', event: 'extended' }),
          anAuditRecord({ at: '2026-11-28T10:00:00.000Z', event: 'blocked' }),
          anAuditRecord({
            at: '2026-11-29T10:00:00.000Z',
            event: 'expired',
            actor: 'enforce',
            expiresAt: null,
          }),
          {
            key: 'evil.example.com',
            at: '2026-11-28T11:00:00.000Z',
            event: 'shadow',
            actor: 'decide',
            reason: 'r',
          },
        ];
        await store.appendAudit(records);
        await store.appendAudit([anAuditRecord({ key: 'other.example.com' })]);

        // Act
        const trail = await store.listAudit('evil.example.com');

        // Assess
        expect(trail).toStrictEqual([records[1], records[3], records[0], records[2]]);
      });

      it('orders by instant, whatever the offset the time was written with', async () => {
        // Prepare
        const later = anAuditRecord({ at: '2026-11-28T10:30:00Z', event: 'later' });
        const earlier = anAuditRecord({ at: '2026-11-28T11:00:00+01:00', event: 'earlier' });

        // Act
        await store.appendAudit([later, earlier]);

        // Assess
        expect((await store.listAudit('evil.example.com')).map((record) => record.event)).toStrictEqual([
          'earlier',
          'later',
        ]);
      });

      it('writes an identical record once, however often it is replayed', async () => {
        // Prepare
        const record = anAuditRecord();
        const sameInAnotherKeyOrder = Object.fromEntries(Object.entries(record).reverse()) as AuditRecord;

        // Act
        await store.appendAudit([record, record]);
        await store.appendAudit([sameInAnotherKeyOrder]);

        // Assess
        expect(await store.listAudit(record.key)).toStrictEqual([record]);
      });

      it('keeps different records written at the same instant', async () => {
        // Prepare
        const blocked = anAuditRecord({ event: 'blocked' });
        const alerted = anAuditRecord({ event: 'breaker-opened' });

        // Act
        await store.appendAudit([blocked]);
        await store.appendAudit([alerted]);

        // Assess
        const trail = await store.listAudit(blocked.key);
        expect(trail).toHaveLength(2);
        expect(trail).toEqual(expect.arrayContaining([blocked, alerted]));
      });

      it('does not turn audit records into decisions', async () => {
        // Act
        await store.appendAudit([anAuditRecord()]);

        // Assess
        expect(await store.get('evil.example.com')).toBeUndefined();
        expect(await store.listActive()).toStrictEqual([]);
      });

      it('accepts an empty batch and lists an empty trail for an unknown indicator', async () => {
        // Act
        await store.appendAudit([]);

        // Assess
        expect(await store.listAudit('never.example.com')).toStrictEqual([]);
      });

      it('rejects a record whose time is not a time', async () => {
        // Act
        const attempt = store.appendAudit([anAuditRecord({ at: 'yesterday' })]);

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.listAudit('evil.example.com')).toStrictEqual([]);
      });

      it('lists a trail longer than one 1 MB query page', async () => {
        // Prepare
        const records = Array.from({ length: 8 }, (_, i) =>
          anAuditRecord({ at: `2026-11-28T10:00:0${i}.000Z`, reason: `${i}`.repeat(200 * 1024) }),
        );
        await store.appendAudit(records);

        // Act
        const trail = await store.listAudit('evil.example.com');

        // Assess
        expect(trail.map((record) => record.at)).toStrictEqual(records.map((record) => record.at));
      });
    });

    describe('breaker', () => {
      const opened: BreakerState = {
        open: true,
        openedAt: '2026-11-28T10:05:00.000Z',
        reason: '21 new blocks in 10 minutes',
        recentBlocks: [
          { minute: '2026-11-28T10:00:00.000Z', count: 3 },
          { minute: '2026-11-28T10:04:00.000Z', count: 1 },
        ],
        version: 1,
      };

      it('is closed at version 0 before anyone wrote it', async () => {
        // Act
        const breaker = await store.getBreaker();

        // Assess
        expect(breaker).toStrictEqual({ open: false, recentBlocks: [], version: 0 });
      });

      it('reads back what was written, version by version', async () => {
        // Prepare
        const closed: BreakerState = { open: false, recentBlocks: [], version: 2 };

        // Act
        await store.putBreaker(opened, 0);
        const afterOpen = await store.getBreaker();
        await store.putBreaker(closed, 1);

        // Assess
        expect(afterOpen).toStrictEqual(opened);
        expect(await store.getBreaker()).toStrictEqual(closed);
      });

      it('refuses a write made from a stale version', async () => {
        // Prepare
        await store.putBreaker(opened, 0);

        // Act
        const attempt = store.putBreaker({ ...opened, reason: 'late' }, 0);

        // Assess
        await expectConflict(attempt);
        expect((await store.getBreaker()).reason).toBe(opened.reason);
      });

      it('refuses a write from a version that was never stored', async () => {
        // Act
        const attempt = store.putBreaker({ ...opened, version: 3 }, 2);

        // Assess
        await expectConflict(attempt);
        expect((await store.getBreaker()).version).toBe(0);
      });

      it('rejects a version that does not follow the expected one', async () => {
        // Act
        const attempt = store.putBreaker({ ...opened, version: 2 }, 0);

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect((await store.getBreaker()).version).toBe(0);
      });
    });

    describe('pause', () => {
      const paused: PauseState = {
        paused: true,
        since: '2026-11-28T10:05:00Z',
        by: 'arn:aws:iam::123456789012:user/alice',
        reason: 'rollout review',
        version: 1,
      };

      it('is not paused at version 0 before anyone wrote it', async () => {
        // Act
        const pause = await store.getPause();

        // Assess
        expect(pause).toStrictEqual({ paused: false, version: 0 });
      });

      it('reads back what was written, version by version, with a normalised time', async () => {
        // Prepare
        const resumed: PauseState = { ...paused, paused: false, reason: 'done', version: 2 };

        // Act
        await store.putPause(paused, 0);
        const afterPause = await store.getPause();
        await store.putPause(resumed, 1);

        // Assess
        expect(afterPause).toStrictEqual({ ...paused, since: '2026-11-28T10:05:00.000Z' });
        expect(await store.getPause()).toStrictEqual({ ...resumed, since: '2026-11-28T10:05:00.000Z' });
      });

      it('refuses a write made from a stale version', async () => {
        // Prepare
        await store.putPause(paused, 0);

        // Act
        const attempt = store.putPause({ ...paused, reason: 'late' }, 0);

        // Assess
        await expectConflict(attempt);
        expect((await store.getPause()).reason).toBe('rollout review');
      });

      it('rejects a version that does not follow the expected one, and a time that is not a time', async () => {
        // Act
        const wrongVersion = store.putPause({ ...paused, version: 2 }, 0);
        const wrongTime = store.putPause({ ...paused, since: 'yesterday' }, 0);

        // Assess
        await expect(wrongVersion).rejects.toBeInstanceOf(InvalidInputError);
        await expect(wrongTime).rejects.toBeInstanceOf(InvalidInputError);
        expect((await store.getPause()).version).toBe(0);
      });
    });

    describe('enforce status record', () => {
      const status: EnforceStatus = {
        at: '2026-11-28T10:05:00Z',
        durationMs: 1234,
        targets: [
          {
            target: 'dnsFirewall',
            mode: 'alert',
            status: 'held',
            changes: 0,
            held: 1,
            overflowCount: 0,
            warnings: ['w'],
            warningsCut: 3,
            usage: [{ what: 'domains', used: 2, limit: 100_000 }],
          },
          {
            target: 'networkAcls',
            mode: 'enforce',
            status: 'failed',
            changes: 0,
            held: 0,
            overflowCount: 0,
            warnings: [],
            error: 'AccessDenied',
          },
        ],
        breaker: { open: false },
        pause: { paused: true, since: '2026-11-28T10:00:00.000Z', by: 'alice', reason: 'review' },
        ended: 1,
        driftRepaired: 0,
      };

      it('is undefined before the first run', async () => {
        // Act
        const read = await store.getEnforceStatus();

        // Assess
        expect(read).toBeUndefined();
      });

      it('reads back the last record written, unconditionally replaced, with a normalised time', async () => {
        // Act
        await store.putEnforceStatus({ ...status, durationMs: 1 });
        await store.putEnforceStatus(status);

        // Assess
        expect(await store.getEnforceStatus()).toStrictEqual({ ...status, at: '2026-11-28T10:05:00.000Z' });
      });

      it('rejects a run time that is not a time and writes nothing', async () => {
        // Act
        const attempt = store.putEnforceStatus({ ...status, at: 'now' });

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.getEnforceStatus()).toBeUndefined();
      });
    });

    describe('catch-up watermark', () => {
      it('has no time at version 0 before anyone wrote it', async () => {
        // Act
        const watermark = await store.getCatchUpWatermark();

        // Assess
        expect(watermark).toStrictEqual({ version: 0 });
      });

      it('reads back what was written, version by version, as a normalised time', async () => {
        // Act
        await store.putCatchUpWatermark({ since: '2026-11-28T10:00:00Z', version: 1 }, 0);
        const first = await store.getCatchUpWatermark();
        await store.putCatchUpWatermark({ since: '2026-11-28T12:15:00.000+01:00', version: 2 }, 1);

        // Assess
        expect(first).toStrictEqual({ since: '2026-11-28T10:00:00.000Z', version: 1 });
        expect(await store.getCatchUpWatermark()).toStrictEqual({
          since: '2026-11-28T11:15:00.000Z',
          version: 2,
        });
      });

      it('refuses a write made from a stale version', async () => {
        // Prepare
        await store.putCatchUpWatermark({ since: '2026-11-28T10:00:00.000Z', version: 1 }, 0);

        // Act
        const attempt = store.putCatchUpWatermark({ since: '2026-11-27T10:00:00.000Z', version: 1 }, 0);

        // Assess
        await expectConflict(attempt);
        expect((await store.getCatchUpWatermark()).since).toBe('2026-11-28T10:00:00.000Z');
      });

      it('rejects a time that is not a time and a version that does not follow, writing nothing', async () => {
        // Act
        const badTime = store.putCatchUpWatermark({ since: 'last tuesday', version: 1 }, 0);
        const badVersion = store.putCatchUpWatermark({ since: '2026-11-28T10:00:00.000Z', version: 3 }, 0);

        // Assess
        await expect(badTime).rejects.toThrow(/since: "last tuesday" is not an ISO 8601 time/);
        await expect(badVersion).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.getCatchUpWatermark()).toStrictEqual({ version: 0 });
      });

      it('is kept apart from the breaker and the ledger', async () => {
        // Act
        await store.putCatchUpWatermark({ since: '2026-11-28T10:00:00.000Z', version: 1 }, 0);

        // Assess
        expect(await store.getBreaker()).toStrictEqual({ open: false, recentBlocks: [], version: 0 });
        expect(await store.getNetworkAclLedger()).toStrictEqual({ acls: [], version: 0 });
        expect(await store.listActive()).toStrictEqual([]);
      });
    });

    describe('VPC CIDRs record', () => {
      const record: VpcCidrsRecord = {
        vpcIds: ['vpc-0a1b2c3d4e5f60718', 'vpc-0f1e2d3c4b5a69788'],
        cidrs: ['10.20.0.0/16', '10.21.0.0/16', '2001:db8:1234::/56'],
        readAt: '2026-11-28T10:00:00.000Z',
      };

      it('is absent before anyone wrote it', async () => {
        // Act
        const read = await store.getVpcCidrs();

        // Assess
        expect(read).toBeUndefined();
      });

      it('reads back what was written, the last writer winning, with a normalised time', async () => {
        // Prepare
        const changed = { ...record, cidrs: ['10.20.0.0/16'], readAt: '2026-11-28T12:15:00+01:00' };

        // Act
        await store.putVpcCidrs(record);
        const first = await store.getVpcCidrs();
        await store.putVpcCidrs(changed);

        // Assess
        expect(first).toStrictEqual(record);
        expect(await store.getVpcCidrs()).toStrictEqual({
          ...changed,
          readAt: '2026-11-28T11:15:00.000Z',
        });
      });

      it('stores the VPC ids sorted and once each', async () => {
        // Act
        await store.putVpcCidrs({
          ...record,
          vpcIds: ['vpc-0f1e2d3c4b5a69788', 'vpc-0a1b2c3d4e5f60718', 'vpc-0f1e2d3c4b5a69788'],
        });

        // Assess
        expect((await store.getVpcCidrs())?.vpcIds).toStrictEqual(record.vpcIds);
      });

      it.each([
        ['no VPC', { vpcIds: [] }, /vpcIds: must list at least one VPC id/],
        ['an empty VPC id', { vpcIds: [' '] }, /vpcIds: must list at least one VPC id/],
        [
          'a CIDR that is not canonical',
          { cidrs: ['10.20.0.1/16'] },
          /cidrs: "10.20.0.1\/16" is not canonical/,
        ],
        ['a domain instead of a CIDR', { cidrs: ['example.com'] }, /cidrs/],
        ['a time that is not a time', { readAt: 'yesterday' }, /readAt: "yesterday" is not an ISO 8601 time/],
      ])('rejects %s and writes nothing', async (_, change, message) => {
        // Act
        const attempt = store.putVpcCidrs({ ...record, ...change });

        // Assess
        await expect(attempt).rejects.toThrow(message);
        await expect(store.putVpcCidrs({ ...record, ...change })).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.getVpcCidrs()).toBeUndefined();
      });

      it('is kept apart from the breaker, the ledger and the watermark', async () => {
        // Act
        await store.putVpcCidrs(record);

        // Assess
        expect(await store.getBreaker()).toStrictEqual({ open: false, recentBlocks: [], version: 0 });
        expect(await store.getNetworkAclLedger()).toStrictEqual({ acls: [], version: 0 });
        expect(await store.getCatchUpWatermark()).toStrictEqual({ version: 0 });
        expect(await store.listActive()).toStrictEqual([]);
      });
    });

    describe('network ACL ledger', () => {
      const ledger: NetworkAclLedger = {
        acls: [
          {
            aclId: 'acl-0a1b2c3d4e5f60001',
            entries: [
              { ruleNumber: 1, cidr: '198.51.100.7/32' },
              { ruleNumber: 2, cidr: '2001:db8::/32' },
            ],
          },
          { aclId: 'acl-0a1b2c3d4e5f60002', entries: [{ ruleNumber: 18, cidr: '203.0.113.0/24' }] },
        ],
        version: 1,
      };

      it('is empty at version 0 before anyone wrote it', async () => {
        // Act
        const read = await store.getNetworkAclLedger();

        // Assess
        expect(read).toStrictEqual({ acls: [], version: 0 });
      });

      it('reads back what was written, version by version', async () => {
        // Prepare
        const emptied: NetworkAclLedger = { acls: [], version: 2 };

        // Act
        await store.putNetworkAclLedger(ledger, 0);
        const afterFirst = await store.getNetworkAclLedger();
        await store.putNetworkAclLedger(emptied, 1);

        // Assess
        expect(afterFirst).toStrictEqual(ledger);
        expect(await store.getNetworkAclLedger()).toStrictEqual(emptied);
      });

      it('refuses a write made from a stale version', async () => {
        // Prepare
        await store.putNetworkAclLedger(ledger, 0);

        // Act
        const attempt = store.putNetworkAclLedger({ acls: [], version: 1 }, 0);

        // Assess
        await expectConflict(attempt);
        expect(await store.getNetworkAclLedger()).toStrictEqual(ledger);
      });

      it('rejects a version that does not follow the expected one', async () => {
        // Act
        const attempt = store.putNetworkAclLedger({ ...ledger, version: 2 }, 0);

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect((await store.getNetworkAclLedger()).version).toBe(0);
      });

      it.each([
        ['an ACL listed twice', [ledger.acls[0], ledger.acls[0]]],
        [
          'a rule number outside 1–32766',
          [{ aclId: 'acl-1', entries: [{ ruleNumber: 32767, cidr: '0.0.0.0/0' }] }],
        ],
        ['an empty CIDR', [{ aclId: 'acl-1', entries: [{ ruleNumber: 1, cidr: '' }] }]],
      ])('rejects %s and writes nothing', async (_, acls) => {
        // Act
        const attempt = store.putNetworkAclLedger({ acls: acls as NetworkAclLedger['acls'], version: 1 }, 0);

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect((await store.getNetworkAclLedger()).version).toBe(0);
      });

      it('holds the bounded number of entries per ACL and family, and refuses one more', async () => {
        // Prepare
        const full = Array.from({ length: MAX_LEDGER_ENTRIES_PER_ACL_FAMILY }, (_, index) => ({
          ruleNumber: index + 1,
          cidr: `198.51.100.${index}/32`,
        }));
        const bounded: NetworkAclLedger = { acls: [{ aclId: 'acl-1', entries: full }], version: 1 };
        const over = [...full, { ruleNumber: 200, cidr: '203.0.113.0/32' }];

        // Act
        await store.putNetworkAclLedger(bounded, 0);
        const attempt = store.putNetworkAclLedger(
          { acls: [{ aclId: 'acl-1', entries: over }], version: 2 },
          1,
        );

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.getNetworkAclLedger()).toStrictEqual(bounded);
      });

      it('fits 300 ACLs at the default quota, each with 19 IPv4 and 19 IPv6 entries', async () => {
        // Prepare
        const acls = Array.from({ length: 300 }, (_, acl) => ({
          aclId: `acl-${acl.toString(16).padStart(17, '0')}`,
          entries: Array.from({ length: 38 }, (_, index) => ({
            ruleNumber: index + 1,
            cidr:
              index < 19
                ? `198.51.${100 + (acl % 100)}.${index * 13}/32`
                : `2001:db8:${acl.toString(16)}:${index.toString(16)}::abcd:${index.toString(16)}/128`,
          })),
        }));
        const large: NetworkAclLedger = { acls, version: 1 };

        // Act
        await store.putNetworkAclLedger(large, 0);

        // Assess
        expect(await store.getNetworkAclLedger()).toStrictEqual(large);
      });
    });
    describe('alert claims', () => {
      const AT = '2026-11-28T10:00:00.000Z';
      const LATER = '2026-11-28T10:30:00.000Z';
      const HOUR_ON = '2026-11-28T11:00:00.000Z';
      const PAST_HOUR = '2026-11-28T11:00:00.001Z';

      it('grants the first claim on a slot and refuses the same fingerprint until its claim lapses', async () => {
        // Act
        const first = await store.claimAlert('failure:dnsFirewall', 'access denied', AT, HOUR_ON);
        const again = await store.claimAlert('failure:dnsFirewall', 'access denied', LATER, PAST_HOUR);
        const atExpiry = await store.claimAlert('failure:dnsFirewall', 'access denied', HOUR_ON, PAST_HOUR);

        // Assess
        expect([first, again, atExpiry]).toEqual([true, false, true]);
      });

      it('grants a claim at once for another failure in the same slot, or the same failure in another', async () => {
        // Prepare
        await store.claimAlert('failure:dnsFirewall', 'access denied', AT, HOUR_ON);

        // Act
        const other = await store.claimAlert('failure:dnsFirewall', 'throttled', LATER, PAST_HOUR);
        const elsewhere = await store.claimAlert('failure:networkAcls', 'throttled', LATER, PAST_HOUR);

        // Assess
        expect([other, elsewhere]).toEqual([true, true]);
        expect(await store.claimAlert('failure:dnsFirewall', 'throttled', LATER, PAST_HOUR)).toBe(false);
      });

      it('lets a failure that cleared and came back alert again at once', async () => {
        // Prepare
        await store.claimAlert('failure:dnsFirewall', 'access denied', AT, HOUR_ON);

        // Act
        await store.releaseAlerts(['failure:dnsFirewall', 'overflow:dnsFirewall'], LATER);

        // Assess
        expect(await store.claimAlert('failure:dnsFirewall', 'access denied', LATER, PAST_HOUR)).toBe(true);
      });

      it('releases nothing it does not hold, and never throws for a slot without a claim', async () => {
        // Prepare
        await store.claimAlert('overflow:networkAcls', 'did not fit', AT, HOUR_ON);

        // Act
        await store.releaseAlerts(['failure:networkAcls'], LATER);

        // Assess
        expect(await store.claimAlert('overflow:networkAcls', 'did not fit', LATER, PAST_HOUR)).toBe(false);
      });

      it('refuses a time that is not one, naming the field', async () => {
        // Act
        const attempt = store.claimAlert('failure:dnsFirewall', 'x', AT, 'soon');

        // Assess
        await expect(attempt).rejects.toThrow(InvalidInputError);
        await expect(attempt).rejects.toThrow(/until/);
      });

      it('keeps alert claims out of the decisions and the audit trail', async () => {
        // Act
        await store.claimAlert('failure:dnsFirewall', 'access denied', AT, HOUR_ON);

        // Assess
        expect(await store.listActive()).toEqual([]);
        expect(await store.listDueBefore(PAST_HOUR)).toEqual([]);
      });
    });
  });
}
