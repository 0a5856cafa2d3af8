/**
 * The faults the other fault tests do not inject: GuardDuty throttling and failing under the catch-up, S3
 * refusing a detector's GetObject, and the detector state table throttled. Each through the function's real
 * middy chain, with DynamoDB on dynalite and the other services on aws-sdk-client-mock; each asserts that
 * nothing is lost, nothing is counted or decided twice, and the failure is visible.
 */

import { Readable } from 'node:stream';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  type Finding,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
  type ListFindingsCommandInput,
} from '@aws-sdk/client-guardduty';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sdkStreamMixin } from '@smithy/util-stream';
import type { ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import type { BlockEntry } from '#domain/block';
import { TargetNotFoundError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import type { NetworkAcls } from '#ports/network-acls';
import { decideSignal } from '#shared/use-cases/decide-signal';
import type { LogDetectionReport } from '#shared/use-cases/detect-log';
import { enforceNetworkAcls } from '#shared/use-cases/enforce/network-acls';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { createDetectFlowsHandler } from '../../functions/detect-flows/handler';
import { createCatchUpOnDynalite } from '../support/catch-up';
import { createDetectorWorld } from '../support/detector-functions';
import { fakeEc2NetworkAcls } from '../support/fakes/ec2-network-acls';
import { failDynamoDb } from '../support/fakes/failing-dynamodb';
import { addressScan } from '../support/flow-traffic';
import { useFunctionHooks } from '../support/function-hooks';
import { sdkFinding } from '../support/guardduty-finding';
import { lambdaContext } from '../support/lambda-events';
import { FLOW_KEY, flowLogFile, LOGS_BUCKET, objectCreatedEvent } from '../support/log-inputs';
import {
  createWarden,
  flowSignal,
  policyWith,
  reservedDenyCidrs,
  USUAL_EGRESS,
  ACL_ID as WARDEN_ACL_ID,
  VPC_ID as WARDEN_VPC_ID,
} from '../support/warden';

// The detector modules build their handlers from the environment when imported, as Lambda does at cold start.
await vi.hoisted(async () => {
  const { detectorEnvironment } = await import('../support/detector-functions');
  for (const [name, value] of Object.entries(detectorEnvironment('detector-state'))) vi.stubEnv(name, value);
});

const NOW = new Date('2026-11-28T10:00:00.000Z');
const DETECTOR = '3cb3562d0dd992501515c484383ee494';

const { dynalite, captureOutput } = useFunctionHooks();

/** An AWS error as the SDK raises it: the code in `name`, a server fault for a 5xx. */
function awsError(code: string, status: number): Error {
  return Object.assign(new Error(`injected ${code}`), {
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** A finding GuardDuty would return: an instance talking to `ip`, updated `minutesAgo` before NOW. */
function finding(n: number, minutesAgo: number): Finding {
  const updatedAt = new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();
  return sdkFinding({
    id: `finding-${n}`,
    arn: `arn:aws:guardduty:eu-west-1:123456789012:detector/${DETECTOR}/finding/finding-${n}`,
    accountId: '123456789012',
    region: 'eu-west-1',
    schemaVersion: '2.0',
    severity: 8,
    type: 'Backdoor:EC2/C&CActivity.B',
    title: 'Command and control server contacted',
    createdAt: updatedAt,
    updatedAt,
    eventLastSeen: updatedAt,
    count: 1,
    remoteIp: `198.51.100.${n}`,
  });
}

/** How GuardDuty answers: errors thrown by ListFindings (per page) and GetFindings, in turn, then normally. */
interface GuardDutyFaults {
  readonly listFindings?: Error[];
  readonly getFindings?: Error[];
  /** Only these pages' requests fail (1-based); every page while unset. */
  readonly page?: number;
}

/**
 * The catch-up world: a fresh decision table, GuardDuty listing three findings on two pages (two, then one)
 * and failing as `faults` says, SNS accepting every alert.
 */
async function createCatchUpWorld(faults: GuardDutyFaults) {
  const tableName = await dynalite.createTable();
  const guardDutyClient = new GuardDutyClient({ region: 'eu-west-1' });
  const snsClient = new SNSClient({ region: 'eu-west-1' });
  const guardDuty = mockClient(guardDutyClient);
  const sns = mockClient(snsClient);
  const findings = [finding(1, 90), finding(2, 60), finding(3, 30)];
  const pages: Record<string, { ids: string[]; next?: string }> = {
    first: { ids: ['finding-1', 'finding-2'], next: 'page-2' },
    'page-2': { ids: ['finding-3'] },
  };
  const listFailures = [...(faults.listFindings ?? [])];
  const getFailures = [...(faults.getFindings ?? [])];
  const pageOf = (token: string | undefined) => (token ? 2 : 1);
  const failing = (page: number) => faults.page === undefined || faults.page === page;
  guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
  guardDuty.on(ListFindingsCommand).callsFake((input: ListFindingsCommandInput) => {
    const failure = failing(pageOf(input.NextToken)) ? listFailures.shift() : undefined;
    if (failure) throw failure;
    const page = pages[input.NextToken ?? 'first'];
    return { FindingIds: page?.ids ?? [], ...(page?.next ? { NextToken: page.next } : {}) };
  });
  guardDuty.on(GetFindingsCommand).callsFake((input: GetFindingsCommandInput) => {
    const ids = input.FindingIds ?? [];
    const page = ids.includes('finding-3') ? 2 : 1;
    const failure = failing(page) ? getFailures.shift() : undefined;
    if (failure) throw failure;
    return { Findings: findings.filter((item) => ids.includes(item.Id ?? '')) };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  const { handler, store } = createCatchUpOnDynalite(
    dynalite,
    tableName,
    { sns: snsClient, guardDuty: guardDutyClient },
    NOW,
  );
  const schedule = { id: 'schedule', time: NOW.toISOString(), detail: {} } as unknown as ScheduledEvent;
  /** One scheduled run; resolves to `completed` or the error's name. */
  const run = () =>
    handler(schedule, lambdaContext('catch-up')).then(
      () => 'completed',
      (error: Error) => `failed: ${error.name}`,
    );
  /** Each finding's decision history: the audit events of its indicator, sorted (the clock stands still). */
  const decided = async () =>
    Object.fromEntries(
      await Promise.all(
        findings.map(async (item, n) => [
          item.Id,
          (await store.listAudit(`198.51.100.${n + 1}/32`)).map((record) => record.event).sort(),
        ]),
      ),
    );
  return { store, run, decided, findings };
}

const ONCE = ['alerted', 'shadow'];

describe('catch-up with GuardDuty throttling and failing', () => {
  it.each([
    { fault: 'ListFindings throttled (TooManyRequestsException)', faults: { listFindings: [429, 429] } },
    { fault: 'ListFindings failing with InternalServerErrorException', faults: { listFindings: [500] } },
    { fault: 'GetFindings throttled (ThrottlingException)', faults: { getFindings: [429, 429] } },
    { fault: 'GetFindings failing with InternalServerErrorException', faults: { getFindings: [500, 500] } },
  ])(
    'decides every finding once within the run with $fault',
    async ({ faults }) => {
      // Prepare
      const asErrors = (statuses: number[] | undefined, throttle: string) =>
        (statuses ?? []).map((status) =>
          status === 429 ? awsError(throttle, 429) : awsError('InternalServerErrorException', 500),
        );
      const world = await createCatchUpWorld({
        listFindings: asErrors(faults.listFindings, 'TooManyRequestsException'),
        getFindings: asErrors(faults.getFindings, 'ThrottlingException'),
      });
      captureOutput();

      // Act
      const outcome = await world.run();

      // Assess
      expect(outcome).toBe('completed');
      expect(await world.decided()).toEqual({ 'finding-1': ONCE, 'finding-2': ONCE, 'finding-3': ONCE });
      expect(await world.store.getCatchUpWatermark()).toMatchObject({ since: NOW.toISOString() });
    },
    30_000,
  );

  it.each([
    {
      fault: 'GetFindings failing with InternalServerErrorException',
      faults: { getFindings: Array.from({ length: 5 }, () => awsError('InternalServerErrorException', 500)) },
      error: 'ServiceUnavailableError',
    },
    {
      fault: 'ListFindings throttled (TooManyRequestsException)',
      faults: { listFindings: Array.from({ length: 5 }, () => awsError('TooManyRequestsException', 429)) },
      error: 'ThrottledError',
    },
  ])(
    'fails the run when $fault on the second page outlasts the retries, and the next run decides the rest once',
    async ({ faults, error }) => {
      // Prepare
      const world = await createCatchUpWorld({ ...faults, page: 2 });
      const output = captureOutput();

      // Act
      const first = await world.run();
      const watermark = await world.store.getCatchUpWatermark();
      const afterFirst = await world.decided();
      const second = await world.run();

      // Assess: the watermark stops at the last finding handled, so finding-3 is not skipped.
      expect({ first, second }).toEqual({ first: `failed: ${error}`, second: 'completed' });
      expect(watermark.since).toBe(world.findings[1]?.UpdatedAt);
      expect(afterFirst).toEqual({ 'finding-1': ONCE, 'finding-2': ONCE, 'finding-3': [] });
      expect(await world.decided()).toEqual({ 'finding-1': ONCE, 'finding-2': ONCE, 'finding-3': ONCE });
      expect(output.logs('GuardDuty catch-up stopped; the next run resumes from the watermark')).toHaveLength(
        1,
      );
    },
    30_000,
  );
});

/** The detector world on one flow-log file with an address scan; GetObject fails with `failures` in turn. */
async function createFlowsWorld(failures: Error[] = []) {
  const file = flowLogFile(addressScan(1, { hosts: 30 }));
  const world = await createDetectorWorld(dynalite, { objects: { [`${LOGS_BUCKET}/${FLOW_KEY}`]: file } });
  const queue = [...failures];
  let reads = 0;
  world.s3.on(GetObjectCommand).callsFake(() => {
    reads++;
    const failure = queue.shift();
    if (failure) throw failure;
    return { Body: sdkStreamMixin(Readable.from([file], { objectMode: false })) };
  });
  const handler = createDetectFlowsHandler(world.deps);
  /** One invocation on the file's Object Created event; resolves to `completed` or the error's name. */
  const invoke = () =>
    (
      handler(objectCreatedEvent(FLOW_KEY), lambdaContext('detect-flows')) as Promise<LogDetectionReport>
    ).then(
      () => 'completed',
      (error: Error) => `failed: ${error.name}`,
    );
  /** The detector table's items, members sets as sorted lists, in key order: what the windows hold. */
  const windows = async () => {
    const { Items = [] } = await dynalite.doc.send(new ScanCommand({ TableName: world.tableName }));
    return Items.map((item) =>
      JSON.stringify(
        Object.entries(item)
          .map(([name, value]) => [name, value instanceof Set ? [...value].sort() : value])
          .sort(),
      ),
    ).sort();
  };
  return { ...world, invoke, windows, reads: () => reads };
}

describe('detect-flows with S3 and the detector table failing', () => {
  it('counts the file once and publishes one signal when GetObject answers SlowDown twice', async () => {
    // Prepare
    const baseline = await createFlowsWorld();
    const world = await createFlowsWorld([awsError('SlowDown', 503), awsError('SlowDown', 503)]);
    captureOutput();

    // Act
    const expected = await baseline.invoke();
    const outcome = await world.invoke();

    // Assess
    expect({ expected, outcome }).toEqual({ expected: 'completed', outcome: 'completed' });
    expect(world.reads()).toBe(3);
    expect(world.published().map((signal) => signal.detector)).toEqual(['flow-address-scan']);
    expect(await world.windows()).toEqual(await baseline.windows());
  });

  it('fails the invocation when InternalError outlasts the retries, and the retried one counts the file once', async () => {
    // Prepare: the reader's four attempts all fail.
    const baseline = await createFlowsWorld();
    const world = await createFlowsWorld(Array.from({ length: 4 }, () => awsError('InternalError', 500)));
    captureOutput();

    // Act: Lambda retries an invocation that failed, with the same event.
    await baseline.invoke();
    const first = await world.invoke();
    const retried = await world.invoke();

    // Assess
    expect({ first, retried }).toEqual({ first: 'failed: ServiceUnavailableError', retried: 'completed' });
    expect(world.published().map((signal) => signal.detector)).toEqual(['flow-address-scan']);
    expect(await world.windows()).toEqual(await baseline.windows());
  });

  it('counts each record once when the detector table throttles UpdateItem within the retries', async () => {
    // Prepare
    const baseline = await createFlowsWorld();
    const world = await createFlowsWorld();
    const fault = failDynamoDb(world.dynamodb, {
      operation: 'UpdateItem',
      code: 'ProvisionedThroughputExceededException',
      times: 3,
    });
    captureOutput();

    // Act
    await baseline.invoke();
    const outcome = await world.invoke();

    // Assess
    expect(outcome).toBe('completed');
    expect(fault.failed).toBe(3);
    expect(world.published().map((signal) => signal.detector)).toEqual(['flow-address-scan']);
    expect(await world.windows()).toEqual(await baseline.windows());
  });

  it('fails the invocation visibly when the throttling outlasts the retries, and the retry counts each record once', async () => {
    // Prepare
    const baseline = await createFlowsWorld();
    const world = await createFlowsWorld();
    const fault = failDynamoDb(world.dynamodb, {
      operation: 'UpdateItem',
      code: 'ProvisionedThroughputExceededException',
    });
    captureOutput();

    // Act
    await baseline.invoke();
    const first = await world.invoke();
    fault.recover();
    const retried = await world.invoke();

    // Assess
    expect({ first, retried }).toEqual({ first: 'failed: ThrottledError', retried: 'completed' });
    expect(world.published().map((signal) => signal.detector)).toEqual(['flow-address-scan']);
    expect(await world.windows()).toEqual(await baseline.windows());
  }, 30_000);
});

const ACL_A = 'acl-0a1b2c3d4e5f60001';
const ACL_B = 'acl-0a1b2c3d4e5f60002';
const VPC = 'vpc-0a1b2c3d4e5f60001';

/** Blocks on `values`, enforced since the start of the day, never expiring. */
function aclBlocks(...values: string[]): BlockEntry[] {
  return values.map((value) => ({
    indicator: parseIndicator(value),
    severity: 8,
    since: '2026-11-28T00:00:00.000Z',
    expiresAt: null,
  }));
}

/**
 * The EC2 fake holding `aclIds` in one VPC, the EC2 adapter on it, and an enforcing policy on an in-memory
 * store, after a first run that enforced 198.51.100.7/32 on every ACL.
 */
async function ec2AclsHoldingFirstBlock(aclIds: readonly string[]) {
  const ec2Client = new EC2Client({ region: 'us-east-1' });
  const ec2 = fakeEc2NetworkAcls(
    mockClient(ec2Client),
    aclIds.map((aclId) => ({ aclId, vpcId: VPC, egress: USUAL_EGRESS })),
  );
  const port = new Ec2NetworkAcls({ client: ec2Client, aclIds: [...aclIds], sleep: async () => {} });
  const store = new InMemoryDecisionStore();
  const deps = { policy: policyWith({ targets: { networkAcls: { mode: 'enforce' } } }), store };
  await enforceNetworkAcls(port, deps, aclBlocks('198.51.100.7/32'), { hold: false });
  return { ec2, port, store, deps };
}

/** Makes the fake delete `aclId` just before EC2 takes a create for it, as when it is deleted mid-run. */
function deleteOnCreate(ec2: ReturnType<typeof fakeEc2NetworkAcls>, aclId: string): void {
  const create = ec2.create.bind(ec2);
  ec2.create = async (input) => {
    if (input.NetworkAclId === aclId) ec2.deleteAcl(aclId);
    return create(input);
  };
}

/**
 * A warden whose only target is two network ACLs (WARDEN_ACL_ID and ACL_B): 198.51.100.10 decided and
 * enforced on both, then 198.51.100.20 decided and not yet enforced.
 */
async function twoAclsWithSecondBlockDecided() {
  const warden = createWarden();
  const acls = new InMemoryNetworkAcls([
    { aclId: WARDEN_ACL_ID, vpcId: WARDEN_VPC_ID, egress: USUAL_EGRESS },
    { aclId: ACL_B, vpcId: WARDEN_VPC_ID, egress: USUAL_EGRESS },
  ]);
  warden.deps = { ...warden.deps, networkAcls: acls, dnsFirewall: undefined, networkFirewall: undefined };
  await decideSignal(flowSignal('198.51.100.10', 9, warden), warden.deps);
  await reconcile(warden.deps);
  await decideSignal(flowSignal('198.51.100.20', 9, warden), warden.deps);
  return { warden, acls };
}

describe('enforce with a network ACL deleted while blocks are enforced on it', () => {
  it('converges the other ACL and reports the deleted one when EC2 answers InvalidNetworkAclID.NotFound on create', async () => {
    // Prepare: both ACLs hold the first block; then ACL B is deleted between the run's listing and its write.
    const { ec2, port, store, deps } = await ec2AclsHoldingFirstBlock([ACL_A, ACL_B]);
    deleteOnCreate(ec2, ACL_B);

    // Act: a second block is decided.
    const outcome = await enforceNetworkAcls(port, deps, aclBlocks('198.51.100.7/32', '198.51.100.8/32'), {
      hold: false,
    });

    // Assess
    const denies = (aclId: string) =>
      ec2
        .egress(aclId)
        .filter((entry) => entry.RuleAction === 'deny' && (entry.RuleNumber ?? 0) < 100)
        .map((entry) => entry.CidrBlock)
        .sort();
    expect(denies(ACL_A)).toEqual(['198.51.100.7/32', '198.51.100.8/32']);
    expect(outcome).toMatchObject({ status: 'applied', changes: 1 });
    expect(outcome.failures).toEqual([expect.stringContaining(`${ACL_B} failed: TargetNotFoundError`)]);
    // The ledger forgets the deleted ACL: its entries went with it.
    const ledger = await store.getNetworkAclLedger();
    expect(ledger.acls.map((acl) => [acl.aclId, acl.entries.map((entry) => entry.cidr)])).toEqual([
      [ACL_A, ['198.51.100.7/32', '198.51.100.8/32']],
    ]);
  });
});

describe('enforce with the only network ACL deleted while blocks are enforced on it', () => {
  it('drops its ledger when EC2 refuses the write and then finds no managed ACL at all', async () => {
    // Prepare: the ACL holds the first block; then it is deleted between the run's listing and its write.
    const { ec2, port, store, deps } = await ec2AclsHoldingFirstBlock([ACL_A]);
    deleteOnCreate(ec2, ACL_A);

    // Act
    const failed = await enforceNetworkAcls(port, deps, aclBlocks('198.51.100.7/32', '198.51.100.8/32'), {
      hold: false,
    }).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(TargetNotFoundError);
    expect((await store.getNetworkAclLedger()).acls).toEqual([]);
  });
});

describe('reconcile with one of two network ACLs deleted', () => {
  it('alerts the ACL that failed while the other converges, and drops the deleted ACL from the ledger', async () => {
    // Prepare: both ACLs hold a block; then the first one is deleted between the run's listing and its write.
    const { warden, acls } = await twoAclsWithSecondBlockDecided();
    const deletedOnWrite: NetworkAcls = {
      ...bindAll(acls),
      createEgressDeny: (aclId, ruleNumber, cidr) => {
        if (aclId === WARDEN_ACL_ID) acls.deleteAcl(aclId);
        return acls.createEgressDeny(aclId, ruleNumber, cidr);
      },
    };
    warden.deps = { ...warden.deps, networkAcls: deletedOnWrite };

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(report.targets.find((target) => target.target === 'networkAcls')?.status).toBe('applied');
    expect(acls.snapshot().map((acl) => [acl.aclId, reservedDenyCidrs(acl.egress)])).toEqual([
      [ACL_B, ['198.51.100.10/32', '198.51.100.20/32']],
    ]);
    const failed = warden.alerts.published.filter((alert) => alert.subject.includes('FAILED'));
    expect(failed.map((alert) => alert.subject)).toEqual(['[Egress Warden] FAILED to update networkAcls']);
    expect(failed[0]?.message).toContain(`${WARDEN_ACL_ID} failed: TargetNotFoundError`);
    const ledger = await warden.deps.store.getNetworkAclLedger();
    expect(ledger.acls.map((acl) => acl.aclId)).toEqual([ACL_B]);
  });

  it('keeps the ledger of an ACL that EC2 refuses as not found but still lists, and converges it on the next run', async () => {
    // Prepare: both ACLs hold a block; then one write to the first is refused as InvalidNetworkAclID.NotFound,
    // though the ACL exists and is listed (an EC2 that has not caught up).
    const { warden, acls } = await twoAclsWithSecondBlockDecided();
    acls.injectFailure(
      new TargetNotFoundError(`network ACL ${WARDEN_ACL_ID} does not exist`, 'InvalidNetworkAclID.NotFound'),
    );

    // Act
    const faulted = await reconcile(warden.deps);
    const ledgerAfterFault = await warden.deps.store.getNetworkAclLedger();
    const next = await reconcile(warden.deps);

    // Assess
    expect(faulted.targets.find((target) => target.target === 'networkAcls')?.failures).toEqual([
      expect.stringContaining(`${WARDEN_ACL_ID} failed: TargetNotFoundError`),
    ]);
    const owned = (ledger: typeof ledgerAfterFault) =>
      ledger.acls.map((acl) => [acl.aclId, acl.entries.map((entry) => entry.cidr).sort()]);
    // Kept, with the refused entry still claimed: every entry is claimed before its write, and a claim without
    // its entry is harmless (the next run writes it).
    expect(owned(ledgerAfterFault)).toEqual([
      [WARDEN_ACL_ID, ['198.51.100.10/32', '198.51.100.20/32']],
      [ACL_B, ['198.51.100.10/32', '198.51.100.20/32']],
    ]);
    const nextTarget = next.targets.find((target) => target.target === 'networkAcls');
    expect(nextTarget?.status).toBe('applied');
    expect(nextTarget?.failures ?? []).toEqual([]);
    expect(acls.snapshot().map((acl) => [acl.aclId, reservedDenyCidrs(acl.egress)])).toEqual([
      [WARDEN_ACL_ID, ['198.51.100.10/32', '198.51.100.20/32']],
      [ACL_B, ['198.51.100.10/32', '198.51.100.20/32']],
    ]);
    expect(owned(await warden.deps.store.getNetworkAclLedger())).toEqual([
      [WARDEN_ACL_ID, ['198.51.100.10/32', '198.51.100.20/32']],
      [ACL_B, ['198.51.100.10/32', '198.51.100.20/32']],
    ]);
  });

  it('keeps enforcing on the other ACLs when a configured one is not listed as the run starts, and keeps its ledger', async () => {
    // Prepare: both ACLs hold a block; then EC2 no longer lists the first one.
    const { warden, acls } = await twoAclsWithSecondBlockDecided();
    const listing = await acls.list();
    const deleted: NetworkAcls = {
      ...bindAll(acls),
      list: async () => ({
        acls: listing.acls.filter((acl) => acl.aclId !== WARDEN_ACL_ID),
        missing: [WARDEN_ACL_ID],
      }),
    };
    warden.deps = { ...warden.deps, networkAcls: deleted };

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    const target = report.targets.find((t) => t.target === 'networkAcls');
    expect(target?.status).toBe('applied');
    expect(target?.failures).toEqual([
      `${WARDEN_ACL_ID} failed: not found (deleted, or not in this account and Region)`,
    ]);
    expect(
      acls
        .snapshot()
        .find((acl) => acl.aclId === ACL_B)
        ?.egress.map((e) => e.cidr),
    ).toEqual(expect.arrayContaining(['198.51.100.10/32', '198.51.100.20/32']));
    const failed = warden.alerts.published.filter((alert) => alert.subject.includes('FAILED'));
    expect(failed.map((alert) => alert.subject)).toEqual(['[Egress Warden] FAILED to update networkAcls']);
    // Left out of a listing is no proof the ACL is gone: its ledger stays, so its entries are never orphaned.
    const ledger = await warden.deps.store.getNetworkAclLedger();
    expect(ledger.acls.map((acl) => acl.aclId)).toEqual([WARDEN_ACL_ID, ACL_B]);
  });
});

/** The port's methods bound to `acls`, so that a test can replace one of them. */
function bindAll(acls: InMemoryNetworkAcls): NetworkAcls {
  return {
    list: () => acls.list(),
    createEgressDeny: (aclId, ruleNumber, cidr) => acls.createEgressDeny(aclId, ruleNumber, cidr),
    replaceEgressDeny: (aclId, ruleNumber, cidr) => acls.replaceEgressDeny(aclId, ruleNumber, cidr),
    deleteEgressEntry: (aclId, ruleNumber) => acls.deleteEgressEntry(aclId, ruleNumber),
  };
}
