/**
 * The bundling step that loads Node's built-ins with `require`: every kind of import still gets what an ES
 * import of the built-in gives, and no function bundle imports a built-in through its ES facade.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, functionEntry, PROJECT_ROOT } from '../../infra/bundling';
import { type BundledExports, bundleExports } from '../support/bundled-exports';

const require = createRequire(import.meta.url);

/** A static ES import of a built-in left in a bundle: `import … from "node:x"` or `from"fs"`. */
const ES_BUILTIN_IMPORT = /\bfrom\s*["'](?:node:)?[a-z_/0-9]+["']/g;

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

  it('leaves a dynamic import native: the module as its default export and its exports by name', async () => {
    const https = await bundle.module.dynamic();

    expect(https.default).toBe(require('node:https'));
    expect(https.request).toBe(require('node:https').request);
  });

  it('leaves no static ES import of a built-in in the bundle but the banner’s', () => {
    expect(bundle.module.source.match(ES_BUILTIN_IMPORT)).toEqual([BANNER_IMPORT]);
  });
});

describe('the function bundles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'egress-warden-builtins-'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('import no built-in statically but with require, in the entry and in every chunk (enforce)', async () => {
    const { metafile } = await buildBundle(functionEntry('enforce'), dir);
    const files = Object.keys(metafile.outputs);
    const sources = await Promise.all(files.map((file) => readFile(join(PROJECT_ROOT, file), 'utf8')));
    const rerouted = Object.keys(metafile.inputs).filter((input) => input.startsWith('builtin-via-require:'));

    expect(files.length).toBeGreaterThan(1);
    for (const source of sources) expect(source.match(ES_BUILTIN_IMPORT)).toEqual([BANNER_IMPORT]);
    expect(rerouted).toEqual(
      expect.arrayContaining(['builtin-via-require:node:http', 'builtin-via-require:node:https']),
    );
  }, 60_000);
});
