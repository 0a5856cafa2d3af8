/**
 * Each function's bundle, built exactly as the stack builds it (`infra/bundling.ts`): its minified size and its
 * cold import time, the median of fresh Node processes that import it, as a ratio to a bare `node -e ''`
 * measured in the same run, runs interleaved so that both see the same machine load.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildFunctions, type FunctionName } from '../infra/bundling';
import { parseConfig, runtimeConfig } from '../shared/config/config';
import { ENVIRONMENT } from '../shared/config/environment';
import { median } from './measure';

const run = promisify(execFile);

/** One function's figures. */
export interface FunctionFigures {
  readonly name: FunctionName;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly coldImportMs: number;
  /** Cold import over a bare Node start, both medians of the same run. */
  readonly coldImportRatio: number;
}

/** What a deployed function finds in its environment; the values are placeholders, nothing is called. */
const ENV = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  [ENVIRONMENT.config]: JSON.stringify(
    runtimeConfig(parseConfig({ vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'] }] })),
  ),
  [ENVIRONMENT.table]: 'EgressWarden-Decisions',
  [ENVIRONMENT.topic]: 'arn:aws:sns:us-east-1:123456789012:EgressWarden-Alerts',
  [ENVIRONMENT.domainList]: 'rslvr-fdl-0123456789abcdef',
  [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/EgressWarden',
};

/** Wall-clock milliseconds of one fresh `node` process running `args`; fails loudly if the process fails. */
async function processMs(args: readonly string[]): Promise<number> {
  const started = performance.now();
  await run(process.execPath, [...args], { env: ENV });
  return performance.now() - started;
}

/** Builds every function, then measures sizes and `runs` cold imports of each against as many bare starts. */
export async function benchFunctions(runs = 10): Promise<{ bareMs: number; functions: FunctionFigures[] }> {
  const outDir = await mkdtemp(join(tmpdir(), 'egress-warden-bench-'));
  try {
    const built = await buildFunctions(outDir);
    const bare: number[] = [];
    const imports = new Map<FunctionName, number[]>(built.map(({ name }) => [name, []]));
    for (let i = 0; i < runs; i++) {
      bare.push(await processMs(['-e', '']));
      for (const { name, outfile } of built) {
        const script = `const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); if (typeof m.handler !== 'function') throw new Error('no handler');`;
        imports.get(name)?.push(await processMs(['--input-type=module', '-e', script]));
      }
    }
    const bareMs = median(bare);
    const functions = await Promise.all(
      built.map(async ({ name, outfile }) => {
        const coldImportMs = median(imports.get(name) ?? []);
        return {
          name,
          bytes: (await stat(outfile)).size,
          gzipBytes: gzipSync(await readFile(outfile)).length,
          coldImportMs,
          coldImportRatio: coldImportMs / bareMs,
        };
      }),
    );
    return { bareMs, functions };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
