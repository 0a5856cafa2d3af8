/**
 * Each function's bundle, built exactly as the stack builds it (`infra/bundling.ts`): its minified size and its
 * cold import time, the median of fresh Node processes that import it, as a ratio to a bare `node -e ''` and to
 * its floor (a bundle that only creates the SDK clients the function uses), all measured in the same run, runs
 * interleaved so that each sees the same machine load.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { buildBundle, buildFunctions, type FunctionName, PROJECT_ROOT, startFiles } from '../infra/bundling';
import { bundleBytes } from '../infra/metafile';
import { parseConfig, runtimeConfig } from '../shared/config/config';
import { ENVIRONMENT } from '../shared/config/environment';
import { median } from './measure';

const run = promisify(execFile);

/** One function's figures. */
export interface FunctionFigures {
  readonly name: FunctionName;
  /** Every file of the bundle: the entry and its chunks. */
  readonly bytes: number;
  /** What a start reads: the entry and the chunks it imports statically. */
  readonly startBytes: number;
  readonly gzipBytes: number;
  readonly coldImportMs: number;
  /** Cold import over a bare Node start, both medians of the same run. */
  readonly coldImportRatio: number;
  /** The SDK clients the function uses, and the cold import of a bundle that only creates them. */
  readonly sdkClients: readonly string[];
  readonly sdkFloorMs: number;
  /** Cold import over the floor: what Egress Warden's own code and Powertools add. */
  readonly overFloorRatio: number;
}

/** The client class of each SDK package a function may use. */
const CLIENT_CLASSES: Readonly<Record<string, string>> = {
  'client-dynamodb': 'DynamoDBClient',
  'client-sns': 'SNSClient',
  'client-ec2': 'EC2Client',
  'client-guardduty': 'GuardDutyClient',
  'client-network-firewall': 'NetworkFirewallClient',
  'client-route53resolver': 'Route53ResolverClient',
  'client-s3': 'S3Client',
  'client-eventbridge': 'EventBridgeClient',
};

/** The SDK client packages whose code reached a bundle (inputs with bytes in the output), from its metafile. */
function sdkClientsOf(metafile: Metafile): string[] {
  const found = new Set<string>();
  const inputs = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
  for (const input of inputs) {
    const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
    if (match?.[1] && CLIENT_CLASSES[match[1]]) found.add(match[1]);
  }
  return [...found].sort();
}

/** Builds the floor of one function: a bundle that creates its SDK clients at module level and nothing else. */
async function buildFloor(dir: string, name: string, clients: readonly string[]): Promise<string> {
  const entry = join(dir, `${name}-floor.ts`);
  const lines = clients.map((pkg, i) => `import { ${CLIENT_CLASSES[pkg]} as C${i} } from '@aws-sdk/${pkg}';`);
  const created = clients.map((_, i) => `new C${i}({})`).join(', ');
  await writeFile(
    entry,
    `${lines.join('\n')}\nexport const clients = [${created}];\nexport const handler = () => clients;\n`,
  );
  return (await buildBundle(entry, join(dir, `${name}-floor`))).entryFile;
}

/**
 * The libraries every function loads besides the SDK, used as a handler uses them: Powertools (logger,
 * metrics, batch) in a middy chain, the Public Suffix List (tldts), valibot and ipaddr.js. Measured like a
 * floor, to show what is left for Egress Warden's own code under the 2× target.
 */
const LIBRARIES_ENTRY = `import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import * as v from 'valibot';
const logger = new Logger({ serviceName: 'bench' });
const metrics = new Metrics({ namespace: 'bench', serviceName: 'bench' });
const processor = new BatchProcessor(EventType.SQS);
const schema = v.object({ domain: v.string() });
export const handler = middy(() => [getDomain('a.example.co.uk'), ipaddr.parse('192.0.2.1'), v.parse(schema, { domain: 'x' }), processor])
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
`;

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
  [ENVIRONMENT.detectorTable]: 'EgressWarden-DetectorState',
  [ENVIRONMENT.bus]: 'EgressWarden-bus',
};

/** Wall-clock milliseconds of one fresh `node` process running `args`; fails loudly if the process fails. */
async function processMs(node: string, args: readonly string[]): Promise<number> {
  const started = performance.now();
  await run(node, [...args], { env: ENV });
  return performance.now() - started;
}

/**
 * Builds every function, then measures sizes and `runs` cold imports of each against as many bare starts, all
 * in processes of the Node binary `node` (by default the one running the benchmark).
 */
export async function benchFunctions(
  runs = 10,
  node = process.execPath,
): Promise<{ nodeVersion: string; bareMs: number; librariesMs: number; functions: FunctionFigures[] }> {
  const nodeVersion = (await run(node, ['-p', 'process.version'])).stdout.trim();
  // Inside the project (dist/ is ignored by git), so that the floors' imports resolve from its node_modules.
  await mkdir(join(PROJECT_ROOT, 'dist'), { recursive: true });
  const outDir = await mkdtemp(join(PROJECT_ROOT, 'dist', 'bench-'));
  try {
    const built = await Promise.all(
      (await buildFunctions(outDir)).map(async (fn) => {
        const sdkClients = sdkClientsOf(fn.metafile);
        return { ...fn, sdkClients, floor: await buildFloor(outDir, fn.name, sdkClients) };
      }),
    );
    const librariesEntry = join(outDir, 'libraries.ts');
    await writeFile(librariesEntry, LIBRARIES_ENTRY);
    const libraries = (await buildBundle(librariesEntry, join(outDir, 'libraries'))).entryFile;
    const importMs = (file: string) =>
      processMs(node, [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); if (typeof m.handler !== 'function') throw new Error('no handler');`,
      ]);
    const bare: number[] = [];
    const imports = new Map<string, number[]>();
    const record = (key: string, ms: number) => imports.set(key, [...(imports.get(key) ?? []), ms]);
    for (let i = 0; i < runs; i++) {
      bare.push(await processMs(node, ['-e', '']));
      record('libraries', await importMs(libraries));
      for (const { name, entryFile, floor } of built) {
        record(name, await importMs(entryFile));
        record(`${name}-floor`, await importMs(floor));
      }
    }
    const bareMs = median(bare);
    const functions = await Promise.all(
      built.map(async ({ name, entryFile, metafile, sdkClients }) => {
        const coldImportMs = median(imports.get(name) ?? []);
        const sdkFloorMs = median(imports.get(`${name}-floor`) ?? []);
        const files = Object.keys(metafile.outputs).map((file) => join(PROJECT_ROOT, file));
        const gzipped = await Promise.all(files.map(async (file) => gzipSync(await readFile(file)).length));
        return {
          name,
          bytes: bundleBytes(metafile),
          startBytes: bundleBytes(metafile, startFiles({ entryFile, metafile })),
          gzipBytes: gzipped.reduce((sum, bytes) => sum + bytes, 0),
          coldImportMs,
          coldImportRatio: coldImportMs / bareMs,
          sdkClients,
          sdkFloorMs,
          overFloorRatio: coldImportMs / sdkFloorMs,
        };
      }),
    );
    return { nodeVersion, bareMs, librariesMs: median(imports.get('libraries') ?? []), functions };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
