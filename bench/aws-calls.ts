/**
 * Bench 2: the AWS calls it takes to apply 10,000 new domain blocks and 500 IP blocks and then to remove
 * them at expiry, counted per command on stateful fakes, against the minimum the per-call limits allow.
 */

import { SnsAlerts } from '#adapters/aws/alerts';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { ManualClock } from '#adapters/in-memory/clock';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { toDnsFirewallEntries } from '#domain/reconcile/dns-firewall-plan';
import { DNS_FIREWALL_MAX_DOMAINS_PER_CALL } from '#domain/target';
import { decideSignal } from '#shared/use-cases/decide-signal';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import {
  ACL_ID,
  COUNTED_COMMANDS,
  createAwsFakes,
  DOMAIN_LIST_ID,
  RULE_GROUP_ARN,
  TOPIC_ARN,
} from './aws-fakes';
import { BENCH_START, benchPolicy, feedSignal, indicatorMix } from './fixtures';

/** The size of the Bench 2 workload. */
export interface AwsCallsConfig {
  readonly domains: number;
  readonly ips: number;
  readonly networkFirewallCapacity: number;
}

/** Commands sent in one phase of Bench 2. */
export type PhaseCounts = Record<string, number>;

/** Bench 2's result. */
export interface AwsCallsResult {
  readonly config: AwsCallsConfig;
  /** Commands per phase: deciding the signals, the reconcile that applies them, the one after expiry. */
  readonly phases: { decide: PhaseCounts; apply: PhaseCounts; expire: PhaseCounts };
  readonly commands: {
    service: string;
    command: string;
    kind: string;
    decide: number;
    apply: number;
    expire: number;
    total: number;
  }[];
  readonly writes: {
    target: string;
    actual: number;
    minimum: number;
    ratio: number;
    how: string;
  }[];
  readonly totals: {
    writes: number;
    minimumWrites: number;
    writeRatio: number;
    reads: number;
    publishes: number;
    allCommands: number;
  };
  readonly overflow: {
    /** IP blocks with no room in the ACL's reserved rule numbers. */
    readonly networkAcls: number;
    /** Blocks with no room in the rule group (its 2,000,000-byte rules string fills before 30,000 rules). */
    readonly networkFirewall: { domains: number; ips: number };
    /** IP blocks that overflowed both IP-capable targets, so nothing enforces them. */
    readonly ipsEnforcedNowhere: number;
  };
  /** Whether the fakes hold none of our entries once everything expired. */
  readonly targetsEmptyAfterExpiry: boolean;
  readonly reports: { apply: TargetLine[]; expire: TargetLine[]; ended: number };
}

interface TargetLine {
  target: string;
  status: string;
  changes: number;
  overflow: number;
  error?: string;
}

const noWait = async () => {};

function delta(after: PhaseCounts, before: PhaseCounts): PhaseCounts {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]));
}

function targetLines(report: ReconcileReport): TargetLine[] {
  return report.targets.map((t) => ({
    target: t.target,
    status: t.status,
    changes: t.changes,
    overflow: t.overflow.length,
    ...(t.error ? { error: t.error } : {}),
  }));
}

/** Runs Bench 2 once: the counts are deterministic, so one run is the measurement. */
export async function benchAwsCalls(config: AwsCallsConfig): Promise<AwsCallsResult> {
  const policy = benchPolicy();
  const { maxEntriesPerFamily, ruleRange } = policy.targets.networkAcls;
  const fakes = createAwsFakes({
    maxEntriesPerFamily,
    networkFirewallCapacity: config.networkFirewallCapacity,
  });
  try {
    const clock = new ManualClock(BENCH_START);
    const deps: Dependencies = {
      policy,
      clock,
      store: new InMemoryDecisionStore(),
      alerts: new SnsAlerts({ client: fakes.sns, topicArn: TOPIC_ARN, sleep: noWait }),
      dnsFirewall: new Route53ResolverDomainList({
        client: fakes.resolver,
        domainListId: DOMAIN_LIST_ID,
        sleep: noWait,
        now: () => clock.now().getTime(),
        minIntervalMs: 0,
      }),
      networkAcls: new Ec2NetworkAcls({ client: fakes.ec2, aclIds: [ACL_ID], sleep: noWait }),
      networkFirewall: new AwsNetworkFirewallRuleGroup({
        client: fakes.networkFirewall,
        ruleGroupArn: RULE_GROUP_ARN,
        sleep: noWait,
      }),
    };
    const indicators = indicatorMix('aws', { domains: config.domains, ipv4: config.ips, ipv6: 0 });

    const initial = fakes.counts();
    for (const [i, indicator] of indicators.entries()) {
      const report = await decideSignal(feedSignal(indicator, BENCH_START, `bench:aws:${i}`), deps);
      if (report.outcome !== 'blocked') throw new Error(`${indicator.value}: ${report.outcome}`);
    }
    const decided = fakes.counts();
    const applied = await reconcile(deps);
    const afterApply = fakes.counts();

    const active = await deps.store.listActive();
    const overflowOf = (kind: 'domain' | 'ip', target: 'networkAcls' | 'networkFirewall') =>
      active.filter((d) => d.indicator.kind === kind && (d.overflow ?? []).includes(target)).length;
    const ipsEnforcedNowhere = active.filter(
      (d) =>
        d.indicator.kind === 'ip' &&
        (d.overflow ?? []).includes('networkAcls') &&
        (d.overflow ?? []).includes('networkFirewall'),
    ).length;

    const latest = active.reduce((max, d) => Math.max(max, Date.parse(d.expiresAt ?? '')), 0);
    clock.advance(latest - BENCH_START.getTime() + 60_000);
    const expired = await reconcile(deps);
    const afterExpire = fakes.counts();

    const phases = {
      decide: delta(decided, initial),
      apply: delta(afterApply, decided),
      expire: delta(afterExpire, afterApply),
    };
    const commands = COUNTED_COMMANDS.map(({ service, command, kind }) => {
      const count = (phase: PhaseCounts) => phase[command.name] ?? 0;
      const [decide, apply, expire] = [count(phases.decide), count(phases.apply), count(phases.expire)];
      return {
        service,
        command: command.name.replace(/Command$/, ''),
        kind,
        decide,
        apply,
        expire,
        total: decide + apply + expire,
      };
    });
    const sum = (names: readonly string[]) =>
      commands.filter((c) => names.includes(c.command)).reduce((total, c) => total + c.total, 0);

    const entries = indicators.reduce(
      (total, indicator) =>
        total + (indicator.kind === 'domain' ? toDnsFirewallEntries(indicator).length : 0),
      0,
    );
    const chunks = Math.ceil(entries / DNS_FIREWALL_MAX_DOMAINS_PER_CALL);
    const aclRoom = Math.min(config.ips, ruleRange[1] - ruleRange[0] + 1);
    const writes = [
      {
        target: 'DNS Firewall',
        actual: sum(['UpdateFirewallDomains']),
        minimum: 2 * chunks,
        how: `${entries.toLocaleString('en-US')} entries / 1,000 per call, to add and to remove`,
      },
      {
        target: 'Network ACL',
        actual: sum(['CreateNetworkAclEntry', 'DeleteNetworkAclEntry']),
        minimum: 2 * aclRoom,
        how: `${aclRoom} creates (rules ${ruleRange[0]}-${ruleRange[1]}) + ${aclRoom} deletes`,
      },
      {
        target: 'Network Firewall',
        actual: sum(['UpdateRuleGroup']),
        minimum: 2,
        how: '1 update to add + 1 to remove',
      },
    ].map((w) => ({ ...w, ratio: w.actual / w.minimum }));
    const totalWrites = writes.reduce((total, w) => total + w.actual, 0);
    const minimumWrites = writes.reduce((total, w) => total + w.minimum, 0);

    const ownAclEntries = fakes
      .aclEntries()
      .filter((e) => (e.RuleNumber ?? 0) >= ruleRange[0] && (e.RuleNumber ?? 0) <= ruleRange[1]);
    return {
      config,
      phases,
      commands,
      writes,
      totals: {
        writes: totalWrites,
        minimumWrites,
        writeRatio: totalWrites / minimumWrites,
        reads: commands.filter((c) => c.kind === 'read').reduce((total, c) => total + c.total, 0),
        publishes: sum(['Publish']),
        allCommands: (afterExpire.total ?? 0) - (initial.total ?? 0),
      },
      overflow: {
        networkAcls: overflowOf('ip', 'networkAcls'),
        networkFirewall: {
          domains: overflowOf('domain', 'networkFirewall'),
          ips: overflowOf('ip', 'networkFirewall'),
        },
        ipsEnforcedNowhere,
      },
      targetsEmptyAfterExpiry:
        fakes.domains.size === 0 && ownAclEntries.length === 0 && fakes.rules().trim() === '',
      reports: {
        apply: targetLines(applied),
        expire: targetLines(expired),
        ended: expired.ended.length,
      },
    };
  } finally {
    fakes.restore();
  }
}
