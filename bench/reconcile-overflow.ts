/**
 * Bench 1d: how reconcile's time grows with the number of active blocks that do not fit any target. Every
 * target is made small on purpose (a DNS Firewall list of 2 domains, the default network ACL room, a
 * Network Firewall group of 100 rules of capacity), so almost every block overflows everywhere and the run
 * is dominated by the overflow path: planning what does not fit, recording it on each decision and alerting.
 */
import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import { ManualClock } from '#adapters/in-memory/clock';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { InMemoryDnsFirewall } from '#adapters/in-memory/dns-firewall';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import { InMemoryNetworkFirewall } from '#adapters/in-memory/network-firewall';
import { decide } from '#domain/decide';
import type { Decision } from '#domain/decision';
import { type Policy, parsePolicy } from '#domain/policy';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { BENCH_MAX_NEW_BLOCKS_PER_HOUR, feedSignal, indicatorMix } from './fixtures';
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

const START = new Date('2026-11-28T10:00:00.000Z');
const ACL_ID = 'acl-0c1e2c3d4e5f60718';
const VPC_ID = 'vpc-0c1e2c3d4e5f60718';
const CLOSED_BREAKER = { open: false, recentBlocks: [], version: 0 } as const;
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
  return {
    policy,
    clock: new ManualClock(START),
    store: new InMemoryDecisionStore(),
    alerts: new InMemoryAlerts(),
    dnsFirewall: new InMemoryDnsFirewall({ maxDomains: policy.targets.dnsFirewall.maxDomains }),
    networkAcls: new InMemoryNetworkAcls(
      [
        {
          aclId: ACL_ID,
          vpcId: VPC_ID,
          egress: [
            { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' },
            { ruleNumber: 101, cidr: '::/0', action: 'allow', protocol: '-1' },
          ],
        },
      ],
      { maxEntriesPerFamily: policy.targets.networkAcls.maxEntriesPerFamily },
    ),
    networkFirewall: new InMemoryNetworkFirewall({ capacity: NETWORK_FIREWALL_CAPACITY }),
  };
}

/** `count` active decisions, three quarters domains and one quarter IPv4 addresses, as decide writes them. */
function activeDecisions(count: number, policy: Policy): Decision[] {
  const ipv4 = Math.floor(count / 4);
  const indicators = indicatorMix('overflow', { domains: count - ipv4, ipv4, ipv6: 0 });
  return indicators.map((indicator, i) => {
    const signal = feedSignal(indicator, START, `bench:overflow:${i}`);
    const { decision } = decide(signal, undefined, { policy, now: START, breaker: CLOSED_BREAKER });
    if (decision?.status !== 'active') throw new Error(`pre-fill of ${indicator.value} did not block`);
    return decision;
  });
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
  for (const decision of activeDecisions(sizes[0] ?? 0, policy)) await warmUp.store.put(decision, undefined);
  await reconcile(warmUp);
  await reconcile(warmUp);
  const points: OverflowPoint[] = [];
  for (const blocks of sizes) {
    const decisions = activeDecisions(blocks, policy);
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
    const growth = Math.log(point.blocks / previous.blocks);
    return {
      from: previous.blocks,
      to: point.blocks,
      first: Math.log(point.firstMs / previous.firstMs) / growth,
      steady: Math.log(point.steadyMs / previous.steadyMs) / growth,
    };
  });
  return { points: points.map((p) => ({ ...p, firstRatioToFirst: p.firstMs / base })), exponents };
}
