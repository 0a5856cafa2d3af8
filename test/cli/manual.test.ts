import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import type { CliContext } from '#shared/cli/context';
import { type CliError, EXIT } from '#shared/cli/errors';
import { waitForEnforce } from '#shared/cli/manual';
import { aDeployment, captureContext } from './harness';

/** A store that also records enforce runs, as the deployed store does once it keeps an enforce status. */
class StoreWithEnforceStatus extends InMemoryDecisionStore {
  runs: string[] = [];

  async getEnforceStatus(): Promise<{ at: string } | undefined> {
    const at = this.runs.shift();
    return at === undefined ? undefined : { at };
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

  it('waits for nothing when the store records no enforce runs', async () => {
    // Act
    const at = await waitForEnforce(
      contextOn(new InMemoryDecisionStore()),
      '2026-11-28T10:00:00.000Z',
      10_000,
    );

    // Assess
    expect(at).toBeUndefined();
    expect(clock).toBe(0);
  });
});
