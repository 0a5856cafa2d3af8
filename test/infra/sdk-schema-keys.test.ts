/**
 * The bundling step that lets esbuild drop unused SDK schemas: the rewrite itself, proof on every SDK schema
 * module in node_modules that it changes no exported value, and the bytes it saves for a command `enforce` sends.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';
import { literalSchemaKeys, SDK_SCHEMA_MODULE, sdkSchemaKeys } from '../../infra/sdk-schema-keys';

describe('literalSchemaKeys', () => {
  it('writes a computed key naming a string constant as that string', () => {
    const source = 'const _xN = "xmlName";\nexport var A$ = [3, n0, _A, 0, [_x], [[0, { [_xN]: _aS }]]];\n';

    expect(literalSchemaKeys(source)).toBe(
      'const _xN = "xmlName";\nexport var A$ = [3, n0, _A, 0, [_x], [[0, { "xmlName": _aS }]]];\n',
    );
  });

  it('leaves keys it cannot prove constant: unknown names, non-string constants, escaped strings', () => {
    const source = [
      'const _n = 5;',
      'const _q = "a\\"b";',
      'const _s = "ok";',
      'let _l = "mutable";',
      'export var A$ = { [_n]: 1, [_q]: 2, [_l]: 3, [other]: 4, [_missing]: 5, [_s]: 6 };',
    ].join('\n');

    expect(literalSchemaKeys(source).split('\n').at(-1)).toBe(
      'export var A$ = { [_n]: 1, [_q]: 2, [_l]: 3, [other]: 4, [_missing]: 5, "ok": 6 };',
    );
  });

  it('leaves array elements alone (only a key is followed by a colon)', () => {
    const source = 'const _a = "A";\nexport var S$ = [3, n0, _a, 0, [_a], [0]];\nvar t = c ? [_a] : [];\n';

    expect(literalSchemaKeys(source)).toBe(source);
  });
});

/** Every SDK schema module installed: the clients' and the credential chain's nested clients'. */
async function schemaModules(): Promise<string[]> {
  const root = join(PROJECT_ROOT, 'node_modules', '@aws-sdk');
  const files = await readdir(root, { recursive: true });
  return files
    .map((file) => join(root, file))
    .filter((file) => SDK_SCHEMA_MODULE.test(file) && !relative(root, file).includes('node_modules'))
    .sort();
}

/** One schema module bundled on its own, every export kept, with or without the rewrite; returns its exports. */
async function loadBundled(file: string, dir: string, plugins: Plugin[]): Promise<Record<string, unknown>> {
  const outfile = join(
    dir,
    `${plugins.length > 0 ? 'rewritten' : 'original'}-${relative(PROJECT_ROOT, file).replaceAll('/', '_')}.mjs`,
  );
  await build({
    entryPoints: [file],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    plugins,
    logLevel: 'silent',
  });
  return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
}

/**
 * Deep equality of two schema graphs: zero-argument arrows (the schemas' lazy references) are followed,
 * classes (the modelled errors) compare by name, maps by entries; cycles are visited once.
 */
function differences(a: unknown, b: unknown, path: string, seen = new Map<unknown, unknown>()): string[] {
  if (typeof a === 'function' && typeof b === 'function') {
    if (a.prototype !== undefined || b.prototype !== undefined) {
      return a.name === b.name ? [] : [`${path}: class ${a.name} vs ${b.name}`];
    }
    return a.length === 0 && b.length === 0
      ? differences(a(), b(), `${path}()`, seen)
      : [`${path}: functions taking arguments`];
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? [] : [`${path}: ${String(a)} vs ${String(b)}`];
  }
  if (seen.get(a) === b) return [];
  seen.set(a, b);
  if (a instanceof Map && b instanceof Map) {
    return differences([...a.entries()], [...b.entries()], `${path}<map>`, seen);
  }
  // Each bundle has its own copy of the SDK's classes (TypeRegistry): compare them by name.
  if (Array.isArray(a) !== Array.isArray(b) || a.constructor?.name !== b.constructor?.name) {
    return [`${path}: of different kinds`];
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.join('\u0000') !== keysB.join('\u0000')) return [`${path}: keys ${keysA} vs ${keysB}`];
  return keysA.flatMap((key) =>
    differences(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
      seen,
    ),
  );
}

describe('the rewrite on the installed SDK', () => {
  let dir: string;
  let modules: string[];
  // Inside the project (dist/ is ignored by git), so that the bundles' imports resolve from its node_modules.
  beforeAll(async () => {
    await mkdir(join(PROJECT_ROOT, 'dist'), { recursive: true });
    dir = await mkdtemp(join(PROJECT_ROOT, 'dist', 'schema-keys-'));
    modules = await schemaModules();
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the schema modules of the clients the functions use', () => {
    const names = modules.map((file) => relative(join(PROJECT_ROOT, 'node_modules'), file));

    for (const client of ['client-ec2', 'client-dynamodb', 'client-sns', 'client-network-firewall']) {
      expect(names.some((name) => name.startsWith(`@aws-sdk/${client}/`))).toBe(true);
    }
  });

  it('changes no exported value of any schema module', { timeout: 240_000 }, async () => {
    const found: string[] = [];
    let exportsCompared = 0;
    for (const file of modules) {
      const original = await loadBundled(file, dir, []);
      const rewritten = await loadBundled(file, dir, [sdkSchemaKeys]);
      found.push(...differences(original, rewritten, relative(PROJECT_ROOT, file)).slice(0, 5));
      exportsCompared += Object.keys(original).length;
    }

    expect(found).toEqual([]);
    expect(exportsCompared).toBeGreaterThan(5_000);
  });

  it('drops the EC2 schemas that one command does not need', { timeout: 60_000 }, async () => {
    const entry = join(dir, 'one-command.mjs');
    await writeFile(
      entry,
      "import { EC2Client, DescribeNetworkAclsCommand } from '@aws-sdk/client-ec2';\nexport const send = () => new EC2Client({}).send(new DescribeNetworkAclsCommand({}));\n",
    );
    const schemaBytes = async (plugins: Plugin[]) => {
      const { metafile } = await build({
        entryPoints: [entry],
        outfile: join(dir, `one-command-${plugins.length}.mjs`),
        bundle: true,
        platform: 'node',
        format: 'esm',
        minify: true,
        mainFields: ['module', 'main'],
        plugins,
        absWorkingDir: PROJECT_ROOT,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs));
      return inputs
        .filter(([path]) => path.includes('client-ec2/dist-es/schemas/'))
        .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    };

    const before = await schemaBytes([]);
    const after = await schemaBytes([sdkSchemaKeys]);

    expect(before).toBeGreaterThan(400_000);
    expect(after).toBeLessThan(before / 20);
  });
});
