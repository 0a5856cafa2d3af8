/**
 * The one esbuild configuration of the functions, shared by the stack (each function's code is built here, by
 * the local esbuild, no Docker), the benchmark and the IAM test (`buildFunctions`), so that what is measured
 * and checked is what is deployed.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { builtinsViaRequire } from './builtins-via-require';
import { assertSplittable, filesReadWith } from './metafile';
import { sdkSchemaKeys } from './sdk-schema-keys';

/** The log detectors: deployed only when the configuration turns them on (`detectors.deploy`). */
export const DETECTOR_FUNCTION_NAMES = ['detect-dns', 'detect-flows'] as const;

/** The functions, by name: each is `functions/<name>/handler.ts` exporting `handler`. */
export const FUNCTION_NAMES = ['decide', 'enforce', 'catch-up', ...DETECTOR_FUNCTION_NAMES] as const;

/** The name of one function. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The name of one detector function. */
export type DetectorFunctionName = (typeof DETECTOR_FUNCTION_NAMES)[number];

/** The repository root (this file is `infra/bundling.ts`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The name of the file Lambda loads from a function's code (`index.handler`), without `.mjs`. */
const ENTRY_NAME = 'index';

/** The absolute path of a function's entry file. */
export function functionEntry(name: FunctionName): string {
  return join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

/** A built bundle: the file to load and esbuild's metafile. */
export interface Bundle {
  /** `<outDir>/index.mjs`, the file Lambda loads (`index.handler`); the chunks lie beside it. */
  readonly entryFile: string;
  /** esbuild's metafile: every output file, and the inputs and how many bytes of each reached it. */
  readonly metafile: Metafile;
}

/**
 * Builds one entry file into `outDir`: `index.mjs`, plus a chunk for each module that is only imported
 * dynamically (the SDK's credential providers for SSO, web identity, profiles and the like, and the clients
 * they call), so that a start does not read code that a function's role credentials never need. ESM (it loads
 * the bundled SDK about twice as fast as CommonJS; module-first main fields pick the SDK's ES builds),
 * minified, error class names kept (`keepNames`, so `error.name` survives), the AWS SDK bundled (the versions
 * the tests ran against, not whatever the runtime ships), unused SDK schemas dropped ({@link sdkSchemaKeys}),
 * Node's built-ins loaded with `require` ({@link builtinsViaRequire}), node24. Throws when the code imports a
 * CommonJS module dynamically ({@link assertSplittable}).
 */
export async function buildBundle(entry: string, outDir: string): Promise<Bundle> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { [ENTRY_NAME]: entry },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    keepNames: true,
    target: 'node24',
    mainFields: ['module', 'main'],
    // CommonJS dependencies bundled into ESM still call `require`.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    plugins: [sdkSchemaKeys, builtinsViaRequire],
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  });
  assertSplittable(result.metafile, entry);
  return { entryFile: join(outDir, `${ENTRY_NAME}.mjs`), metafile: result.metafile };
}

/** The files a start of the bundle reads, as keys of its metafile's outputs: see {@link filesReadWith}. */
export function startFiles({ entryFile, metafile }: Bundle): string[] {
  return filesReadWith(metafile, relative(PROJECT_ROOT, entryFile));
}

/** One function built by {@link buildFunctions}. */
export interface BuiltFunction extends Bundle {
  readonly name: FunctionName;
}

/** Builds every function with {@link buildBundle} into `<outDir>/<name>/`. */
export async function buildFunctions(outDir: string): Promise<BuiltFunction[]> {
  return Promise.all(
    FUNCTION_NAMES.map(async (name) => ({
      name,
      ...(await buildBundle(functionEntry(name), join(outDir, name))),
    })),
  );
}

// `node --import tsx infra/bundling.ts <function> <outDir>`: what functionCode (function-code.ts) runs.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, outDir] = process.argv.slice(2);
  if (!FUNCTION_NAMES.includes(name as FunctionName) || !outDir) {
    process.stderr.write(`usage: bundling.ts <${FUNCTION_NAMES.join('|')}> <outDir>\n`);
    process.exit(2);
  }
  await buildBundle(functionEntry(name as FunctionName), outDir);
}
