/** Runs the command line in-process on a context whose output is captured, for the CLI tests. */
import { type CliContext, type ContextInit, createContext } from '#shared/cli/context';
import type { Deployment } from '#shared/cli/deployment';
import { run } from '#shared/cli/main';

/** A context whose standard output and error are kept as lines. */
export interface CapturedContext {
  readonly ctx: CliContext;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** The Region every CLI test runs in. */
export const REGION = 'eu-west-1';

/** Fake credentials and a Region, so no test reads the machine's AWS configuration. */
export const TEST_CLIENT_CONFIG = {
  region: REGION,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts: 1,
};

/** A context with captured output, an empty environment and fake credentials, unless `init` says otherwise. */
export function captureContext(init: ContextInit = {}): CapturedContext {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx = createContext({
    env: {},
    clientConfig: TEST_CLIENT_CONFIG,
    sleep: async () => {},
    ...init,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
  });
  return { ctx, stdout, stderr };
}

/** What one run of the command line did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` in-process on a fresh captured context. */
export async function runCli(argv: readonly string[], init: ContextInit = {}): Promise<CliRun> {
  const { ctx, stdout, stderr } = captureContext(init);
  const code = await run(argv, ctx);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** The stack's outputs with every part deployed, as infra/egress-warden.ts names them. */
export function stackOutputs(overrides: Partial<Record<string, string>> = {}) {
  const values: Record<string, string> = {
    EventBusName: 'EgressWarden-bus',
    DecisionTableName: 'EgressWarden-DecisionTable-1A2B3C',
    AlertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-AlertTopic',
    DecideQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DecideQueue',
    DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DeadLetterQueue',
    OperatorPolicyArn: 'arn:aws:iam::123456789012:policy/EgressWarden-OperatorPolicy',
    DomainListId: 'rslvr-fdl-0123456789abcdef',
    RuleGroupArn: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden-blocklist',
    DetectorTableName: 'EgressWarden-DetectorTable-4D5E6F',
    DetectorFailureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DetectorFailures',
    ...overrides,
  } as Record<string, string>;
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
}

/** The Deployment {@link stackOutputs} describes. */
export function aDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    stackName: 'EgressWarden',
    region: REGION,
    busName: 'EgressWarden-bus',
    tableName: 'EgressWarden-DecisionTable-1A2B3C',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-AlertTopic',
    decideQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DecideQueue',
    deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DeadLetterQueue',
    operatorPolicyArn: 'arn:aws:iam::123456789012:policy/EgressWarden-OperatorPolicy',
    domainListId: 'rslvr-fdl-0123456789abcdef',
    ruleGroupArn: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden-blocklist',
    detectorTableName: 'EgressWarden-DetectorTable-4D5E6F',
    detectorFailureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EgressWarden-DetectorFailures',
    ...overrides,
  };
}
