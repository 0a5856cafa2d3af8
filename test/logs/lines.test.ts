import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLines, readLogObject } from '#shared/logs/lines';
import { bodyOf, collect } from './samples';

const texts = (items: { kind: string; line?: string }[]) => items.map((item) => item.line);

describe('readLines', () => {
  it('splits on LF and CRLF and numbers the lines from 1', async () => {
    // Act
    const lines = await collect(readLines(bodyOf('one\r\ntwo\nthree\r\n')));

    // Assess
    expect(lines).toEqual([
      { kind: 'line', line: 'one', lineNumber: 1 },
      { kind: 'line', line: 'two', lineNumber: 2 },
      { kind: 'line', line: 'three', lineNumber: 3 },
    ]);
  });

  it('keeps a last line without a newline', async () => {
    expect(texts(await collect(readLines(bodyOf('one\ntwo'))))).toEqual(['one', 'two']);
  });

  it('keeps empty lines in the numbering', async () => {
    expect(await collect(readLines(bodyOf('a\n\nb\n')))).toMatchObject([
      { line: 'a', lineNumber: 1 },
      { line: '', lineNumber: 2 },
      { line: 'b', lineNumber: 3 },
    ]);
  });

  it('keeps a multi-byte character whole when a chunk boundary splits it', async () => {
    // Prepare: 'é' is two bytes, and one-byte chunks split it
    const body = bodyOf('café\nnaïve\n', 1);

    // Act & Assess
    expect(texts(await collect(readLines(body)))).toEqual(['café', 'naïve']);
  });

  it('reports an over-long line as malformed at its line number and goes on', async () => {
    // Prepare
    const body = bodyOf(`short\n${'x'.repeat(100)}\nafter\n`, 9);

    // Act
    const lines = await collect(readLines(body, { maxLineBytes: 50 }));

    // Assess
    expect(lines).toEqual([
      { kind: 'line', line: 'short', lineNumber: 1 },
      { kind: 'malformed', position: 2, reason: 'line is 100 bytes or more, longer than the 50 allowed' },
      { kind: 'line', line: 'after', lineNumber: 3 },
    ]);
  });

  it('reports an over-long last line without a newline', async () => {
    expect(await collect(readLines(bodyOf(`ok\n${'y'.repeat(80)}`, 16), { maxLineBytes: 50 }))).toMatchObject(
      [
        { kind: 'line', line: 'ok' },
        { kind: 'malformed', position: 2 },
      ],
    );
  });

  it('gives the same lines however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'grapheme' })),
        fc.integer({ min: 1, max: 64 }),
        async (lines, size) => {
          const text = lines.map((line) => line.replace(/[\r\n]/g, '')).join('\n');
          // A newline ends a line; it does not start an empty one.
          const expected = text.split('\n');
          if (expected.at(-1) === '') expected.pop();
          expect(texts(await collect(readLines(bodyOf(text, size))))).toEqual(expected);
        },
      ),
    );
  });

  it('never throws on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 1, max: 50 }),
        async (bytes, size) => {
          const items = await collect(readLines(bodyOf(bytes, size), { maxLineBytes: 40 }));
          for (const item of items) expect(['line', 'malformed']).toContain(item.kind);
        },
      ),
    );
  });
});

describe('readLogObject', () => {
  it('gunzips a key ending .gz', async () => {
    expect(texts(await collect(readLogObject(bodyOf(gzipSync('a\nb\n'), 5), 'x/file.log.gz')))).toEqual([
      'a',
      'b',
    ]);
  });

  it('gunzips bytes that start with the gzip magic whatever the key', async () => {
    expect(texts(await collect(readLogObject(bodyOf(gzipSync('a\nb\n'), 3), 'renamed.log')))).toEqual([
      'a',
      'b',
    ]);
  });

  it('reads plain text as it is', async () => {
    expect(texts(await collect(readLogObject(bodyOf('a\nb'), 'file.log')))).toEqual(['a', 'b']);
  });

  it('reads gzip files made of several members, as concatenated gzip files are', async () => {
    // Prepare
    const body = Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]);

    // Act & Assess
    expect(texts(await collect(readLogObject(bodyOf(body, 4), 'x.log.gz')))).toEqual(['a', 'b']);
  });

  it('ends a truncated gzip file with a malformed record after the lines it could read', async () => {
    // Prepare
    const lines = Array.from({ length: 2000 }, (_, index) => `line ${index} ${'z'.repeat(index % 97)}`);
    const whole = gzipSync(lines.join('\n'));
    const truncated = whole.subarray(0, Math.floor(whole.length / 2));

    // Act
    const items = await collect(readLogObject(bodyOf(truncated, 512), 'x.log.gz'));

    // Assess
    const last = items.at(-1);
    expect(items.length).toBeGreaterThan(1);
    expect(last).toMatchObject({ kind: 'malformed', position: items.length });
    expect(last?.kind === 'malformed' && last.reason).toMatch(/^gzip stream is corrupt or truncated/);
  });

  it('reports garbage after the gzip magic as malformed, not as a crash', async () => {
    // Act
    const items = await collect(readLogObject(bodyOf(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]))));

    // Assess
    expect(items).toMatchObject([{ kind: 'malformed', position: 1 }]);
  });

  it('throws the body’s own read failure, which a retry may fix', async () => {
    // Prepare
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync('a\n'.repeat(1000)).subarray(0, 20);
      throw new Error('socket hang up');
    }

    // Act & Assess
    await expect(collect(readLogObject(failing(), 'x.log.gz'))).rejects.toThrow('socket hang up');
  });

  it('yields nothing for an empty object', async () => {
    expect(await collect(readLogObject(bodyOf(''), 'x.log.gz'))).toEqual([]);
  });
});
