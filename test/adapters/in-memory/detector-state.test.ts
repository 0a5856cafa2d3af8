import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import {
  anIncrement,
  describeDetectorStateStoreContract,
  SHAPE,
} from '../../contracts/detector-state.contract';

describeDetectorStateStoreContract(
  'InMemoryDetectorStateStore',
  async () => new InMemoryDetectorStateStore(),
);

describe('InMemoryDetectorStateStore', () => {
  it('counts one write per increment, none for refused calls', async () => {
    // Prepare
    const store = new InMemoryDetectorStateStore();

    // Act
    await store.addAndTotal(
      [anIncrement(0, {}, 'a'), anIncrement(1, {}, 'a'), anIncrement(0, {}, 'b')],
      SHAPE,
    );
    await store.addAndTotal([anIncrement(0, { count: -1 })], SHAPE).catch(() => undefined);

    // Assess
    expect(store.writes).toBe(3);
  });
});
