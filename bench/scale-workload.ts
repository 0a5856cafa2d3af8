/**
 * The scale workloads: a no-op reconcile and one event end to end (decide of one signal, then the reconcile it
 * triggers) against N active decisions, each beside its floor (the three planners alone on the same entries),
 * and the simulation on N manual blocks. This file is the entry of the bundle the benchmark builds with the
 * functions' esbuild options (`bundled.ts`), so what it times is the code Lambda and the CLI run.
 */
import { ManualClock } from '#adapters/in-memory/clock';
import type { BlockEntry } from '#domain/block';
import type { Decision } from '#domain/decision';
import { planDnsFirewall } from '#domain/reconcile/dns-firewall-plan';
import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import { planNetworkFirewall } from '#domain/reconcile/network-firewall-plan';
import { parseSimulationConfig } from '#shared/simulation/config';
import { simulate } from '#shared/simulation/simulate';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import {
  activeDecisions,
  BENCH_START,
  benchPolicy,
  feedSignal,
  indicatorMix,
  inMemoryDependencies,
} from './fixtures';
import { median } from './measure';

/** How many times each record was seen: once (fresh), or many times by distinct evidence keys. */
export type SeenProfile = 'once' | 'many';

/** Keys remembered per record in the `many` profile: the record's bound (KEEP_SEEN in decide.ts). */
export const MANY_SEEN = 100;

/** One size's CPU milliseconds, each with its floor. */
export interface ScalePoint {
  readonly active: number;
  readonly seen: SeenProfile;
  /** A reconcile that finds every target converged. */
  readonly noopMs: number;
  /** The planners alone on the same desired entries and target state. */
  readonly noopFloorMs: number;
  /** decideSignal of one new indicator, then the reconcile that writes it. */
  readonly eventMs: number;
  /**
   * The same event in elapsed time: CPU time also counts V8's background threads (concurrent garbage
   * collection, compilation), elapsed time is what the caller waits and what Lambda bills.
   */
  readonly eventWallMs: number;
  /** The planners alone on the entries after that event. */
  readonly eventFloorMs: number;
}

const NETWORK_FIREWALL_CAPACITY = 30_000;
/** Events measured per no-op reconcile measured. */
const EVENT_RUNS_PER_RUN = 3;
/** IP blocks among the active decisions: enough to fill the ACL many times over, few enough to stay canonical. */
const IP_SHARE = 0.03;

/** CPU milliseconds (user + system, every thread of the process) that `work` takes, and its elapsed time. */
async function cpuAndWallMs(work: () => Promise<unknown> | unknown): Promise<{ cpu: number; wall: number }> {
  const start = process.cpuUsage();
  const started = performance.now();
  await work();
  const wall = performance.now() - started;
  const used = process.cpuUsage(start);
  return { cpu: (used.user + used.system) / 1000, wall };
}

/** CPU milliseconds (user + system) that `work` takes: what a schedule must fit. */
async function cpuMs(work: () => Promise<unknown> | unknown): Promise<number> {
  return (await cpuAndWallMs(work)).cpu;
}

/** The `many` profile: the newest MANY_SEEN evidence keys, distinct across records, newest first. */
function seenMany(decision: Decision, index: number): Decision {
  const seen = Array.from({ length: MANY_SEEN }, (_, i) => ({
    key: `guardduty:${index.toString(36)}-${i.toString(36)}-finding`,
    at: new Date(BENCH_START.getTime() - i * 60_000).toISOString(),
  }));
  return { ...decision, seen };
}

/**
 * Measures one size: fills a fresh in-memory warden with `active` decisions, converges the targets (not
 * measured), then times, `runs` times each (medians), a no-op reconcile and its floor, then one event end to end
 * (a new indicator each time) and its floor. No garbage is collected by force: what a run leaves is its cost.
 */
export async function measureScale(active: number, seen: SeenProfile, runs: number): Promise<ScalePoint> {
  const policy = benchPolicy();
  const ips = Math.round(active * IP_SHARE);
  const ipv4 = Math.round((ips * 3) / 4);
  const indicators = indicatorMix(`s${active}`, { domains: active - ips, ipv4, ipv6: ips - ipv4 });
  const fresh = activeDecisions(indicators, policy, `scale-${active}`);
  const decisions = seen === 'once' ? fresh : fresh.map(seenMany);
  const clock = new ManualClock(new Date(BENCH_START.getTime() + 60_000));
  const deps = inMemoryDependencies(policy, NETWORK_FIREWALL_CAPACITY, clock);
  for (const decision of decisions) await deps.store.put(decision, undefined);
  await reconcile(deps);
  // enforce runs every minute in a warm function: measure that steady state, not the first compilations.
  for (let run = 0; run < runs; run++) await reconcile(deps);

  const floor = async () => {
    const desired: BlockEntry[] = (await deps.store.listActive()).map((d) => ({
      indicator: d.indicator,
      severity: d.severity,
      since: d.createdAt,
      expiresAt: d.expiresAt,
    }));
    const domains = deps.dnsFirewall ? await deps.dnsFirewall.listDomains() : [];
    const acls = deps.networkAcls ? (await deps.networkAcls.list()).acls : [];
    const group = deps.networkFirewall ? await deps.networkFirewall.describe() : undefined;
    return cpuMs(() => {
      planDnsFirewall(desired, domains, { maxDomains: policy.targets.dnsFirewall.maxDomains });
      for (const acl of acls) planNetworkAcl(acl, desired, policy.targets.networkAcls);
      if (group) planNetworkFirewall(desired, group);
    });
  };

  const noop: number[] = [];
  const noopFloor: number[] = [];
  for (let run = 0; run < runs; run++) {
    noop.push(await cpuMs(() => reconcile(deps)));
    noopFloor.push(await floor());
  }
  // One event is short enough for a single garbage collection to double it: take the median of more of them.
  const events = indicatorMix(`e${active}`, { domains: runs * EVENT_RUNS_PER_RUN, ipv4: 0, ipv6: 0 });
  const event: number[] = [];
  const eventWall: number[] = [];
  const eventFloor: number[] = [];
  for (const [run, indicator] of events.entries()) {
    const signal = feedSignal(indicator, clock.now(), `bench:event:${active}:${run}`);
    const { cpu, wall } = await cpuAndWallMs(async () => {
      const report = await decideSignal(signal, deps);
      if (report.outcome !== 'blocked') throw new Error(`expected a block, got ${report.outcome}`);
      await reconcile(deps);
    });
    event.push(cpu);
    eventWall.push(wall);
    eventFloor.push(await floor());
  }
  return {
    active,
    seen,
    noopMs: median(noop),
    noopFloorMs: median(noopFloor),
    eventMs: median(event),
    eventWallMs: median(eventWall),
    eventFloorMs: median(eventFloor),
  };
}

/** A manual Block Request event for the `index`-th benchmark domain. */
function blockRequest(index: number, time: string): { name: string; event: unknown } {
  return {
    name: `block-${index}.json`,
    event: {
      version: '0',
      id: `bench-${index}`,
      'detail-type': 'Block Request',
      source: 'egress-warden.manual',
      account: '123456789012',
      time,
      region: 'eu-west-1',
      resources: [],
      detail: {
        indicator: `sim-${index.toString(36).padStart(4, '0')}.bench-egress.example`,
        reason: 'benchmark block',
        requestedBy: 'bench@example.com',
        ttl: '7d',
      },
    },
  };
}

/**
 * CPU milliseconds of `simulate` on `blocks` manual Block Requests (the default simulation configuration); with
 * 0 blocks, its start-up (configuration, detectors, in-memory targets).
 */
export async function measureSimulate(blocks: number): Promise<number> {
  const time = BENCH_START.toISOString();
  const inputs = Array.from({ length: blocks }, (_, i) => blockRequest(i, time));
  const config = parseSimulationConfig();
  return cpuMs(async () => {
    const result = await simulate(inputs, config, { now: BENCH_START });
    if (result.rejected.length > 0) throw new Error(`simulate rejected ${result.rejected[0]?.error}`);
  });
}
