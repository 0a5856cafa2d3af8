import { describe, expect, it } from 'vitest';
import { buildCliBundle, CLI_BUNDLE, startupInputs } from '#shared/cli/bundle';
import { type ProcessRun, runNode } from './node-process';

function runBundle(...args: string[]): Promise<ProcessRun> {
  return runNode([CLI_BUNDLE, ...args]);
}

describe('the published egress-warden bundle', () => {
  it('starts without loading the AWS SDK or the use cases, and runs a command from its chunks', async () => {
    // Prepare
    const metafile = await buildCliBundle();

    // Act
    const help = await runBundle('--help');
    const validate = await runBundle('config', 'validate', 'egress-warden.config.json');

    // Assess
    const loaded = startupInputs(metafile);
    expect(loaded).toContain('shared/cli/main.ts');
    expect(loaded.filter((input) => /@aws-sdk|@smithy|use-cases|valibot/.test(input))).toEqual([]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: egress-warden');
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toContain('OK: egress-warden.config.json');
  });
});
