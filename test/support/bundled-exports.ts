/** Bundles a few exports with the functions' esbuild options, for tests that run code as the functions ship it. */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { buildBundle, PROJECT_ROOT } from '../../infra/bundling';

/** An imported bundle, esbuild's metafile of it, and how to remove its folder. */
export interface BundledExports<T> {
  readonly module: T;
  readonly metafile: Metafile;
  remove(): Promise<void>;
}

/**
 * Writes `exportLines` (`export { … } from '…';`) as an entry file, builds it with `buildBundle` and imports
 * the bundle. The folder is a fresh `dist/<prefix>…` inside the project, so that the entry resolves
 * node_modules and the `#adapters/*` imports as a function does.
 */
export async function bundleExports<T>(
  prefix: string,
  exportLines: readonly string[],
): Promise<BundledExports<T>> {
  await mkdir(join(PROJECT_ROOT, 'dist'), { recursive: true });
  const dir = await mkdtemp(join(PROJECT_ROOT, 'dist', prefix));
  const entry = join(dir, 'entry.ts');
  await writeFile(entry, exportLines.join('\n'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const { entryFile, metafile } = await buildBundle(entry, join(dir, 'bundle'));
    return { module: (await import(pathToFileURL(entryFile).href)) as T, metafile, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
