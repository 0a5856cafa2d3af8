/** The hooks shared by the test files that run a function's handler on dynalite. */

import { afterAll, afterEach, vi } from 'vitest';
import { type Dynalite, useDynalite } from './dynalite';
import { type CapturedOutput, captureOutput } from './lambda-events';

/**
 * One dynalite for the calling file, the environment the file stubbed dropped after its tests, and the output
 * each test captures (through the `captureOutput` returned) restored after that test.
 */
export function useFunctionHooks(): { readonly dynalite: Dynalite; captureOutput(): CapturedOutput } {
  const dynalite = useDynalite();
  const captured: CapturedOutput[] = [];
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  afterEach(() => {
    for (const output of captured.splice(0)) output.restore();
  });
  return {
    dynalite,
    captureOutput: () => {
      const output = captureOutput();
      captured.push(output);
      return output;
    },
  };
}
