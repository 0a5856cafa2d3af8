/** `config validate`: checks a configuration file with the deployment's schema before a deploy. */
import type { Command } from 'commander';
import type { CliContext } from '../context';

/** Registers `config validate`. */
export function register(program: Command, ctx: CliContext): void {
  const config = program.command('config').summary('work with the configuration file');
  config
    .command('validate')
    .summary('check a configuration file: OK and a summary, or every error naming the field')
    .description(
      'Check a configuration file with the schema the stack is deployed with. Prints OK and a summary, or every error naming the field (exit 2).',
    )
    .argument(
      '[file]',
      'the file (default: --config, EGRESS_WARDEN_CONFIG_FILE, else egress-warden.config.json)',
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden config validate egress-warden.config.json\n  egress-warden config validate prod.json --json',
    )
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      const [{ validateConfigFile, summaryLines }, { CliError, EXIT }, { toJson }] = await Promise.all([
        import('../validate-config'),
        import('../errors'),
        import('../format'),
      ]);
      const path = file ?? ctx.configPath();
      const report = await validateConfigFile(path);
      if (options.json) ctx.out(toJson(report));
      else if (report.valid) ctx.out(`OK: ${path}`, ...summaryLines(report.summary));
      else for (const error of report.errors) ctx.out(`${path}: ${error}`);
      if (!report.valid) {
        throw new CliError(
          `${path} is not a valid configuration (${report.errors.length} error${report.errors.length === 1 ? '' : 's'})`,
          EXIT.usage,
          { hint: 'fix each field named above; the README lists every setting' },
        );
      }
    });
}
