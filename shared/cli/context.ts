/**
 * What every command works with: output, the global options, AWS clients, the deployment, its decision store
 * and configuration, and time. Everything AWS is created on first use and loaded with `import()`, so `--help`
 * and a command that needs no AWS load none of the SDK.
 */
import { existsSync } from 'node:fs';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { GuardDutyClient } from '@aws-sdk/client-guardduty';
import type { NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import type { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { DecisionStore } from '#ports/decision-store';
import type { WardenConfig } from '#shared/config/config';
import type { Deployment } from './deployment';
import { CliError, EXIT } from './errors';

/** The variable naming the stack when `--stack` is not given. */
const STACK_VARIABLE = 'EGRESS_WARDEN_STACK';

/** The global options, as `buildProgram` parses them (or a test sets them). */
export interface CliOptions {
  /** The stack name; else EGRESS_WARDEN_STACK, else the configuration's `stackName` (default EgressWarden). */
  stack?: string;
  /** The AWS Region; else the standard AWS configuration (AWS_REGION, the profile). */
  region?: string;
  /** The configuration file; else EGRESS_WARDEN_CONFIG_FILE, else egress-warden.config.json. */
  config?: string;
}

/** The SDK v3 clients, each created on first call with the Region option and the client configuration. */
export interface CliClients {
  cloudFormation(): Promise<CloudFormationClient>;
  /** A document client with the default marshalling (the stores drop undefined values themselves). */
  dynamoDb(): Promise<DynamoDBDocumentClient>;
  eventBridge(): Promise<EventBridgeClient>;
  sts(): Promise<STSClient>;
  sqs(): Promise<SQSClient>;
  guardDuty(): Promise<GuardDutyClient>;
  sns(): Promise<SNSClient>;
  route53Resolver(): Promise<Route53ResolverClient>;
  networkFirewall(): Promise<NetworkFirewallClient>;
}

/** What a command gets. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prints each text as a line (the newline is added) on standard output. */
  out(...lines: string[]): void;
  /** Prints each text as a line (the newline is added) on standard error. */
  err(...lines: string[]): void;
  /** Filled in from the command line before an action runs. */
  readonly options: CliOptions;
  readonly clients: CliClients;
  /** The stack's resources, read once from its outputs. Throws CliError (exit 4 not found, 5 denied, 1). */
  deployment(): Promise<Deployment>;
  /** The AWS decision store on the deployment's table. */
  store(): Promise<DecisionStore>;
  /** The deployed configuration file, read once. Throws CliError (exit 2) when absent or invalid. */
  config(): Promise<WardenConfig>;
  /** The configuration file's path, as {@link CliContext.config} picks it. */
  configPath(): string;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** Settings for SDK clients that tests override (an endpoint such as dynalite's, fake credentials). */
export interface ClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
  readonly maxAttempts?: number;
}

/** How to build a context; every part has a default for the real command line. */
export interface ContextInit {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where one line of standard output goes (without its newline). */
  readonly out?: (line: string) => void;
  /** Where one line of standard error goes (without its newline). */
  readonly err?: (line: string) => void;
  readonly options?: CliOptions;
  /** Applied to every client (the Region option wins over its region). */
  readonly clientConfig?: ClientConfig;
  /** Clients to use instead of the ones built here. */
  readonly clients?: Partial<CliClients>;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The configuration file read when neither --config nor EGRESS_WARDEN_CONFIG_FILE names one. */
const DEFAULT_CONFIG_FILE = 'egress-warden.config.json';
const CONFIG_FILE_VARIABLE = 'EGRESS_WARDEN_CONFIG_FILE';
const DEFAULT_STACK_NAME = 'EgressWarden';

/** Creates the context of one run: process output and environment, the system clock, unless given. */
export function createContext(init: ContextInit = {}): CliContext {
  const env = init.env ?? process.env;
  const options: CliOptions = { ...init.options };
  const clientSettings = () => ({
    ...init.clientConfig,
    ...(options.region ? { region: options.region } : {}),
  });
  const clients = createClients(clientSettings, init.clients ?? {});
  const configPath = () => options.config ?? (env[CONFIG_FILE_VARIABLE] || DEFAULT_CONFIG_FILE);

  const config = once(async () => {
    const path = configPath();
    if (!existsSync(path)) {
      throw new CliError(`the configuration file ${path} does not exist`, EXIT.usage, {
        hint: `pass --config <file> or set ${CONFIG_FILE_VARIABLE} to the file the stack was deployed with`,
      });
    }
    const { readConfigFile } = await import('../../infra/config-file');
    try {
      return readConfigFile(path);
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.usage, {
        hint: 'fix the configuration file (`egress-warden config validate <file>` lists every error)',
        cause: error,
      });
    }
  });

  const stackName = async (): Promise<string> => {
    if (options.stack) return options.stack;
    const fromEnv = env[STACK_VARIABLE];
    if (fromEnv) return fromEnv;
    // Without a configuration file, the stack has the default name, as the configuration gives it.
    return existsSync(configPath()) ? (await config()).stackName : DEFAULT_STACK_NAME;
  };

  const deployment = once(async () => {
    const { describeDeployment } = await import('./deployment');
    return describeDeployment(await clients.cloudFormation(), await stackName());
  });

  const store = once(async (): Promise<DecisionStore> => {
    const [{ DynamoDbDecisionStore }, client, { tableName }] = await Promise.all([
      import('#adapters/aws/decision-store'),
      clients.dynamoDb(),
      deployment(),
    ]);
    return new DynamoDbDecisionStore({ client, tableName });
  });

  return {
    env,
    out: lineWriter(init.out ?? ((line) => process.stdout.write(`${line}\n`))),
    err: lineWriter(init.err ?? ((line) => process.stderr.write(`${line}\n`))),
    options,
    clients,
    deployment,
    store,
    config,
    configPath,
    now: init.now ?? (() => new Date()),
    sleep: init.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

function createClients(settings: () => ClientConfig, given: Partial<CliClients>): CliClients {
  return {
    cloudFormation:
      given.cloudFormation ??
      once(async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(settings())),
    dynamoDb:
      given.dynamoDb ??
      once(async () => {
        const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
          import('@aws-sdk/client-dynamodb'),
          import('@aws-sdk/lib-dynamodb'),
        ]);
        return DynamoDBDocumentClient.from(new DynamoDBClient(settings()));
      }),
    eventBridge:
      given.eventBridge ??
      once(async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(settings())),
    sts: given.sts ?? once(async () => new (await import('@aws-sdk/client-sts')).STSClient(settings())),
    sqs: given.sqs ?? once(async () => new (await import('@aws-sdk/client-sqs')).SQSClient(settings())),
    guardDuty:
      given.guardDuty ??
      once(async () => new (await import('@aws-sdk/client-guardduty')).GuardDutyClient(settings())),
    sns: given.sns ?? once(async () => new (await import('@aws-sdk/client-sns')).SNSClient(settings())),
    route53Resolver:
      given.route53Resolver ??
      once(
        async () => new (await import('@aws-sdk/client-route53resolver')).Route53ResolverClient(settings()),
      ),
    networkFirewall:
      given.networkFirewall ??
      once(
        async () => new (await import('@aws-sdk/client-network-firewall')).NetworkFirewallClient(settings()),
      ),
  };
}

function lineWriter(write: (line: string) => void): (...lines: string[]) => void {
  return (...lines) => {
    for (const line of lines) write(line);
  };
}

/** `load` run on the first call only; a failure is not kept, so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
