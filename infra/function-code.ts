/**
 * The stack's side of the functions' build: each function's code is an asset that CDK bundles by running
 * `infra/bundling.ts` in a child `node`, which loads esbuild and not CDK.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type FunctionName, PROJECT_ROOT } from './bundling';

/** The script that builds one function: `node --import tsx infra/bundling.ts <function> <outDir>`. */
const BUILD_SCRIPT = join(PROJECT_ROOT, 'infra', 'bundling.ts');

/**
 * A function's code for the stack: an asset built by `buildBundle` on this machine when CDK bundles the
 * stack (CDK's bundling hook is synchronous, so the build runs in a child `node`). Hashed by its output, so an
 * unchanged bundle is not uploaded again. There is no Docker fallback: a failed build fails the synth.
 */
export function functionCode(name: FunctionName): lambda.Code {
  return lambda.Code.fromAsset(join(PROJECT_ROOT, 'functions', name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type; never pulled, since the local build either succeeds or throws.
      image: DockerImage.fromRegistry('egress-warden-local-build-only'),
      local: {
        tryBundle(outputDir) {
          const built = spawnSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, name, outputDir], {
            cwd: PROJECT_ROOT,
            encoding: 'utf8',
          });
          if (built.status !== 0) {
            throw new Error(
              `building the ${name} function failed: ${built.error?.message ?? built.stderr.trim()}`,
            );
          }
          return true;
        },
      },
    },
  });
}
