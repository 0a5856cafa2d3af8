/** `pause` and `resume`: the emergency brake, as Pause and Resume requests on the warden bus. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import type { StateRequestOptions } from '../manual';
import { addWaitOptions } from '../parse';

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
  const command = program
    .command(brake.command)
    .summary(brake.summary)
    .description(brake.description)
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)');
  addWaitOptions(command, `wait until the service is ${brake.paused ? 'paused' : 'resumed'}`)
    .addHelpText(
      'after',
      `\nExamples:\n  ${brake.example}\n  egress-warden ${brake.command} --reason "…" --json`,
    )
    .action(async (options: StateRequestOptions) => {
      const { submitStateRequest } = await import('../manual');
      await submitStateRequest(
        ctx,
        {
          detailType,
          name: 'pause',
          read: (store) => store.getPause(),
          reached: (pause) => pause.paused === brake.paused,
          already: (pause) => {
            const since = pause.since
              ? ` since ${pause.since} (by ${pause.by ?? 'unknown'}: ${pause.reason ?? 'no reason'})`
              : '';
            return `${brake.already}${since}: nothing sent.`;
          },
          will: () => brake.will,
          waitingFor: `the service to be ${brake.paused ? 'paused' : 'resumed'}`,
          done: brake.done,
        },
        options,
      );
    });
}
