/**
 * How a function's bundle is split: what a start reads (the entry and the chunks it imports statically) and
 * what is shipped beside it for the code that imports it dynamically, such as the SDK's credential providers
 * that a function's role credentials never call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundle, buildBundle, functionEntry, startFiles } from '../../infra/bundling';
import { bundledInputs } from '../../infra/metafile';

/** The package of a metafile input (`node_modules/@aws-sdk/x/dist-es/…` → `@aws-sdk/x`), or the input. */
function packageOf(input: string): string {
  const [, path] = input.split(/node_modules\//).slice(-2);
  if (path === undefined) return input;
  const parts = path.split('/');
  return parts.slice(0, parts[0]?.startsWith('@') ? 2 : 1).join('/');
}

/** The packages with code in the given output files of a bundle. */
function packagesIn(bundle: Bundle, files: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const file of files) {
    for (const [input, { bytesInOutput }] of Object.entries(bundle.metafile.outputs[file]?.inputs ?? {})) {
      if (bytesInOutput > 0) packages.add(packageOf(input));
    }
  }
  return packages;
}

/** Credential sources that Lambda's role credentials (environment variables) never reach. */
const NOT_AT_START = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/nested-clients',
];

describe('the decide bundle', () => {
  let dir: string;
  let bundle: Bundle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'egress-warden-bundling-'));
    bundle = await buildBundle(functionEntry('decide'), dir);
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the environment credential provider at start, and none of the others', () => {
    const atStart = packagesIn(bundle, startFiles(bundle));

    expect(atStart).toContain('@aws-sdk/credential-provider-env');
    expect(atStart).toContain('@aws-sdk/client-dynamodb');
    expect(NOT_AT_START.filter((pkg) => atStart.has(pkg))).toEqual([]);
  });

  it('ships the other credential providers in chunks beside the entry', () => {
    const shipped = new Set([...bundledInputs(bundle.metafile).keys()].map(packageOf));
    const later = Object.keys(bundle.metafile.outputs).filter((file) => !startFiles(bundle).includes(file));

    expect(NOT_AT_START.filter((pkg) => !shipped.has(pkg))).toEqual([]);
    expect(later.length).toBeGreaterThan(0);
    expect(startFiles(bundle)[0]).toMatch(/index\.mjs$/);
  });
});

describe('buildBundle', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'egress-warden-bundling-cjs-'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses code that imports a CommonJS module dynamically, naming both files', async () => {
    // Prepare: split into chunks, `(await import('./lib.cjs')).answer` would be undefined.
    await writeFile(join(dir, 'lib.cjs'), 'exports.answer = 42;\n');
    await writeFile(
      join(dir, 'entry.mjs'),
      "export const handler = async () => (await import('./lib.cjs')).answer;\n",
    );

    // Act
    const built = buildBundle(join(dir, 'entry.mjs'), join(dir, 'out'));

    // Assess
    await expect(built).rejects.toThrow(/dynamic import of a CommonJS module .*entry\.mjs → .*lib\.cjs/);
  });

  it('builds the same code when the module is an ES module', async () => {
    // Prepare
    await writeFile(join(dir, 'lib.mjs'), 'export const answer = 42;\n');
    await writeFile(
      join(dir, 'entry-esm.mjs'),
      "export const handler = async () => (await import('./lib.mjs')).answer;\n",
    );

    // Act
    const { entryFile } = await buildBundle(join(dir, 'entry-esm.mjs'), join(dir, 'out-esm'));
    const { handler } = (await import(pathToFileURL(entryFile).href)) as { handler: () => Promise<number> };

    // Assess
    expect(await handler()).toBe(42);
  });
});
