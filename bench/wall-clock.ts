/**
 * Bench 2b: the modelled wall-clock time of the enforce runs that apply 10,000 domain blocks and 500 IP blocks,
 * and then of those that remove them at expiry, when the DNS Firewall list stays `UPDATING` for a while after
 * each write, against the enforce function's timeout.
 *
 * Time is virtual: the AWS adapters run their real request logic (pacing, waits, retries) on the stateful
 * fakes of bench/aws-fakes.ts, every call is charged a modelled latency, and every sleep advances a virtual
 * clock that reconcile, its deadline and the adapters all read. Concurrent work (the three targets) overlaps
 * as it would in Lambda. CPU time is not counted: the other benches measure it.
 */
import { SnsAlerts } from '#adapters/aws/alerts';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import type { Clock } from '#ports/clock';
import type { DecisionStore } from '#ports/decision-store';
import { ENFORCE_END_MARGIN_MS } from '#shared/runtime/enforce-run';
import { decideSignal } from '#shared/use-cases/decide-signal';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { TIMEOUTS } from '../infra/egress-warden';
import { ACL_ID, createAwsFakes, DOMAIN_LIST_ID, RULE_GROUP_ARN, TOPIC_ARN } from './aws-fakes';
import { BENCH_START, benchPolicy, feedSignal, indicatorMix } from './fixtures';
import { formatNumber, formatTable } from './measure';

/**
 * Modelled latency of one call, in ms: typical figures for a call from Lambda in the same Region, not
 * measurements. The Resolver's own 5 requests/s is kept by the adapter's pacing, which runs on the virtual clock.
 */
const CALL_LATENCY_MS: Readonly<Record<string, number>> = {
  ListFirewallDomainsCommand: 250,
  GetFirewallDomainListCommand: 60,
  UpdateFirewallDomainsCommand: 250,
  DescribeNetworkAclsCommand: 200,
  CreateNetworkAclEntryCommand: 150,
  ReplaceNetworkAclEntryCommand: 150,
  DeleteNetworkAclEntryCommand: 150,
  DescribeRuleGroupCommand: 300,
  // The whole rules string (up to 2 MB) goes up with every update.
  UpdateRuleGroupCommand: 1_500,
  PublishCommand: 40,
};
/** A DynamoDB request of the decision store; a listing also pays one page per 1,000 items (about 1 MB). */
const STORE_CALL_MS = 10;
const STORE_PAGE_ITEMS = 1_000;
const STORE_PAGE_MS = 30;

/** The size of Bench 2b's workload and the cases it models. */
export interface WallClockConfig {
  readonly domains: number;
  readonly ips: number;
  readonly networkFirewallCapacity: number;
  /** How long the list stays `UPDATING` after each write, one case each. */
  readonly updatingSeconds: readonly number[];
  /** Runs after which a phase that has not converged is reported as such. */
  readonly maxRuns?: number;
}

/** One enforce run of a phase. */
export interface WallClockRun {
  readonly seconds: number;
  /** Each target's status, in the fixed target order. */
  readonly statuses: readonly string[];
  readonly ended: number;
  readonly deferred: number;
}

/** One phase (apply, or expire) of a case. */
export interface WallClockPhase {
  readonly runs: readonly WallClockRun[];
  /** Whether the last run found nothing left to do. */
  readonly converged: boolean;
  /** From the start of the first run to the end of the last, runs back to back. */
  readonly elapsedSeconds: number;
  readonly longestRunSeconds: number;
}

/** Bench 2b's result. */
export interface WallClockResult {
  readonly config: WallClockConfig;
  readonly timeoutSeconds: number;
  /** The deadline each run gives reconcile: the timeout less the run's end margin. */
  readonly budgetSeconds: number;
  readonly cases: readonly {
    readonly updatingSeconds: number;
    readonly apply: WallClockPhase;
    readonly expire: WallClockPhase;
    /** Most Resolver requests started in any one second. */
    readonly resolverPeakPerSecond: number;
    /** Every run of both phases ended inside the timeout. */
    readonly insideTimeout: boolean;
  }[];
}

/**
 * Virtual time: `sleep` registers a timer; `run` drives a task, and whenever every promise is waiting on a
 * timer, moves the clock to the earliest one and fires it. The fakes answer in microtasks, so once a
 * macrotask turn has passed, nothing else can be running.
 */
class VirtualTime {
  now: number;
  readonly #timers: { at: number; seq: number; fire: () => void }[] = [];
  #seq = 0;

  constructor(start: Date) {
    this.now = start.getTime();
  }

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((fire) => {
      this.#timers.push({ at: this.now + Math.max(0, ms), seq: this.#seq++, fire });
    });

  async run<T>(task: Promise<T>): Promise<T> {
    let done = false;
    const settled = task.finally(() => {
      done = true;
    });
    settled.catch(() => {});
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) return settled;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (!next) throw new Error('the task waits on something other than virtual time');
      this.now = Math.max(this.now, next.at);
      next.fire();
    }
  }
}

/** Charges `time.sleep(ms(name))` before every call `client.send` makes; `charging()` turns it on. */
function chargeLatency(
  client: { send: (command: never) => Promise<unknown> },
  time: VirtualTime,
  charging: () => boolean,
  intercept?: (name: string) => Promise<unknown> | undefined,
): void {
  const send = client.send.bind(client);
  client.send = (async (command: object) => {
    const name = command.constructor.name;
    if (charging()) await time.sleep(CALL_LATENCY_MS[name] ?? 100);
    return (charging() && intercept?.(name)) || send(command as never);
  }) as never;
}

/** The decision store with each request charged {@link STORE_CALL_MS}, and listings one page per 1,000 items. */
function chargedStore(store: DecisionStore, time: VirtualTime, charging: () => boolean): DecisionStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (charging()) await time.sleep(STORE_CALL_MS);
        const result = await value.apply(target, args);
        if (charging() && Array.isArray(result)) {
          await time.sleep(Math.floor(result.length / STORE_PAGE_ITEMS) * STORE_PAGE_MS);
        }
        return result;
      };
    },
  });
}

/** Runs Bench 2b: one case per `updatingSeconds`, each on fresh fakes and a fresh store. */
export async function benchWallClock(config: WallClockConfig): Promise<WallClockResult> {
  const timeoutSeconds = TIMEOUTS.enforce.toSeconds();
  const budgetMs = timeoutSeconds * 1000 - ENFORCE_END_MARGIN_MS;
  const cases = [];
  for (const updatingSeconds of config.updatingSeconds) {
    cases.push(await runCase(config, updatingSeconds * 1000, timeoutSeconds * 1000, budgetMs));
  }
  return { config, timeoutSeconds, budgetSeconds: budgetMs / 1000, cases };
}

async function runCase(
  config: WallClockConfig,
  updatingMs: number,
  timeoutMs: number,
  budgetMs: number,
): Promise<WallClockResult['cases'][number]> {
  const policy = benchPolicy();
  const fakes = createAwsFakes({
    maxEntriesPerFamily: policy.targets.networkAcls.maxEntriesPerFamily,
    networkFirewallCapacity: config.networkFirewallCapacity,
  });
  try {
    const time = new VirtualTime(BENCH_START);
    let charging = false;
    const isCharging = () => charging;
    // The list stays UPDATING for `updatingMs` after each write, whatever the number of polls.
    let updatingUntil = Number.NEGATIVE_INFINITY;
    const resolverStarts: number[] = [];
    chargeLatency(fakes.resolver as never, time, isCharging, (name) => {
      resolverStarts.push(time.now);
      if (name === 'UpdateFirewallDomainsCommand') updatingUntil = time.now + updatingMs;
      if (name === 'GetFirewallDomainListCommand' && time.now < updatingUntil) {
        return Promise.resolve({ FirewallDomainList: { Id: DOMAIN_LIST_ID, Status: 'UPDATING' } });
      }
      return undefined;
    });
    chargeLatency(fakes.ec2 as never, time, isCharging);
    chargeLatency(fakes.networkFirewall as never, time, isCharging);
    chargeLatency(fakes.sns as never, time, isCharging);

    const clock: Clock = { now: () => new Date(time.now) };
    const now = () => time.now;
    const deps: Dependencies = {
      policy,
      clock,
      store: chargedStore(new InMemoryDecisionStore(), time, isCharging),
      alerts: new SnsAlerts({ client: fakes.sns, topicArn: TOPIC_ARN, sleep: time.sleep }),
      // The adapter's defaults: 200 ms between requests (5 requests/s), its own wait and retry policy.
      dnsFirewall: new Route53ResolverDomainList({
        client: fakes.resolver,
        domainListId: DOMAIN_LIST_ID,
        sleep: time.sleep,
        now,
      }),
      networkAcls: new Ec2NetworkAcls({ client: fakes.ec2, aclIds: [ACL_ID], sleep: time.sleep }),
      networkFirewall: new AwsNetworkFirewallRuleGroup({
        client: fakes.networkFirewall,
        ruleGroupArn: RULE_GROUP_ARN,
        sleep: time.sleep,
      }),
    };

    const indicators = indicatorMix('wall', { domains: config.domains, ipv4: config.ips, ipv6: 0 });
    for (const [i, indicator] of indicators.entries()) {
      await decideSignal(feedSignal(indicator, BENCH_START, `bench:wall:${i}`), deps);
    }

    const maxRuns = config.maxRuns ?? 100;
    const phase = async (): Promise<WallClockPhase> => {
      const runs: WallClockRun[] = [];
      const first = time.now;
      let converged = false;
      charging = true;
      try {
        while (!converged && runs.length < maxRuns) {
          const started = time.now;
          const report = await time.run(reconcile(deps, { deadline: new Date(started + budgetMs) }));
          runs.push(toRun(report, (time.now - started) / 1000));
          converged = !report.cutShort && report.targets.every((t) => t.status !== 'failed');
        }
      } finally {
        charging = false;
      }
      return {
        runs,
        converged,
        elapsedSeconds: (time.now - first) / 1000,
        longestRunSeconds: Math.max(...runs.map((run) => run.seconds)),
      };
    };

    const apply = await phase();
    const active = await deps.store.listActive();
    const latest = active.reduce((max, d) => Math.max(max, Date.parse(d.expiresAt ?? '')), 0);
    time.now = Math.max(time.now, latest + 60_000);
    const expire = await phase();

    const insideTimeout = [...apply.runs, ...expire.runs].every((run) => run.seconds * 1000 <= timeoutMs);
    return {
      updatingSeconds: updatingMs / 1000,
      apply,
      expire,
      resolverPeakPerSecond: peakPerSecond(resolverStarts),
      insideTimeout,
    };
  } finally {
    fakes.restore();
  }
}

function toRun(report: ReconcileReport, seconds: number): WallClockRun {
  return {
    seconds,
    statuses: report.targets.map((t) => t.status),
    ended: report.ended.length,
    deferred: report.deferred,
  };
}

/** Most request starts within any window of 1,000 ms. */
function peakPerSecond(starts: readonly number[]): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < starts.length; to++) {
    while ((starts[to] ?? 0) - (starts[from] ?? 0) >= 1_000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

/** Bench 2b as printed: one line per case and phase, then the runs' times. */
export function formatWallClock(result: WallClockResult): string {
  const { config, timeoutSeconds, budgetSeconds } = result;
  const seconds = (value: number) => `${formatNumber(value, 1)} s`;
  const rows = result.cases.flatMap((c) =>
    (['apply', 'expire'] as const).map((name) => {
      const phase = c[name];
      return [
        `${c.updatingSeconds} s`,
        name,
        formatNumber(phase.runs.length),
        seconds(phase.longestRunSeconds),
        seconds(phase.elapsedSeconds),
        phase.converged ? 'yes' : 'NO',
        c.insideTimeout ? 'yes' : 'NO',
        formatNumber(c.resolverPeakPerSecond),
      ];
    }),
  );
  return [
    `Bench 2b — modelled wall-clock of the enforce runs that apply ${formatNumber(config.domains)} domains + ` +
      `${formatNumber(config.ips)} IPs, then expire them, against the enforce timeout of ${timeoutSeconds} s`,
    `(virtual time: AWS adapters on the fakes, each call charged its modelled latency, store requests ${STORE_CALL_MS} ms; ` +
      `reconcile's deadline ${budgetSeconds} s into each run; runs back to back; CPU not counted)`,
    formatTable([
      [
        'UPDATING',
        'phase',
        'runs',
        'longest run',
        'elapsed',
        'converged',
        'every run < timeout',
        'Resolver req/s peak',
      ],
      ...rows,
    ]),
    ...result.cases.flatMap((c) =>
      (['apply', 'expire'] as const).map(
        (name) =>
          `${c.updatingSeconds} s ${name}, each run: ${c[name].runs.map((run) => seconds(run.seconds)).join(', ')}`,
      ),
    ),
  ].join('\n');
}
