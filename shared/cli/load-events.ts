/**
 * Reads simulation inputs: JSON files holding one event or an array of events, and folders of them. Files come
 * from anyone, so nothing in one can stop the others: every problem becomes a rejection naming the file.
 */
import { createReadStream, type Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogInput } from '#shared/simulation/logs';
import type { SimulationInput } from '#shared/simulation/simulate';

/** Raw log files the simulation streams through the log detectors (query logs and flow logs, gzip'd or not). */
const LOG_FILE = /\.(log|jsonl)(\.gz)?$/;

/**
 * EventBridge refuses an event whose JSON nests deeper than this, so no real event does; deeper input would
 * only exhaust the stack of whatever walks it later (hashing, schema checks, printing).
 */
export const MAX_EVENT_DEPTH = 1000;

/** What loadEvents found: the events in order, the raw log files, and each input it could not use, with why. */
export interface LoadedEvents {
  readonly inputs: SimulationInput[];
  readonly logs: LogInput[];
  readonly rejected: { input: string; error: string }[];
}

/**
 * Loads events from paths in the order given; a folder's files (recursively, `.json` only) in name order; and
 * raw log files (`.log`, `.log.gz`, `.jsonl`, `.jsonl.gz`), which are only opened when streamed.
 * Rejected, and the rest still read: a file that cannot be read or is not valid JSON, a symlink loop
 * ("symlink loop at …") or a symlink to nowhere, and an event nested deeper than MAX_EVENT_DEPTH levels. A
 * leading UTF-8 byte order mark is ignored, as JSON allows. A folder reached twice through symlinks is read
 * once. Linear in the size of the input. Throws only for a path given that does not exist.
 */
export async function loadEvents(paths: readonly string[]): Promise<LoadedEvents> {
  const loaded: LoadedEvents = { inputs: [], logs: [], rejected: [] };
  const walk: Walk = { files: [], logs: loaded.logs, visited: new Set(), rejected: loaded.rejected };
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ELOOP') return error;
      throw new Error(`${path}: no such file or folder`);
    });
    if (info instanceof Error) walk.rejected.push({ input: path, error: `symlink loop at ${path}` });
    else if (info.isDirectory()) await collect(path, new Map(), walk);
    else if (LOG_FILE.test(path)) walk.logs.push(logInput(path));
    else walk.files.push(path);
  }
  for (const file of walk.files) await readEvents(file, loaded);
  return loaded;
}

interface Walk {
  readonly files: string[];
  readonly logs: LogInput[];
  /** Real paths of the folders already read. */
  readonly visited: Set<string>;
  readonly rejected: LoadedEvents['rejected'];
}

/**
 * Collects a folder's `.json` files in name order. `ancestors` maps the real path of each folder whose
 * children are being read to the path it was reached by; it is the same on return as on entry.
 */
async function collect(folder: string, ancestors: Map<string, string>, walk: Walk): Promise<void> {
  const real = await realpath(folder);
  const loop = ancestors.get(real);
  if (loop !== undefined) {
    walk.rejected.push({ input: folder, error: `symlink loop at ${folder}: it leads back to ${loop}` });
    return;
  }
  if (walk.visited.has(real)) return;
  walk.visited.add(real);
  let names: string[];
  try {
    names = (await readdir(folder)).sort();
  } catch (error) {
    walk.rejected.push({ input: folder, error: unreadable(folder, error) });
    return;
  }
  ancestors.set(real, folder);
  for (const name of names) {
    const child = join(folder, name);
    let info: Stats;
    try {
      info = await stat(child);
    } catch (error) {
      walk.rejected.push({ input: child, error: unreadable(child, error) });
      continue;
    }
    if (info.isDirectory()) await collect(child, ancestors, walk);
    else if (name.endsWith('.json')) walk.files.push(child);
    else if (LOG_FILE.test(name)) walk.logs.push(logInput(child));
  }
  ancestors.delete(real);
}

/** A log file, opened only when the simulation streams it. */
function logInput(path: string): LogInput {
  return { name: path, open: () => createReadStream(path) };
}

/** Parses one file into events, or rejects it or the events in it that are nested too deep. */
async function readEvents(file: string, loaded: LoadedEvents): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    loaded.rejected.push({ input: file, error: unreadable(file, error) });
    return;
  }
  let parsed: unknown;
  try {
    // RFC 8259 lets a parser ignore a byte order mark; editors on Windows write one.
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    loaded.rejected.push({ input: file, error: `not valid JSON: ${(error as Error).message}` });
    return;
  }
  const events: SimulationInput[] = Array.isArray(parsed)
    ? parsed.map((event, i) => ({ name: `${file}[${i}]`, event }))
    : [{ name: file, event: parsed }];
  for (const input of events) {
    if (nestsDeeperThan(input.event, MAX_EVENT_DEPTH)) {
      loaded.rejected.push({
        input: input.name,
        error: `nested deeper than ${MAX_EVENT_DEPTH} levels (EventBridge's limit for an event)`,
      });
    } else loaded.inputs.push(input);
  }
}

/** Whether objects and arrays in `value` nest deeper than `limit` (the value itself is level 1). Iterative. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

function unreadable(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return `symlink loop at ${path}`;
  if (code === 'ENOENT') return 'cannot read: the symlink leads nowhere';
  return `cannot read: ${(error as Error).message}`;
}
