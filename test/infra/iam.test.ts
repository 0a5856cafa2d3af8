/**
 * Least privilege, proved from the code: each function is built with the deployed esbuild settings, the SDK
 * commands its bundled source files send are read from them, and the IAM actions those commands need are
 * compared with the actions its role gets in the synthesized template, both ways.
 *
 * Left out of the comparison, because no code of ours calls them: what the event-source mappings need (the
 * decide queue's sqs:ReceiveMessage and friends, the table stream's dynamodb:DescribeStream, GetRecords,
 * GetShardIterator, ListStreams), what Lambda needs to write the function's log group (logs:*) and to send a
 * failed asynchronous invocation to its on-failure queue (sqs:SendMessage on that queue only). Added to
 * it: kms:Decrypt and kms:GenerateDataKey* wherever sns:Publish is needed, because the topic is encrypted
 * with a customer-managed key.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltFunction,
  buildFunctions,
  FUNCTION_NAMES,
  type FunctionName,
  PROJECT_ROOT,
} from '../../infra/bundling';
import { bundledInputs } from '../../infra/metafile';
import { synthTemplate } from './synth';

/** The IAM service prefix of each SDK package our code may use. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-route53resolver': 'route53resolver',
  '@aws-sdk/client-network-firewall': 'network-firewall',
  '@aws-sdk/client-guardduty': 'guardduty',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-s3': 's3',
};

/** S3 commands whose IAM actions are not their own name. */
const S3_ACTIONS: Record<string, string[]> = {
  ListObjectsV2: ['ListBucket'],
  ListObjects: ['ListBucket'],
  HeadObject: ['GetObject'],
};

/** DynamoDB commands whose IAM actions are not their own name (lib-dynamodb names, transactions). */
const DYNAMODB_ACTIONS: Record<string, string[]> = {
  Get: ['GetItem'],
  Put: ['PutItem'],
  Update: ['UpdateItem'],
  Delete: ['DeleteItem'],
  BatchGet: ['BatchGetItem'],
  BatchWrite: ['BatchWriteItem'],
  // A transaction has no action of its own: each item needs the action of its operation.
  TransactWrite: ['PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
  TransactWriteItems: ['PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
  TransactGet: ['GetItem'],
  TransactGetItems: ['GetItem'],
};

/** What the event-source mappings and the log groups need; no code of ours calls them. */
const PLATFORM_ACTIONS = new Set([
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
]);

/** Actions IAM offers no resource type for, so "*" is their only resource. */
const RESOURCELESS_ACTIONS = new Set([
  'ec2:DescribeVpcs',
  'ec2:DescribeNetworkAcls',
  'guardduty:ListDetectors',
  'guardduty:ListFindings',
  'guardduty:GetFindings',
  'dynamodb:ListStreams',
]);

/** The SDK package a source file imports each name from (`import { A, type B } from '@aws-sdk/…'`). */
function sdkImports(source: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part.replace(/\btype\s+/, '').trim();
      if (name) names.set(name, match[2] as string);
    }
  }
  return names;
}

/** The IAM actions the SDK commands sent by one source file need. */
function actionsOfSource(path: string, source: string): string[] {
  const imports = sdkImports(source);
  const actions: string[] = [];
  for (const match of source.matchAll(/new\s+(\w+)Command\(/g)) {
    const command = match[1] as string;
    const pkg = imports.get(`${command}Command`);
    if (pkg === undefined) continue;
    const service = SERVICE_OF_PACKAGE[pkg];
    if (service === undefined)
      throw new Error(`${path}: no IAM service known for ${pkg}; add it to the test`);
    const renamed = service === 'dynamodb' ? DYNAMODB_ACTIONS : service === 's3' ? S3_ACTIONS : {};
    const names = renamed[command] ?? [command];
    actions.push(...names.map((name) => `${service}:${name}`));
  }
  return actions;
}

/** Our source files that reached a bundle (at least one byte of them), relative to the project root. */
function bundledSources(built: BuiltFunction): string[] {
  return [...bundledInputs(built.metafile).keys()].filter((path) => /^(shared|functions)\//.test(path));
}

/** The actions a function's code needs, with the key use an encrypted topic implies. */
function derivedActions(built: BuiltFunction): string[] {
  const actions = new Set(
    bundledSources(built).flatMap((path) =>
      actionsOfSource(path, readFileSync(join(PROJECT_ROOT, path), 'utf8')),
    ),
  );
  if (actions.has('sns:Publish')) {
    actions.add('kms:Decrypt');
    actions.add('kms:GenerateDataKey*');
  }
  return [...actions].sort();
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const LOGICAL_PREFIX: Record<FunctionName, string> = {
  decide: 'EgressWardenDecide',
  enforce: 'EgressWardenEnforce',
  'catch-up': 'EgressWardenCatchUp',
  'detect-dns': 'EgressWardenDetectDns',
  'detect-flows': 'EgressWardenDetectFlows',
};

/** What Lambda needs to send a failed asynchronous invocation to an SQS on-failure destination. */
const ON_FAILURE_ACTIONS = new Set(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);

const template = synthTemplate();

function functionOf(name: FunctionName): [string, { Properties: Record<string, unknown> }] {
  const functions = template.findResources('AWS::Lambda::Function');
  const fn = Object.entries(functions).find(([id]) =>
    new RegExp(`^${LOGICAL_PREFIX[name]}[0-9A-F]{8}$`).test(id),
  );
  if (!fn) throw new Error(`no function ${name}`);
  return fn as [string, { Properties: Record<string, unknown> }];
}

/** The on-failure destinations of a function's asynchronous invocations. */
function onFailureDestinations(name: FunctionName): string[] {
  const [id] = functionOf(name);
  return Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'))
    .filter((config) => (config.Properties.FunctionName as { Ref?: string }).Ref === id)
    .map((config) => JSON.stringify(config.Properties.DestinationConfig?.OnFailure?.Destination))
    .filter((destination) => destination !== undefined);
}

/** The statements of every policy attached to a function's role in the synthesized template. */
function statementsOf(name: FunctionName): Statement[] {
  const fn = functionOf(name);
  const roleId = (fn[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function grantedActions(name: FunctionName): string[] {
  const destinations = onFailureDestinations(name);
  const granted = new Set(
    statementsOf(name)
      .filter(
        (statement) =>
          !(
            destinations.includes(JSON.stringify(statement.Resource)) &&
            actionsOf(statement).every((action) => ON_FAILURE_ACTIONS.has(action))
          ),
      )
      .flatMap(actionsOf),
  );
  return [...granted].filter((action) => !PLATFORM_ACTIONS.has(action)).sort();
}

let outDir: string;
let built: Map<FunctionName, BuiltFunction>;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'egress-warden-iam-'));
  built = new Map((await buildFunctions(outDir)).map((fn) => [fn.name, fn]));
}, 120_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('least privilege', () => {
  it('reads SDK commands and their packages from source', () => {
    const source = [
      "import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';",
      "import { type EC2Client, DescribeVpcsCommand } from '@aws-sdk/client-ec2';",
      "import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';",
      'new GetCommand({}); new TransactWriteCommand({}); new DescribeVpcsCommand({}); new OwnCommand({});',
      'new ListObjectsV2Command({}); new GetObjectCommand({});',
    ].join('\n');

    expect(actionsOfSource('x.ts', source).sort()).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'ec2:DescribeVpcs',
      's3:GetObject',
      's3:ListBucket',
    ]);
  });

  it.each(FUNCTION_NAMES)('grants %s exactly the actions its bundled code calls', (name) => {
    const fn = built.get(name) as BuiltFunction;

    const derived = derivedActions(fn);

    expect(derived.length).toBeGreaterThan(0);
    expect(grantedActions(name)).toEqual(derived);
  });

  it.each(FUNCTION_NAMES)('grants %s "*" only for actions that have no resource type', (name) => {
    const wildcard = statementsOf(name)
      .filter((statement) => statement.Resource === '*')
      .flatMap(actionsOf);

    expect(wildcard.filter((action) => !RESOURCELESS_ACTIONS.has(action))).toEqual([]);
  });
});
