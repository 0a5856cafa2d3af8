import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundDecision,
  boundEvidence,
  clipText,
  EVIDENCE_ENTRY_BYTES,
  jsonBytes,
  SEEN_BUDGET_BYTES,
  utf8Length,
} from '#domain/record-budget';
import { activeDecision } from '../support/signals';

describe('record budget', () => {
  describe('utf8Length', () => {
    it('counts the UTF-8 bytes DynamoDB counts, four for a character outside the BMP', () => {
      // Act
      const lengths = ['x', 'é', '€', '𝄞', 'aé€𝄞'].map(utf8Length);

      // Assess
      expect(lengths).toEqual([1, 2, 3, 4, 10]);
    });

    it('property: agrees with the platform encoder on well-formed text', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
          expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
        }),
      );
    });
  });

  describe('clipText', () => {
    it('leaves text within the limit alone', () => {
      // Act
      const text = clipText('false positive', 64);

      // Assess
      expect(text).toBe('false positive');
    });

    it('cuts long text on a character boundary and marks the cut', () => {
      // Prepare
      const long = '€'.repeat(100);

      // Act
      const text = clipText(long, 32);

      // Assess
      expect(utf8Length(text)).toBeLessThanOrEqual(32);
      expect(text).toBe(`${'€'.repeat(9)}…`);
    });

    it('never splits a surrogate pair', () => {
      // Act
      const text = clipText('𝄞'.repeat(10), 9);

      // Assess
      expect(text).toBe('𝄞…');
    });
  });

  describe('boundDecision', () => {
    it('keeps the newest seen keys, first in the list, within their byte budget, in order', () => {
      // Prepare: 100 keys of 512 characters, newest first; together far over the budget.
      const seen = Array.from({ length: 100 }, (_, i) => ({
        key: `${i}:${'k'.repeat(510)}`,
        at: new Date(Date.UTC(2026, 10, 28) - i * 60_000).toISOString(),
      }));

      // Act
      const bounded = boundDecision(activeDecision('198.51.100.77', { seen }));

      // Assess
      expect(jsonBytes(bounded.seen)).toBeLessThanOrEqual(SEEN_BUDGET_BYTES);
      expect(bounded.seen.length).toBeGreaterThanOrEqual(15);
      expect(bounded.seen).toStrictEqual(seen.slice(0, bounded.seen.length));
    });
  });

  describe('boundEvidence', () => {
    it('keeps evidence that fits unchanged', () => {
      // Prepare
      const evidence = { key: 'guardduty:abc', summary: 'C2 traffic', details: ['arn:aws:guardduty:…'] };

      // Act
      const bounded = boundEvidence(evidence);

      // Assess
      expect(bounded).toEqual(evidence);
    });

    it('keeps the first detail lines that fit and says how many lines and bytes were dropped', () => {
      // Prepare
      const details = Array.from({ length: 50 }, (_, i) => `${i}:${'x'.repeat(4094)}`);
      const evidence = { key: 'dns-log:dns-tunnel:1', summary: 'tunnel', details };

      // Act
      const bounded = boundEvidence(evidence);

      // Assess
      expect(jsonBytes(bounded)).toBeLessThanOrEqual(EVIDENCE_ENTRY_BYTES);
      const lines = bounded.details ?? [];
      expect(lines.slice(0, 3)).toEqual(details.slice(0, 3));
      expect(lines.at(-1)).toMatch(/^… 4[0-9] more lines \/ [0-9]{3},[0-9]{3} bytes dropped$/);
      const kept = lines.slice(0, -1).join('').length;
      const dropped = Number(
        lines
          .at(-1)
          ?.match(/([0-9,]+) bytes/)?.[1]
          ?.replace(/,/g, ''),
      );
      expect(kept + dropped).toBe(details.join('').length);
    });

    it('is idempotent: bounding bounded evidence changes nothing', () => {
      // Prepare
      const details = Array.from({ length: 50 }, () => '𝄞'.repeat(2048));
      const once = boundEvidence({ key: 'k', summary: 's', details });

      // Act
      const twice = boundEvidence(once);

      // Assess
      expect(twice).toEqual(once);
    });

    it('clips a summary and key beyond any contract so that the entry still fits', () => {
      // Prepare
      const evidence = { key: 'k'.repeat(100_000), summary: '€'.repeat(100_000) };

      // Act
      const bounded = boundEvidence(evidence);

      // Assess
      expect(jsonBytes(bounded)).toBeLessThanOrEqual(EVIDENCE_ENTRY_BYTES);
      expect(bounded.summary.endsWith('…')).toBe(true);
    });
  });
});
