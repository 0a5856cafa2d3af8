/**
 * The reconciliation core end to end on the AWS adapters: the DynamoDB store on dynalite, and Route 53
 * Resolver, EC2, Network Firewall and SNS clients backed by stateful fakes of those services. Signals come
 * from the sample GuardDuty findings under events/, through the same intake as the Lambda functions.
 */
import { CreateNetworkAclEntryCommand, DeleteNetworkAclEntryCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeRuleGroupCommand,
  InvalidTokenException,
  NetworkFirewallClient,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import {
  AccessDeniedException,
  ListFirewallDomainsCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SnsAlerts } from '#adapters/aws/alerts';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { ManualClock } from '#adapters/in-memory/clock';
import { parsePolicy } from '#domain/policy';
import { blockedByRules, parseOwnRules } from '#domain/reconcile/network-firewall-plan';
import { toCommands } from '#shared/intake/event';
import { type DecisionReport, decideSignal } from '#shared/use-cases/decide-signal';
import type { Dependencies } from '#shared/use-cases/dependencies';
import { type ReconcileReport, reconcile, type TargetReport } from '#shared/use-cases/enforce/reconcile';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { loadEvent, signalsOf } from '../support/events';
import { type FakeEc2NetworkAcls, fakeEc2NetworkAcls } from '../support/fakes/ec2-network-acls';
import {
  type FakeNetworkFirewall,
  fakeNetworkFirewall,
  RULE_GROUP_ARN,
} from '../support/fakes/network-firewall';
import {
  DOMAIN_LIST_ID,
  type FakeRoute53Resolver,
  fakeRoute53Resolver,
} from '../support/fakes/route53-resolver';
import { type FakeSns, fakeSns, TOPIC_ARN } from '../support/fakes/sns';
import { VPC_CONTEXT } from '../support/signals';

const C2_DOMAIN = 'guarddutyc2activityb.com';
const C2_IP = '198.51.100.77/32';
const ACL_ID = 'acl-0a1b2c3d4e5f60718';
const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
const START = new Date('2026-11-28T09:15:00.000Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;
const SAMPLE_FINDINGS = ['guardduty/c2-domain.json', 'guardduty/c2-ip-outbound.json'];
const $metadata = {};

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const resolverClient = new Route53ResolverClient({ region: 'eu-west-1', credentials });
const ec2Client = new EC2Client({ region: 'eu-west-1', credentials });
const firewallClient = new NetworkFirewallClient({ region: 'eu-west-1', credentials });
const snsClient = new SNSClient({ region: 'eu-west-1', credentials });
const resolverMock = mockClient(resolverClient);
const ec2Mock = mockClient(ec2Client);
const firewallMock = mockClient(firewallClient);
const snsMock = mockClient(snsClient);

const noWait = async () => {};

const policy = parsePolicy(
  {
    guardRails: { protectedCidrs: ['10.20.0.0/16'] },
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce' },
    },
  },
  VPC_CONTEXT,
);

/** Egress Warden wired on the AWS adapters, and the fakes behind them. */
interface World {
  readonly deps: Dependencies;
  readonly clock: ManualClock;
  readonly resolver: FakeRoute53Resolver;
  readonly ec2: FakeEc2NetworkAcls;
  readonly firewall: FakeNetworkFirewall;
  readonly sns: FakeSns;
}

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

beforeEach(() => {
  for (const mock of [resolverMock, ec2Mock, firewallMock, snsMock]) mock.reset();
});

/** A fresh table and fresh services: one domain list, one ACL that allows all egress, one empty rule group. */
async function createWorld(options: { maxDomains?: number } = {}): Promise<World> {
  const tableName = await dynalite.createTable();
  const clock = new ManualClock(START);
  const resolver = fakeRoute53Resolver(resolverMock, options);
  const ec2 = fakeEc2NetworkAcls(ec2Mock, [
    {
      aclId: ACL_ID,
      vpcId: VPC_ID,
      egress: [{ ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' }],
    },
  ]);
  const firewall = fakeNetworkFirewall(firewallMock, { capacity: 100 });
  const sns = fakeSns(snsMock);
  const deps: Dependencies = {
    policy,
    clock,
    store: new DynamoDbDecisionStore({ client: dynalite.doc, tableName, sleep: noWait }),
    alerts: new SnsAlerts({ client: snsClient, topicArn: TOPIC_ARN, sleep: noWait }),
    dnsFirewall: new Route53ResolverDomainList({
      client: resolverClient,
      domainListId: DOMAIN_LIST_ID,
      sleep: noWait,
      minIntervalMs: 0,
    }),
    networkAcls: new Ec2NetworkAcls({ client: ec2Client, aclIds: [ACL_ID], sleep: noWait }),
    networkFirewall: new AwsNetworkFirewallRuleGroup({
      client: firewallClient,
      ruleGroupArn: RULE_GROUP_ARN,
      sleep: noWait,
    }),
  };
  return { deps, clock, resolver, ec2, firewall, sns };
}

/** Decides the sample C2 findings (a domain and an outbound IP) through the intake, as the Lambda does. */
async function decideSampleFindings(world: World): Promise<DecisionReport[]> {
  const reports: DecisionReport[] = [];
  for (const path of SAMPLE_FINDINGS) {
    for (const signal of signalsOf(toCommands(loadEvent(path), world.deps.policy, world.clock.now()))) {
      reports.push(await decideSignal(signal, world.deps));
    }
  }
  return reports;
}

/** The sample findings decided and enforced once; the call histories start empty afterwards. */
async function blockedWorld(): Promise<World> {
  const world = await createWorld();
  await decideSampleFindings(world);
  await reconcile(world.deps);
  for (const mock of [resolverMock, ec2Mock, firewallMock, snsMock]) mock.resetHistory();
  world.sns.published.length = 0;
  return world;
}

function targetReport(report: ReconcileReport, target: TargetReport['target']): TargetReport {
  const found = report.targets.find((candidate) => candidate.target === target);
  if (!found) throw new Error(`no report for ${target}`);
  return found;
}

const OUR_ACL_DENY = {
  Egress: true,
  RuleNumber: 1,
  RuleAction: 'deny',
  Protocol: '-1',
  CidrBlock: C2_IP,
};
const USUAL_EGRESS = [
  { Egress: true, RuleNumber: 100, RuleAction: 'allow', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
  { Egress: true, RuleNumber: 32767, RuleAction: 'deny', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
  { Egress: true, RuleNumber: 32768, RuleAction: 'deny', Protocol: '-1', Ipv6CidrBlock: '::/0' },
];

describe('reconcile on the AWS adapters', () => {
  it('blocks the C2 domain and IP of the sample findings on every target and alerts on SNS', async () => {
    // Prepare
    const world = await createWorld();
    const decisions = await decideSampleFindings(world);

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(decisions.map(({ indicator, outcome }) => ({ indicator, outcome }))).toEqual([
      { indicator: C2_DOMAIN, outcome: 'blocked' },
      { indicator: C2_IP, outcome: 'blocked' },
    ]);
    // Each target's room, from what it read: the domain pair, the ACL's IPv4 entries (allow, default deny and
    // ours) and its IPv6 default, the rule group's three rules (two for the domain, one for the IP).
    expect(report.targets).toEqual([
      {
        target: 'dnsFirewall',
        mode: 'enforce',
        status: 'applied',
        changes: 1,
        held: 0,
        overflow: [],
        warnings: [],
        usage: [{ what: 'domains', used: 2, limit: 100_000 }],
        added: [C2_DOMAIN],
      },
      {
        target: 'networkAcls',
        mode: 'enforce',
        status: 'applied',
        changes: 1,
        held: 0,
        overflow: [],
        warnings: [],
        usage: [
          { what: `${ACL_ID} IPv4 egress entries`, used: 3, limit: 20 },
          { what: `${ACL_ID} IPv6 egress entries`, used: 1, limit: 20 },
        ],
        added: [C2_IP],
      },
      {
        target: 'networkFirewall',
        mode: 'enforce',
        status: 'applied',
        changes: 1,
        held: 0,
        overflow: [],
        warnings: [],
        usage: [
          { what: 'rule capacity', used: 3, limit: 100 },
          { what: 'rules bytes', used: Buffer.byteLength(world.firewall.rules, 'utf8'), limit: 2_000_000 },
        ],
        added: [C2_IP, C2_DOMAIN],
      },
    ]);
    expect(world.resolver.sortedDomains()).toEqual([`*.${C2_DOMAIN}.`, `${C2_DOMAIN}.`]);
    expect(resolverMock).toHaveReceivedCommandExactlyOnceWith(UpdateFirewallDomainsCommand, {
      FirewallDomainListId: DOMAIN_LIST_ID,
      Operation: 'ADD',
      Domains: [`*.${C2_DOMAIN}`, C2_DOMAIN],
    });
    expect(ec2Mock.commandCalls(CreateNetworkAclEntryCommand).map((call) => call.args[0].input)).toEqual([
      {
        NetworkAclId: ACL_ID,
        RuleNumber: 1,
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: true,
        CidrBlock: C2_IP,
      },
    ]);
    expect(world.ec2.egress(ACL_ID)).toEqual([OUR_ACL_DENY, ...USUAL_EGRESS]);
    expect(blockedByRules(world.firewall.rules)).toEqual({ ips: [C2_IP], domains: [C2_DOMAIN] });
    const rules = world.firewall.rules.split('\n');
    expect(rules).toHaveLength(3);
    expect(rules.every((rule) => rule.startsWith('drop '))).toBe(true);
    expect(rules.find((rule) => rule.startsWith('drop ip '))).toMatch(
      `drop ip any any -> [${C2_IP}] any (msg:"egress-warden block ip 1";`,
    );
    const subjects = world.sns.published.map((message) => message.subject ?? '');
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toContain(`BLOCKED ${C2_DOMAIN}`);
    expect(subjects[1]).toContain(`BLOCKED ${C2_IP}`);
    for (const subject of subjects) {
      expect(subject.length).toBeLessThanOrEqual(99);
      expect(subject).not.toMatch(/[\r\n]/);
    }
    expect(world.sns.published.every((message) => message.topicArn === TOPIC_ARN)).toBe(true);
  });

  it('sends no write command on a second reconcile', async () => {
    // Prepare
    const world = await blockedWorld();

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(report.targets.map(({ status, changes }) => ({ status, changes }))).toEqual([
      { status: 'unchanged', changes: 0 },
      { status: 'unchanged', changes: 0 },
      { status: 'unchanged', changes: 0 },
    ]);
    expect(resolverMock).not.toHaveReceivedCommand(UpdateFirewallDomainsCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateNetworkAclEntryCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DeleteNetworkAclEntryCommand);
    expect(firewallMock).not.toHaveReceivedCommand(UpdateRuleGroupCommand);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('removes the blocks from every target 4 h later and marks them expired in the store', async () => {
    // Prepare
    const world = await blockedWorld();
    world.clock.advance(4 * HOUR + MINUTE);

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(report.ended.map(({ indicator, outcome }) => ({ indicator, outcome }))).toEqual(
      expect.arrayContaining([
        { indicator: C2_DOMAIN, outcome: 'unblocked' },
        { indicator: C2_IP, outcome: 'unblocked' },
      ]),
    );
    expect(report.ended).toHaveLength(2);
    expect(report.targets.map(({ status }) => status)).toEqual(['applied', 'applied', 'applied']);
    expect(resolverMock).toHaveReceivedCommandExactlyOnceWith(UpdateFirewallDomainsCommand, {
      FirewallDomainListId: DOMAIN_LIST_ID,
      Operation: 'REMOVE',
      Domains: [`*.${C2_DOMAIN}`, C2_DOMAIN],
    });
    expect(world.resolver.sortedDomains()).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DeleteNetworkAclEntryCommand, {
      NetworkAclId: ACL_ID,
      RuleNumber: 1,
      Egress: true,
    });
    expect(world.ec2.egress(ACL_ID)).toEqual(USUAL_EGRESS);
    expect(firewallMock).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 1);
    const written = firewallMock.commandCalls(UpdateRuleGroupCommand)[0]?.args[0].input;
    expect(parseOwnRules(written?.RuleGroup?.RulesSource?.RulesString ?? 'missing').own).toEqual([]);
    expect(world.firewall.rules).toBe('');
    for (const key of [C2_DOMAIN, C2_IP]) {
      expect(await world.deps.store.get(key)).toMatchObject({ status: 'expired', version: 2 });
      expect((await world.deps.store.listAudit(key)).map((record) => record.event)).toContain('expired');
    }
    expect(await world.deps.store.listActive()).toEqual([]);
    expect(world.sns.published.map((message) => message.subject).sort()).toEqual([
      `[Egress Warden] EXPIRED ${C2_IP} (C2 IP, severity 8)`,
      `[Egress Warden] EXPIRED ${C2_DOMAIN} (C2 domain, severity 8)`,
    ]);
  });

  it('absorbs a stale update token on the rule group: describes again, plans again, writes once more', async () => {
    // Prepare
    const world = await createWorld();
    await decideSampleFindings(world);
    world.firewall.failNext(
      UpdateRuleGroupCommand,
      new InvalidTokenException({ $metadata, message: "The token you provided is stale or isn't valid." }),
    );

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(targetReport(report, 'networkFirewall')).toMatchObject({
      target: 'networkFirewall',
      mode: 'enforce',
      status: 'applied',
      changes: 1,
      held: 0,
      overflow: [],
      warnings: [],
    });
    expect(firewallMock).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 2);
    expect(firewallMock).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 2);
    expect(blockedByRules(world.firewall.rules)).toEqual({ ips: [C2_IP], domains: [C2_DOMAIN] });
  });

  it('keeps the rule another writer added between our describe and our update, and adds ours after it', async () => {
    // Prepare
    const world = await createWorld();
    await decideSampleFindings(world);
    const theirs =
      'pass tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:"ok.example.com"; sid:7; rev:1;)';
    world.firewall.failNext(UpdateRuleGroupCommand, () => {
      world.firewall.writeAsSomeoneElse(theirs);
      return new InvalidTokenException({
        $metadata,
        message: "The token you provided is stale or isn't valid.",
      });
    });

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(targetReport(report, 'networkFirewall').status).toBe('applied');
    expect(firewallMock).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 2);
    const [first = '', ...ours] = world.firewall.rules.split('\n');
    expect(first).toBe(theirs);
    expect(ours).toHaveLength(3);
    expect(blockedByRules(world.firewall.rules)).toEqual({ ips: [C2_IP], domains: [C2_DOMAIN] });
  });

  it('reports a DNS Firewall that keeps refusing writes, still blocks on the others, and repairs it next time', async () => {
    // Prepare
    const world = await createWorld();
    await decideSampleFindings(world);
    world.resolver.failAlways(
      UpdateFirewallDomainsCommand,
      new AccessDeniedException({
        $metadata,
        message:
          'User: arn:aws:sts::123456789012:assumed-role/enforce is not authorized to perform: route53resolver:UpdateFirewallDomains',
      }),
    );

    // Act
    const failed = await reconcile(world.deps);
    world.resolver.recover();
    const repaired = await reconcile(world.deps);

    // Assess
    expect(targetReport(failed, 'dnsFirewall')).toEqual({
      target: 'dnsFirewall',
      mode: 'enforce',
      status: 'failed',
      changes: 0,
      held: 0,
      overflow: [],
      warnings: [],
      error: expect.stringMatching(
        /^AccessDeniedException: .*not authorized to perform: route53resolver:UpdateFirewallDomains$/,
      ),
    });
    expect(targetReport(failed, 'networkAcls').status).toBe('applied');
    expect(targetReport(failed, 'networkFirewall').status).toBe('applied');
    expect(world.ec2.egress(ACL_ID)).toContainEqual(OUR_ACL_DENY);
    expect(blockedByRules(world.firewall.rules).ips).toEqual([C2_IP]);
    expect(world.sns.published.map((message) => message.subject)).toContain(
      '[Egress Warden] FAILED to update dnsFirewall',
    );
    expect(repaired.targets.map(({ status }) => status)).toEqual(['applied', 'unchanged', 'unchanged']);
    expect(world.resolver.sortedDomains()).toEqual([`*.${C2_DOMAIN}.`, `${C2_DOMAIN}.`]);
  });

  it('alerts a failing target once per repeat interval across runs, and at once when it fails again after recovering', async () => {
    // Prepare
    const world = await createWorld();
    await decideSampleFindings(world);
    const denied = new AccessDeniedException({
      $metadata,
      message: 'not authorized (request 1f0e2d3c-4b5a-4968-8776-655443322110)',
    });
    world.resolver.failAlways(UpdateFirewallDomainsCommand, denied);
    const failedAlerts = () =>
      world.sns.published.filter(
        (message) => message.subject === '[Egress Warden] FAILED to update dnsFirewall',
      ).length;

    // Act
    const counts: number[] = [];
    for (const step of [0, MINUTE, 58 * MINUTE, 2 * MINUTE]) {
      world.clock.advance(step);
      await reconcile(world.deps);
      counts.push(failedAlerts());
    }
    world.resolver.recover();
    world.clock.advance(MINUTE);
    await reconcile(world.deps);
    // Converged now, so the next run only reads the list: the same refusal, on the read this time.
    world.resolver.failAlways(ListFirewallDomainsCommand, denied);
    world.clock.advance(MINUTE);
    await reconcile(world.deps);
    counts.push(failedAlerts());

    // Assess
    expect(counts).toEqual([1, 1, 1, 2, 3]);
  });

  it('reports a domain quota reached on ADD as overflow, not as a failure', async () => {
    // Prepare
    const world = await createWorld({ maxDomains: 1 });
    await decideSampleFindings(world);

    // Act
    const report = await reconcile(world.deps);

    // Assess
    expect(targetReport(report, 'dnsFirewall')).toEqual({
      target: 'dnsFirewall',
      mode: 'enforce',
      status: 'unchanged',
      changes: 0,
      held: 0,
      overflow: [C2_DOMAIN],
      warnings: [],
      usage: [{ what: 'domains', used: 0, limit: 100_000 }],
    });
    expect(resolverMock).toHaveReceivedCommandTimes(UpdateFirewallDomainsCommand, 1);
    expect(world.resolver.sortedDomains()).toEqual([]);
    expect(targetReport(report, 'networkAcls').status).toBe('applied');
    expect(targetReport(report, 'networkFirewall').status).toBe('applied');
    expect(await world.deps.store.get(C2_DOMAIN)).toMatchObject({
      status: 'active',
      overflow: ['dnsFirewall'],
    });
    expect(world.sns.published.map((message) => message.subject)).toContain(
      '[Egress Warden] OVERFLOW on dnsFirewall: blocks that do not fit',
    );
  });
});
