/** The log samples under test/logs/samples/, and helpers that turn text into the inputs the log readers take. */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const LOGS = new URL('./samples/', import.meta.url);

/** A sample file's bytes. */
export function sampleBytes(name: string): Buffer {
  return readFileSync(new URL(name, LOGS));
}

/** A sample file's text. */
export function sampleText(name: string): string {
  return sampleBytes(name).toString('utf8');
}

/** A `.json.sample` file, parsed. */
export function sampleJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(sampleText(name)) as T;
}

/** `bytes` as an object body arriving in chunks of `chunkSize` bytes (S3 bodies arrive in pieces). */
export async function* bodyOf(bytes: Uint8Array | string, chunkSize = 7): AsyncGenerator<Uint8Array> {
  const all = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  for (let start = 0; start < all.length; start += chunkSize) yield all.subarray(start, start + chunkSize);
}

/** Everything an async iterable yields. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A Lambda event from a CloudWatch Logs subscription carrying `messages` as log events `e1`, `e2`, …. */
export function subscriptionEvent(
  messages: readonly string[],
  overrides: Record<string, unknown> = {},
): { awslogs: { data: string } } {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/egress-warden/flow-logs',
    logStream: 'eni-1235b8ca123456789-all',
    subscriptionFilters: ['egress-warden'],
    logEvents: messages.map((message, index) => ({
      id: `e${index + 1}`,
      timestamp: 1_764_324_000_000 + index,
      message,
    })),
    ...overrides,
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}
