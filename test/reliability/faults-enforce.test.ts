/**
 * Faults under the `enforce` function, through its real middy chain and the real AWS adapters: DynamoDB on
 * dynalite behind a client that refuses chosen requests, Route 53 Resolver, EC2 and Network Firewall on the
 * stateful fakes. Each fault is injected, then the runs the schedule would make follow; every test asserts
 * that the targets converge to the decisions, that no entry is written twice, and that no enforced block is
 * absent between runs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateNetworkAclEntryCommand, DescribeNetworkAclsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeRuleGroupCommand,
  ThrottlingException as FirewallThrottlingException,
  InternalServerError,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import {
  GetFirewallDomainListCommand,
  InternalServiceErrorException,
  ListFirewallDomainsCommand,
  ThrottlingException as ResolverThrottlingException,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { ManualClock } from '#adapters/in-memory/clock';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { createAwsEnforceCore, VPC_CIDRS_TTL_MS } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { handleEvent } from '#shared/use-cases/handle-event';
import { createEnforceHandler } from '../../functions/enforce/handler';
import { fakeEnforceTargets } from '../support/enforce-targets';
import { loadEvent } from '../support/events';
import { ec2Error } from '../support/fakes/ec2-network-acls';
import { failDynamoDb } from '../support/fakes/failing-dynamodb';
import type { CommandClass } from '../support/fakes/injected-failures';
import { DOMAIN_LIST_ID } from '../support/fakes/route53-resolver';
import { useFunctionHooks } from '../support/function-hooks';
import {
  ACL_ID,
  type CapturedOutput,
  lambdaContext,
  lambdaEnvironment,
  scheduledEvent,
  TEST_CONFIG,
  VPC_ID,
} from '../support/lambda-events';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const START = new Date('2026-11-28T10:00:00.000Z');
const MINUTE = 60_000;
const C2_DOMAIN = 'guarddutyc2activityb.com';
const C2_IP = '198.51.100.77/32';
const MANUAL_IP = '203.0.113.45/32';
const SAMPLES = ['guardduty/c2-domain.json', 'guardduty/c2-ip-outbound.json', 'manual/block-request.json'];
const FOREIGN_RULE =
  'pass tls $HOME_NET any -> $EXTERNAL_NET any (msg:"platform team allow"; tls.sni; content:"example.com"; sid:42; rev:1;)';
/** What every target holds once the sample decisions are enforced. */
const CONVERGED = {
  domains: [`*.${C2_DOMAIN}.`, `${C2_DOMAIN}.`],
  denies: [C2_IP, MANUAL_IP],
  firewall: { ips: [C2_IP, MANUAL_IP], domains: [C2_DOMAIN] },
};
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const region = 'us-east-1';
const noWait = async () => {};

const { dynalite, captureOutput } = useFunctionHooks();

/**
 * A table holding the sample decisions, the fakes of every target, and the enforce handler on the real
 * adapters (built with no waits between retries); counts every write each target accepted.
 */
async function createWorld(
  options: {
    readonly firewallRules?: string;
    /** The deployment configuration; the test one (which lists the VPC's CIDRs) when absent. */
    readonly config?: unknown;
    readonly topicGone?: boolean;
  } = {},
) {
  const tableName = await dynalite.createTable();
  const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region, credentials });
  const { clients, resolverMock, firewallMock, describeVpcsFailures, fakes } = fakeEnforceTargets({
    pollsWhileUpdating: 1,
    firewallRules: options.firewallRules,
    topicGone: options.topicGone,
  });
  // Every domain each accepted ADD carried, and the rule group updates accepted: a second write of the same
  // entry would show here.
  const added: string[] = [];
  let firewallWrites = 0;
  resolverMock.on(UpdateFirewallDomainsCommand).callsFake((input) => {
    const response = fakes.resolver.update(input);
    if (input.Operation === 'ADD') added.push(...(input.Domains ?? []));
    return response;
  });
  firewallMock.on(UpdateRuleGroupCommand).callsFake((input) => {
    const response = fakes.firewall.update(input);
    firewallWrites++;
    return response;
  });
  const clock = new ManualClock(START);
  const core = createAwsEnforceCore(parseEnvironment(lambdaEnvironment(tableName, options.config)), {
    dynamodb,
    clock,
    ...clients,
  });
  const handler = createEnforceHandler(core, {
    dnsFirewall: new Route53ResolverDomainList({
      client: clients.resolver,
      domainListId: DOMAIN_LIST_ID,
      // The list's waits move the clock the run's deadline is read on, and take a hundredth of that in real
      // time, so the other targets (written concurrently) go on meanwhile as they would in Lambda.
      sleep: async (ms) => {
        clock.advance(ms);
        await new Promise((resolve) => setTimeout(resolve, ms / 100));
      },
      now: () => clock.now().getTime(),
    }),
    networkAcls: new Ec2NetworkAcls({ client: clients.ec2, aclIds: [ACL_ID], sleep: noWait }),
    networkFirewall: new AwsNetworkFirewallRuleGroup({
      client: clients.networkFirewall,
      ruleGroupArn: core.environment.ruleGroupArn ?? '',
      sleep: noWait,
    }),
  });
  for (const path of SAMPLES) await handleEvent(loadEvent(path), await core.dependencies());
  /** One scheduled run a minute after the last; resolves to the error name when the run throws. */
  const run = async (remainingMs = 60_000): Promise<string> => {
    clock.advance(MINUTE);
    const context = lambdaContext('enforce');
    context.getRemainingTimeInMillis = () => remainingMs;
    return (handler(scheduledEvent(clock.now().toISOString()), context) as Promise<void>).then(
      () => 'completed',
      (error: Error) => `failed: ${error.name}`,
    );
  };
  /** What the targets hold now. */
  const targets = () => ({
    domains: fakes.resolver.sortedDomains(),
    denies: fakes.ec2
      .egress(ACL_ID)
      .filter((entry) => entry.RuleAction === 'deny' && (entry.RuleNumber ?? 0) < 100)
      .map((entry) => entry.CidrBlock ?? '')
      .sort(),
    firewall: blockedByRules(fakes.firewall.rules),
  });
  /** The accepted writes of each target so far. */
  const writes = () => ({
    domainsAdded: [...added].sort(),
    aclWrites: fakes.ec2.history(ACL_ID).length,
    firewallWrites,
  });
  return { core, clock, dynamodb, fakes, describeVpcsFailures, run, targets, writes };
}

type World = Awaited<ReturnType<typeof createWorld>>;

/** The status of `target` in each run's report, from the 'Targets reconciled' log lines. */
function statusesOf(captured: CapturedOutput, target: string): string[] {
  return captured.logs('Targets reconciled').map((line) => {
    const { targets } = line.report as { targets: { target: string; status: string }[] };
    return targets.find((report) => report.target === target)?.status ?? 'absent';
  });
}

/** One fault: what it breaks in a fresh world, and when the targets must have converged. */
interface FaultCase {
  readonly call: string;
  readonly fault: string;
  /**
   * The scheduled runs until every target holds the decisions: 1 when the fault is retried inside the run;
   * otherwise each failed call costs at most one run (the run reports it and leaves the rest to the next), and
   * fewer when a run meets both failures or one falls on a call whose failure is only logged (the status record).
   */
  readonly runs: 1 | 2 | 3;
  /** The deployment configuration the case needs, when not the test one. */
  readonly config?: unknown;
  /** Injected DescribeVpcs failures never met: the recorded CIDRs stand for a while once one is met. */
  readonly unmet?: number;
  inject(world: World): void;
}

const TWICE = 2;
/** Runs to converge when two DynamoDB requests of an operation fail with a server error (not retried here). */
const SERVER_ERROR_RUNS = { Query: 2, GetItem: 3, PutItem: 2 } as const satisfies Record<
  string,
  FaultCase['runs']
>;
const resolverError = (name: string) =>
  name === 'ThrottlingException'
    ? new ResolverThrottlingException({ $metadata: {}, message: 'Rate exceeded' })
    : new InternalServiceErrorException({ $metadata: {}, message: 'We encountered an internal error.' });
const firewallError = (name: string) =>
  name === 'ThrottlingException'
    ? new FirewallThrottlingException({ $metadata: {}, message: 'Rate exceeded' })
    : new InternalServerError({ $metadata: {}, message: 'Internal error' });

function resolverCase(command: CommandClass, call: string, fault: string, runs: FaultCase['runs']) {
  return {
    call,
    fault,
    runs,
    inject: (world: World) => world.fakes.resolver.failNext(command, () => resolverError(fault), TWICE),
  };
}

function firewallCase(command: CommandClass, call: string, fault: string): FaultCase {
  return {
    call,
    fault,
    runs: 1,
    inject: (world) => world.fakes.firewall.failNext(command, () => firewallError(fault), TWICE),
  };
}

// Throttling is retried inside the run by every adapter. A 5xx answer is retried by the SDK client's own
// standard retry strategy in Lambda; the mocked clients here bypass it, so this table shows what happens once
// those retries are spent too: Network Firewall retries server errors itself, the others leave it to the
// next run a minute later.
const FAULTS: readonly FaultCase[] = [
  ...['ProvisionedThroughputExceededException', 'ThrottlingException', 'InternalServerError'].flatMap(
    (code): FaultCase[] =>
      (['Query', 'GetItem', 'PutItem'] as const).map((operation) => ({
        call: `DynamoDB ${operation}`,
        fault: code,
        runs: code === 'InternalServerError' ? SERVER_ERROR_RUNS[operation] : 1,
        inject: (world) => {
          failDynamoDb(world.dynamodb, { operation, code, times: TWICE });
        },
      })),
  ),
  resolverCase(ListFirewallDomainsCommand, 'ListFirewallDomains', 'ThrottlingException', 1),
  resolverCase(ListFirewallDomainsCommand, 'ListFirewallDomains', 'InternalServiceErrorException', 3),
  resolverCase(GetFirewallDomainListCommand, 'GetFirewallDomainList', 'ThrottlingException', 1),
  resolverCase(GetFirewallDomainListCommand, 'GetFirewallDomainList', 'InternalServiceErrorException', 3),
  resolverCase(UpdateFirewallDomainsCommand, 'UpdateFirewallDomains', 'ThrottlingException', 1),
  resolverCase(UpdateFirewallDomainsCommand, 'UpdateFirewallDomains', 'InternalServiceErrorException', 3),
  ...['DescribeNetworkAcls', 'CreateNetworkAclEntry'].flatMap((call): FaultCase[] =>
    ['RequestLimitExceeded', 'InternalError'].map((code) => ({
      call,
      fault: code,
      runs: code === 'RequestLimitExceeded' ? 1 : 3,
      inject: (world) => {
        const ec2 = world.fakes.ec2;
        const failure = () => ec2Error(code, `injected ${code}`);
        ec2.failNext(
          call === 'DescribeNetworkAcls' ? DescribeNetworkAclsCommand : CreateNetworkAclEntryCommand,
          failure,
          TWICE,
        );
      },
    })),
  ),
  ...['RequestLimitExceeded', 'InternalError'].map(
    (code): FaultCase => ({
      call: 'DescribeVpcs',
      fault: code,
      // The CIDRs recorded before stand while EC2 fails, so nothing waits for it.
      runs: 1,
      unmet: code === 'RequestLimitExceeded' ? 0 : 1,
      config: { ...TEST_CONFIG, vpcs: [{ vpcId: VPC_ID, networkAcls: [ACL_ID] }] },
      inject: (world) => {
        // The CIDRs read when the decisions were seeded are trusted for a while: read them again.
        world.clock.advance(VPC_CIDRS_TTL_MS);
        world.describeVpcsFailures.push(ec2Error(code), ec2Error(code));
      },
    }),
  ),
  firewallCase(DescribeRuleGroupCommand, 'DescribeRuleGroup', 'ThrottlingException'),
  firewallCase(DescribeRuleGroupCommand, 'DescribeRuleGroup', 'InternalServerError'),
  firewallCase(UpdateRuleGroupCommand, 'UpdateRuleGroup', 'ThrottlingException'),
  firewallCase(UpdateRuleGroupCommand, 'UpdateRuleGroup', 'InternalServerError'),
];

describe('enforce under throttling and server errors on every call it makes', () => {
  let baseline: ReturnType<World['writes']>;

  beforeAll(async () => {
    const world = await createWorld();
    const output = captureOutput();
    await world.run();
    output.restore();
    baseline = world.writes();
  });

  it.each(FAULTS)(
    '$call failing twice with $fault: targets converge in $runs run(s), each entry written once',
    async ({ inject, runs, config, unmet = 0 }) => {
      // Prepare
      const world = await createWorld({ config });
      inject(world);
      const output = captureOutput();

      // Act
      const outcomes: string[] = [];
      const states: ReturnType<World['targets']>[] = [];
      // One run more than expected: convergence any later shows, and the run after it must change nothing.
      for (let i = 0; i <= runs; i++) {
        outcomes.push(await world.run());
        states.push(world.targets());
      }

      // Assess
      const convergedAt =
        states.findIndex((state) => JSON.stringify(state) === JSON.stringify(CONVERGED)) + 1;
      expect(convergedAt).toBe(runs);
      expect(states.slice(runs - 1)).toEqual(states.slice(runs - 1).map(() => CONVERGED));
      expect(world.writes()).toEqual(baseline);
      expect(world.describeVpcsFailures).toHaveLength(unmet);
      if (runs > 1) {
        // The failure is visible: the run fails (the store) or reports the target as failed.
        const failedTargets = output
          .logs('Targets reconciled')
          .filter((line) => JSON.stringify(line).includes('"status":"failed"')).length;
        const failedRuns = outcomes.filter((outcome) => outcome.startsWith('failed')).length;
        expect(failedTargets + failedRuns).toBe(runs - 1);
      }
    },
  );
});

describe('enforce against a concurrent writer, a stuck list, hand edits and a run cut off half-way', () => {
  it('re-describes and retries on InvalidTokenException from a concurrent writer, keeping that writer’s rule', async () => {
    // Prepare
    const world = await createWorld();
    const firewall = world.fakes.firewall;
    const describe = firewall.describe.bind(firewall);
    let raced = false;
    // Another writer updates the group between our describe and our update, once: our token goes stale.
    firewall.describe = (input) => {
      const response = describe(input);
      if (!raced) {
        raced = true;
        firewall.writeAsSomeoneElse(`${firewall.rules}\n${FOREIGN_RULE}`.trim());
      }
      return response;
    };
    captureOutput();

    // Act
    const outcome = await world.run();

    // Assess
    expect(outcome).toBe('completed');
    expect(raced).toBe(true);
    expect(world.targets()).toEqual(CONVERGED);
    expect(firewall.rules).toContain(FOREIGN_RULE);
    expect(world.writes().firewallWrites).toBe(1);
  });

  it('ends its run inside the budget while the domain list stays UPDATING, and the next run adds the domains', async () => {
    // Prepare
    const world = await createWorld();
    world.fakes.resolver.status = 'UPDATING';
    world.fakes.resolver.pollsLeft = Number.POSITIVE_INFINITY;
    const output = captureOutput();
    const started = world.clock.now().getTime() + MINUTE;

    // Act
    const first = await world.run(60_000);
    const afterFirst = world.targets();
    const elapsedMs = world.clock.now().getTime() - started;
    world.fakes.resolver.pollsLeft = 0;
    const second = await world.run(60_000);

    // Assess
    expect({ first, second }).toEqual({ first: 'completed', second: 'completed' });
    expect(elapsedMs).toBeLessThanOrEqual(60_000);
    expect(afterFirst).toEqual({ ...CONVERGED, domains: [] });
    expect(world.targets()).toEqual(CONVERGED);
    expect(world.writes().domainsAdded).toEqual([`*.${C2_DOMAIN}`, C2_DOMAIN]);
    expect(statusesOf(output, 'dnsFirewall')).toEqual(['partial', 'applied']);
  });

  it('puts back a deny entry deleted by hand and one edited by hand, keeping the edit (no longer its own), and says so', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();
    await world.run();
    const denies = world.fakes.ec2.egress(ACL_ID).filter((entry) => entry.RuleAction === 'deny');
    const [deleted, edited] = denies.filter((entry) => (entry.RuleNumber ?? 0) < 100);
    await world.fakes.ec2.delete({ NetworkAclId: ACL_ID, RuleNumber: deleted?.RuleNumber, Egress: true });
    await world.fakes.ec2.replace({
      NetworkAclId: ACL_ID,
      RuleNumber: edited?.RuleNumber,
      Egress: true,
      CidrBlock: '192.0.2.0/24',
      Protocol: '-1',
      RuleAction: 'deny',
    });

    // Act
    const outcome = await world.run();

    // Assess
    expect(outcome).toBe('completed');
    // The edited entry now holds someone else's deny: invariant 8 keeps it; both blocks are enforced again.
    expect(world.targets()).toEqual({ ...CONVERGED, denies: ['192.0.2.0/24', ...CONVERGED.denies] });
    const [, repaired] = output.logs('Targets reconciled');
    expect(JSON.stringify(repaired)).toContain('"drift"');
    expect(world.fakes.sns.published.map((message) => message.subject)).toContain(
      '[Egress Warden] DRIFT REPAIRED: 2 entries on networkAcls',
    );
  });

  it('finishes on the next run a run that died half-way through the network ACL, without writing twice or opening a gap', async () => {
    // Prepare
    const world = await createWorld();
    // The second entry's write never returns: the invocation dies there, as at the Lambda timeout.
    const ec2 = world.fakes.ec2;
    const create = ec2.create.bind(ec2);
    let creates = 0;
    ec2.create = async (input) => {
      if (++creates === 2) throw new Error('Task timed out after 60.00 seconds');
      return create(input);
    };
    const output = captureOutput();

    // Act
    await world.run();
    const afterFirst = world.targets();
    const writesAfterFirst = world.writes().aclWrites;
    await world.run();
    const afterSecond = world.targets();
    await world.run();

    // Assess
    expect(afterFirst.denies).toHaveLength(1);
    expect(afterFirst.denies.every((cidr) => CONVERGED.denies.includes(cidr))).toBe(true);
    expect({ domains: afterFirst.domains, firewall: afterFirst.firewall }).toEqual({
      domains: CONVERGED.domains,
      firewall: CONVERGED.firewall,
    });
    expect(afterSecond).toEqual(CONVERGED);
    expect(world.targets()).toEqual(CONVERGED);
    expect({ writesAfterFirst, total: world.writes().aclWrites }).toEqual({ writesAfterFirst: 1, total: 2 });
    expect(statusesOf(output, 'networkAcls')).toEqual(['failed', 'applied', 'unchanged']);
  });

  it('keeps every enforced block while the decision table is throttled, and enforces the new one once it recovers', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();
    await world.run();
    await handleEvent(loadEvent('detectors/dns-tunnel-signal.json'), await world.core.dependencies());
    const throttled = failDynamoDb(world.dynamodb, { operation: 'Query', code: 'ThrottlingException' });

    // Act
    const during = [await world.run(), await world.run(), await world.run()];
    const heldDuring = world.targets();
    throttled.recover();
    const after = await world.run();

    // Assess
    expect(during).toEqual(['failed: ThrottledError', 'failed: ThrottledError', 'failed: ThrottledError']);
    expect(heldDuring).toEqual(CONVERGED);
    expect(after).toBe('completed');
    expect(world.targets().domains).toEqual(
      [...CONVERGED.domains, '*.x7f3a9.tunnel-example.org.', 'x7f3a9.tunnel-example.org.'].sort(),
    );
    expect(output.logs('Enforce run failed')).toHaveLength(3);
  });
});

describe('enforce with the SNS topic gone', () => {
  it('still removes an expired block and keeps the others, recording and logging the alert it could not send', async () => {
    // Prepare
    const world = await createWorld({ topicGone: true });
    const output = captureOutput();
    await world.run();
    world.clock.advance(4 * 60 * MINUTE);

    // Act
    const outcome = await world.run();

    // Assess
    expect(outcome).toBe('completed');
    expect(world.targets()).toEqual({
      domains: [],
      denies: [MANUAL_IP],
      firewall: { ips: [MANUAL_IP], domains: [] },
    });
    const trail = (await world.core.store.listAudit(C2_DOMAIN)).map((record) => record.event);
    expect(trail).toEqual(expect.arrayContaining(['expired', 'alert-failed']));
    const [, report] = output.logs('Targets reconciled');
    expect(JSON.stringify(report)).toContain('NotFound');
  });
});
