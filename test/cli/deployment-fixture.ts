/**
 * A mocked deployment of the stack's real shape for the command tests: CloudFormation outputs naming a
 * decision table on dynalite, STS answering the caller's identity, and an EventBridge bus whose PutEvents
 * hands each manual request to the real intake and decide (`handleEvent`) on that table, with reconcile on
 * in-memory targets. Requests are delivered when the CLI sleeps between polls, as the real bus is
 * asynchronous.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DescribeRuleGroupCommand, NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import { ListFirewallDomainsCommand, Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { createInMemoryWarden, type InMemoryWarden } from '#shared/composition/in-memory';
import { listedCidrs, policyOf } from '#shared/config/config';
import { AlertBatch } from '#shared/use-cases/alerting';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { toEnforceStatus } from '#shared/use-cases/enforce/status';
import { handleEvent } from '#shared/use-cases/handle-event';
import { readConfigFile } from '../../infra/config-file';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { type CliRun, REGION, runCli, stackOutputs } from './harness';

/** The caller every request is made by. */
export const CALLER = 'arn:aws:sts::123456789012:assumed-role/SecurityOperators/alice';
export const ACL_ID = 'acl-0123456789abcdef0';
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
export const START = new Date('2026-11-28T10:00:00.000Z');

/** The configuration file of the test deployment: every target enforcing, one allowlisted domain. */
export const CONFIG = {
  stackName: 'EgressWarden',
  vpcs: [{ vpcId: VPC_ID, cidrs: ['10.20.0.0/16'], networkAcls: [ACL_ID] }],
  policy: {
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce' },
    },
    allowlist: { domains: ['partner.example.net'] },
  },
};

/**
 * The mocked AWS clients: CloudFormation, EventBridge and STS, and the read calls of the DNS Firewall domain list
 * and the Network Firewall rule group, answered from the in-memory targets.
 */
function createMocks() {
  return {
    cloudFormation: mockClient(CloudFormationClient),
    eventBridge: mockClient(EventBridgeClient),
    sts: mockClient(STSClient),
    resolver: mockClient(Route53ResolverClient),
    networkFirewall: mockClient(NetworkFirewallClient),
  };
}

type Mocks = ReturnType<typeof createMocks>;

/** A running test deployment. */
export interface TestDeployment {
  readonly warden: InMemoryWarden;
  readonly configFile: string;
  readonly tableName: string;
  readonly mocks: Mocks;
  /** Requests put on the bus and not delivered yet. */
  readonly pending: PutEventsRequestEntry[];
  /** Delivers the pending requests through handleEvent, then reconciles. */
  deliver(): Promise<void>;
  /** From now on the bus takes requests but never delivers them (a decide function that is down). */
  stall(): void;
  /** From now on decisions are recorded but their alerts never sent, as when decide dies after deciding. */
  loseAlerts(): void;
  /** From now on CloudFormation answers that the stack does not exist. */
  stackMissing(): void;
  /** Runs the CLI against this deployment. */
  cli(...argv: string[]): Promise<CliRun>;
  restore(): void;
}

/** Sets up the stack outputs, STS, the bus and the targets on a fresh table of `dynalite`. */
export async function startTestDeployment(
  dynalite: Dynalite,
  config: object = CONFIG,
): Promise<TestDeployment> {
  const tableName = await dynalite.createTable();
  const folder = await mkdtemp(join(tmpdir(), 'warden-cli-deployment-'));
  const configFile = join(folder, 'egress-warden.config.json');
  await writeFile(configFile, JSON.stringify(config));
  const parsed = readConfigFile(configFile);
  const policy = policyOf(parsed, { vpcCidrs: listedCidrs(parsed) });
  const warden = createInMemoryWarden({
    policy,
    now: START,
    acls: [{ aclId: ACL_ID, vpcId: VPC_ID }],
    networkFirewallCapacity: 1000,
  });
  const store = new DynamoDbDecisionStore({ client: dynalite.doc, tableName });
  const deps = { ...warden.deps, store };

  const mocks = createMocks();
  const { cloudFormation, eventBridge, sts } = mocks;
  mocks.resolver.on(ListFirewallDomainsCommand).callsFake(async () => ({
    Domains: warden.dnsFirewall.snapshot().map((domain) => `${domain}.`),
  }));
  mocks.networkFirewall.on(DescribeRuleGroupCommand).callsFake(async () => {
    const { rules, updateToken, capacity } = warden.networkFirewall.snapshot();
    return {
      UpdateToken: updateToken,
      RuleGroup: { RulesSource: { RulesString: rules } },
      RuleGroupResponse: {
        RuleGroupArn: stackOutputs().find((o) => o.OutputKey === 'RuleGroupArn')?.OutputValue,
        RuleGroupName: 'EgressWarden-blocklist',
        RuleGroupId: 'rg-1',
        Type: 'STATEFUL',
        Capacity: capacity,
      },
    };
  });
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'EgressWarden',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: START,
        Outputs: stackOutputs({ DecisionTableName: tableName }),
      },
    ],
  });
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '123456789012', UserId: 'AROA:alice' });
  const pending: PutEventsRequestEntry[] = [];
  let events = 0;
  const ids = new Map<PutEventsRequestEntry, string>();
  eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
    const entries = input.Entries.map((entry) => {
      const id = `0d1e2f3a-0000-4000-8000-${String(++events).padStart(12, '0')}`;
      ids.set(entry, id);
      pending.push(entry);
      return { EventId: id };
    });
    return { FailedEntryCount: 0, Entries: entries };
  });

  let stalled = false;
  let alertsLost = false;
  const deliver = async () => {
    if (stalled) return;
    // As the decide function does: the batch's alerts go out together once it is decided, each leaving an
    // `alerted` record in its indicator's audit trail.
    const alerting = new AlertBatch(deps);
    for (const entry of pending.splice(0)) {
      const event = {
        version: '0',
        id: ids.get(entry),
        source: entry.Source,
        'detail-type': entry.DetailType,
        account: '123456789012',
        time: warden.clock.now().toISOString(),
        region: REGION,
        resources: [],
        detail: JSON.parse(entry.Detail ?? '{}'),
      };
      await handleEvent(event, { ...deps, alerts: alerting });
    }
    // A decide function that dies after recording its decisions never sends their alerts.
    if (!alertsLost) await alerting.flush();
    // As the enforce function does: reconcile, then record the run's status for `--wait` and `status`.
    const at = warden.clock.now().toISOString();
    const report = await reconcile(deps);
    const [breaker, pause] = await Promise.all([store.getBreaker(), store.getPause()]);
    await store.putEnforceStatus(toEnforceStatus(report, { at, durationMs: 0, breaker, pause }));
  };

  return {
    warden,
    configFile,
    tableName,
    mocks,
    pending,
    deliver,
    loseAlerts: () => {
      alertsLost = true;
    },
    stall: () => {
      stalled = true;
    },
    stackMissing: () => {
      cloudFormation.on(DescribeStacksCommand).rejects(
        new CloudFormationServiceException({
          name: 'ValidationError',
          $fault: 'client',
          $metadata: {},
          message: 'Stack with id EgressWarden does not exist',
        }),
      );
    },
    cli: (...argv) =>
      runCli(argv, {
        options: { config: configFile },
        clientConfig: {
          region: REGION,
          endpoint: dynalite.endpoint,
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
          maxAttempts: 1,
        },
        now: () => warden.clock.now(),
        sleep: async (ms) => {
          warden.clock.advance(ms);
          await deliver();
        },
      }),
    restore() {
      for (const mock of Object.values(mocks)) mock.restore();
    },
  };
}

/** What {@link useTestDeployment} gives a test file: read its fields inside tests and hooks. */
export interface TestDeploymentLab {
  readonly dynalite: Dynalite;
  /** A fresh deployment for each test. */
  readonly deployment: TestDeployment;
  /** The decision store on the deployment's table, as the tests read it. */
  readonly store: DynamoDbDecisionStore;
}

/**
 * Registers the hooks of a command test file: one dynalite server for the file, and a fresh deployment (a new
 * table, its mocks restored after) for each test. Hooks the file registers after this call run after these.
 */
export function useTestDeployment(config: object = CONFIG): TestDeploymentLab {
  let dynalite: Dynalite | undefined;
  let deployment: TestDeployment | undefined;
  let store: DynamoDbDecisionStore | undefined;
  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
  });
  beforeEach(async () => {
    const server = ready(dynalite, 'dynalite');
    deployment = await startTestDeployment(server, config);
    store = new DynamoDbDecisionStore({ client: server.doc, tableName: deployment.tableName });
  });
  afterEach(() => {
    deployment?.restore();
  });
  return {
    get dynalite() {
      return ready(dynalite, 'dynalite');
    },
    get deployment() {
      return ready(deployment, 'deployment');
    },
    get store() {
      return ready(store, 'store');
    },
  };
}

function ready<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`the test ${name} is read before its hook ran`);
  return value;
}
