/**
 * Builds the published `egress-warden` command (`npm run build:cli`, also run by `prepack`): one ES module
 * bundle with a shebang, split so that the entry holds only the command definitions and each action's code
 * (the AWS SDK clients, the use cases) is a chunk loaded when that action runs. `--help` loads the entry only.
 */

import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { sdkSchemaKeys } from '../../infra/sdk-schema-keys';

/** The repository root. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folder the bundle is written to, and its entry (the package's `bin`). */
const CLI_OUTDIR = `${ROOT}dist/cli`;
export const CLI_BUNDLE = `${CLI_OUTDIR}/egress-warden.mjs`;

/** Writes the bundle to {@link CLI_OUTDIR}; the metafile says what each file holds and imports. */
export async function buildCliBundle(): Promise<Metafile> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { 'egress-warden': 'shared/cli/bin.ts' },
    outdir: CLI_OUTDIR,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The SDK's ES module builds, so the bundle can drop what is not called.
    mainFields: ['module', 'main'],
    // CommonJS dependencies bundled into ES modules still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    // Unused SDK schemas dropped, as in the functions' bundles.
    plugins: [sdkSchemaKeys],
    minify: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

/**
 * The source files `--help` loads: those of the entry and of every chunk it imports statically (dynamic
 * imports load only when an action runs).
 */
export function startupInputs(metafile: Metafile): string[] {
  const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('egress-warden.mjs'));
  const seen = new Set<string>();
  const pending = entry ? [entry] : [];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
  return [...seen].flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outputs } = await buildCliBundle();
  const total = Object.values(outputs).reduce((sum, output) => sum + output.bytes, 0);
  process.stdout.write(
    `${CLI_BUNDLE}: ${Object.keys(outputs).length} files, ${Math.round(total / 1024)} KiB\n`,
  );
}
