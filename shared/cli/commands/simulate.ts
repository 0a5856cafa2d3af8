/**
 * `simulate`: runs the whole loop locally on sample events and raw logs with in-memory targets, so a policy or
 * a detector setting can be tried without an AWS account.
 */
import type { Command } from 'commander';
import { parseDuration } from '#domain/duration';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { cliValue, parseTime, readJsonFile } from '../parse';

/** Registers `simulate`; its `--config` is the global one, read as a simulation configuration. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .summary('decide sample events and logs against in-memory targets (no AWS account needed)')
    .description(
      'Decide and enforce sample events against in-memory targets (no AWS account needed). --config names a simulation configuration (JSON: policy, vpcs, networkFirewall).',
    )
    .argument(
      '[paths...]',
      'event files (JSON: one event or an array), raw logs (.log, .log.gz, .jsonl, .jsonl.gz) or folders',
      ['events'],
    )
    .option('--now <iso>', 'the simulated time (default: the newest event or detection time)', parseTime)
    .option('--advance <duration>', 'then move the clock on (e.g. 5h, PT5H) and reconcile again', (value) =>
      cliValue(() => parseDuration(value, '--advance')),
    )
    .option('--json', 'print exactly one JSON document')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  egress-warden simulate events',
        '  egress-warden simulate events/guardduty/c2-domain.json --now 2026-12-01T12:00:00Z --advance 5h',
        '  egress-warden --config my-policy.json simulate logs/ --json',
      ].join('\n'),
    )
    .action(async (paths: string[], options: { now?: Date; advance?: number; json?: boolean }) => {
      const [{ parseSimulationConfig }, { simulate }, { loadEvents }, { formatReport }, { toJson }] =
        await Promise.all([
          import('#shared/simulation/config'),
          import('#shared/simulation/simulate'),
          import('../load-events'),
          import('../format-report'),
          import('../format'),
        ]);
      const config = ctx.options.config
        ? await readJsonFile('--config', ctx.options.config, parseSimulationConfig)
        : parseSimulationConfig();
      const { inputs, logs, rejected } = await loadEvents(paths).catch((error: unknown) => {
        throw new CliError((error as Error).message, EXIT.usage, { cause: error });
      });
      const result = await simulate(inputs, config, {
        logs,
        ...(options.now ? { now: options.now } : {}),
        ...(options.advance ? { advanceMs: options.advance } : {}),
      });
      const merged = { ...result, rejected: [...rejected, ...result.rejected] };
      if (options.json) {
        const { decisions, breakerResets, pauses, targets, alerts } = merged;
        ctx.out(
          toJson({
            decisions,
            rejected: merged.rejected,
            breakerResets,
            pauses,
            targets,
            alerts,
            logs: merged.logs,
          }),
        );
      } else {
        const advanced = options.advance ? `, then +${options.advance / 60_000} min` : '';
        const read = logs.length > 0 ? ` and ${logs.length} log files` : '';
        const header = `Egress Warden simulation: ${inputs.length} events${read} from ${paths.join(', ')} at ${result.now}${advanced}`;
        ctx.out(formatReport(merged, header));
      }
    });
}
