import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '#domain/hash';

describe('fnv1a32', () => {
  it('gives the published FNV-1a 32-bit values', () => {
    // Act
    const values = ['', 'a', 'foobar'].map(fnv1a32);

    // Assess
    expect(values).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
  });

  it('hashes the UTF-8 bytes of non-ASCII text, not its UTF-16 code units', () => {
    // Act
    const value = fnv1a32('é');

    // Assess
    expect(value).toBe(0x1e9de8c1);
  });
});
