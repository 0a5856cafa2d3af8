/** Reads simulation inputs: JSON files holding one event or an array of events, and folders of them. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationInput } from '#shared/simulation/simulate';

/**
 * Loads events from paths in the order given; a folder's files (recursively, `.json` only) in name order.
 * A file that is not valid JSON becomes a rejection, not a crash. Throws for a path that does not exist.
 */
export async function loadEvents(
  paths: readonly string[],
): Promise<{ inputs: SimulationInput[]; rejected: { input: string; error: string }[] }> {
  const inputs: SimulationInput[] = [];
  const rejected: { input: string; error: string }[] = [];
  for (const file of (await Promise.all(paths.map(filesUnder))).flat()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      rejected.push({ input: file, error: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    if (Array.isArray(parsed)) inputs.push(...parsed.map((event, i) => ({ name: `${file}[${i}]`, event })));
    else inputs.push({ name: file, event: parsed });
  }
  return { inputs, rejected };
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new Error(`${path}: no such file or folder`);
  });
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).sort();
  const nested = await Promise.all(
    names.map(async (name) => {
      const child = join(path, name);
      const childInfo = await stat(child);
      if (childInfo.isDirectory()) return filesUnder(child);
      return name.endsWith('.json') ? [child] : [];
    }),
  );
  return nested.flat();
}
