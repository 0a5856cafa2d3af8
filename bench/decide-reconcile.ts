import { ManualClock } from '#adapters/in-memory/clock';
import type { BlockEntry } from '#domain/block';
import type { Decision } from '#domain/decision';
import type { Indicator } from '#domain/indicator';
import type { Policy } from '#domain/policy';
import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import type { Signal } from '#domain/signal';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import {
  activeDecisions,
  BENCH_ACL_ID,
  BENCH_START,
  BENCH_VPC_ID,
  benchPolicy,
  feedSignal,
  growthExponent,
  indicatorMix,
  inMemoryDependencies,
} from './fixtures';
import { median, peakRss, settledMemory, timed } from './measure';

/** The size of one Bench 1 workload. */
export interface DecideReconcileConfig {
  /** Active decisions before the measured signals arrive. */
  readonly activeDecisions: number;
  /** Of those, IP blocks (three quarters IPv4, one quarter IPv6); the rest are domains. */
  readonly activeIps: number;
  /** Signals measured: half new indicators (same domain/IP mix), half repeats of active ones. */
  readonly signals: number;
  readonly runs: number;
  readonly networkFirewallCapacity: number;
}

/** One workload's medians. */
export interface WorkloadResult {
  readonly activeBefore: number;
  readonly decideSignalsPerSecond: number;
  readonly decideMs: number;
  readonly reconcileMs: number;
  readonly noopReconcileMs: number;
  readonly samples: { decideMs: number[]; reconcileMs: number[]; noopReconcileMs: number[] };
  /** Outcomes of the measured signals in the last run, to show the work was what it says. */
  readonly outcomes: Record<string, number>;
  /** Per target after the measured reconcile: status, write calls, blocks that did not fit. */
  readonly targets: { target: string; status: string; changes: number; overflow: number }[];
}

/** Bench 1's result. */
export interface DecideReconcileResult {
  readonly config: DecideReconcileConfig;
  readonly loaded: WorkloadResult;
  readonly empty: WorkloadResult;
  /** Times, loaded ÷ empty: above 1 means slower with 10,000 active decisions. */
  readonly ratios: { decideTime: number; reconcile: number; noopReconcile: number };
  readonly memory: {
    /** Median heap growth after building 10,000 active decisions and projecting them onto the targets. */
    readonly heapUsedDelta: number;
    readonly rssDelta: number;
    /** Peak RSS of the whole process by the end of Bench 1. */
    readonly peakRss: number;
  };
}

const MINUTE = 60_000;

function mixOf(total: number, ips: number) {
  const ipv4 = Math.round((ips * 3) / 4);
  return { domains: total - ips, ipv4, ipv6: ips - ipv4 };
}

function countOutcomes(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

function targetSummary(report: ReconcileReport) {
  return report.targets.map((t) => ({
    target: t.target,
    status: t.status,
    changes: t.changes,
    overflow: t.overflow.length,
  }));
}

interface RunResult {
  decideMs: number;
  reconcileMs: number;
  noopReconcileMs: number;
  outcomes: Record<string, number>;
  targets: WorkloadResult['targets'];
  memory?: { heapUsedDelta: number; rssDelta: number };
}

/** One run on fresh state: optional pre-fill and projection (not timed), then the three timed steps. */
async function runOnce(
  config: DecideReconcileConfig,
  policy: Policy,
  prefill: readonly Decision[],
  signals: readonly Signal[],
): Promise<RunResult> {
  const before = settledMemory();
  const clock = new ManualClock(BENCH_START);
  const deps = inMemoryDependencies(policy, config.networkFirewallCapacity, clock);
  for (const decision of prefill) await deps.store.put(decision, undefined);
  if (prefill.length > 0) await reconcile(deps);
  const after = settledMemory();
  clock.advance(MINUTE);

  const outcomes: string[] = [];
  const decided = await timed(async () => {
    for (const signal of signals) outcomes.push((await decideSignal(signal, deps)).outcome);
  });
  const applied = await timed(() => reconcile(deps));
  const noop = await timed(() => reconcile(deps));
  const changed = noop.result.targets.filter((t) => t.status !== 'unchanged' && t.status !== 'off');
  if (changed.length > 0) throw new Error(`the no-op reconcile changed ${changed.map((t) => t.target)}`);
  return {
    decideMs: decided.ms,
    reconcileMs: applied.ms,
    noopReconcileMs: noop.ms,
    outcomes: countOutcomes(outcomes),
    targets: targetSummary(applied.result),
    ...(prefill.length > 0
      ? { memory: { heapUsedDelta: after.heapUsed - before.heapUsed, rssDelta: after.rss - before.rss } }
      : {}),
  };
}

function summarise(activeBefore: number, signals: number, runs: readonly RunResult[]): WorkloadResult {
  const decideMs = runs.map((r) => r.decideMs);
  const last = runs.at(-1);
  return {
    activeBefore,
    decideSignalsPerSecond: signals / (median(decideMs) / 1000),
    decideMs: median(decideMs),
    reconcileMs: median(runs.map((r) => r.reconcileMs)),
    noopReconcileMs: median(runs.map((r) => r.noopReconcileMs)),
    samples: {
      decideMs,
      reconcileMs: runs.map((r) => r.reconcileMs),
      noopReconcileMs: runs.map((r) => r.noopReconcileMs),
    },
    outcomes: last?.outcomes ?? {},
    targets: last?.targets ?? [],
  };
}

/**
 * Runs Bench 1: `runs` times each workload on fresh state, alternating loaded and empty so that drift on a
 * shared machine hits both alike. The empty baseline gets the same outcome mix: its repeats repeat its own
 * new indicators, so both do `signals / 2` new blocks and `signals / 2` extensions.
 */
export async function benchDecideReconcile(config: DecideReconcileConfig): Promise<DecideReconcileResult> {
  const policy = benchPolicy();
  const activeMix = mixOf(config.activeDecisions, config.activeIps);
  const active = indicatorMix('active', activeMix);
  const fresh = indicatorMix(
    'new',
    mixOf(config.signals / 2, Math.round((config.activeIps * config.signals) / 2 / config.activeDecisions)),
    activeMix.ipv4,
  );
  const prefill = activeDecisions(active, policy, 'prefill');
  const at = new Date(BENCH_START.getTime() + MINUTE);
  const newSignals = fresh.map((indicator, i) => feedSignal(indicator, at, `bench:new:${i}`));
  // Every other active indicator keeps the repeats in the same domain/IP proportion as the store.
  const step = Math.max(1, Math.floor(active.length / (config.signals / 2)));
  const repeatsOf = (from: readonly Indicator[], everyNth: number) =>
    Array.from({ length: config.signals / 2 }, (_, i) =>
      feedSignal(from[(i * everyNth) % from.length] as Indicator, at, `bench:repeat:${i}`),
    );
  const loadedSignals = [...newSignals, ...repeatsOf(active, step)];
  const emptySignals = [...newSignals, ...repeatsOf(fresh, 1)];

  const loaded: RunResult[] = [];
  const empty: RunResult[] = [];
  for (let run = 0; run < config.runs; run++) {
    const order = run % 2 === 0 ? ['loaded', 'empty'] : ['empty', 'loaded'];
    for (const which of order) {
      if (which === 'loaded') loaded.push(await runOnce(config, policy, prefill, loadedSignals));
      else empty.push(await runOnce(config, policy, [], emptySignals));
    }
  }
  const loadedResult = summarise(config.activeDecisions, config.signals, loaded);
  const emptyResult = summarise(0, config.signals, empty);
  const memories = loaded.flatMap((r) => (r.memory ? [r.memory] : []));
  return {
    config,
    loaded: loadedResult,
    empty: emptyResult,
    ratios: {
      decideTime: loadedResult.decideMs / emptyResult.decideMs,
      reconcile: loadedResult.reconcileMs / emptyResult.reconcileMs,
      noopReconcile: loadedResult.noopReconcileMs / emptyResult.noopReconcileMs,
    },
    memory: {
      heapUsedDelta: median(memories.map((m) => m.heapUsedDelta)),
      rssDelta: median(memories.map((m) => m.rssDelta)),
      peakRss: peakRss(),
    },
  };
}

/** How planNetworkAcl's time grows with the number of IP blocks it is given. */
export interface AclPlannerScaling {
  readonly points: { ips: number; medianMs: number; ratioToFirst: number }[];
  /** The growth exponent between the last two points (time ∝ IPs^exponent): 1 linear, 2 quadratic. */
  readonly exponent: number;
}

/** Times planNetworkAcl on one empty ACL for each size (median of `runs`), then fits the growth exponent. */
export function benchAclPlannerScaling(sizes: readonly number[], runs: number): AclPlannerScaling {
  const policy = benchPolicy();
  const since = BENCH_START.toISOString();
  const points = sizes.map((ips) => {
    const desired: BlockEntry[] = indicatorMix('scale', mixOf(ips, ips)).map((indicator) => ({
      indicator,
      severity: 8,
      since,
      expiresAt: null,
    }));
    const acl = { aclId: BENCH_ACL_ID, vpcId: BENCH_VPC_ID, egress: [] };
    const samples = Array.from({ length: runs }, () => {
      const start = performance.now();
      planNetworkAcl(acl, desired, policy.targets.networkAcls);
      return performance.now() - start;
    });
    return { ips, medianMs: median(samples) };
  });
  const first = points[0];
  const [previous, last] = points.slice(-2);
  if (!first || !previous || !last) throw new RangeError('give at least two sizes');
  const exponent = growthExponent(previous.ips, previous.medianMs, last.ips, last.medianMs);
  return { points: points.map((p) => ({ ...p, ratioToFirst: p.medianMs / first.medianMs })), exponent };
}

/** What the breaker's record of recent blocks costs each new block, by how many blocks its window holds. */
export interface BreakerCost {
  readonly points: { window: number; msPerNewBlock: number; ratioToEmpty: number }[];
}

/**
 * Decides `signals` new blocks with `window` earlier blocks already counted in the breaker's one-hour window
 * (spread over its minutes), median of `runs`.
 */
export async function benchBreakerCost(
  windows: readonly number[],
  signals: number,
  runs: number,
): Promise<BreakerCost> {
  const policy = benchPolicy();
  const at = new Date(BENCH_START.getTime() + MINUTE);
  const recent = (count: number) =>
    count === 0
      ? []
      : Array.from({ length: 59 }, (_, i) => ({
          minute: new Date(BENCH_START.getTime() - (58 - i) * MINUTE).toISOString(),
          count: Math.floor(count / 59) + (i < count % 59 ? 1 : 0),
        }));
  const indicators = indicatorMix('breaker', { domains: signals, ipv4: 0, ipv6: 0 });
  const points: { window: number; msPerNewBlock: number }[] = [];
  for (const window of windows) {
    const samples: number[] = [];
    for (let run = 0; run < runs; run++) {
      const deps = inMemoryDependencies(policy, 1000, new ManualClock(at));
      await deps.store.putBreaker({ open: false, recentBlocks: recent(window), version: 1 }, 0);
      const { ms } = await timed(async () => {
        for (const [i, indicator] of indicators.entries()) {
          const report = await decideSignal(feedSignal(indicator, at, `bench:breaker:${i}`), deps);
          if (report.outcome !== 'blocked') throw new Error(`expected a block, got ${report.outcome}`);
        }
      });
      samples.push(ms / signals);
    }
    points.push({ window, msPerNewBlock: median(samples) });
  }
  const base = points[0]?.msPerNewBlock ?? Number.NaN;
  return { points: points.map((p) => ({ ...p, ratioToEmpty: p.msPerNewBlock / base })) };
}
