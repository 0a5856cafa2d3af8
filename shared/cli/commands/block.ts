/** `block` and `unblock`: manual requests on the warden bus, checked locally first. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { addWaitOptions, parseTargets } from '../parse';

const WAIT_HELP = 'wait until the decision is recorded and the targets applied, then print it';

interface BlockOptions {
  reason: string;
  ttl?: string;
  permanent?: boolean;
  targets?: string[];
  severity?: string;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

/** Registers `block` and `unblock`. */
export function register(program: Command, ctx: CliContext): void {
  const block = program
    .command('block')
    .summary('block a domain, IP address or CIDR (a Block Request on the warden bus)')
    .description(
      "Block a domain, IP address or CIDR. It is checked first with the service's own parser, guard rails and allowlist (a refused indicator sends nothing, exit 3); then a Block Request with your identity (STS) as requestedBy goes on the warden bus.",
    )
    .argument('<indicator>', 'a domain (evil.example.com, *.evil.example.com), an IP address or a CIDR')
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)')
    .option('--ttl <duration>', "how long (4h, 7d, PT4H; default: the policy's manualDefaultTtl)")
    .option('--permanent', 'until unblocked')
    .option('--targets <names>', 'only these targets: dnsFirewall,networkAcls,networkFirewall', parseTargets)
    .option('--severity <n>', 'rank among blocks when a target is full (0-10, default 8)');
  addWaitOptions(block, WAIT_HELP)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  egress-warden block evil.example.com --reason "C2 seen in proxy logs (INC-4711)" --ttl 4h',
        '  egress-warden block 198.51.100.128/25 --reason "bulletproof hosting" --permanent --targets networkAcls',
        '  egress-warden --stack Prod-Warden block 203.0.113.45 --reason "exfiltration" --ttl 7d --wait',
      ].join('\n'),
    )
    .action(async (indicator: string, options: BlockOptions) => {
      const { submitIndicatorRequest } = await import('../submit');
      const severity = options.severity === undefined ? undefined : numberOrText(options.severity);
      await submitIndicatorRequest(ctx, {
        detailType: 'Block Request',
        detail: {
          indicator,
          reason: options.reason,
          ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
          ...(options.permanent ? { permanent: true } : {}),
          ...(options.targets ? { targets: options.targets } : {}),
          ...(severity === undefined ? {} : { severity }),
        },
        wait: options.wait ?? false,
        timeoutMs: options.timeout,
        json: options.json ?? false,
      });
    });

  const unblock = program
    .command('unblock')
    .summary('lift a block (an Unblock Request on the warden bus)')
    .description(
      'Lift the block on a domain, IP address or CIDR. An indicator that is not blocked sends nothing (exit 4), and says which wider block covers it, if one does.',
    )
    .argument('<indicator>', 'the blocked domain, IP address or CIDR')
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)');
  addWaitOptions(unblock, WAIT_HELP)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  egress-warden unblock evil.example.com --reason "false positive: our CDN (INC-4712)"',
        '  egress-warden unblock 203.0.113.45 --reason "incident closed" --wait --timeout 5m',
      ].join('\n'),
    )
    .action(
      async (
        indicator: string,
        options: Omit<BlockOptions, 'ttl' | 'permanent' | 'targets' | 'severity'>,
      ) => {
        const { submitIndicatorRequest } = await import('../submit');
        await submitIndicatorRequest(ctx, {
          detailType: 'Unblock Request',
          detail: { indicator, reason: options.reason },
          wait: options.wait ?? false,
          timeoutMs: options.timeout,
          json: options.json ?? false,
        });
      },
    );
}

/** A number when the text is one; the text otherwise, for the intake to refuse with its own message. */
function numberOrText(value: string): number | string {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? number : value;
}
