import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseFlowLogLines } from '#shared/logs/flow-log';
import { readLogObject } from '#shared/logs/lines';

// A full collection before each sample, so that what is measured is what is still reachable, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const MiB = 1024 * 1024;

/**
 * Default-format flow-log text, `totalBytes` of it, made a chunk at a time (never held whole). Addresses, ports
 * and counts are pseudo-random, so that the text compresses about as badly as real flow logs do.
 */
async function* flowLogText(totalBytes: number): AsyncGenerator<Buffer> {
  yield Buffer.from(`${HEADER}\n`);
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const ip = () => {
    const value = random();
    return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
  };
  let made = 0;
  while (made < totalBytes) {
    const lines: string[] = [];
    for (let line = 0; line < 2000; line += 1) {
      const eni = `${random().toString(16).padStart(8, '0')}${random().toString(16).padStart(9, '0')}`.slice(
        0,
        17,
      );
      const start = 1_764_324_000 + (random() % 600);
      lines.push(
        `2 123456789012 eni-${eni} ${ip()} ${ip()} ${random() % 65_536} ${random() % 65_536} 6 ` +
          `${random() % 1000} ${random() % 10_000_000} ${start} ${start + 60} ${random() % 11 === 0 ? 'REJECT' : 'ACCEPT'} OK`,
      );
    }
    const chunk = Buffer.from(`${lines.join('\n')}\n`);
    made += chunk.length;
    yield chunk;
  }
}

describe('reading a large gzip flow-log file', () => {
  it('keeps the heap flat: memory does not grow with the size of the file', async () => {
    // Prepare
    const textBytes = 144 * MiB;
    let gzipBytes = 0;
    const gzip = Readable.from(flowLogText(textBytes)).pipe(createGzip({ level: 1 }));
    gzip.on('data', (chunk: Buffer) => {
      gzipBytes += chunk.length;
    });
    const samples: number[] = [];
    let records = 0;
    let other = 0;
    gc();

    // Act
    for await (const entry of parseFlowLogLines(readLogObject(gzip, 'big.log.gz'))) {
      if (entry.kind === 'flow') records += 1;
      else other += 1;
      if (records % 100_000 === 0) {
        gc();
        samples.push(process.memoryUsage().heapUsed);
      }
    }

    // Assess
    const growth = Math.max(...samples) - (samples[0] as number);
    console.info(
      `${records} records, ${(textBytes / MiB).toFixed(0)} MiB of text, ${(gzipBytes / MiB).toFixed(1)} MiB gzip; ` +
        `heap ${(Math.min(...samples) / MiB).toFixed(1)}–${(Math.max(...samples) / MiB).toFixed(1)} MiB over ${samples.length} samples`,
    );
    expect(gzipBytes).toBeGreaterThan(50 * MiB);
    expect(other).toBe(0);
    expect(samples.length).toBeGreaterThan(5);
    expect(growth).toBeLessThan(8 * MiB);
  }, 120_000);
});
