import { describe, expect, it } from 'vitest';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { ThrottledError } from '#domain/errors';
import {
  aDecision,
  anAuditRecord,
  describeDecisionStoreContract,
} from '../../contracts/decision-store.contract';

describeDecisionStoreContract('InMemoryDecisionStore', async () => new InMemoryDecisionStore());

describe('InMemoryDecisionStore', () => {
  it('counts every write call, failed ones included, and no reads', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();

    // Act
    await store.put(aDecision(), undefined);
    await store.put(aDecision(), undefined).catch(() => undefined);
    await store.appendAudit([anAuditRecord()]);
    await store.putBreaker({ open: false, recentBlocks: [], version: 1 }, 0);
    await store.get('evil.example.com');
    await store.listActive();
    await store.listAudit('evil.example.com');

    // Assess
    expect(store.calls).toBe(4);
  });

  it('throws an injected failure once, on the next write, without changing anything', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();
    const failure = new ThrottledError('slow down', 'ThrottlingException');
    store.injectFailure(failure);

    // Act
    const first = store.put(aDecision(), undefined);
    await expect(first).rejects.toBe(failure);
    await store.put(aDecision(), undefined);

    // Assess
    expect((await store.get('evil.example.com'))?.version).toBe(1);
  });

  it.each([
    ['appendAudit', (store: InMemoryDecisionStore) => store.appendAudit([anAuditRecord()])],
    [
      'putBreaker',
      (store: InMemoryDecisionStore) => store.putBreaker({ open: true, recentBlocks: [], version: 1 }, 0),
    ],
  ])('throws an injected failure from %s too', async (_, write) => {
    // Prepare
    const store = new InMemoryDecisionStore();
    const failure = new Error('injected');
    store.injectFailure(failure);

    // Act
    const attempt = write(store);

    // Assess
    await expect(attempt).rejects.toBe(failure);
    expect(store.snapshot()).toStrictEqual({
      decisions: [],
      audit: [],
      breaker: { open: false, recentBlocks: [], version: 0 },
    });
  });

  it('snapshots every decision by key, the whole audit trail by time, and the breaker', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();
    const zulu = aDecision({ key: 'zulu.example.com', status: 'expired' });
    const alpha = aDecision({ key: 'alpha.example.com' });
    const late = anAuditRecord({ key: 'alpha.example.com', at: '2026-11-28T12:00:00.000Z' });
    const early = anAuditRecord({ key: 'zulu.example.com', at: '2026-11-28T09:00:00.000Z' });
    await store.put(zulu, undefined);
    await store.put(alpha, undefined);
    await store.appendAudit([late, early]);
    await store.putBreaker({ open: true, recentBlocks: [], version: 1 }, 0);

    // Act
    const snapshot = store.snapshot();

    // Assess
    expect(snapshot).toStrictEqual({
      decisions: [alpha, zulu],
      audit: [early, late],
      breaker: { open: true, recentBlocks: [], version: 1 },
    });
  });

  it('hands out snapshots that cannot change the store', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();
    await store.put(aDecision(), undefined);

    // Act
    (store.snapshot().decisions[0]?.offences as string[]).length = 0;

    // Assess
    expect((await store.get('evil.example.com'))?.offences).toHaveLength(2);
  });

  it('hands out the stored record itself, frozen, rather than a copy per read', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();
    await store.put(aDecision(), undefined);

    // Act
    const first = await store.get('evil.example.com');
    const [listed] = await store.listActive();

    // Assess
    expect(listed).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.offences)).toBe(true);
    expect(Object.isFrozen(first?.evidence[0])).toBe(true);
  });

  it('refuses a change to what it handed out, and keeps what it stored', async () => {
    // Prepare
    const store = new InMemoryDecisionStore();
    await store.put(aDecision(), undefined);
    const read = await store.get('evil.example.com');
    if (!read) throw new Error('the record was not read');

    // Act
    const mutate = () => {
      (read.offences as string[]).push('2026-11-30T00:00:00.000Z');
    };

    // Assess
    expect(mutate).toThrow(TypeError);
    expect((await store.get('evil.example.com'))?.offences).toHaveLength(2);
  });
});
