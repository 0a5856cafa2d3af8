/** `list`: the decisions, as a table for people or a JSON array for scripts. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Decision } from '#domain/decision';
import { SIGNAL_SOURCES } from '#domain/signal';
import type { CliContext } from '../context';

interface ListOptions {
  kind?: 'domain' | 'ip' | 'cidr';
  source?: string;
  all?: boolean;
  json?: boolean;
}

/** Registers `list`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .summary('the active decisions (every status with --all)')
    .description(
      'List the active decisions with their expiry and time left, source, severity and targets; with --all, every decision in any status (shadow, expired, unblocked, lifted).',
    )
    .addOption(new Option('--kind <kind>', 'only this kind of indicator').choices(['domain', 'ip', 'cidr']))
    .option('--source <source>', `only from this source (${SIGNAL_SOURCES.join(', ')})`, (value) => {
      if (!(SIGNAL_SOURCES as readonly string[]).includes(value))
        throw new InvalidArgumentError(`"${value}" is not a source: use one of ${SIGNAL_SOURCES.join(', ')}`);
      return value;
    })
    .option('--all', 'every decision, in any status (reads the whole table)')
    .option('--json', 'print a JSON array')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden list\n  egress-warden list --kind domain --source guardduty\n  egress-warden list --all --json | jq \'.[] | select(.status == "shadow")\'',
    )
    .action(async (options: ListOptions) => {
      const [{ fromAwsError }, { formatTable, timeLeft, toJson }] = await Promise.all([
        import('../errors'),
        import('../format'),
      ]);
      let decisions: Decision[];
      try {
        if (options.all) {
          const [{ scanDecisions }, client, { tableName }] = await Promise.all([
            import('#adapters/aws/decision-scan'),
            ctx.clients.dynamoDb(),
            ctx.deployment(),
          ]);
          decisions = await scanDecisions(client, tableName);
        } else decisions = await (await ctx.store()).listActive();
      } catch (error) {
        throw fromAwsError(error, `read the decision table (dynamodb:${options.all ? 'Scan' : 'Query'})`);
      }
      const now = ctx.now();
      const shown = decisions
        .filter((d) => options.kind === undefined || d.indicator.kind === options.kind)
        .filter((d) => options.source === undefined || d.source === options.source)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      if (options.json) {
        ctx.out(
          toJson(
            shown.map((d) => ({
              indicator: d.key,
              kind: d.indicator.kind,
              status: d.status,
              source: d.source,
              detector: d.detector,
              severity: d.severity,
              targets: d.targets,
              expiresAt: d.expiresAt,
              requestedBy: d.requestedBy ?? null,
              reason: d.reason,
              updatedAt: d.updatedAt,
            })),
          ),
        );
        return;
      }
      if (shown.length === 0) {
        ctx.out(options.all ? 'No decisions.' : 'No active decisions.');
        return;
      }
      ctx.out(
        formatTable(
          ['INDICATOR', 'KIND', 'STATUS', 'SOURCE', 'SEV', 'TARGETS', 'EXPIRES', 'LEFT'],
          shown.map((d) => [
            d.key,
            d.indicator.kind,
            d.status,
            d.source,
            String(d.severity),
            d.targets.join(',') || '-',
            d.expiresAt ?? 'never',
            d.status === 'active' ? timeLeft(d.expiresAt, now) : '-',
          ]),
        ),
      );
      ctx.out(`${shown.length} decision${shown.length === 1 ? '' : 's'}.`);
    });
}
