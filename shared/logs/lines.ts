/**
 * Log files from S3 as streams: gunzip when the object is gzip, then split into lines, never holding more than
 * a chunk and one line in memory, so that a 75 MB file (the most VPC Flow Logs writes to one S3 object) needs
 * no more memory than a small one. The S3 read itself belongs to an adapter: this takes the object's body.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type MalformedRecord, malformed } from './malformed';

/**
 * The longest line kept: 64 KiB. A flow-log record with every field is under 1 KiB and a query-log record
 * with many answers a few KiB; a longer line is not a record AWS wrote, and holding it whole would let one
 * file without newlines take all the memory.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/** One line of a file, without its line ending. */
export interface FileLine {
  readonly kind: 'line';
  readonly line: string;
  /** 1-based. */
  readonly lineNumber: number;
}

/** Options of {@link readLines} and {@link readLogObject}. */
export interface LineOptions {
  /** Lines longer than this many bytes are reported as malformed and skipped; MAX_LINE_BYTES by default. */
  readonly maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines: `\n` or `\r\n` endings, a last line without a newline kept, UTF-8 decoded
 * per line (so a character split across chunks stays whole; invalid bytes become U+FFFD). A line longer than
 * `maxLineBytes` is yielded as a malformed record at its line number and the stream goes on after it.
 */
export async function* readLines(
  body: AsyncIterable<Uint8Array>,
  options: LineOptions = {},
): AsyncGenerator<FileLine | MalformedRecord> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let lineNumber = 0;
  // Bytes of the current line from earlier chunks; `overLong` once the line has gone past the limit, after
  // which its bytes are dropped until its end.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overLong = false;
  let overLongBytes = 0;

  const finish = (tail: Buffer): FileLine | MalformedRecord => {
    lineNumber += 1;
    if (overLong || pendingBytes + tail.length > maxLineBytes) {
      const length = overLongBytes + pendingBytes + tail.length;
      pending = [];
      pendingBytes = 0;
      overLong = false;
      overLongBytes = 0;
      return malformed(
        lineNumber,
        `line is ${length} bytes or more, longer than the ${maxLineBytes} allowed`,
      );
    }
    const whole = pendingBytes === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    const end =
      whole.length > 0 && whole[whole.length - 1] === CARRIAGE_RETURN ? whole.length - 1 : whole.length;
    return { kind: 'line', line: whole.toString('utf8', 0, end), lineNumber };
  };

  for await (const piece of body) {
    const chunk = Buffer.isBuffer(piece)
      ? piece
      : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE, start); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      yield finish(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (overLong) overLongBytes += rest.length;
      else if (pendingBytes + rest.length > maxLineBytes) {
        overLong = true;
        overLongBytes = pendingBytes + rest.length;
        pending = [];
        pendingBytes = 0;
      } else {
        // Copied: the chunk's buffer may be reused by the stream that produced it.
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
    }
  }
  if (pendingBytes > 0 || overLong) yield finish(Buffer.alloc(0));
}

/**
 * The lines of an S3 log object's body: gunzipped when the key ends `.gz` or the bytes start with the gzip
 * magic `1f 8b` (AWS writes `.log.gz`; a copy renamed or uploaded by hand may differ), then split by
 * {@link readLines}. A gzip stream that turns out corrupt or truncated ends the lines with a malformed record
 * saying so, after the lines read before it.
 */
export async function* readLogObject(
  body: AsyncIterable<Uint8Array>,
  key = '',
  options: LineOptions = {},
): AsyncGenerator<FileLine | MalformedRecord> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  const gzip = key.endsWith('.gz') || (head[0] === 0x1f && head[1] === 0x8b);
  const whole: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  if (!gzip) {
    yield* readLines(whole, options);
    return;
  }
  const gunzip = createGunzip();
  // pipeline passes a failing body on to gunzip, so both kinds of failure surface in the loop below.
  pipeline(Readable.from(whole, { objectMode: false }), gunzip, () => {});
  let lastLine = 0;
  try {
    for await (const item of readLines(gunzip, options)) {
      lastLine = item.kind === 'line' ? item.lineNumber : Number(item.position);
      yield item;
    }
  } catch (error) {
    // zlib's codes start with Z_ (Z_DATA_ERROR, Z_BUF_ERROR for a truncated file): the bytes are bad, which a
    // retry cannot fix. Anything else (the body's own read failing) is thrown for the caller to retry.
    if (!String((error as NodeJS.ErrnoException).code).startsWith('Z_')) throw error;
    yield malformed(lastLine + 1, `gzip stream is corrupt or truncated: ${(error as Error).message}`);
  }
}
