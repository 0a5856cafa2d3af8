/** `resume`: releases the emergency brake (a Resume request on the warden bus); see pause.ts. */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { registerBrake } from './pause';

/** Registers `resume`. */
export function register(program: Command, ctx: CliContext): void {
  registerBrake(program, ctx, 'Resume');
}
