/**
 * The breaker's count when two deliveries of one new indicator race: the breaker item and the decision record
 * are written one after the other, so a writer can count its block on the breaker and then lose the decision
 * to the other writer. The breaker must still count one block, since one block started.
 */
import { describe, expect, it } from 'vitest';
import type { DecisionStore } from '#ports/decision-store';
import { decideSignal } from '#shared/use-cases/decide-signal';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { guardDutySignal } from '../support/signals';
import { createWarden } from '../support/warden';

/** `store`, with `put` held until `release` is called; `reached` resolves when a put is waiting. */
function holdingPuts(store: DecisionStore) {
  let release = () => {};
  let arrive = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const held: DecisionStore = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'put') {
        return async (...args: Parameters<DecisionStore['put']>) => {
          arrive();
          await released;
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { held, reached, release };
}

describe('the breaker under racing deliveries of one indicator', () => {
  it('counts one block when the writer that counted first loses the decision record to the other', async () => {
    // Prepare
    const warden = createWarden();
    const { held, reached, release } = holdingPuts(warden.store);
    const slow: Dependencies = { ...warden.deps, store: held };
    const first = guardDutySignal('198.51.100.77');
    const second = guardDutySignal('198.51.100.77', {
      evidence: {
        key: 'guardduty:second-finding',
        summary: 'the same address, another finding',
        details: [],
      },
    });

    // Act: the slow writer has counted its block and waits to write the record; the other decides meanwhile
    const slowReport = decideSignal(first, slow, { sleep: async () => {} });
    await reached;
    const fastReport = await decideSignal(second, warden.deps);
    release();
    const reports = [await slowReport, fastReport];

    // Assess
    expect(reports.map((report) => report.outcome).filter((outcome) => outcome === 'blocked')).toHaveLength(
      1,
    );
    const breaker = await warden.store.getBreaker();
    expect(breaker.recentBlocks.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(1);
  });
});
