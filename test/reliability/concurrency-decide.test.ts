/**
 * Concurrency on the hot keys of the decision table (dynalite): 200 signals decided at once against one
 * indicator and the one breaker item, then 200 distinct indicators against the breaker. No update may be lost,
 * the breaker must count exactly the blocks started, and no signal may fail because conflict retries ran out.
 */
import { describe, expect, it } from 'vitest';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import { ManualClock } from '#adapters/in-memory/clock';
import type { BreakerState, Decision } from '#domain/decision';
import type { Signal } from '#domain/signal';
import { sleep } from '#shared/runtime/retry';
import { CONFLICT_RETRY, decideSignal } from '#shared/use-cases/decide-signal';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { useDynalite } from '../support/dynalite';
import { guardDutySignal, NOW } from '../support/signals';
import { policyWith } from '../support/warden';
import { sized } from './long';

const WRITERS = 200;
/** Hundreds of writers on dynalite take seconds to tens of seconds on a busy machine. */
const TIMEOUT_MS = 180_000;

const dynalite = useDynalite();

/** The use case's dependencies on a fresh dynalite table, the breaker allowing `maxNewBlocksPerHour`. */
async function createDeps(maxNewBlocksPerHour = 1000): Promise<Dependencies & { alerts: InMemoryAlerts }> {
  const tableName = await dynalite.createTable();
  return {
    policy: policyWith({ breaker: { maxNewBlocksPerHour } }),
    store: new DynamoDbDecisionStore({ client: dynalite.doc, tableName }),
    alerts: new InMemoryAlerts(),
    clock: new ManualClock(NOW),
  };
}

/** A GuardDuty finding about `indicator` with its own finding id `finding`. */
function finding(indicator: string, finding: number): Signal {
  const id = `4ec6a1b2c3d4e5f6a7b8c9d0e1f2${finding.toString(16).padStart(4, '0')}`;
  return guardDutySignal(indicator, {
    evidence: { key: `guardduty:${id}`, summary: `finding ${id}`, details: [] },
  });
}

/** Decides every signal at once; reports, and the attempts each writer needed (real jittered waits). */
async function decideAllAtOnce(signals: readonly Signal[], deps: Dependencies) {
  const attempts = signals.map(() => 1);
  const reports = await Promise.all(
    signals.map((signal, i) =>
      decideSignal(signal, deps, {
        sleep: (ms) => {
          attempts[i] = (attempts[i] ?? 1) + 1;
          return sleep(ms);
        },
      }),
    ),
  );
  return { reports, attempts };
}

/** Blocks counted in the breaker's window. */
function counted(breaker: BreakerState): number {
  return breaker.recentBlocks.reduce((sum, bucket) => sum + bucket.count, 0);
}

/** The parts of a record a lost update would change, in an order that does not depend on who wrote first. */
function essence(decision: Decision | undefined) {
  if (decision === undefined) return undefined;
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
  return {
    status: decision.status,
    expiresAt: decision.expiresAt,
    offences: decision.offences,
    evidence: [...decision.evidence].sort(byKey),
    seen: [...decision.seen].sort(byKey),
    version: decision.version,
  };
}

describe('200 writers on the hot keys', () => {
  it(
    'loses no update of one indicator: the record is what a serial run gives, the breaker counts one block',
    async () => {
      // Prepare: 20 findings about one address, each delivered 10 times, interleaved.
      const signals = Array.from({ length: WRITERS }, (_, i) => finding('198.51.100.77', i % 20));
      const serial = await createDeps();
      for (const signal of signals) await decideSignal(signal, serial);
      const concurrent = await createDeps();

      // Act
      const { reports, attempts } = await decideAllAtOnce(signals, concurrent);

      // Assess
      const record = await concurrent.store.get('198.51.100.77/32');
      expect(essence(record)).toEqual(essence(await serial.store.get('198.51.100.77/32')));
      expect(record?.seen).toHaveLength(20);
      expect(reports.filter((report) => report.outcome === 'blocked')).toHaveLength(1);
      expect(counted(await concurrent.store.getBreaker())).toBe(1);
      expect(Math.max(...attempts)).toBeLessThanOrEqual(CONFLICT_RETRY.attempts);
      console.info(`one indicator: worst writer needed ${Math.max(...attempts)} attempts`);
    },
    TIMEOUT_MS,
  );

  it(
    'counts 200 distinct new blocks exactly on the one breaker, and none fails',
    async () => {
      // Prepare
      const signals = Array.from({ length: WRITERS }, (_, i) => finding(`198.51.100.${i}`, i));
      const deps = await createDeps();

      // Act
      const { reports, attempts } = await decideAllAtOnce(signals, deps);

      // Assess
      expect(reports.map((report) => report.outcome)).toEqual(signals.map(() => 'blocked'));
      const breaker = await deps.store.getBreaker();
      expect(counted(breaker)).toBe(WRITERS);
      expect(breaker.version).toBe(WRITERS);
      expect(await deps.store.listActiveBlocks()).toHaveLength(WRITERS);
      expect(Math.max(...attempts)).toBeLessThanOrEqual(CONFLICT_RETRY.attempts);
      console.info(`distinct indicators: worst writer needed ${Math.max(...attempts)} attempts`);
    },
    TIMEOUT_MS,
  );

  it(
    'trips the breaker at exactly its limit when distinct blocks race for 50 places',
    async () => {
      // Prepare
      const signals = Array.from({ length: sized(80, WRITERS) }, (_, i) => finding(`198.51.100.${i}`, i));
      const deps = await createDeps(50);

      // Act
      const { reports } = await decideAllAtOnce(signals, deps);

      // Assess
      expect(reports.filter((report) => report.outcome === 'blocked')).toHaveLength(50);
      const breaker = await deps.store.getBreaker();
      expect({ open: breaker.open, counted: counted(breaker) }).toEqual({ open: true, counted: 50 });
      expect(await deps.store.listActiveBlocks()).toHaveLength(50);
      expect(deps.alerts.published.filter((alert) => alert.subject.includes('BREAKER OPEN'))).toHaveLength(1);
    },
    TIMEOUT_MS,
  );
});
