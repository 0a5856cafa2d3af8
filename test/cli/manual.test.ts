import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import type { EnforceStatus } from '#ports/decision-store';
import type { CliContext } from '#shared/cli/context';
import { type CliError, EXIT } from '#shared/cli/errors';
import { waitForEnforce } from '#shared/cli/manual';
import { aDeployment, captureContext } from './harness';

/** A store that also records enforce runs, as the deployed store does once it keeps an enforce status. */
class StoreWithEnforceStatus extends InMemoryDecisionStore {
  runs: string[] = [];

  override async getEnforceStatus(): Promise<EnforceStatus | undefined> {
    const at = this.runs.shift();
    if (at === undefined) return undefined;
    return {
      at,
      durationMs: 1,
      targets: [],
      breaker: { open: false },
      pause: { paused: false },
      ended: 0,
      driftRepaired: 0,
    };
  }
}

let clock = 0;

function contextOn(store: InMemoryDecisionStore): CliContext {
  const { ctx } = captureContext({
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return { ...ctx, store: async () => store, deployment: async () => aDeployment() };
}

afterEach(() => {
  clock = 0;
});

describe('waiting for the targets', () => {
  it('returns the start of the first enforce run after the decision', async () => {
    // Prepare
    const store = new StoreWithEnforceStatus();
    store.runs = ['2026-11-28T09:59:00.000Z', '2026-11-28T09:59:00.000Z', '2026-11-28T10:00:30.000Z'];

    // Act
    const at = await waitForEnforce(contextOn(store), '2026-11-28T10:00:00.000Z', 60_000);

    // Assess
    expect(at).toBe('2026-11-28T10:00:30.000Z');
    expect(clock).toBe(4000);
  });

  it('stops at the enforce hop when no run comes (exit 6)', async () => {
    // Prepare
    const store = new StoreWithEnforceStatus();
    store.runs = Array(100).fill('2026-11-28T09:59:00.000Z');

    // Act
    const error = (await waitForEnforce(contextOn(store), '2026-11-28T10:00:00.000Z', 10_000).catch(
      (e: unknown) => e,
    )) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.timeout);
    expect(error.message).toBe(
      'timed out waiting for the targets: the decision was recorded at 2026-11-28T10:00:00.000Z, but enforce has not run since (last run 2026-11-28T09:59:00.000Z) (hop: decide → enforce)',
    );
    expect(error.hint).toContain('egress-warden status');
  });
});
