import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOnly } from '#shared/logs/parse-only';
import { bodyOf, sampleBytes, sampleText } from './samples';

describe('parseOnly', () => {
  it('counts the records, status records and malformed lines of a gzip flow-log file', async () => {
    // Prepare
    const text = `${sampleText('vpc-flow-default-v2-docs.log')}2 1 eni-1 bad\n`;

    // Act
    const counts = await parseOnly('flow-log', bodyOf(gzipSync(text), 100));

    // Assess
    expect(counts).toEqual({ records: 5, statusRecords: 2, malformed: 1 });
  });

  it('counts a query-log file given as bytes', async () => {
    // Prepare
    const line = sampleText('r53-query-log-docs-example.log').trim();

    // Act
    const counts = await parseOnly('query-log', gzipSync(`${line}\n${line}\nnot json\n`));

    // Assess
    expect(counts).toEqual({ records: 2, statusRecords: 0, malformed: 1 });
  });

  it('reads a plain-text file with a header', async () => {
    expect(await parseOnly('flow-log', sampleBytes('vpc-flow-custom-v3-tcp-flags-docs.log'))).toEqual({
      records: 8,
      statusRecords: 0,
      malformed: 0,
    });
  });

  it('never throws on arbitrary bytes, plain or gzip, for either log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('flow-log' as const, 'query-log' as const),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        async (kind, bytes, gzip) => {
          const counts = await parseOnly(kind, bodyOf(gzip ? gzipSync(bytes) : bytes, 17));
          // At most one entry a line, plus one for a header that is itself malformed.
          const lines = bytes.filter((byte) => byte === 0x0a).length + 1;
          expect(counts.records + counts.statusRecords + counts.malformed).toBeLessThanOrEqual(lines + 1);
        },
      ),
    );
  });
});
