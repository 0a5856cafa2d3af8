import { describe, expect, it } from 'vitest';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import { InvalidInputError } from '#domain/errors';
import type { ThreatSignalDetail } from '#shared/intake/threat-signal';

function aSignal(indicator: string, overrides: Partial<ThreatSignalDetail> = {}): ThreatSignalDetail {
  return {
    source: 'flow-log',
    indicator,
    severity: 7,
    detector: 'flow-scan',
    observedAt: '2026-11-28T09:44:10.000Z',
    evidence: { key: `flow-scan ${indicator}`, summary: `scan of 40 ports on ${indicator} in 5 minutes` },
    ...overrides,
  };
}

describe('InMemoryThreatSignalPublisher', () => {
  it('records every signal published, oldest first, as the event detail carries it', async () => {
    // Prepare
    const publisher = new InMemoryThreatSignalPublisher();

    // Act
    await publisher.publish([aSignal('a.example.net')]);
    await publisher.publish([aSignal('b.example.net', { detector: '  dns-dga  ' })]);

    // Assess
    expect(publisher.published).toStrictEqual([
      aSignal('a.example.net'),
      aSignal('b.example.net', { detector: 'dns-dga' }),
    ]);
  });

  it('refuses a signal that breaks the contract, naming it, and records the others', async () => {
    // Prepare
    const publisher = new InMemoryThreatSignalPublisher();

    // Act
    const attempt = publisher.publish([
      aSignal('bad.example.net', { evidence: { summary: '' } }),
      aSignal('good.example.net'),
    ]);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      /bad\.example\.net \(InvalidThreatSignal: signals\[0\]\.evidence\.summary/,
    );
    expect(publisher.published.map((signal) => signal.indicator)).toStrictEqual(['good.example.net']);
  });

  it('refuses a signal too large for one PutEvents call, as EventBridge would', async () => {
    // Prepare
    const publisher = new InMemoryThreatSignalPublisher();
    const huge = aSignal('huge.example.net', { workload: { image: 'x'.repeat(256 * 1024) } });

    // Act
    const attempt = publisher.publish([huge]);

    // Assess
    await expect(attempt).rejects.toThrow(/huge\.example\.net \(EntryTooLarge: /);
    expect(publisher.published).toStrictEqual([]);
  });
});
