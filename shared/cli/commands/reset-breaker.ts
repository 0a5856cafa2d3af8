/** `reset-breaker`: closes the blast-radius breaker after a person reviewed what tripped it. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import type { StateRequestOptions } from '../manual';
import { addWaitOptions } from '../parse';

/** Registers `reset-breaker`. */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('reset-breaker')
    .summary('close the breaker again (a Reset Breaker request on the warden bus)')
    .description(
      'Close the blast-radius breaker after reviewing what tripped it, so automated blocks resume. A closed breaker sends nothing.',
    )
    .requiredOption('--reason <text>', 'why (kept in the audit trail and the alert)');
  addWaitOptions(command, 'wait until the breaker is closed')
    .addHelpText(
      'after',
      '\nExamples:\n  egress-warden reset-breaker --reason "reviewed: a real burst from one campaign (INC-4713)"\n  egress-warden reset-breaker --reason "reviewed" --wait',
    )
    .action(async (options: StateRequestOptions) => {
      const { submitStateRequest } = await import('../manual');
      await submitStateRequest(
        ctx,
        {
          detailType: 'Reset Breaker',
          name: 'breaker',
          read: (store) => store.getBreaker(),
          reached: (breaker) => !breaker.open,
          already: () => 'The breaker is closed: nothing to reset, nothing sent.',
          will: (breaker) =>
            `Will close the breaker, open since ${breaker.openedAt ?? 'an unknown time'} (${breaker.reason ?? 'no reason recorded'}).`,
          waitingFor: 'the breaker to close',
          done: 'The breaker is closed: automated blocks resume.',
        },
        options,
      );
    });
}
