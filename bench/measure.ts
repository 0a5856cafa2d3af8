/** Timing, memory and table helpers for the benchmarks. Benchmarks measure; they never assert like tests. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Runs `work` once and returns its result with the elapsed milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

// `npm run bench` starts node without --expose-gc; setting the flag at run time and reading `gc` from a
// fresh context is the documented way to get the collector without changing the command line.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Collects garbage twice (weak references and finalisers need a second pass) and returns heap and RSS. */
export function settledMemory(): { heapUsed: number; rss: number } {
  collect();
  collect();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/** The process's peak resident set size so far, in bytes. */
export function peakRss(): number {
  // resourceUsage reports kibibytes on Linux.
  return process.resourceUsage().maxRSS * 1024;
}

/** Rounds for display and JSON: three significant figures are all a shared 2-core machine supports. */
export function round(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/** `1234567` → `1,234,567`, with up to `fraction` decimals. */
export function formatNumber(value: number, fraction = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: fraction });
}

/** Bytes as MiB with one decimal. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A plain-text table: the first row is the header, numbers-looking cells are right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const numeric = /^[-+]?[\d,.]+(\s?(ms|%|×|\/s|MiB))?$/;
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric.test(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}
