/**
 * The import boundaries in biome.json: the domain imports only the domain, and use cases reach the outside only
 * through ports. Each case writes a probe module into the folder, lints it with the project's Biome and removes it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIOME = join('node_modules', '.bin', 'biome');

/** The restricted-import diagnostics Biome reports for a module with `source` placed in `folder`. */
async function restrictedImports(folder: string, source: string): Promise<number> {
  const file = join(folder, `lint-probe-${randomUUID()}.ts`);
  await writeFile(file, `import { probe } from '${source}';\n\nexport const value = probe;\n`);
  try {
    const { stdout } = await run(BIOME, ['lint', '--reporter=json', file]).catch(
      (error: { stdout: string }) => error,
    );
    const report = JSON.parse(stdout) as { diagnostics: { category: string }[] };
    return report.diagnostics.filter((d) => d.category === 'lint/style/noRestrictedImports').length;
  } finally {
    await rm(file, { force: true });
  }
}

describe('import boundaries', () => {
  it.each([
    '@aws-sdk/client-ec2',
    '#adapters/retry',
    '#shared/adapters/aws/alerts',
    '#ports/clock',
    '#shared/use-cases/decide-signal',
    '../adapters/retry',
    '../../shared/intake/event',
    'node:fs/promises',
    'node:process',
  ])('refuses %s in shared/domain', async (source) => {
    expect(await restrictedImports('shared/domain', source)).toBe(1);
  });

  it.each(['./cidr', 'valibot', 'tldts'])('accepts %s in shared/domain', async (source) => {
    expect(await restrictedImports('shared/domain', source)).toBe(0);
  });

  it.each(['@aws-sdk/client-sns', '#adapters/retry', '#shared/adapters/aws/alerts', '../../adapters/retry'])(
    'refuses %s in shared/use-cases',
    async (source) => {
      expect(await restrictedImports('shared/use-cases/enforce', source)).toBe(1);
    },
  );

  it.each(['#ports/clock', '#domain/alert', '../dependencies'])(
    'accepts %s in shared/use-cases',
    async (source) => {
      expect(await restrictedImports('shared/use-cases/enforce', source)).toBe(0);
    },
  );
});
