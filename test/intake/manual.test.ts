import { describe, expect, it } from 'vitest';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import type { Command } from '#shared/intake/command';
import { manualCommand } from '#shared/intake/manual';
import { loadEvent, type ManualDetail, type ManualEvent, signalOf, thrownBy } from '../support/events';

const ID = '7e1d3b2f-4a8c-4d66-8b2f-2c3d4e5f6a01';
const TIME = '2026-11-28T09:35:00.000Z';
const HOUR = 3_600_000;

const blockDetail = () => loadEvent<ManualEvent>('manual/block-request.json').detail;
const unblockDetail = () => loadEvent<ManualEvent>('manual/unblock-request.json').detail;

function block(detail: ManualDetail): Command {
  return manualCommand('Block Request', detail, ID, TIME);
}

describe('manualCommand', () => {
  it('turns a Block Request into a manual block signal that names who asked and why', () => {
    // Act
    const signal = signalOf(block(blockDetail()));

    // Assess
    expect(signal).toMatchObject({
      source: 'manual',
      intent: 'block',
      indicator: { kind: 'ip', value: '203.0.113.45/32' },
      detector: 'manual',
      observedAt: TIME,
      sample: false,
      evidence: {
        key: `manual:${ID}`,
        summary: 'alice@example.com: Exfiltration to a paste site seen in proxy logs (INC-4711)',
      },
      request: {
        requestedBy: 'alice@example.com',
        reason: 'Exfiltration to a paste site seen in proxy logs (INC-4711)',
        ttlMs: 7 * 24 * HOUR,
      },
    });
  });

  it('turns an Unblock Request into an unblock signal', () => {
    // Act
    const signal = signalOf(manualCommand('Unblock Request', unblockDetail(), ID, TIME));

    // Assess
    expect(signal).toMatchObject({
      intent: 'unblock',
      indicator: { value: '203.0.113.45/32' },
      request: { requestedBy: 'bob@example.com' },
    });
  });

  it('turns a Reset Breaker request into a breaker reset', () => {
    // Act
    const command = manualCommand(
      'Reset Breaker',
      { reason: 'reviewed the burst', requestedBy: 'bob@example.com' },
      ID,
      TIME,
    );

    // Assess
    expect(command).toEqual({
      kind: 'reset-breaker',
      reason: 'reviewed the burst',
      requestedBy: 'bob@example.com',
    });
  });

  it.each([
    ['Pause', 'pause'],
    ['Resume', 'resume'],
  ] as const)('turns a %s request into a %s command with who and why', (detailType, kind) => {
    // Act
    const command = manualCommand(
      detailType,
      { reason: 'bad rollout', requestedBy: 'bob@example.com' },
      ID,
      TIME,
    );

    // Assess
    expect(command).toEqual({ kind, reason: 'bad rollout', requestedBy: 'bob@example.com' });
  });

  it('refuses a Pause request without a reason, naming the field', () => {
    // Act
    const attempt = () => manualCommand('Pause', { requestedBy: 'bob@example.com' }, ID, TIME);

    // Assess
    expect(attempt).toThrow(/detail\.reason/);
  });

  it.each([
    ['30m', 30 * 60_000],
    ['PT4H', 4 * HOUR],
    ['P1DT12H', 36 * HOUR],
  ])('reads the ttl %s as %i ms', (ttl, ms) => {
    // Prepare
    const detail = { ...blockDetail(), ttl };

    // Act
    const signal = signalOf(block(detail));

    // Assess
    expect(signal.request?.ttlMs).toBe(ms);
  });

  it('leaves the duration to the policy when neither ttl nor permanent is given', () => {
    // Prepare
    const { ttl: _ttl, ...detail } = blockDetail();

    // Act
    const signal = signalOf(block(detail));

    // Assess
    expect(signal.request).toEqual({
      requestedBy: 'alice@example.com',
      reason: 'Exfiltration to a paste site seen in proxy logs (INC-4711)',
    });
  });

  it('reads a permanent block restricted to some targets', () => {
    // Prepare
    const { detail } = loadEvent<ManualEvent>('manual/block-request-permanent-cidr.json');

    // Act
    const signal = signalOf(block(detail));

    // Assess
    expect(signal.indicator).toMatchObject({ kind: 'cidr', value: '198.51.100.128/25' });
    expect(signal.request).toMatchObject({ permanent: true, targets: ['networkAcls'] });
    expect(signal.request?.ttlMs).toBeUndefined();
  });

  it('keeps the targets of a block that has no ttl and is not permanent', () => {
    // Prepare
    const { ttl: _ttl, ...detail } = { ...blockDetail(), targets: ['networkFirewall'] };

    // Act
    const signal = signalOf(block(detail));

    // Assess
    expect(signal.request?.targets).toEqual(['networkFirewall']);
  });

  it('ranks a block with the severity it is given', () => {
    // Act
    const signal = signalOf(block({ ...blockDetail(), severity: 10 }));

    // Assess
    expect(signal.severity).toBe(10);
  });

  it.each(['reason', 'requestedBy'])('rejects a block request without %s, naming the field', (field) => {
    // Prepare
    const detail: ManualDetail = blockDetail();
    delete detail[field];

    // Act
    const error = thrownBy(() => block(detail));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: `detail.${field}` });
  });

  it.each(['reason', 'requestedBy'])('rejects an unblock request with a blank %s', (field) => {
    // Prepare
    const detail: ManualDetail = { ...unblockDetail(), [field]: '   ' };

    // Act
    const error = thrownBy(() => manualCommand('Unblock Request', detail, ID, TIME));

    // Assess
    expect(error).toMatchObject({ field: `detail.${field}` });
  });

  it('rejects the sample that leaves out requestedBy', () => {
    // Prepare
    const { detail } = loadEvent<ManualEvent>('invalid/manual-missing-requested-by.json');

    // Act
    const error = thrownBy(() => block(detail));

    // Assess
    expect((error as Error).message).toBe('detail.requestedBy: is required');
  });

  it('rejects a ttl together with permanent: true', () => {
    // Prepare
    const detail = { ...blockDetail(), permanent: true };

    // Act
    const error = thrownBy(() => block(detail));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'detail.ttl' });
    expect((error as Error).message).toMatch(/permanent/);
  });

  it('rejects a ttl that is not a duration, naming the value', () => {
    // Act
    const error = thrownBy(() => block({ ...blockDetail(), ttl: 'until friday' }));

    // Assess
    expect(error).toMatchObject({ field: 'detail.ttl' });
    expect((error as Error).message).toContain('"until friday"');
  });

  it('rejects a field it does not know, so that a typo is never silently dropped', () => {
    // Act
    const error = thrownBy(() => block({ ...blockDetail(), ttlHours: 4 }));

    // Assess
    expect(error).toMatchObject({ field: 'detail.ttlHours' });
    expect((error as Error).message).toMatch(/not a known field/);
  });

  it('rejects a ttl on an unblock request', () => {
    // Act
    const error = thrownBy(() =>
      manualCommand('Unblock Request', { ...unblockDetail(), ttl: '4h' }, ID, TIME),
    );

    // Assess
    expect(error).toMatchObject({ field: 'detail.ttl' });
  });

  it('rejects a target name it does not know', () => {
    // Act
    const error = thrownBy(() => block({ ...blockDetail(), targets: ['route53'] }));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toMatch(/^detail\.targets/);
    expect((error as Error).message).toContain('"route53"');
  });

  it('rejects an empty target list', () => {
    // Act
    const error = thrownBy(() => block({ ...blockDetail(), targets: [] }));

    // Assess
    expect(error).toMatchObject({ field: 'detail.targets' });
  });

  it('rejects a rule-injection attempt in the indicator, naming the field', () => {
    // Prepare
    const { detail } = loadEvent<ManualEvent>('invalid/manual-rule-injection.json');

    // Act
    const error = thrownBy(() => block(detail));

    // Assess
    expect(error).toBeInstanceOf(InvalidIndicatorError);
    expect(error).toMatchObject({ field: 'detail.indicator' });
  });

  it('rejects an indicator that is not a string', () => {
    // Act
    const error = thrownBy(() => block({ ...blockDetail(), indicator: undefined }));

    // Assess
    expect(error).toMatchObject({ field: 'detail.indicator' });
  });
});
