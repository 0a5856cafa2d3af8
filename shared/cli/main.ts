/**
 * The egress-warden command line: `buildProgram` defines the commands (each in commands/<name>.ts) on a
 * context, and `run` parses arguments and turns any failure into a message, a hint and a documented exit code
 * (errors.ts). bin.ts is the entry that runs it on process.argv. Commands load what they need inside their
 * action, so defining them (and `--help`) loads no AWS SDK.
 */
import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '#domain/errors';
import { register as registerBaselineExport } from './commands/baseline-export';
import { register as registerBlock } from './commands/block';
import { register as registerCheck } from './commands/check';
import { register as registerConfig } from './commands/config';
import { register as registerExplain } from './commands/explain';
import { register as registerList } from './commands/list';
import { register as registerPause } from './commands/pause';
import { register as registerResetBreaker } from './commands/reset-breaker';
import { register as registerResume } from './commands/resume';
import { register as registerSelftest } from './commands/selftest';
import { register as registerSimulate } from './commands/simulate';
import { register as registerStatus } from './commands/status';
import type { CliContext } from './context';
import { CliError, EXIT, type ExitCode, fromAwsError } from './errors';

/** The commands, in the order `--help` lists them. */
const COMMANDS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  registerBlock,
  registerList,
  registerExplain,
  registerCheck,
  registerResetBreaker,
  registerStatus,
  registerPause,
  registerResume,
  registerSelftest,
  registerConfig,
  registerSimulate,
  registerBaselineExport,
];

/**
 * The program with its global options (`--stack`, `--region`, `--config`, copied into `ctx.options` before an
 * action runs) and every command. Commander never exits the process: errors are thrown (exitOverride) and its
 * output goes to `ctx.out` / `ctx.err`.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('egress-warden')
    .description("Event-driven egress policy enforcement for AWS VPCs: the operator's tools.")
    .option('--stack <name>', "the stack (default: EGRESS_WARDEN_STACK, else the configuration's stackName)")
    .option('--region <region>', 'AWS Region (default: the standard AWS configuration)')
    .option(
      '--config <file>',
      'the configuration file (default: EGRESS_WARDEN_CONFIG_FILE, else egress-warden.config.json)',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.err(text.replace(/\n$/, '')),
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', HELP_AFTER);
  program.hook('preAction', () => {
    const { stack, region, config } = program.opts<{ stack?: string; region?: string; config?: string }>();
    if (stack !== undefined) ctx.options.stack = stack;
    if (region !== undefined) ctx.options.region = region;
    if (config !== undefined) ctx.options.config = config;
  });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

const HELP_AFTER = `
Exit codes:
  0  done
  1  the service or AWS failed
  2  bad usage, arguments or configuration
  3  refused by validation or a guard rail (nothing was sent)
  4  the stack or the indicator was not found
  5  no credentials, or access denied
  6  --wait timed out`;

/**
 * Runs one command line (`argv` without node and the script) and returns its exit code. Failures are printed
 * on `ctx.err` as `egress-warden: <message>` and `hint: <what to do next>`.
 */
export async function run(argv: readonly string[], ctx: CliContext): Promise<ExitCode> {
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, ctx, argv);
  }
}

function report(error: unknown, ctx: CliContext, argv: readonly string[]): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const failure = toCliError(error, argv);
  ctx.err(`egress-warden: ${failure.message}`);
  if (failure.hint) ctx.err(`hint: ${failure.hint}`);
  return failure.exitCode;
}

function toCliError(error: unknown, argv: readonly string[]): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof InvalidInputError) return new CliError(error.message, EXIT.usage, { cause: error });
  if (typeof error === 'object' && error !== null && ('$metadata' in error || isCredentialsError(error))) {
    const command = argv.find((arg) => !arg.startsWith('-')) ?? 'this command';
    return fromAwsError(error, `run ${command}`);
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.failed, { cause: error });
}

function isCredentialsError(error: object): boolean {
  return (error as { name?: unknown }).name === 'CredentialsProviderError';
}
