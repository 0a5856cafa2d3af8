/**
 * A burst of Threat Signals through the real `decide` handler (SQS batches of 10, the event source's maximum
 * concurrency of 5 as five batch loops) on dynalite, then the reconcile that follows on the AWS adapters over
 * stateful fakes of Route 53 Resolver, EC2 and Network Firewall. The breaker must trip at the configured rate,
 * what passed before it must reach the targets, the rest is shadowed and alerted in digests, and the
 * reconcile must keep to the targets' documented API rates (shared/reference/aws-facts.md).
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateNetworkAclEntryCommand, EC2Client } from '@aws-sdk/client-ec2';
import { NetworkFirewallClient, UpdateRuleGroupCommand } from '@aws-sdk/client-network-firewall';
import {
  GetFirewallDomainListCommand,
  ListFirewallDomainsCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { ManualClock } from '#adapters/in-memory/clock';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { createAwsCore } from '#shared/composition/aws';
import { parseEnvironment } from '#shared/config/environment';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { createDecideHandler } from '../../functions/decide/handler';
import { loadEvent, type ThreatSignalEvent } from '../support/events';
import { fakeEc2NetworkAcls } from '../support/fakes/ec2-network-acls';
import { fakeNetworkFirewall, RULE_GROUP_ARN } from '../support/fakes/network-firewall';
import { DOMAIN_LIST_ID, fakeRoute53Resolver } from '../support/fakes/route53-resolver';
import { fakeSns } from '../support/fakes/sns';
import { useFunctionHooks } from '../support/function-hooks';
import {
  ACL_ID,
  captureOutput,
  lambdaContext,
  lambdaEnvironment,
  sqsRecord,
  VPC_ID,
} from '../support/lambda-events';
import { sized } from './long';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const START = new Date('2026-11-28T10:00:00.000Z');
const SIGNALS = sized(1_000, 10_000);
const BATCH_SIZE = 10;
const CONCURRENCY = 5;
const BREAKER_LIMIT = 50;
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const CONFIG = {
  vpcs: [{ vpcId: VPC_ID, cidrs: ['10.20.0.0/16'], networkAcls: [ACL_ID] }],
  targets: { networkFirewall: { capacity: 1000 } },
  policy: {
    breaker: { maxNewBlocksPerHour: BREAKER_LIMIT },
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce', domainRules: true },
    },
  },
};

const { dynalite } = useFunctionHooks();

/** The i-th signal of the burst: every tenth an address, the rest domains, each indicator once. */
function threatSignal(i: number): SQSRecord {
  const event = loadEvent<ThreatSignalEvent>('detectors/dns-tunnel-signal.json');
  const n = i / 10;
  // Addresses from the benchmarking range 198.18.0.0/15, so none is a guard rail's.
  const indicator = i % 10 === 0 ? `198.18.${n >> 8}.${n & 255}` : `c2-${i}.flood-example.org`;
  event.id = `flood-${i}`;
  event.detail = { ...event.detail, indicator, evidence: { summary: `flood signal ${i}` } };
  return sqsRecord(JSON.stringify(event), `flood-${i}`);
}

/**
 * SQS as the event source sees it: batches taken by `CONCURRENCY` pollers, each invoking its own container
 * (a container runs one invocation at a time), failed records redelivered.
 */
async function drain(
  records: readonly SQSRecord[],
  containers: readonly ((records: SQSRecord[]) => Promise<SQSBatchResponse>)[],
): Promise<{ batches: number; redelivered: number }> {
  const queue = [...records];
  let batches = 0;
  let redelivered = 0;
  const poller = async (invoke: (records: SQSRecord[]) => Promise<SQSBatchResponse>) => {
    for (let batch = queue.splice(0, BATCH_SIZE); batch.length > 0; batch = queue.splice(0, BATCH_SIZE)) {
      batches++;
      const { batchItemFailures } = await invoke(batch);
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      redelivered += failed.size;
      queue.push(...batch.filter((record) => failed.has(record.messageId)));
    }
  };
  await Promise.all(containers.map(poller));
  return { batches, redelivered };
}

/** How many blocks and shadowed blocks the alerts tell of, digests counted by their rows. */
function alertedOutcomes(subjects: readonly string[]): { blocked: number; wouldBlock: number } {
  const total = { blocked: 0, wouldBlock: 0 };
  for (const subject of subjects) {
    const digest = /DIGEST of \d+ alerts: (.*)$/.exec(subject)?.[1];
    if (digest === undefined) {
      if (/\] BLOCKED /.test(subject)) total.blocked++;
      if (/\] WOULD BLOCK /.test(subject)) total.wouldBlock++;
      continue;
    }
    total.blocked += Number(/(\d+) BLOCKED/.exec(digest)?.[1] ?? 0);
    total.wouldBlock += Number(/(\d+) WOULD BLOCK/.exec(digest)?.[1] ?? 0);
  }
  return total;
}

describe(`a burst of ${SIGNALS} signals through decide`, () => {
  it(
    'trips the breaker at its limit, enforces what passed, shadows and digests the rest, within the targets’ API rates',
    async () => {
      // Prepare
      const tableName = await dynalite.createTable();
      const environment = parseEnvironment(lambdaEnvironment(tableName, CONFIG));
      const snsClient = new SNSClient({ region: 'us-east-1', credentials });
      const sns = fakeSns(mockClient(snsClient));
      const clock = new ManualClock(START);
      const coreOfContainer = () =>
        createAwsCore(environment, {
          dynamodb: new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials }),
          sns: snsClient,
          clock,
        });
      const containers = Array.from({ length: CONCURRENCY }, () => {
        const handler = createDecideHandler(coreOfContainer());
        return (batch: SQSRecord[]) =>
          handler({ Records: batch }, lambdaContext('decide')) as Promise<SQSBatchResponse>;
      });
      const core = coreOfContainer();
      const records = Array.from({ length: SIGNALS }, (_, i) => threatSignal(i));
      const output = captureOutput();

      // Act: the burst
      const started = performance.now();
      const { batches, redelivered } = await drain(records, containers).finally(() => output.restore());
      const drainMs = performance.now() - started;

      // Assess: the breaker and the decisions
      const store = core.store;
      const breaker = await store.getBreaker();
      expect(breaker.open).toBe(true);
      expect(breaker.recentBlocks.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(BREAKER_LIMIT);
      const active = await store.listActiveBlocks();
      expect(active).toHaveLength(BREAKER_LIMIT);
      expect(redelivered).toBe(0);
      const subjects = sns.published.map((message) => message.subject ?? '');
      const breakerAlerts = subjects.filter((subject) => subject.includes('BREAKER OPEN'));
      expect(breakerAlerts).toHaveLength(1);
      expect(sns.published.length).toBeLessThanOrEqual(batches + 1);
      expect(subjects.filter((subject) => subject.includes('DIGEST')).length).toBeGreaterThan(0);
      expect(alertedOutcomes(subjects)).toEqual({
        blocked: BREAKER_LIMIT,
        wouldBlock: SIGNALS - BREAKER_LIMIT,
      });
      expect(await store.listAudit(`c2-${SIGNALS - 1}.flood-example.org`)).toEqual([
        expect.objectContaining({ event: 'alerted', reason: expect.stringContaining('WOULD BLOCK') }),
      ]);

      // Act: the reconcile that follows, on fakes of the targets, with the adapters' real request spacing
      const resolverClient = new Route53ResolverClient({ region: 'us-east-1', credentials });
      const ec2Client = new EC2Client({ region: 'us-east-1', credentials });
      const firewallClient = new NetworkFirewallClient({ region: 'us-east-1', credentials });
      const resolverMock = mockClient(resolverClient);
      const ec2Mock = mockClient(ec2Client);
      const firewallMock = mockClient(firewallClient);
      const resolver = fakeRoute53Resolver(resolverMock, { pollsWhileUpdating: 2 });
      const ec2 = fakeEc2NetworkAcls(ec2Mock, [
        {
          aclId: ACL_ID,
          vpcId: VPC_ID,
          egress: [{ ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' }],
        },
      ]);
      const firewall = fakeNetworkFirewall(firewallMock, { capacity: 1000 });
      // The mock replaces the client's middleware stack, so each request is timed where the fake answers it.
      const resolverCalls: number[] = [];
      const timed =
        <I, O>(answer: (input: I) => O) =>
        (input: I): O => {
          resolverCalls.push(performance.now());
          return answer(input);
        };
      resolverMock.on(ListFirewallDomainsCommand).callsFake(timed((input) => resolver.list(input)));
      resolverMock.on(GetFirewallDomainListCommand).callsFake(timed((input) => resolver.get(input)));
      resolverMock.on(UpdateFirewallDomainsCommand).callsFake(timed((input) => resolver.update(input)));
      const deps = {
        ...(await core.dependencies()),
        dnsFirewall: new Route53ResolverDomainList({ client: resolverClient, domainListId: DOMAIN_LIST_ID }),
        networkAcls: new Ec2NetworkAcls({ client: ec2Client, aclIds: [ACL_ID] }),
        networkFirewall: new AwsNetworkFirewallRuleGroup({
          client: firewallClient,
          ruleGroupArn: RULE_GROUP_ARN,
        }),
      };
      const report = await reconcile(deps);

      // Assess: what passed before the breaker is enforced
      const blockedDomains = active.map((block) => block.key).filter((key) => !/^\d/.test(key));
      const blockedAddresses = active.map((block) => block.key).filter((key) => /^\d/.test(key));
      // Each blocked domain is listed with its `*.` wildcard, which covers its subdomains.
      const listed = new Set([...resolver.domains].map((domain) => domain.replace(/^\*\./, '').slice(0, -1)));
      expect([...listed].sort()).toEqual(blockedDomains.sort());
      const onFirewall = blockedByRules(firewall.rules);
      const onAcl = ec2
        .egress(ACL_ID)
        .filter((entry) => entry.RuleAction === 'deny' && (entry.RuleNumber ?? 0) < 32767)
        .map((entry) => entry.CidrBlock);
      const enforced = new Set([...onFirewall.ips, ...onAcl].map((cidr) => cidr?.replace(/\/32$/, '')));
      expect(blockedAddresses.filter((key) => !enforced.has(key.replace(/\/32$/, '')))).toEqual([]);
      expect(report.targets.every((target) => target.error === undefined)).toBe(true);
      // ... within the documented rates: Resolver ≈ 5 requests/s, spaced by the adapter
      const gaps = resolverCalls.slice(1).map((at, i) => at - (resolverCalls[i] ?? 0));
      expect(resolverCalls.length).toBeGreaterThan(2);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(195);
      const ec2Calls = ec2Mock.calls().length;
      const firewallCalls = firewallMock.calls().length;
      console.info(
        `burst of ${SIGNALS}: ${batches} batches drained in ${Math.round(drainMs)} ms ` +
          `(${Math.round((SIGNALS / drainMs) * 1000)} signals/s), ${sns.published.length} SNS messages; ` +
          `reconcile: Resolver ${resolverCalls.length} requests (min gap ${Math.round(Math.min(...gaps))} ms), ` +
          `EC2 ${ec2Calls}, Network Firewall ${firewallCalls}`,
      );
      // ... and one write per change on the others: the rule group replaced once, one ACL entry per deny.
      expect(firewallMock.commandCalls(UpdateRuleGroupCommand)).toHaveLength(1);
      expect(ec2Mock.commandCalls(CreateNetworkAclEntryCommand)).toHaveLength(onAcl.length);
    },
    sized(60_000, 900_000),
  );
});
