/**
 * Builds the published `egress-warden` command (`npm run build:cli`, also run by `prepack`): one ES module
 * bundle with a shebang, split so that the entry holds only the command definitions and each action's code
 * (the AWS SDK clients, the use cases) is a chunk loaded when that action runs. `--help` loads the entry only.
 */

import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { builtinsViaRequire } from '../../infra/builtins-via-require';
import { assertSplittable, bundleBytes, filesReadWith } from '../../infra/metafile';
import { sdkSchemaKeys } from '../../infra/sdk-schema-keys';

/** The repository root. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folder the bundle is written to, and its entry (the package's `bin`). */
const CLI_OUTDIR = `${ROOT}dist/cli`;
export const CLI_BUNDLE = `${CLI_OUTDIR}/egress-warden.mjs`;

/**
 * Writes the bundle to {@link CLI_OUTDIR}; the metafile says what each file holds and imports. Throws when the
 * code imports a CommonJS module dynamically (see assertSplittable).
 */
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
    // Unused SDK schemas dropped and built-ins loaded with require, as in the functions' bundles.
    plugins: [sdkSchemaKeys, builtinsViaRequire],
    minify: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  assertSplittable(result.metafile, 'the egress-warden bundle');
  return result.metafile;
}

/** The bundle's entry file, as a key of the metafile's outputs. */
export function entryOutput(metafile: Metafile): string | undefined {
  return Object.keys(metafile.outputs).find((file) => file.endsWith('egress-warden.mjs'));
}

/**
 * The source files `--help` loads: those of the entry and of every chunk it imports statically (dynamic
 * imports load only when an action runs).
 */
export function startupInputs(metafile: Metafile): string[] {
  const entry = entryOutput(metafile);
  const files = entry ? filesReadWith(metafile, entry) : [];
  return files.flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const metafile = await buildCliBundle();
  process.stdout.write(
    `${CLI_BUNDLE}: ${Object.keys(metafile.outputs).length} files, ${Math.round(bundleBytes(metafile) / 1024)} KiB\n`,
  );
}
