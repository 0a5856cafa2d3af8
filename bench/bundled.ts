/**
 * Builds the benchmark workloads (`workloads.ts`) with the functions' esbuild options (`infra/bundling.ts`:
 * ESM, minified, node24 target, dependencies bundled) into a temporary folder, and imports the bundle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBundle, PROJECT_ROOT } from '../infra/bundling';
import { bundleBytes } from '../infra/metafile';

/** What the bundle exports: the workloads, as `workloads.ts` declares them. */
export type Workloads = typeof import('./workloads');

/** The built bundle: its module, its file (for child processes) and how to remove it. */
export interface BundledWorkloads {
  readonly workloads: Workloads;
  readonly file: string;
  readonly bytes: number;
  remove(): Promise<void>;
}

/** Builds and imports the workloads bundle; call `remove` when the benchmark is done. */
export async function loadBundledWorkloads(): Promise<BundledWorkloads> {
  const dir = await mkdtemp(join(tmpdir(), 'egress-warden-bench-'));
  const { entryFile: file, metafile } = await buildBundle(join(PROJECT_ROOT, 'bench', 'workloads.ts'), dir);
  const bytes = bundleBytes(metafile);
  const workloads = (await import(pathToFileURL(file).href)) as Workloads;
  return { workloads, file, bytes, remove: () => rm(dir, { recursive: true, force: true }) };
}
