/**
 * Inputs shared by the benchmarks: the policy, and signals for distinct domains and addresses that no guard
 * rail protects. Addresses come from 198.18.0.0/15 (RFC 2544, set aside for benchmarking) and 2001:db8::/32
 * (documentation); only even ones are used, so no two are sibling halves and the network ACL planner never
 * merges them into a wider CIDR.
 */
import type { ManualClock } from '#adapters/in-memory/clock';
import { decide } from '#domain/decide';
import type { Decision } from '#domain/decision';
import { type Indicator, parseIndicator } from '#domain/indicator';
import { type Policy, parsePolicy } from '#domain/policy';
import type { Signal } from '#domain/signal';
import { createInMemoryWarden } from '#shared/composition/in-memory';
import type { Dependencies } from '#shared/use-cases/dependencies';

/** When every benchmark's clock starts. */
export const BENCH_START = new Date('2026-11-28T10:00:00.000Z');
/** The benchmarks' network ACL and its VPC. */
export const BENCH_ACL_ID = 'acl-0b1e2c3d4e5f60718';
export const BENCH_VPC_ID = 'vpc-0b1e2c3d4e5f60718';

const CLOSED_BREAKER = { open: false, recentBlocks: [], version: 0 } as const;

/** High enough that the breaker never trips during a benchmark; the output says so. */
export const BENCH_MAX_NEW_BLOCKS_PER_HOUR = 1_000_000;

/** Every target enforcing, the breaker out of the way, network ACLs at EC2's default quota. */
export function benchPolicy(): Policy {
  return parsePolicy(
    {
      targets: {
        dnsFirewall: { mode: 'enforce' },
        networkAcls: { mode: 'enforce', maxEntriesPerFamily: 20 },
        networkFirewall: { mode: 'enforce' },
      },
      breaker: { maxNewBlocksPerHour: BENCH_MAX_NEW_BLOCKS_PER_HOUR },
    },
    { vpcCidrs: ['10.20.0.0/16'] },
  );
}

/** The `index`-th benchmark domain; `set` keeps separate batches apart. */
function domainAt(set: string, index: number): Indicator {
  return parseIndicator(`${set}-${index.toString(36).padStart(4, '0')}.bench-egress.example`);
}

/** The `index`-th benchmark IPv4 /32: the even addresses of 198.18.0.0/15, in order. */
function ipv4At(index: number): Indicator {
  const value = 2 * index;
  if (value >= 2 ** 17) throw new RangeError(`198.18.0.0/15 holds ${2 ** 16} even addresses`);
  const address = [198, 18 + (value >> 16), (value >> 8) & 0xff, value & 0xff].join('.');
  return parseIndicator(address);
}

/** The `index`-th benchmark IPv6 /128: even addresses of 2001:db8::/32. */
function ipv6At(index: number): Indicator {
  const value = 2 * index + 2;
  return parseIndicator(`2001:db8::${(value >> 16).toString(16)}:${(value & 0xffff).toString(16)}`);
}

/** A feed signal for `indicator`, severity 8 (above the default threshold of 7), observed at `at`. */
export function feedSignal(indicator: Indicator, at: Date, evidenceKey: string): Signal {
  return {
    source: 'feed',
    intent: 'block',
    indicator,
    severity: 8,
    detector: 'bench-feed',
    evidence: { key: evidenceKey, summary: `benchmark signal for ${indicator.value}` },
    workload: {},
    observedAt: at.toISOString(),
    sample: false,
  };
}

/**
 * A mix of distinct indicators: `domains` domains, then `ipv4` IPv4 and `ipv6` IPv6 addresses starting at the
 * `addressOffset`-th address, so that batches built with different offsets never share an address.
 */
export function indicatorMix(
  set: string,
  counts: { domains: number; ipv4: number; ipv6: number },
  addressOffset = 0,
): Indicator[] {
  return [
    ...Array.from({ length: counts.domains }, (_, i) => domainAt(set, i)),
    ...Array.from({ length: counts.ipv4 }, (_, i) => ipv4At(addressOffset + i)),
    ...Array.from({ length: counts.ipv6 }, (_, i) => ipv6At(addressOffset + i)),
  ];
}

/**
 * Egress Warden on fresh in-memory adapters: one ACL holding a VPC's usual egress (allow everything after the
 * reserved low rule numbers), a DNS Firewall list and a rule group sized by the policy and `capacity`.
 */
export function inMemoryDependencies(policy: Policy, capacity: number, clock: ManualClock): Dependencies {
  const warden = createInMemoryWarden({
    policy,
    now: clock.now(),
    acls: [{ aclId: BENCH_ACL_ID, vpcId: BENCH_VPC_ID }],
    networkFirewallCapacity: capacity,
  });
  return { ...warden.deps, clock };
}

/**
 * Active decisions as decideSignal writes them for a first offence at BENCH_START, built once and put into
 * each fresh store; `label` keeps the evidence keys of separate batches apart.
 */
export function activeDecisions(indicators: readonly Indicator[], policy: Policy, label: string): Decision[] {
  return indicators.map((indicator, i) => {
    const signal = feedSignal(indicator, BENCH_START, `bench:${label}:${i}`);
    const { decision } = decide(signal, undefined, { policy, now: BENCH_START, breaker: CLOSED_BREAKER });
    if (decision?.status !== 'active') throw new Error(`pre-fill of ${indicator.value} did not block`);
    return decision;
  });
}

/** The growth exponent between two sizes (time ∝ size^exponent): 1 is linear, 2 quadratic. */
export function growthExponent(fromSize: number, fromMs: number, toSize: number, toMs: number): number {
  return Math.log(toMs / fromMs) / Math.log(toSize / fromSize);
}
