import { describe, expect, it } from 'vitest';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import { threatSignalCommand } from '#shared/intake/threat-signal';
import { loadEvent, type ThreatSignalEvent, thrownBy } from '../support/events';

const sample = () => loadEvent<ThreatSignalEvent>('detectors/dns-tunnel-signal.json');

describe('threatSignalCommand', () => {
  it('turns a detector signal into a block signal', () => {
    // Prepare
    const event = sample();

    // Act
    const command = threatSignalCommand(event.detail, event.id ?? '');

    // Assess
    expect(command).toEqual({
      kind: 'signal',
      signal: {
        source: 'dns-log',
        intent: 'block',
        indicator: {
          kind: 'domain',
          value: 'x7f3a9.tunnel-example.org',
          wildcard: false,
          registeredDomain: 'tunnel-example.org',
        },
        severity: 8,
        detector: 'dns-tunnel',
        evidence: {
          key: 'dns-log:dns-tunnel:8f2e4c3a-5b9d-4e77-9c3a-3d4e5f6a7b01',
          summary: '412 queries with high-entropy labels to tunnel-example.org in 5 minutes',
          details: event.detail.evidence.details,
        },
        workload: event.detail.workload,
        observedAt: '2026-11-28T09:44:10.000Z',
        sample: false,
      },
    });
  });

  it('keeps the evidence key a detector gives, so its own retries are duplicates', () => {
    // Prepare
    const event = sample();
    event.detail.evidence.key = 'dns-tunnel:tunnel-example.org:2026-11-28T09:40';

    // Act
    const first = threatSignalCommand(event.detail, 'event-1');
    const retry = threatSignalCommand(event.detail, 'event-2');

    // Assess
    expect(first).toEqual(retry);
    expect(first).toMatchObject({ signal: { evidence: { key: event.detail.evidence.key } } });
  });

  it('rejects a source other than the log detectors and feeds, naming the field', () => {
    // Prepare
    const event = sample();
    event.detail.source = 'guardduty';

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'detail.source' });
  });

  it('rejects a severity above 10, naming the field and the value', () => {
    // Prepare
    const event = sample();
    event.detail.severity = 11;

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toMatchObject({ field: 'detail.severity' });
    expect((error as Error).message).toContain('11');
  });

  it('rejects evidence without a summary, naming the field', () => {
    // Prepare
    const event = sample();
    delete event.detail.evidence.summary;

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toMatchObject({ field: 'detail.evidence.summary' });
    expect((error as Error).message).toMatch(/is required/);
  });

  it.each(['28/11/2026', '2026-11-28T09:44:10 +05:00'])(
    'rejects an observedAt %j that Date cannot read as written',
    (observedAt) => {
      // Prepare
      const event = sample();
      event.detail.observedAt = observedAt;

      // Act
      const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

      // Assess
      expect(error).toMatchObject({ field: 'detail.observedAt' });
    },
  );

  it('rejects a workload account that is not a 12-digit id', () => {
    // Prepare
    const event = sample();
    event.detail.workload = { account: '1234' };

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toMatchObject({ field: 'detail.workload.account' });
  });

  it('rejects an indicator that could inject a rule, naming the field', () => {
    // Prepare
    const event = sample();
    event.detail.indicator = 'evil.example.org"; sid:1; pass';

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toBeInstanceOf(InvalidIndicatorError);
    expect(error).toMatchObject({ field: 'detail.indicator' });
  });

  it('keeps a workload that names a Lambda function or a container', () => {
    // Prepare
    const event = sample();
    event.detail.workload = {
      functionName: 'orders-export',
      cluster: 'payments',
      container: 'api',
      image: 'example/api:1',
    };

    // Act
    const command = threatSignalCommand(event.detail, 'id');

    // Assess
    expect(command).toMatchObject({ signal: { workload: event.detail.workload } });
  });

  it('refuses details over 16 KiB of UTF-8 in all, so that one signal fits the record budget', () => {
    // Prepare
    const event = sample();
    event.detail.evidence.details = Array.from({ length: 5 }, () => '€'.repeat(4000));

    // Act
    const error = thrownBy(() => threatSignalCommand(event.detail, 'id'));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'detail.evidence.details' });
    expect((error as Error).message).toMatch(/16,384 bytes/);
  });

  it('takes details of up to 16 KiB', () => {
    // Prepare
    const event = sample();
    event.detail.evidence.details = Array.from({ length: 16 }, () => 'x'.repeat(1000));

    // Act
    const command = threatSignalCommand(event.detail, 'id');

    // Assess
    expect(command.kind === 'signal' && command.signal.evidence.details).toHaveLength(16);
  });
});
