import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliError, EXIT } from '#shared/cli/errors';
import { aDecision } from '../contracts/decision-store.contract';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { captureContext, REGION, stackOutputs } from './harness';

const cloudFormation = mockClient(CloudFormationClient);
let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

afterEach(() => {
  cloudFormation.reset();
});

describe('the CLI context', () => {
  it("opens the decision store on the deployment's table", async () => {
    // Prepare
    const tableName = await dynalite.createTable();
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'EgressWarden',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs({ DecisionTableName: tableName }),
        },
      ],
    });
    const { ctx } = captureContext({
      clientConfig: {
        region: REGION,
        endpoint: dynalite.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      },
    });
    const store = await ctx.store();

    // Act
    await store.put(aDecision(), undefined);

    // Assess
    const stored = await ctx.store().then((s) => s.get(aDecision().key));
    expect(stored?.indicator).toEqual(aDecision().indicator);
  });

  it('builds every client in the Region given with --region', async () => {
    // Prepare
    const { ctx } = captureContext({ options: { region: 'ap-southeast-2' } });

    // Act
    const clients = await Promise.all([
      ctx.clients.cloudFormation(),
      ctx.clients.eventBridge(),
      ctx.clients.sts(),
      ctx.clients.sqs(),
      ctx.clients.guardDuty(),
      ctx.clients.sns(),
      ctx.clients.dynamoDb(),
    ]);

    // Assess
    const regions = await Promise.all(clients.map((client) => client.config.region()));
    expect(regions).toEqual(Array(7).fill('ap-southeast-2'));
  });

  it('reads the configuration file named by EGRESS_WARDEN_CONFIG_FILE', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'warden-cli-context-'));
    const file = join(folder, 'prod.json');
    await writeFile(file, JSON.stringify({ stackName: 'Prod', vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718' }] }));
    const { ctx } = captureContext({ env: { EGRESS_WARDEN_CONFIG_FILE: file } });

    // Act
    const config = await ctx.config();

    // Assess
    expect(config.stackName).toBe('Prod');
  });

  it('says how to name the configuration file when it is absent (exit 2)', async () => {
    // Prepare
    const { ctx } = captureContext({ options: { config: '/nonexistent/warden.json' } });

    // Act
    const error = (await ctx.config().catch((e: unknown) => e)) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe('the configuration file /nonexistent/warden.json does not exist');
    expect(error.hint).toContain('--config <file>');
    expect(error.hint).toContain('EGRESS_WARDEN_CONFIG_FILE');
  });

  it('names the file and the field of an invalid configuration (exit 2)', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'warden-cli-context-'));
    const file = join(folder, 'bad.json');
    await writeFile(file, JSON.stringify({ vpcs: [{ vpcId: 'vpc-nope' }] }));
    const { ctx } = captureContext({ options: { config: file } });

    // Act
    const error = (await ctx.config().catch((e: unknown) => e)) as CliError;

    // Assess
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toContain(`${file}.vpcs[0].vpcId`);
  });
});
