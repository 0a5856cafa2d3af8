/**
 * Bench 6: how reconcile and decide scale with the active decisions, and the simulation with its blocks, on
 * the bundled code. Each size runs in a fresh Node process that imports the bundle, so one size's heap and
 * compiled code do not flatter or burden the next.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './measure';
import type { ScalePoint, SeenProfile } from './scale-workload';

const run = promisify(execFile);

/** One size and profile, with each figure as a ratio to its floor (the planners alone, same run). */
export interface ScaleFigures extends ScalePoint {
  readonly noopRatio: number;
  readonly eventRatio: number;
}

/** The fitted growth exponents (time ∝ active^exponent, log-log least squares) of one profile. */
export interface ScaleExponents {
  readonly seen: SeenProfile;
  readonly from: number;
  readonly to: number;
  readonly noop: number;
  readonly noopFloor: number;
  readonly event: number;
}

/** The simulation on a growing number of blocks, its start-up (0 blocks) subtracted. */
export interface SimulateScaling {
  readonly startupMs: number;
  readonly points: { blocks: number; ms: number; netMs: number }[];
  /** Net time of the largest over the smallest. */
  readonly ratio: number;
  /** Blocks of the largest over the smallest. */
  readonly sizeRatio: number;
}

/** Bench 6's result. */
export interface ScaleBench {
  readonly points: ScaleFigures[];
  readonly exponents: ScaleExponents[];
  readonly simulate: SimulateScaling;
}

/** Options of {@link benchScale}. */
export interface ScaleOptions {
  /** The bundle built by `bundled.ts`. */
  readonly file: string;
  readonly sizes: readonly number[];
  readonly simulateBlocks: readonly number[];
  /** Repetitions inside each process (medians), and processes per simulation size. */
  readonly runs: number;
  readonly progress: (text: string) => void;
}

/** Runs `call` (an expression on the bundle's exports, `m`) in a fresh Node process and returns its JSON. */
async function inFreshProcess<T>(file: string, call: string): Promise<T> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(JSON.stringify(await ${call}));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    maxBuffer: 16 * 2 ** 20,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout) as T;
}

/** The slope of log(y) over log(x), least squares: the growth exponent of y in x. */
function fittedExponent(points: readonly { x: number; y: number }[]): number {
  const logs = points.map(({ x, y }) => ({ x: Math.log(x), y: Math.log(y) }));
  const meanX = logs.reduce((sum, p) => sum + p.x, 0) / logs.length;
  const meanY = logs.reduce((sum, p) => sum + p.y, 0) / logs.length;
  const covariance = logs.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const variance = logs.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return covariance / variance;
}

/** Measures every size for records seen once and seen many times, then the simulation. */
export async function benchScale(options: ScaleOptions): Promise<ScaleBench> {
  const { file, sizes, runs, progress } = options;
  const points: ScaleFigures[] = [];
  for (const seen of ['once', 'many'] as const) {
    for (const active of sizes) {
      progress(`Bench 6: ${active.toLocaleString('en-US')} active decisions, seen ${seen}`);
      const point = await inFreshProcess<ScalePoint>(
        file,
        `m.measureScale(${active}, ${JSON.stringify(seen)}, ${runs})`,
      );
      points.push({
        ...point,
        noopRatio: point.noopMs / point.noopFloorMs,
        eventRatio: point.eventMs / point.eventFloorMs,
      });
    }
  }
  const exponents = (['once', 'many'] as const).map((seen): ScaleExponents => {
    const of = points.filter((p) => p.seen === seen);
    const exponentOf = (pick: (p: ScalePoint) => number) =>
      fittedExponent(of.map((p) => ({ x: p.active, y: pick(p) })));
    return {
      seen,
      from: of[0]?.active ?? 0,
      to: of.at(-1)?.active ?? 0,
      noop: exponentOf((p) => p.noopMs),
      noopFloor: exponentOf((p) => p.noopFloorMs),
      event: exponentOf((p) => p.eventMs),
    };
  });

  const simulateMs = async (blocks: number) => {
    progress(`Bench 6: simulate on ${blocks.toLocaleString('en-US')} blocks`);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++)
      samples.push(await inFreshProcess<number>(file, `m.measureSimulate(${blocks})`));
    return median(samples);
  };
  const startupMs = await simulateMs(0);
  const simulated: { blocks: number; ms: number; netMs: number }[] = [];
  for (const blocks of options.simulateBlocks) {
    const ms = await simulateMs(blocks);
    simulated.push({ blocks, ms, netMs: ms - startupMs });
  }
  const first = simulated[0];
  const last = simulated.at(-1);
  return {
    points,
    exponents,
    simulate: {
      startupMs,
      points: simulated,
      ratio: first && last ? last.netMs / first.netMs : Number.NaN,
      sizeRatio: first && last ? last.blocks / first.blocks : Number.NaN,
    },
  };
}
