/**
 * The `enforce` function through its real middy chain: decisions written to dynalite by the same use case as
 * `decide`, then a DynamoDB stream batch or a scheduled event; Route 53 Resolver, EC2, Network Firewall and
 * SNS on the stateful fakes. Powertools' log and EMF lines are read from stdout.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { AccessDeniedException, UpdateFirewallDomainsCommand } from '@aws-sdk/client-route53resolver';
import { describe, expect, it, vi } from 'vitest';
import { decisionKey } from '#adapters/aws/decision-table';
import { ManualClock } from '#adapters/in-memory/clock';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { createAwsEnforceCore, createAwsTargets, VPC_CIDRS_TTL_MS } from '#shared/composition/aws';
import { ENVIRONMENT, parseEnvironment } from '#shared/config/environment';
import { ENFORCE_END_MARGIN_MS } from '#shared/runtime/enforce-run';
import { METRICS } from '#shared/runtime/observability';
import { handleEvent } from '#shared/use-cases/handle-event';
import { createEnforceHandler } from '../../functions/enforce/handler';
import { fakeEnforceTargets } from '../support/enforce-targets';
import { loadEvent } from '../support/events';
import { useFunctionHooks } from '../support/function-hooks';
import {
  ACL_ID,
  lambdaContext,
  lambdaEnvironment,
  scheduledEvent,
  streamEventOf,
  TEST_CONFIG,
  VPC_ID,
} from '../support/lambda-events';

// The module builds its handler from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { lambdaEnvironment } = await import('../support/lambda-events');
  for (const [name, value] of Object.entries(lambdaEnvironment('decisions'))) vi.stubEnv(name, value);
});

const START = new Date('2026-11-28T10:00:00.000Z');
const HOUR = 3_600_000;
const C2_DOMAIN = 'guarddutyc2activityb.com';
const C2_IP = '198.51.100.77/32';
const MANUAL_IP = '203.0.113.45/32';
const SAMPLES = ['guardduty/c2-domain.json', 'guardduty/c2-ip-outbound.json', 'manual/block-request.json'];
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const region = 'us-east-1';

const { dynalite, captureOutput } = useFunctionHooks();

/**
 * A fresh table with the sample decisions, the fakes of every target, and the handler on them; `config`
 * replaces the test deployment's, and DescribeVpcs reports `vpcCidrs` (changeable) for the test VPC.
 */
async function createWorld(config: unknown = TEST_CONFIG) {
  const tableName = await dynalite.createTable();
  const dynamodb = new DynamoDBClient({ endpoint: dynalite.endpoint, region, credentials });
  const { clients, resolverMock, ec2Mock, vpcCidrs, fakes } = fakeEnforceTargets();
  const clock = new ManualClock(START);
  const contextWrites = countPutItems(dynamodb, 'CONTEXT');
  const core = createAwsEnforceCore(parseEnvironment(lambdaEnvironment(tableName, config)), {
    dynamodb,
    clock,
    ...clients,
  });
  const handler = createEnforceHandler(core, createAwsTargets(core, clients));
  for (const path of SAMPLES) await handleEvent(loadEvent(path), await core.dependencies());
  const invoke = (event: unknown, requestId?: string, remainingMs?: number) => {
    const context = lambdaContext('enforce', requestId);
    if (remainingMs !== undefined) context.getRemainingTimeInMillis = () => remainingMs;
    return handler(event as never, context) as Promise<void>;
  };
  /** The decision items as DynamoDB holds them, as the stream carries them. */
  const items = async () =>
    Promise.all(
      [C2_DOMAIN, C2_IP, MANUAL_IP].map(async (key) => {
        const { Item } = await dynamodb.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: decisionKey(key).pk }, sk: { S: 'DECISION' } },
          }),
        );
        if (!Item) throw new Error(`no decision item for ${key}`);
        return Item;
      }),
    );
  /** What the targets hold, and how often they were written. */
  const targets = () => ({
    domains: fakes.resolver.sortedDomains(),
    denies: fakes.ec2
      .egress(ACL_ID)
      .filter((entry) => entry.RuleAction === 'deny' && (entry.RuleNumber ?? 0) < 100)
      .map((entry) => entry.CidrBlock)
      .sort(),
    firewall: blockedByRules(fakes.firewall.rules),
    aclWrites: fakes.ec2.history(ACL_ID).length,
    domainWrites: resolverMock.commandCalls(UpdateFirewallDomainsCommand).length,
    firewallToken: fakes.firewall.token,
  });
  return { core, clock, dynamodb, ec2Mock, vpcCidrs, contextWrites, fakes, invoke, items, targets };
}

/** Counts the PutItem requests `dynamodb` sends for items whose partition key is `partitionKey`. */
function countPutItems(dynamodb: DynamoDBClient, partitionKey: string): { count: number } {
  const counter = { count: 0 };
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: string | Uint8Array };
      const target = request.headers?.['x-amz-target'] ?? '';
      const body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
      if (target.endsWith('.PutItem') && body.includes(`"pk":{"S":"${partitionKey}"}`)) {
        counter.count++;
      }
      return next(args);
    },
    { step: 'build', name: `count-${partitionKey}` },
  );
  return counter;
}

/** Makes every Query fail as throttled on `dynamodb`. */
function throttleQueries(dynamodb: DynamoDBClient): void {
  dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers?.['x-amz-target']?.endsWith('.Query')) {
        throw Object.assign(new Error('Throughput exceeds the current capacity of your table or index.'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: 'build', name: 'throttle-queries' },
  );
}

describe('enforce', () => {
  it('converges every target on a stream batch of decision items, and a scheduled run then changes nothing', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    await world.invoke(streamEventOf(await world.items()));
    const afterStream = world.targets();
    await world.invoke(scheduledEvent('2026-11-28T10:01:00Z'));

    // Assess
    expect(afterStream).toMatchObject({
      domains: [`*.${C2_DOMAIN}.`, `${C2_DOMAIN}.`],
      denies: [C2_IP, MANUAL_IP],
      firewall: { ips: [C2_IP, MANUAL_IP], domains: [C2_DOMAIN] },
    });
    expect(world.targets()).toEqual(afterStream);
    const reports = output.logs('Targets reconciled');
    expect(reports.map((line) => line.trigger)).toEqual(['stream', 'schedule']);
    expect(reports[1]).toMatchObject({
      breakerOpen: false,
      report: {
        targets: [
          { target: 'dnsFirewall', status: 'unchanged', changes: 0 },
          { target: 'networkAcls', status: 'unchanged', changes: 0 },
          { target: 'networkFirewall', status: 'unchanged', changes: 0 },
        ],
      },
    });
  });

  it('ends the blocks whose expiry the clock passed, on every target, and keeps the others', async () => {
    // Prepare
    const world = await createWorld();
    await world.invoke(scheduledEvent('2026-11-28T10:00:00Z'));
    world.clock.advance(5 * HOUR);
    const output = captureOutput();

    // Act
    await world.invoke(scheduledEvent('2026-11-28T15:00:00Z'), 'req-expiry');

    // Assess
    expect(world.targets()).toMatchObject({
      domains: [],
      denies: [MANUAL_IP],
      firewall: { ips: [MANUAL_IP], domains: [] },
    });
    expect((await world.core.store.get(C2_DOMAIN))?.status).toBe('expired');
    expect((await world.core.store.get(MANUAL_IP))?.status).toBe('active');
    expect(output.logs('Block ended')).toMatchObject([
      { function_request_id: 'req-expiry', indicator: C2_IP, decision: { outcome: 'unblocked' } },
      { function_request_id: 'req-expiry', indicator: C2_DOMAIN, decision: { outcome: 'unblocked' } },
    ]);
    expect(world.fakes.sns.published.some((message) => message.subject?.includes(C2_DOMAIN))).toBe(true);
  });

  it('publishes overflow, target errors, the breaker state and the run duration, a failing target included', async () => {
    // Prepare
    const world = await createWorld();
    world.fakes.resolver.failAlways(
      UpdateFirewallDomainsCommand,
      new AccessDeniedException({ $metadata: {}, message: 'not authorized' }),
    );
    const output = captureOutput();

    // Act
    await world.invoke(scheduledEvent('2026-11-28T10:00:00Z'));

    // Assess
    const [line] = output.metric(METRICS.enforceDuration);
    expect(line).toMatchObject({
      service: 'egress-warden',
      [METRICS.overflow]: 0,
      [METRICS.targetErrors]: 1,
      [METRICS.breakerOpen]: 0,
      [METRICS.enforceDuration]: expect.any(Number),
      _aws: { CloudWatchMetrics: [{ Namespace: 'EgressWarden', Dimensions: [['service']] }] },
    });
    expect(world.targets()).toMatchObject({ domains: [], denies: [C2_IP, MANUAL_IP] });
  });

  it('stops short of the Lambda deadline, says what is left, and the next run with time enough finishes', async () => {
    // Prepare
    const world = await createWorld();
    const output = captureOutput();

    // Act
    await world.invoke(scheduledEvent('2026-11-28T10:00:00Z'), undefined, ENFORCE_END_MARGIN_MS + 1_000);
    const cutShort = world.targets();
    await world.invoke(scheduledEvent('2026-11-28T10:01:00Z'), undefined, 120_000);

    // Assess
    expect(cutShort).toMatchObject({ domains: [], denies: [], firewall: { ips: [], domains: [] } });
    expect(output.logs('Enforce run cut short')).toMatchObject([
      {
        level: 'WARN',
        left: { dnsFirewall: 1, networkAcls: 1, networkFirewall: 1 },
        report: {
          cutShort: true,
          targets: [{ status: 'partial' }, { status: 'partial' }, { status: 'partial' }],
        },
      },
    ]);
    expect(output.metric(METRICS.enforceCutShort).map((line) => line[METRICS.enforceCutShort])).toEqual([
      1, 0,
    ]);
    expect(world.targets()).toMatchObject({
      domains: [`*.${C2_DOMAIN}.`, `${C2_DOMAIN}.`],
      denies: [C2_IP, MANUAL_IP],
      firewall: { ips: [C2_IP, MANUAL_IP], domains: [C2_DOMAIN] },
    });
  });

  it('does not fail a stream batch when reconcile fails, but fails the scheduled run that redoes it', async () => {
    // Prepare
    const world = await createWorld();
    const stream = streamEventOf(await world.items());
    throttleQueries(world.dynamodb);
    const output = captureOutput();

    // Act
    const streamRun = await world.invoke(stream).then(
      () => 'resolved',
      (error: Error) => error.name,
    );
    const scheduledRun = await world.invoke(scheduledEvent('2026-11-28T10:01:00Z')).then(
      () => 'resolved',
      (error: Error) => error.name,
    );

    // Assess
    expect({ streamRun, scheduledRun }).toEqual({ streamRun: 'resolved', scheduledRun: 'ThrottledError' });
    expect(output.logs('Enforce run failed')).toMatchObject([
      { level: 'ERROR', trigger: 'stream', error: { name: 'ThrottledError' } },
      { level: 'ERROR', trigger: 'schedule', error: { name: 'ThrottledError' } },
    ]);
    expect(world.targets()).toMatchObject({ domains: [], denies: [] });
  });

  it('refuses an event that is neither a stream batch nor the schedule, naming what it is not', async () => {
    // Prepare
    const world = await createWorld();
    captureOutput();

    // Act
    const run = world.invoke({ 'detail-type': 'Block Request', source: 'egress-warden.manual' });

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInputError', field: 'event' });
    expect(world.targets()).toMatchObject({ domains: [], denies: [] });
  });
});

describe('enforce with a VPC whose CIDRs are read from EC2', () => {
  const config = { ...TEST_CONFIG, vpcs: [{ vpcId: VPC_ID, networkAcls: [ACL_ID] }] };

  it('records the CIDRs the first time it reads them, and not again while they are unchanged', async () => {
    // Prepare
    const world = await createWorld(config);

    // Act
    await world.invoke(scheduledEvent('2026-11-28T10:01:00Z'));
    world.clock.advance(VPC_CIDRS_TTL_MS);
    await world.invoke(scheduledEvent('2026-11-28T10:06:00Z'));
    world.clock.advance(VPC_CIDRS_TTL_MS);
    await world.invoke(scheduledEvent('2026-11-28T10:11:00Z'));

    // Assess
    expect(world.ec2Mock.commandCalls(DescribeVpcsCommand)).toHaveLength(3);
    expect(world.contextWrites.count).toBe(1);
    expect(await world.core.store.getVpcCidrs()).toStrictEqual({
      vpcIds: [VPC_ID],
      cidrs: ['10.20.0.0/16'],
      readAt: START.toISOString(),
    });
  });

  it('records them again when DescribeVpcs reports a new CIDR after the TTL', async () => {
    // Prepare
    const world = await createWorld(config);
    await world.invoke(scheduledEvent('2026-11-28T10:01:00Z'));
    world.vpcCidrs.push('10.21.0.0/16');

    // Act
    world.clock.advance(VPC_CIDRS_TTL_MS);
    await world.invoke(scheduledEvent('2026-11-28T10:06:00Z'));

    // Assess
    expect(world.contextWrites.count).toBe(2);
    expect(await world.core.store.getVpcCidrs()).toStrictEqual({
      vpcIds: [VPC_ID],
      cidrs: ['10.20.0.0/16', '10.21.0.0/16'],
      readAt: new Date(START.getTime() + VPC_CIDRS_TTL_MS).toISOString(),
    });
  });
});

describe('enforce at cold start', () => {
  it('fails to load with a message naming the variable that is wrong', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv(ENVIRONMENT.domainList, 'domain-list');

    // Act
    const loading = import('../../functions/enforce/handler');

    // Assess
    await expect(loading).rejects.toThrow(
      /^DNS_FIREWALL_DOMAIN_LIST_ID: must be a DNS Firewall domain list id/,
    );
  });
});
