import { gzipSync } from 'node:zlib';
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
});
