/**
 * The functions' code as CDK stages it for a deploy, bundling on (the local esbuild build, in a child process):
 * each asset folder holds the file Lambda loads and every chunk that any of its files imports, and that file
 * loads in a fresh Node process with the environment the stack gives the function.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '#shared/config/config';
import { ENVIRONMENT } from '#shared/config/environment';
import { FUNCTION_NAMES } from '../../infra/bundling';
import { EgressWardenStack } from '../../infra/egress-warden-stack';
import { EXAMPLE_CONFIG } from './synth';

const run = promisify(execFile);

/** Values for the variables the template sets from other resources (`Ref`, `Fn::GetAtt`). */
const DEPLOYED: Readonly<Record<string, string>> = {
  [ENVIRONMENT.table]: 'EgressWarden-Decisions',
  [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-Alerts',
  [ENVIRONMENT.chatTopic]: 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-Chat',
  [ENVIRONMENT.domainList]: 'rslvr-fdl-0123456789abcdef',
  [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden',
  [ENVIRONMENT.detectorTable]: 'EgressWarden-DetectorState',
  [ENVIRONMENT.bus]: 'EgressWarden-bus',
  [ENVIRONMENT.feedsBucket]: 'egresswarden-feeds',
};

interface StagedFunction {
  readonly logicalId: string;
  readonly dir: string;
  readonly environment: Record<string, string>;
}

let outdir: string;
let staged: StagedFunction[];

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'egress-warden-assets-'));
  const cdkJson = JSON.parse(await readFile(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new EgressWardenStack(app, parseConfig(EXAMPLE_CONFIG), {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  staged = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .filter(([, resource]) => resource.Properties.Handler === 'index.handler')
    .map(([logicalId, { Properties }]) => {
      const key = (Properties.Code as { S3Key: string }).S3Key;
      const variables = (Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const environment = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : (DEPLOYED[name] ?? `no placeholder for ${name}`),
        ]),
      );
      return { logicalId, dir: join(outdir, `asset.${key.replace(/\.zip$/, '')}`), environment };
    });
}, 300_000);

afterAll(() => rm(outdir, { recursive: true, force: true }));

describe('the staged function code', () => {
  it('stages one asset for each function', () => {
    expect(staged).toHaveLength(FUNCTION_NAMES.length);
  });

  it('holds every file that a file of the asset imports', async () => {
    for (const { logicalId, dir } of staged) {
      const files = await readdir(dir);
      const imported = new Set<string>();
      for (const file of files) {
        const source = await readFile(join(dir, file), 'utf8');
        // `from"./x.mjs"`, `import"./x.mjs"` (for its side effects) and `import("./x.mjs")`.
        for (const [, path] of source.matchAll(/(?:\bfrom|\bimport\(?)\s*"\.\/([^"]+)"/g))
          imported.add(path as string);
      }

      expect(files, logicalId).toContain('index.mjs');
      expect(imported.size, logicalId).toBeGreaterThan(0);
      expect(
        [...imported].filter((path) => !files.includes(path)),
        logicalId,
      ).toEqual([]);
    }
  });

  it('loads in a fresh Node process with the environment the stack sets', async () => {
    for (const { logicalId, dir, environment } of staged) {
      const url = pathToFileURL(join(dir, 'index.mjs')).href;
      const script = `const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== 'function') throw new Error('no handler');`;

      const loaded = run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, AWS_REGION: 'eu-west-1', ...environment },
      });

      await expect(loaded, logicalId).resolves.toBeDefined();
    }
  }, 60_000);
});
