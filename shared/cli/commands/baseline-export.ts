/** `baseline-export`: a deployed VPC's established domains, as a draft allowlist to review. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseVpcId, readJsonFile } from '../parse';

/**
 * Registers `baseline-export`; `--config` (global) names the thresholds to apply, else the defaults. The table is
 * the deployment's (`--stack`) unless `--table` names one.
 */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('baseline-export')
    .summary("print a VPC's established domains as a draft allowlist")
    .description(
      "Print a VPC's established domains (learned from its DNS query logs) as a draft allowlist to review, one a line. --config names the configuration whose detectors.dns.baseline thresholds apply (default: the defaults).",
    )
    .option('--table <name>', "the decision table (default: the stack's DecisionTableName output)")
    .requiredOption('--vpc <id>', 'the VPC whose baseline to read', parseVpcId)
    .option('--json', 'print a JSON array')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden baseline-export --vpc vpc-0123456789abcdef0 > allowlist.txt\n  egress-warden baseline-export --table EgressWarden-DecisionTable --vpc vpc-0123456789abcdef0 --json',
    )
    .action(async (options: { table?: string; vpc: string; json?: boolean }) => {
      const [
        { parseConfig },
        { parseSimulationConfig },
        { DynamoDbDomainBaselineStore },
        { exportEstablishedDomains },
      ] = await Promise.all([
        import('#shared/config/config'),
        import('#shared/simulation/config'),
        import('#adapters/aws/domain-baseline'),
        import('#shared/use-cases/export-baseline'),
      ]);
      // A deployment's file: its VPCs need not list their CIDRs, as a simulation's must.
      const config = ctx.options.config
        ? await readJsonFile('--config', ctx.options.config, (input) => parseConfig(input))
        : parseSimulationConfig().config;
      const store = new DynamoDbDomainBaselineStore({
        client: await ctx.clients.dynamoDb(),
        tableName: options.table ?? (await ctx.deployment()).tableName,
      });
      const domains = await exportEstablishedDomains(store, options.vpc, config.detectors.dns.baseline);
      if (options.json) ctx.out(JSON.stringify(domains));
      else for (const domain of domains) ctx.out(domain);
    });
}
