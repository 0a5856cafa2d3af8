import { ManualClock } from '#adapters/in-memory/clock';
import type { Decision } from '#domain/decision';
import { type Policy, parsePolicy } from '#domain/policy';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import {
  activeDecisions,
  BENCH_MAX_NEW_BLOCKS_PER_HOUR,
  BENCH_START,
  growthExponent,
  indicatorMix,
  inMemoryDependencies,
} from './fixtures';
import { median, timed } from './measure';

/** One size: the blocks that did not fit after the measured run, and its medians. */
export interface OverflowPoint {
  readonly blocks: number;
  /** Blocks reported as overflow by at least one target after the measured reconcile (last run). */
  readonly overflowing: number;
  /** The reconcile that finds the overflow, records it on each decision and alerts. */
  readonly firstMs: number;
  /** The next reconcile, which finds the same overflow already recorded. */
  readonly steadyMs: number;
  readonly samples: { firstMs: number[]; steadyMs: number[] };
}

/** Bench 1d's result. */
export interface OverflowScaling {
  readonly points: (OverflowPoint & { firstRatioToFirst: number })[];
  /** Growth exponents (time ∝ blocks^exponent) between consecutive sizes: 1 linear, 2 quadratic. */
  readonly exponents: { from: number; to: number; first: number; steady: number }[];
}

const NETWORK_FIREWALL_CAPACITY = 100;

/** Every target enforcing and nearly full from the start. */
function overflowPolicy(): Policy {
  return parsePolicy(
    {
      targets: {
        dnsFirewall: { mode: 'enforce', maxDomains: 2 },
        networkAcls: { mode: 'enforce', maxEntriesPerFamily: 20 },
        networkFirewall: { mode: 'enforce' },
      },
      breaker: { maxNewBlocksPerHour: BENCH_MAX_NEW_BLOCKS_PER_HOUR },
    },
    { vpcCidrs: ['10.20.0.0/16'] },
  );
}

function dependencies(policy: Policy): Dependencies {
  return inMemoryDependencies(policy, NETWORK_FIREWALL_CAPACITY, new ManualClock(BENCH_START));
}

/** `count` active decisions, three quarters domains and one quarter IPv4 addresses, as decide writes them. */
function overflowingDecisions(count: number, policy: Policy): Decision[] {
  const ipv4 = Math.floor(count / 4);
  return activeDecisions(
    indicatorMix('overflow', { domains: count - ipv4, ipv4, ipv6: 0 }),
    policy,
    'overflow',
  );
}

/**
 * After one untimed warm-up, for each size, `runs` times on fresh state: put the decisions (not timed), then
 * time the reconcile that records the overflow and the one after it. Medians, and the growth exponent
 * between consecutive sizes.
 */
export async function benchOverflowScaling(sizes: readonly number[], runs: number): Promise<OverflowScaling> {
  const policy = overflowPolicy();
  // One untimed pass at the smallest size, so the first point does not also measure the compiler warming up.
  const warmUp = dependencies(policy);
  for (const decision of overflowingDecisions(sizes[0] ?? 0, policy))
    await warmUp.store.put(decision, undefined);
  await reconcile(warmUp);
  await reconcile(warmUp);
  const points: OverflowPoint[] = [];
  for (const blocks of sizes) {
    const decisions = overflowingDecisions(blocks, policy);
    const first: number[] = [];
    const steady: number[] = [];
    let overflowing = 0;
    for (let run = 0; run < runs; run++) {
      const deps = dependencies(policy);
      for (const decision of decisions) await deps.store.put(decision, undefined);
      const measured = await timed(() => reconcile(deps));
      const again = await timed(() => reconcile(deps));
      first.push(measured.ms);
      steady.push(again.ms);
      overflowing = new Set(measured.result.targets.flatMap((t) => t.overflow)).size;
    }
    points.push({
      blocks,
      overflowing,
      firstMs: median(first),
      steadyMs: median(steady),
      samples: { firstMs: first, steadyMs: steady },
    });
  }
  const base = points[0]?.firstMs ?? Number.NaN;
  const exponents = points.slice(1).map((point, i) => {
    const previous = points[i] as OverflowPoint;
    return {
      from: previous.blocks,
      to: point.blocks,
      first: growthExponent(previous.blocks, previous.firstMs, point.blocks, point.firstMs),
      steady: growthExponent(previous.blocks, previous.steadyMs, point.blocks, point.steadyMs),
    };
  });
  return { points: points.map((p) => ({ ...p, firstRatioToFirst: p.firstMs / base })), exponents };
}
