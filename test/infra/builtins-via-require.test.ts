/**
 * The bundling step that loads Node's built-ins with `require`: every kind of import still gets what an ES
 * import of the built-in gives, and no function bundle imports a built-in through its ES facade.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, functionEntry } from '../../infra/bundling';
import { type BundledExports, bundleExports } from '../support/bundled-exports';

const require = createRequire(import.meta.url);

/** An ES import of a built-in left in a bundle: `import … from "node:x"`, `from"fs"` or `import("node:x")`. */
const ES_BUILTIN_IMPORT =
  /\bfrom\s*["'](?:node:)?[a-z_/0-9]+["']|\bimport\(\s*["'](?:node:)?[a-z_/0-9]+["']\s*\)/g;

/** The banner's own import, which defines the bundle's `require`. */
const BANNER_IMPORT = `from 'node:module'`;

interface Probe {
  readonly named: { Agent: unknown; request: unknown; join: unknown };
  readonly defaults: unknown;
  readonly namespace: { gzipSync: unknown; default: unknown };
  dynamic(): Promise<{ default: unknown; request: unknown }>;
  readonly source: string;
}

describe('builtinsViaRequire', () => {
  let bundle: BundledExports<Probe>;

  beforeAll(async () => {
    bundle = await bundleExports<Probe>('builtins-', [
      "import http, { Agent, request } from 'node:http';",
      "import * as zlib from 'node:zlib';",
      "import { join } from 'path';",
      "import { readFileSync } from 'node:fs';",
      'export const named = { Agent, request, join };',
      'export const defaults = http;',
      'export const namespace = zlib;',
      "export const dynamic = () => import('node:https');",
      'export const source = readFileSync(new URL(import.meta.url), "utf8");',
    ]);
  }, 60_000);

  afterAll(() => bundle?.remove());

  it('gives named, default and namespace imports the built-in module itself', () => {
    const { named, defaults, namespace } = bundle.module;

    expect(named.Agent).toBe(require('node:http').Agent);
    expect(named.request).toBe(require('node:http').request);
    expect(named.join).toBe(require('node:path').join);
    expect(defaults).toBe(require('node:http'));
    expect(namespace.gzipSync).toBe(require('node:zlib').gzipSync);
    expect(namespace.default).toBe(require('node:zlib'));
  });

  it('gives a dynamic import the module as its default export and its exports by name', async () => {
    const https = await bundle.module.dynamic();

    expect(https.default).toBe(require('node:https'));
    expect(https.request).toBe(require('node:https').request);
  });

  it('leaves no ES import of a built-in in the bundle but the banner’s', () => {
    expect(bundle.module.source.match(ES_BUILTIN_IMPORT)).toEqual([BANNER_IMPORT]);
  });
});

describe('the function bundles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'egress-warden-builtins-'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('load every built-in with require (enforce: the SDK clients, their HTTP handler, Powertools)', async () => {
    const outfile = join(dir, 'index.mjs');
    const metafile = await buildBundle(functionEntry('enforce'), outfile);
    const source = await readFile(outfile, 'utf8');
    const rerouted = Object.keys(metafile.inputs).filter((input) => input.startsWith('builtin-via-require:'));

    expect(source.match(ES_BUILTIN_IMPORT)).toEqual([BANNER_IMPORT]);
    expect(rerouted).toEqual(
      expect.arrayContaining(['builtin-via-require:node:http', 'builtin-via-require:node:https']),
    );
  }, 60_000);
});
