/**
 * The egress-warden command line. `simulate` runs the whole loop locally on sample events and raw logs with
 * in-memory targets: `npm run -s cli -- simulate [paths…] [--config file] [--now ISO] [--advance duration] [--json]`.
 * `baseline-export` prints a deployed VPC's established domains as a draft allowlist.
 */
import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command, InvalidArgumentError } from 'commander';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import { parseDuration } from '#domain/duration';
import { parseConfig } from '#shared/config/config';
import { parseSimulationConfig, type SimulationConfig } from '#shared/simulation/config';
import { simulate } from '#shared/simulation/simulate';
import { exportEstablishedDomains } from '#shared/use-cases/export-baseline';
import { formatReport } from './format-report';
import { loadEvents } from './load-events';

const program = new Command('egress-warden').description(
  'Event-driven egress policy enforcement for AWS VPCs.',
);

program
  .command('simulate')
  .description('Decide and enforce sample events against in-memory targets (no AWS account needed).')
  .argument(
    '[paths...]',
    'event files (JSON: one event or an array), raw logs (.log, .log.gz, .jsonl, .jsonl.gz) or folders',
    ['events'],
  )
  .option('--config <file>', 'simulation configuration (JSON): policy, vpcs, networkFirewall')
  .option('--now <iso>', 'the simulated time (default: the newest event or detection time)', parseTime)
  .option('--advance <duration>', 'then move the clock on (e.g. 5h, PT5H) and reconcile again', (value) =>
    cliValue(() => parseDuration(value, '--advance')),
  )
  .option('--json', 'print exactly one JSON document')
  .action(
    async (paths: string[], options: { config?: string; now?: Date; advance?: number; json?: boolean }) => {
      const config = options.config ? await readConfig(options.config) : parseSimulationConfig();
      const { inputs, logs, rejected } = await loadEvents(paths);
      const result = await simulate(inputs, config, {
        logs,
        ...(options.now ? { now: options.now } : {}),
        ...(options.advance ? { advanceMs: options.advance } : {}),
      });
      const merged = { ...result, rejected: [...rejected, ...result.rejected] };
      if (options.json) {
        const { decisions, breakerResets, targets, alerts } = merged;
        const logReplays = merged.logs;
        process.stdout.write(
          `${JSON.stringify({ decisions, rejected: merged.rejected, breakerResets, targets, alerts, logs: logReplays }, null, 2)}\n`,
        );
      } else {
        const advanced = options.advance ? `, then +${options.advance / 60_000} min` : '';
        const read = logs.length > 0 ? ` and ${logs.length} log files` : '';
        const header = `Egress Warden simulation: ${inputs.length} events${read} from ${paths.join(', ')} at ${result.now}${advanced}`;
        process.stdout.write(`${formatReport(merged, header)}\n`);
      }
    },
  );

program
  .command('baseline-export')
  .description(
    "Print a VPC's established domains (learned from its DNS query logs) as a draft allowlist to review, one a line.",
  )
  .requiredOption('--table <name>', "the deployment's decision table (stack output DecisionTableName)")
  .requiredOption('--vpc <id>', 'the VPC whose baseline to read')
  .option(
    '--config <file>',
    'the configuration whose detectors.dns.baseline thresholds to apply (default: the defaults)',
  )
  .option('--region <region>', 'AWS Region (default: the standard AWS configuration)')
  .option('--json', 'print a JSON array')
  .addHelpText(
    'after',
    '\nExample:\n  npm run -s cli -- baseline-export --table EgressWarden-DecisionTable --vpc vpc-0123456789abcdef0 > allowlist.txt',
  )
  .action(
    async (options: { table: string; vpc: string; config?: string; region?: string; json?: boolean }) => {
      // A deployment's file: its VPCs need not list their CIDRs, as a simulation's must.
      const config = options.config
        ? await readConfig(options.config, parseConfig)
        : parseSimulationConfig().config;
      const thresholds = config.detectors.dns.baseline;
      const client = new DynamoDBClient(options.region ? { region: options.region } : {});
      const store = new DynamoDbDomainBaselineStore({
        client: DynamoDBDocumentClient.from(client),
        tableName: options.table,
      });
      const domains = await exportEstablishedDomains(store, options.vpc, thresholds);
      process.stdout.write(
        options.json ? `${JSON.stringify(domains)}\n` : domains.map((d) => `${d}\n`).join(''),
      );
    },
  );

/** Reads and validates a configuration (a simulation's unless `parse` says otherwise); every error names the file. */
async function readConfig<T = SimulationConfig>(
  path: string,
  parse: (input: unknown) => T = parseSimulationConfig as (input: unknown) => T,
): Promise<T> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(`--config ${path}: cannot read the file`);
  });
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    const problem =
      error instanceof SyntaxError ? `not valid JSON: ${error.message}` : (error as Error).message;
    throw new Error(`--config ${path}: ${problem}`);
  }
}

function parseTime(value: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an ISO 8601 time`);
  return time;
}

function cliValue<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

program.parseAsync().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`egress-warden: ${message}\n`);
  process.exitCode = 2;
});
