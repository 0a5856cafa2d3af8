/** `check`: would a manual block be allowed, on which targets, for how long; without doing anything. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseTargets } from '../parse';

interface CheckOptions {
  ttl?: string;
  permanent?: boolean;
  targets?: string[];
  json?: boolean;
}

/** Registers `check`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .summary('would a block be allowed, on which targets, for how long (sends nothing)')
    .description(
      'Say whether a manual block of an indicator would be allowed, on which targets and in which modes, for how long, and how long an automated block would last given its offence history. Sends nothing; exit 3 when the block would be refused.',
    )
    .argument('<indicator>', 'a domain, IP address or CIDR')
    .option('--ttl <duration>', "the block's duration (default: the policy's manualDefaultTtl)")
    .option('--permanent', 'a permanent block')
    .option('--targets <names>', 'only these targets: dnsFirewall,networkAcls,networkFirewall', parseTargets)
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden check evil.example.com\n  egress-warden check 10.0.0.0/8 --ttl 4h\n  egress-warden check 203.0.113.45 --json',
    )
    .action(async (indicator: string, options: CheckOptions) => {
      const [{ decide }, manual, policy, format, { CliError, EXIT }] = await Promise.all([
        import('#domain/decide'),
        import('../manual'),
        import('../policy'),
        import('../format'),
        import('../errors'),
      ]);
      const detail = {
        indicator,
        reason: 'what-if',
        requestedBy: 'egress-warden check',
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
        ...(options.permanent ? { permanent: true } : {}),
        ...(options.targets ? { targets: options.targets } : {}),
      };
      const signal = manual.signalOf(manual.parseRequest('Block Request', detail, ctx.now()));
      const { result, current, deployed } = await manual.previewSignal(ctx, signal);
      const now = ctx.now();
      // What an automated signal would get: the ladder tier its offence history reaches.
      const automated = decide(
        {
          ...signal,
          source: 'guardduty',
          severity: 10,
          detector: 'check',
          evidence: { key: 'check:automated', summary: 'check' },
          request: undefined,
        },
        current,
        { policy: deployed.policy, now, breaker: manual.CLOSED_BREAKER },
      );
      const duration = (expiresAt: string | null) =>
        expiresAt === null ? null : Date.parse(expiresAt) - now.getTime();
      const refused = manual.isRefused(result);
      const view = policy.policyView(signal.indicator, deployed.policy);
      const modes = result.targets.map((target) => ({
        target,
        mode: view.targets.find((t) => t.target === target)?.mode ?? 'off',
      }));
      if (options.json) {
        ctx.out(
          format.toJson({
            indicator: signal.indicator.value,
            allowed: !refused,
            outcome: result.outcome,
            ...(result.skipReason ? { skipReason: result.skipReason } : {}),
            reason: result.reason,
            targets: modes,
            expiresAt: result.expiresAt,
            durationMs: duration(result.expiresAt),
            automated: { outcome: automated.outcome, durationMs: duration(automated.expiresAt) },
            current: current
              ? { status: current.status, expiresAt: current.expiresAt, offences: current.offences.length }
              : null,
          }),
        );
      } else {
        const value = signal.indicator.value;
        if (refused) ctx.out(`A block of ${value} would be refused: ${result.reason}`);
        else {
          const until = result.expiresAt === null ? 'permanently' : `until ${result.expiresAt}`;
          ctx.out(
            `A block of ${value} would be allowed: ${result.outcome}, ${format.describeDuration(duration(result.expiresAt))} (${until})`,
            `  on ${modes.map(({ target, mode }) => `${target} (${mode === 'enforce' ? 'enforce' : `${mode}: shadow only`})`).join(', ')}`,
          );
        }
        ctx.out(
          current
            ? `  now: ${current.status}${current.expiresAt ? ` until ${current.expiresAt}` : ''}; ${current.offences.length} offence${current.offences.length === 1 ? '' : 's'} in the repeat window`
            : '  now: never decided',
        );
        if (!refused && ['blocked', 'extended', 'shadow'].includes(automated.outcome)) {
          ctx.out(
            `  an automated block now would last ${format.describeDuration(duration(automated.expiresAt)).replace(/^for /, '')}`,
          );
        }
        ctx.out('', 'Policy now', ...policy.policyLines(view));
      }
      if (refused) throw new CliError(`refused: ${result.reason}`, EXIT.refused);
    });
}
