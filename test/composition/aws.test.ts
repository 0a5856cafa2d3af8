import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbDecisionStore } from '#adapters/aws/decision-store';
import { ManualClock } from '#adapters/in-memory/clock';
import { ServiceUnavailableError } from '#domain/errors';
import {
  createAwsCore,
  createAwsEnforceCore,
  createAwsTargets,
  VPC_CIDRS_TTL_MS,
} from '#shared/composition/aws';
import { type ConfigInput, parseConfig, runtimeConfig } from '#shared/config/config';
import { ENVIRONMENT, parseEnvironment, type WardenEnvironment } from '#shared/config/environment';
import { PROJECT_ROOT } from '../../infra/bundling';
import { type Dynalite, startDynalite } from '../support/dynalite';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const ec2Client = new EC2Client({ region: 'eu-west-1', credentials });
const ec2 = mockClient(ec2Client);
const VPC = 'vpc-0a1b2c3d4e5f60718';
const OTHER_VPC = 'vpc-0f1e2d3c4b5a69788';
const START = new Date('2026-11-30T10:00:00.000Z');

let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

function environment(input: ConfigInput, tableName = 'decisions'): WardenEnvironment {
  return parseEnvironment({
    [ENVIRONMENT.config]: JSON.stringify(runtimeConfig(parseConfig(input))),
    [ENVIRONMENT.table]: tableName,
    [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:123456789012:alerts',
    [ENVIRONMENT.domainList]: 'rslvr-fdl-0123456789abcdef',
    [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/warden',
  });
}

/** A fresh decision table on dynalite, the options both cores take on it, and a store to read it directly. */
async function createWorld(clock = new ManualClock(START)) {
  const tableName = await dynalite.createTable();
  const options = {
    dynamodb: new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'eu-west-1', credentials }),
    sns: new SNSClient({ region: 'eu-west-1', credentials }),
    clock,
  };
  return {
    tableName,
    clock,
    store: new DynamoDbDecisionStore({ client: dynalite.doc, tableName }),
    core: (input: ConfigInput) => createAwsCore(environment(input, tableName), options),
    enforceCore: (input: ConfigInput) =>
      createAwsEnforceCore(environment(input, tableName), { ...options, ec2: ec2Client }),
  };
}

/** DescribeVpcs answers that VPC has these IPv4 blocks. */
function vpcHas(...cidrs: string[]): void {
  ec2.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      {
        VpcId: VPC,
        CidrBlockAssociationSet: cidrs.map((cidr) => ({
          CidrBlock: cidr,
          CidrBlockState: { State: 'associated' },
        })),
      },
    ],
  });
}

beforeEach(() => {
  ec2.reset();
  vpcHas('10.20.0.0/16');
});

describe('createAwsCore', () => {
  it('protects the CIDRs the enforce function recorded for a VPC that lists none, read again only after the TTL', async () => {
    // Prepare
    const world = await createWorld();
    await world.store.putVpcCidrs({ vpcIds: [VPC], cidrs: ['10.20.0.0/16'], readAt: START.toISOString() });
    const warden = world.core({ vpcs: [{ vpcId: VPC }, { vpcId: OTHER_VPC, cidrs: ['10.30.0.0/16'] }] });

    // Act
    const first = await warden.policy();
    await world.store.putVpcCidrs({
      vpcIds: [VPC],
      cidrs: ['10.20.0.0/16', '10.21.0.0/16'],
      readAt: START.toISOString(),
    });
    world.clock.advance(VPC_CIDRS_TTL_MS - 1);
    const cached = await warden.policy();
    world.clock.advance(1);
    const refreshed = await warden.policy();

    // Assess
    expect(first.guardRails.vpcCidrs).toEqual(['10.30.0.0/16', '10.20.0.0/16']);
    expect(cached.guardRails.vpcCidrs).toEqual(['10.30.0.0/16', '10.20.0.0/16']);
    expect(refreshed.guardRails.vpcCidrs).toEqual(['10.30.0.0/16', '10.20.0.0/16', '10.21.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
  });

  it('refuses, retryably, to build a policy while no record covers every VPC that lists no CIDRs', async () => {
    // Prepare
    const world = await createWorld();
    const warden = world.core({ vpcs: [{ vpcId: VPC }, { vpcId: OTHER_VPC }] });

    // Act
    const absent = await warden.policy().catch((error: unknown) => error);
    await world.store.putVpcCidrs({
      vpcIds: [OTHER_VPC],
      cidrs: ['10.30.0.0/16'],
      readAt: START.toISOString(),
    });
    const partial = await warden.policy().catch((error: unknown) => error);
    await world.store.putVpcCidrs({
      vpcIds: [VPC, OTHER_VPC],
      cidrs: ['10.20.0.0/16', '10.30.0.0/16'],
      readAt: START.toISOString(),
    });
    const covered = await warden.policy();

    // Assess
    expect(absent).toBeInstanceOf(ServiceUnavailableError);
    expect(absent).toMatchObject({ retryable: true });
    expect((absent as Error).message).toMatch(
      /CIDRs of vpc-0a1b2c3d4e5f60718, vpc-0f1e2d3c4b5a69788 are not known yet: the enforce function records them within a minute of a deploy/,
    );
    expect(partial).toBeInstanceOf(ServiceUnavailableError);
    expect((partial as Error).message).toMatch(/CIDRs of vpc-0a1b2c3d4e5f60718 are not known yet/);
    expect(covered.guardRails.vpcCidrs).toEqual(['10.20.0.0/16', '10.30.0.0/16']);
  });

  it('reads neither EC2 nor the record when every VPC lists its CIDRs', async () => {
    // Prepare
    const world = await createWorld();
    await dynalite.doc.send(
      new PutCommand({
        TableName: world.tableName,
        Item: { pk: 'CONTEXT', sk: 'VPC_CIDRS', cidrs: 'corrupt' },
      }),
    );
    const warden = world.core({ vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }] });

    // Act
    const deps = await warden.dependencies();

    // Assess
    expect(deps.policy.guardRails.vpcCidrs).toEqual(['10.30.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
    expect(deps.dnsFirewall).toBeUndefined();
  });

  it('bundles without the EC2 client, as decide and catch-up are built', async () => {
    // Prepare
    const entry = "export { createAwsCore } from './shared/composition/aws.ts';";

    // Act
    const { metafile, outputFiles } = await build({
      stdin: { contents: entry, resolveDir: PROJECT_ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      keepNames: true,
      mainFields: ['module', 'main'],
      metafile: true,
      write: false,
    });

    // Assess
    const output = Object.values(metafile.outputs)[0];
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs.filter((path) => path.includes('client-dynamodb')).length).toBeGreaterThan(0);
    expect(inputs.filter((path) => path.includes('client-ec2'))).toEqual([]);
    expect(outputFiles[0]?.text).not.toContain('DescribeVpcs');
  });
});

describe('createAwsEnforceCore', () => {
  it('reads the CIDRs from EC2, records them on its first run, and not again while they are unchanged', async () => {
    // Prepare
    const world = await createWorld();
    const warden = world.enforceCore({
      vpcs: [{ vpcId: VPC }, { vpcId: OTHER_VPC, cidrs: ['10.30.0.0/16'] }],
    });

    // Act
    const first = await warden.policy();
    world.clock.advance(VPC_CIDRS_TTL_MS);
    await warden.policy();

    // Assess
    expect(first.guardRails.vpcCidrs).toEqual(['10.30.0.0/16', '10.20.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(2);
    expect(await world.store.getVpcCidrs()).toStrictEqual({
      vpcIds: [VPC],
      cidrs: ['10.20.0.0/16'],
      readAt: START.toISOString(),
    });
  });

  it('rewrites the record when DescribeVpcs returns a new CIDR after the TTL', async () => {
    // Prepare
    const world = await createWorld();
    const warden = world.enforceCore({ vpcs: [{ vpcId: VPC }] });
    await warden.policy();
    vpcHas('10.20.0.0/16', '10.21.0.0/16');

    // Act
    world.clock.advance(VPC_CIDRS_TTL_MS - 1);
    const cached = await warden.policy();
    const recordWhileCached = await world.store.getVpcCidrs();
    world.clock.advance(1);
    const refreshed = await warden.policy();

    // Assess
    expect(cached.guardRails.vpcCidrs).toEqual(['10.20.0.0/16']);
    expect(recordWhileCached?.cidrs).toEqual(['10.20.0.0/16']);
    expect(refreshed.guardRails.vpcCidrs).toEqual(['10.20.0.0/16', '10.21.0.0/16']);
    expect(await world.store.getVpcCidrs()).toStrictEqual({
      vpcIds: [VPC],
      cidrs: ['10.20.0.0/16', '10.21.0.0/16'],
      readAt: new Date(START.getTime() + VPC_CIDRS_TTL_MS).toISOString(),
    });
  });

  it('keeps the CIDRs it recorded while DescribeVpcs fails, and reads them again once EC2 answers', async () => {
    // Prepare
    const world = await createWorld();
    const warden = world.enforceCore({ vpcs: [{ vpcId: VPC }] });
    await warden.policy();
    world.clock.advance(VPC_CIDRS_TTL_MS);
    ec2.on(DescribeVpcsCommand).rejects(Object.assign(new Error('injected'), { name: 'InternalError' }));

    // Act
    const whileFailing = await warden.policy();
    vpcHas('10.20.0.0/16', '10.21.0.0/16');
    world.clock.advance(VPC_CIDRS_TTL_MS);
    const recovered = await warden.policy();

    // Assess
    expect(whileFailing.guardRails.vpcCidrs).toEqual(['10.20.0.0/16']);
    expect(recovered.guardRails.vpcCidrs).toEqual(['10.20.0.0/16', '10.21.0.0/16']);
  });

  it('starts from the recorded CIDRs when DescribeVpcs fails on a cold start, and fails without a record', async () => {
    // Prepare
    const world = await createWorld();
    await world.enforceCore({ vpcs: [{ vpcId: VPC }] }).policy();
    ec2.on(DescribeVpcsCommand).rejects(Object.assign(new Error('injected'), { name: 'InternalError' }));
    const empty = await createWorld();

    // Act
    const cold = await world.enforceCore({ vpcs: [{ vpcId: VPC }] }).policy();
    const none = empty.enforceCore({ vpcs: [{ vpcId: VPC }] }).policy();

    // Assess
    expect(cold.guardRails.vpcCidrs).toEqual(['10.20.0.0/16']);
    await expect(none).rejects.toThrow('injected');
  });

  it('replaces a corrupt record with what EC2 reports', async () => {
    // Prepare
    const world = await createWorld();
    await dynalite.doc.send(
      new PutCommand({
        TableName: world.tableName,
        Item: { pk: 'CONTEXT', sk: 'VPC_CIDRS', cidrs: 'corrupt' },
      }),
    );
    const warden = world.enforceCore({ vpcs: [{ vpcId: VPC }] });

    // Act
    await warden.policy();

    // Assess
    expect(await world.store.getVpcCidrs()).toStrictEqual({
      vpcIds: [VPC],
      cidrs: ['10.20.0.0/16'],
      readAt: START.toISOString(),
    });
  });

  it('reads neither EC2 nor the record, and writes none, when every VPC lists its CIDRs', async () => {
    // Prepare
    const world = await createWorld();
    const warden = world.enforceCore({ vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }] });

    // Act
    const policy = await warden.policy();

    // Assess
    expect(policy.guardRails.vpcCidrs).toEqual(['10.30.0.0/16']);
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(0);
    expect(await world.store.getVpcCidrs()).toBeUndefined();
  });
});

describe('createAwsTargets', () => {
  it('wires only the targets the configuration deploys', async () => {
    // Prepare
    const world = await createWorld();

    // Act
    const all = createAwsTargets(world.enforceCore({ vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }] }));
    const aclsOnly = createAwsTargets(
      world.enforceCore({
        vpcs: [{ vpcId: VPC, cidrs: ['10.30.0.0/16'] }],
        targets: { dnsFirewall: { deploy: false }, networkFirewall: { deploy: false } },
      }),
    );

    // Assess
    expect(Object.keys(all).sort()).toEqual(['dnsFirewall', 'networkAcls', 'networkFirewall']);
    expect(Object.keys(aclsOnly)).toEqual(['networkAcls']);
  });
});
