/**
 * The one esbuild configuration of the functions, shared by the stack (NodejsFunction bundles with the local
 * esbuild, no Docker) and by the benchmark and the IAM test (`buildFunctions`), so that what is measured and
 * checked is what is deployed.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';

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

/** The absolute path of a function's entry file. */
export function functionEntry(name: FunctionName): string {
  return join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

// ESM bundles load the bundled SDK about twice as fast as CJS (mainFields module-first picks the SDK's ESM
// builds); CJS dependencies bundled into ESM still call `require`, which the banner provides.
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
const TARGET = 'node24';
const MAIN_FIELDS = ['module', 'main'];

/**
 * NodejsFunction's bundling: ESM, minified, error class names kept (`keepNames`, so `error.name` survives),
 * the AWS SDK bundled (the versions the tests ran against, not whatever the runtime ships), node24.
 */
export function lambdaBundling(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    minify: true,
    keepNames: true,
    bundleAwsSDK: true,
    externalModules: [],
    target: TARGET,
    mainFields: MAIN_FIELDS,
    banner: REQUIRE_BANNER,
    sourceMap: false,
  };
}

/** One function built by {@link buildFunctions}. */
export interface BuiltFunction {
  readonly name: FunctionName;
  /** The bundle, `<outDir>/<name>/index.mjs`. */
  readonly outfile: string;
  /** esbuild's metafile: the inputs and how many bytes of each reached the bundle. */
  readonly metafile: Metafile;
}

/**
 * Builds one entry file into `outfile` with the esbuild API and the settings of {@link lambdaBundling}, with a
 * metafile: what the stack deploys, for the benchmark and the IAM test.
 */
export async function buildBundle(entry: string, outfile: string): Promise<Metafile> {
  const settings = lambdaBundling();
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: settings.minify ?? false,
    keepNames: settings.keepNames ?? false,
    target: settings.target ?? TARGET,
    mainFields: settings.mainFields ?? MAIN_FIELDS,
    external: settings.externalModules ?? [],
    banner: { js: settings.banner ?? REQUIRE_BANNER },
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

/** Builds every function with {@link buildBundle} into `<outDir>/<name>/index.mjs` (the file name Lambda loads). */
export async function buildFunctions(outDir: string): Promise<BuiltFunction[]> {
  return Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      const outfile = join(outDir, name, 'index.mjs');
      return { name, outfile, metafile: await buildBundle(functionEntry(name), outfile) };
    }),
  );
}
