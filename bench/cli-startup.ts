/**
 * The CLI's start-up cost: the published bundle's `--help` against a bare Node start, each the median of fresh
 * processes, so that the split bundle is shown to load only the command definitions. Target: within 2× a bare
 * `node -e ''`.
 */
import { spawnSync } from 'node:child_process';
import { buildCliBundle, CLI_BUNDLE, entryOutput } from '#shared/cli/bundle';
import { bundleBytes } from '../infra/metafile';
import { median } from './measure';

/** What {@link measureCliStartup} measured, in milliseconds. */
export interface CliStartup {
  /** Median wall time of `node dist/cli/egress-warden.mjs --help`. */
  readonly cliMs: number;
  /** Median wall time of `node -e ''`. */
  readonly nodeMs: number;
  /** cliMs / nodeMs. */
  readonly ratio: number;
  readonly runs: number;
  /** The entry file's size, and all files' (entry and chunks), in bytes. */
  readonly entryBytes: number;
  readonly totalBytes: number;
}

/** Builds the bundle, then times `runs` fresh processes of each (median; one warm-up run each first). */
export async function measureCliStartup(runs = 10): Promise<CliStartup> {
  const metafile = await buildCliBundle();
  const entry = entryOutput(metafile);
  const entryBytes = entry ? bundleBytes(metafile, [entry]) : 0;
  const totalBytes = bundleBytes(metafile);
  const cliMs = medianMs([CLI_BUNDLE, '--help'], runs);
  const nodeMs = medianMs(['-e', ''], runs);
  return { cliMs, nodeMs, ratio: Math.round((cliMs / nodeMs) * 100) / 100, runs, entryBytes, totalBytes };
}

function medianMs(args: readonly string[], runs: number): number {
  const times: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const start = process.hrtime.bigint();
    const child = spawnSync(process.execPath, args, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${child.status}`);
    // The first run warms the file system cache.
    if (run > 0) times.push(ms);
  }
  return Math.round(median(times) * 10) / 10;
}
