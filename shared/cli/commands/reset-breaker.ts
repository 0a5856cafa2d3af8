/** `reset-breaker`: closes the blast-radius breaker after a person reviewed what tripped it. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseTimeout } from '../parse';

interface ResetOptions {
  reason: string;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

/** Registers `reset-breaker`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('reset-breaker')
    .summary('close the breaker again (a Reset Breaker request on the warden bus)')
    .description(
      'Close the blast-radius breaker after reviewing what tripped it, so automated blocks resume. A closed breaker sends nothing.',
    )
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)')
    .option('--wait', 'wait until the breaker is closed')
    .option('--timeout <duration>', 'how long --wait waits', parseTimeout, parseTimeout('120s'))
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden reset-breaker --reason "reviewed: a real burst from one campaign (INC-4713)"\n  egress-warden reset-breaker --reason "reviewed" --wait',
    )
    .action(async (options: ResetOptions) => {
      const [manual, { CliError, EXIT, fromAwsError }, { toJson }] = await Promise.all([
        import('../manual'),
        import('../errors'),
        import('../format'),
      ]);
      manual.parseRequest('Reset Breaker', { reason: options.reason }, ctx.now());
      const store = await ctx.store();
      const readBreaker = () =>
        store.getBreaker().catch((error: unknown) => {
          throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
        });
      const breaker = await readBreaker();
      if (!breaker.open) {
        if (options.json) ctx.out(toJson({ sent: false, breaker }));
        else ctx.out('The breaker is closed: nothing to reset, nothing sent.');
        return;
      }
      const requestedBy = await manual.callerIdentity(ctx);
      if (!options.json) {
        ctx.out(
          `Will close the breaker, open since ${breaker.openedAt ?? 'an unknown time'} (${breaker.reason ?? 'no reason recorded'}).`,
        );
        ctx.out(`  requested by ${requestedBy}`);
      }
      const started = ctx.now().getTime();
      const detail = { reason: options.reason, requestedBy };
      const eventId = await manual.sendRequest(ctx, 'Reset Breaker', detail);
      if (!options.json) ctx.out(`Sent Reset Breaker ${eventId}.`);
      if (!options.wait) {
        if (options.json) ctx.out(toJson({ sent: true, eventId, breaker }));
        return;
      }
      const closed = await manual.pollUntil(
        ctx,
        async () => {
          const now = await readBreaker();
          return now.open ? undefined : now;
        },
        started + options.timeout,
        () =>
          new CliError('timed out waiting for the breaker to close (hop: bus → decide)', EXIT.timeout, {
            hint: "the request was sent; check the decide function's logs and the dead-letter queue",
          }),
      );
      if (options.json) ctx.out(toJson({ sent: true, eventId, breaker: closed }));
      else ctx.out('The breaker is closed: automated blocks resume.');
    });
}
