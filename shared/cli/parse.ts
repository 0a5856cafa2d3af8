/** Parsers for option values and files, shared by the commands; every error names the option and the value. */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '#domain/duration';
import { quotedExcerpt } from '#domain/errors';
import { VPC_ID } from '#shared/config/aws-ids';
import { CliError, EXIT } from './errors';

/** An ISO 8601 time; commander reports the error with the option's name. */
export function parseTime(value: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new InvalidArgumentError(`${quotedExcerpt(value, 64)} is not an ISO 8601 time`);
  return time;
}

/** Runs a core parser for an option value, turning its error into commander's, which names the option. */
export function cliValue<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A `--timeout` value (120s, 5m, PT2M) in milliseconds. */
export function parseTimeout(value: string): number {
  return cliValue(() => parseDuration(value, '--timeout'));
}

/** A `--vpc` value: a VPC id as EC2 writes it. */
export function parseVpcId(value: string): string {
  if (VPC_ID.test(value)) return value;
  throw new InvalidArgumentError(`${quotedExcerpt(value, 64)} is not a VPC id (vpc-0123456789abcdef0)`);
}

/** A `--targets` value: names separated by commas (the intake checks each name). */
export function parseTargets(value: string): string[] {
  return value.split(',').map((name) => name.trim());
}

/** How long `--wait` waits when `--timeout` is not given. */
const DEFAULT_WAIT_TIMEOUT = '120s';

/** Adds the options every request command has: `--wait` (described by `waitHelp`), `--timeout`, `--json`. */
export function addWaitOptions(command: Command, waitHelp: string): Command {
  return command
    .option('--wait', waitHelp)
    .option('--timeout <duration>', 'how long --wait waits', parseTimeout, parseTimeout(DEFAULT_WAIT_TIMEOUT))
    .option('--json', 'print one JSON document');
}

/**
 * Reads a JSON file given with `option` (such as `--config`) and validates it with `parse`. Throws CliError
 * (exit 2) naming the option, the file and, for invalid content, the field.
 */
export async function readJsonFile<T>(
  option: string,
  path: string,
  parse: (input: unknown) => T,
): Promise<T> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CliError(`${option} ${path}: cannot read the file`, EXIT.usage);
  });
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    const problem =
      error instanceof SyntaxError ? `not valid JSON: ${error.message}` : (error as Error).message;
    throw new CliError(`${option} ${path}: ${problem}`, EXIT.usage, { cause: error });
  }
}
