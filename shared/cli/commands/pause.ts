/** `pause` and `resume`: the emergency brake, as Pause and Resume requests on the warden bus. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parseTimeout } from '../parse';

interface BrakeOptions {
  reason: string;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

/** What each of the two commands says and sends. */
const BRAKES = {
  Pause: {
    command: 'pause',
    paused: true,
    summary: 'the emergency brake: every target to alert mode (a Pause request on the warden bus)',
    description:
      'Pause Egress Warden: every target then runs as in alert mode. New blocks, manual ones included, are ' +
      'recorded as shadow decisions and nothing that blocks more is written; expiries, unblocks and ' +
      'allowlisting still reach the targets. Pausing does not open what is already blocked: use unblock for ' +
      'that. A paused deployment sends nothing.',
    will: 'Will pause Egress Warden: every target runs as in alert mode until resumed; blocks in force stay (unblock opens them).',
    already: 'Egress Warden is already paused',
    done: 'Paused: new blocks are shadowed; blocks in force stay until they expire or are unblocked.',
    example: 'egress-warden pause --reason "blocks during the payments rollout look wrong (INC-4712)" --wait',
  },
  Resume: {
    command: 'resume',
    paused: false,
    summary: 'release the emergency brake: targets back to their modes (a Resume request)',
    description:
      'Resume Egress Warden after a pause: targets run in their configured modes again. Signals shadowed while ' +
      'paused are not replayed. A deployment that is not paused sends nothing.',
    will: 'Will resume Egress Warden: targets run in their configured modes again.',
    already: 'Egress Warden is not paused',
    done: 'Resumed: targets run in their configured modes again.',
    example:
      'egress-warden resume --reason "reviewed: the allowlist now holds the provider (INC-4712)" --wait',
  },
} as const;

/** Registers `pause`. */
export function register(program: Command, ctx: CliContext): void {
  registerBrake(program, ctx, 'Pause');
}

/** Registers `pause` or `resume`: they differ only in the request and the state they wait for. */
export function registerBrake(program: Command, ctx: CliContext, detailType: 'Pause' | 'Resume'): void {
  const brake = BRAKES[detailType];
  program
    .command(brake.command)
    .summary(brake.summary)
    .description(brake.description)
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)')
    .option('--wait', `wait until the service is ${brake.paused ? 'paused' : 'resumed'}`)
    .option('--timeout <duration>', 'how long --wait waits', parseTimeout, parseTimeout('120s'))
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `\nExamples:\n  ${brake.example}\n  egress-warden ${brake.command} --reason "…" --json`,
    )
    .action(async (options: BrakeOptions) => {
      const [manual, { CliError, EXIT, fromAwsError }, { toJson }] = await Promise.all([
        import('../manual'),
        import('../errors'),
        import('../format'),
      ]);
      manual.parseRequest(detailType, { reason: options.reason }, ctx.now());
      const store = await ctx.store();
      const readPause = () =>
        store.getPause().catch((error: unknown) => {
          throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
        });
      const pause = await readPause();
      if (pause.paused === brake.paused) {
        if (options.json) ctx.out(toJson({ sent: false, pause }));
        else {
          const since = pause.since
            ? ` since ${pause.since} (by ${pause.by ?? 'unknown'}: ${pause.reason ?? 'no reason'})`
            : '';
          ctx.out(`${brake.already}${since}: nothing sent.`);
        }
        return;
      }
      const requestedBy = await manual.callerIdentity(ctx);
      if (!options.json) ctx.out(brake.will, `  requested by ${requestedBy}`);
      const started = ctx.now().getTime();
      const eventId = await manual.sendRequest(ctx, detailType, { reason: options.reason, requestedBy });
      if (!options.json) ctx.out(`Sent ${detailType} ${eventId}.`);
      if (!options.wait) {
        if (options.json) ctx.out(toJson({ sent: true, eventId, pause }));
        return;
      }
      const reached = await manual.pollUntil(
        ctx,
        async () => {
          const now = await readPause();
          return now.paused === brake.paused ? now : undefined;
        },
        started + options.timeout,
        () =>
          new CliError(
            `timed out waiting for the service to be ${brake.paused ? 'paused' : 'resumed'} (hop: bus → decide)`,
            EXIT.timeout,
            { hint: "the request was sent; check the decide function's logs and the dead-letter queue" },
          ),
      );
      if (options.json) ctx.out(toJson({ sent: true, eventId, pause: reached }));
      else ctx.out(brake.done);
    });
}
