/**
 * `explain`: why an indicator is (or is not) blocked: its record, its audit trail, what each target holds for it
 * now and the policy now.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';

/** Registers `explain`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('explain')
    .summary('why an indicator is or is not blocked: record, audit trail, policy')
    .description(
      'Show the decision record of an indicator and its audit trail (evidence, who, when, why), what each target holds for it now (the DNS Firewall domain list and the Network Firewall rule group read live, the network ACL entries from the ledger of what Egress Warden wrote), and what the policy would do with it now (allowlist, guard rails, thresholds, targets and their modes). Exit 4 when it was never decided.',
    )
    .argument('<indicator>', 'a domain, IP address or CIDR')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden explain evil.example.com\n  egress-warden explain 203.0.113.45 --json',
    )
    .action(async (raw: string, options: { json?: boolean }) => {
      const [{ parseIndicator }, { CliError, EXIT, fromAwsError }, format, policy, holdings] =
        await Promise.all([
          import('#domain/indicator'),
          import('../errors'),
          import('../format'),
          import('../policy'),
          import('../holdings'),
        ]);
      const indicator = (() => {
        try {
          return parseIndicator(raw, 'indicator');
        } catch (error) {
          throw new CliError((error as Error).message, EXIT.usage, { cause: error });
        }
      })();
      const key = indicator.value;
      const store = await ctx.store();
      const [decision, audit] = await Promise.all([store.get(key), store.listAudit(key)]).catch(
        (error: unknown) => {
          throw fromAwsError(error, 'read the decision table (dynamodb:GetItem, dynamodb:Query)');
        },
      );
      const deployed = await policy.deployedPolicy(ctx);
      const view = policy.policyView(indicator, deployed.policy);
      const held = await holdings.readHoldings(ctx, indicator, deployed.config);
      const now = ctx.now();
      if (options.json) {
        ctx.out(
          format.toJson({ indicator: key, decision: decision ?? null, audit, targets: held, policy: view }),
        );
      } else {
        ctx.out(`${key} (${indicator.kind})`);
        if (decision) {
          const left =
            decision.status === 'active' ? ` (${format.timeLeft(decision.expiresAt, now)} left)` : '';
          ctx.out(
            [
              `  status: ${decision.status}, ${decision.expiresAt === null ? 'permanent' : `expires ${decision.expiresAt}`}${left}`,
              `  why: ${decision.reason}`,
              `  source: ${decision.source} (${decision.detector}), severity ${decision.severity}${decision.requestedBy ? `, requested by ${decision.requestedBy}` : ''}`,
              `  targets: ${decision.targets.join(', ') || 'none'}${decision.overflow?.length ? `; did not fit in ${decision.overflow.join(', ')}` : ''}`,
              `  decided ${decision.createdAt}, updated ${decision.updatedAt}, offences in the window: ${decision.offences.length}`,
              ...decision.workloads.map(
                (w) =>
                  `  workload: ${[w.account, w.region, w.vpcId, w.instanceId].filter(Boolean).join(' ')}`,
              ),
              ...(decision.suppressions ?? []).map(
                (s) =>
                  `  suppressed: ${s.key} may not block it again until ${s.until} (unblocked by ${s.by})`,
              ),
            ].join('\n'),
          );
        } else ctx.out('  never decided: no record in the decision table');
        ctx.out('', `Audit trail (${audit.length})`);
        for (const record of audit) {
          ctx.out(`  ${record.at}  ${record.event.toUpperCase()}  by ${record.actor}`);
          ctx.out(`    ${record.reason}`);
          if (record.evidence) ctx.out(`    evidence ${record.evidence.key}: ${record.evidence.summary}`);
        }
        ctx.out('', 'Targets now', ...holdings.holdingLines(held));
        ctx.out('', 'Policy now', ...policy.policyLines(view));
        if (deployed.unknownVpcs.length > 0) {
          ctx.out(
            `  note: the CIDRs of ${deployed.unknownVpcs.join(', ')} are not recorded yet, so they are not checked here`,
          );
        }
      }
      if (!decision && audit.length === 0) {
        throw new CliError(`${key} was never decided`, EXIT.notFound, {
          hint: '`egress-warden list --all` lists every decision; `egress-warden check` says what a block would do',
        });
      }
    });
}
