import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parsePolicy } from '#domain/policy';
import { ACCEPTED_EVENTS, toCommands } from '#shared/intake/event';
import {
  type GuardDutyEvent,
  loadEvent,
  type ManualEvent,
  onlySignal,
  type ThreatSignalEvent,
  thrownBy,
} from '../support/events';
import { VPC_CONTEXT } from '../support/signals';

const policy = parsePolicy({}, VPC_CONTEXT);
const NOW = new Date('2026-11-28T10:00:00.000Z');

describe('toCommands', () => {
  it('routes a GuardDuty finding to the GuardDuty mapping', () => {
    // Act
    const signal = onlySignal(toCommands(loadEvent('guardduty/c2-domain.json'), policy, NOW));

    // Assess
    expect(signal).toMatchObject({ source: 'guardduty', indicator: { value: 'guarddutyc2activityb.com' } });
  });

  it('routes a Threat Signal to the detector mapping', () => {
    // Act
    const signal = onlySignal(toCommands(loadEvent('detectors/dns-tunnel-signal.json'), policy, NOW));

    // Assess
    expect(signal).toMatchObject({ source: 'dns-log', detector: 'dns-tunnel' });
  });

  it('routes manual requests and takes their evidence key and time from the envelope', () => {
    // Prepare
    const event = loadEvent<ManualEvent>('manual/unblock-request.json');

    // Act
    const signal = onlySignal(toCommands(event, policy, NOW));

    // Assess
    expect(signal).toMatchObject({
      source: 'manual',
      intent: 'unblock',
      evidence: { key: `manual:${event.id}` },
      observedAt: '2026-11-28T09:40:00.000Z',
    });
  });

  it('routes a Reset Breaker request', () => {
    // Prepare
    const event = {
      ...loadEvent<ManualEvent>('manual/block-request.json'),
      'detail-type': 'Reset Breaker',
      detail: { reason: 'reviewed', requestedBy: 'bob@example.com' },
    };

    // Act
    const commands = toCommands(event, policy, NOW);

    // Assess
    expect(commands).toEqual([{ kind: 'reset-breaker', reason: 'reviewed', requestedBy: 'bob@example.com' }]);
  });

  it.each([
    ['manual/pause.json', 'pause'],
    ['manual/resume.json', 'resume'],
  ])('routes the sample %s to a %s command', (file, kind) => {
    // Act
    const commands = toCommands(loadEvent<ManualEvent>(file), policy, NOW);

    // Assess
    expect(commands).toEqual([expect.objectContaining({ kind })]);
  });

  it('uses the time it is given for an event without one', () => {
    // Prepare
    const { time: _time, ...event } = loadEvent<ManualEvent>('manual/block-request.json');

    // Act
    const signal = onlySignal(toCommands(event, policy, NOW));

    // Assess
    expect(signal.observedAt).toBe(NOW.toISOString());
  });

  it('derives the same evidence key for the same event without an id, and another for another one', () => {
    // Prepare
    const { id: _id, ...event } = loadEvent<ManualEvent>('manual/block-request.json');
    const other = { ...event, detail: { ...event.detail, indicator: '203.0.113.46' } };

    // Act
    const first = onlySignal(toCommands(event, policy, NOW)).evidence.key;
    const replay = onlySignal(toCommands(structuredClone(event), policy, NOW)).evidence.key;
    const different = onlySignal(toCommands(other, policy, NOW)).evidence.key;

    // Assess
    expect(first).toMatch(/^manual:egress-warden\.manual:/);
    expect(replay).toBe(first);
    expect(different).not.toBe(first);
  });

  it('passes the policy on: a finding type it switches off is ignored', () => {
    // Prepare
    const quiet = parsePolicy(
      { guardDuty: { findingTypes: { 'Backdoor:EC2/C&CActivity.B': 'ignore' } } },
      VPC_CONTEXT,
    );

    // Act
    const commands = toCommands(loadEvent<GuardDutyEvent>('guardduty/c2-ip-outbound.json'), quiet, NOW);

    // Assess
    expect(commands.map((c) => c.kind)).toEqual(['ignored']);
  });

  it('rejects an unknown source, naming the source field and what it accepts', () => {
    // Prepare
    const event = { ...loadEvent<ThreatSignalEvent>('detectors/dns-tunnel-signal.json'), source: 'aws.ec2' };

    // Act
    const error = thrownBy(() => toCommands(event, policy, NOW));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'source' });
    expect((error as Error).message).toContain('"aws.ec2"');
    for (const accepted of ACCEPTED_EVENTS) expect((error as Error).message).toContain(accepted.detailType);
  });

  it('rejects an unknown detail-type of a known source, naming the source field', () => {
    // Prepare
    const event = { ...loadEvent<GuardDutyEvent>('guardduty/c2-domain.json'), 'detail-type': 'Finding' };

    // Act
    const error = thrownBy(() => toCommands(event, policy, NOW));

    // Assess
    expect(error).toMatchObject({ field: 'source' });
    expect((error as Error).message).toContain('"Finding"');
  });

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['a number', 42],
  ])('rejects an event that is %s', (_label, event) => {
    // Act
    const error = thrownBy(() => toCommands(event, policy, NOW));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
  });

  it('rejects an event without a detail, naming the field', () => {
    // Prepare
    const { detail: _detail, ...event } = loadEvent<GuardDutyEvent>('guardduty/c2-domain.json');

    // Act
    const error = thrownBy(() => toCommands(event, policy, NOW));

    // Assess
    expect(error).toMatchObject({ field: 'detail' });
  });

  it('rejects an event whose time is not a timestamp, naming the field', () => {
    // Prepare
    const event = { ...loadEvent<GuardDutyEvent>('guardduty/c2-domain.json'), time: 'now' };

    // Act
    const error = thrownBy(() => toCommands(event, policy, NOW));

    // Assess
    expect(error).toMatchObject({ field: 'time' });
  });

  it.each(['2026-11-28T10:00:00+05', '2026-11-28T10:00:00 +05:00', '2026-02-30T10:00:00Z'])(
    'rejects an event time %j that Date cannot read as written, naming the field',
    (time) => {
      // Prepare
      const event = { ...loadEvent<ManualEvent>('manual/block-request.json'), time };

      // Act
      const error = thrownBy(() => toCommands(event, policy, NOW));

      // Assess
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field: 'time' });
    },
  );

  it('reads an event time with an offset as the instant it names', () => {
    // Prepare
    const event = {
      ...loadEvent<ManualEvent>('manual/block-request.json'),
      time: '2026-11-28T11:40:00+02:00',
    };

    // Act
    const signal = onlySignal(toCommands(event, policy, NOW));

    // Assess
    expect(signal.observedAt).toBe('2026-11-28T09:40:00.000Z');
  });

  it('property: any JSON value either becomes commands or is an InvalidInputError', () => {
    // Prepare: real samples with one field replaced by any JSON value, and any JSON value as a whole event.
    const samples = [
      'guardduty/c2-domain.json',
      'guardduty/c2-ip-outbound.json',
      'manual/block-request.json',
      'manual/unblock-request.json',
      'detectors/dns-tunnel-signal.json',
    ];
    // Timestamps in the grammar the schemas once accepted, many of which Date cannot read.
    const timestamp = fc.stringMatching(
      /^\d{4}-(?:0[1-9]|1[0-2])-(?:[12]\d|0[1-9]|3[01])[T ](?:[01]\d|2[0-3])(?::[0-5]\d){2}(?:\.\d{1,9})?(?:Z| ?[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$/,
    );
    const mutated = fc
      .tuple(
        fc.constantFrom(...samples),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.oneof(fc.jsonValue(), timestamp),
      )
      .map(([path, keys, value]) => replaceAt(loadEvent(path), keys, value));
    const anyEvent = fc.oneof(fc.jsonValue(), mutated, fc.object());

    fc.assert(
      fc.property(anyEvent, (event) => {
        // Act
        let outcome: unknown;
        try {
          outcome = toCommands(event, policy, NOW);
        } catch (error) {
          outcome = error;
        }

        // Assess
        if (!Array.isArray(outcome)) expect(outcome).toBeInstanceOf(InvalidInputError);
      }),
      { numRuns: 2_000 },
    );
  });
});

/** `event` with the value at a path replaced; each step picks one of the fields there by its position. */
function replaceAt(event: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || typeof event !== 'object' || event === null) return value;
  const [position = 0, ...rest] = path;
  const existing = Object.keys(event);
  const chosen = existing[position % Math.max(1, existing.length)] ?? 'extra';
  const copy = (Array.isArray(event) ? [...event] : { ...event }) as Record<string, unknown>;
  copy[chosen] = replaceAt((event as Record<string, unknown>)[chosen], rest, value);
  return copy;
}
