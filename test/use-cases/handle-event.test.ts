import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { MANUAL_SOURCE } from '#shared/intake/manual';
import { handleEvent } from '#shared/use-cases/handle-event';
import { loadEvent } from '../support/events';
import { createWarden } from '../support/warden';

describe('handleEvent', () => {
  it('decides a GuardDuty finding and records it in the store', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const report = await handleEvent(loadEvent('guardduty/c2-domain.json'), warden.deps);

    // Assess
    expect(report.decisions).toHaveLength(1);
    expect(report.decisions[0]).toMatchObject({ outcome: 'blocked', source: 'guardduty' });
    const indicator = report.decisions[0]?.indicator ?? '';
    expect((await warden.store.get(indicator))?.status).toBe('active');
  });

  it('reports a finding type it does not handle as skipped, with the source it came from', async () => {
    // Act
    const report = await handleEvent(
      loadEvent('guardduty/inbound-ssh-brute-force.json'),
      createWarden().deps,
    );

    // Assess
    expect(report.decisions).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        skipReason: 'not-handled',
        source: 'guardduty',
        targets: [],
      }),
    ]);
  });

  it('is idempotent: the same event twice is one block and a duplicate', async () => {
    // Prepare
    const warden = createWarden();
    const event = loadEvent('manual/block-request.json');

    // Act
    const first = await handleEvent(event, warden.deps);
    const second = await handleEvent(event, warden.deps);

    // Assess
    expect(first.decisions[0]?.outcome).toBe('blocked');
    expect(second.decisions[0]).toMatchObject({ outcome: 'skipped', skipReason: 'duplicate' });
  });

  it('closes an open breaker on a Reset Breaker request', async () => {
    // Prepare
    const warden = createWarden();
    await warden.store.putBreaker(
      {
        open: true,
        recentBlocks: [],
        version: 1,
        openedAt: warden.clock.now().toISOString(),
        reason: 'burst',
      },
      0,
    );
    const event = {
      source: MANUAL_SOURCE,
      'detail-type': 'Reset Breaker',
      detail: { requestedBy: 'arn:aws:iam::123456789012:user/alice', reason: 'reviewed the burst' },
    };

    // Act
    const report = await handleEvent(event, warden.deps);

    // Assess
    expect(report.breakerResets).toEqual([expect.objectContaining({ outcome: 'closed' })]);
    expect((await warden.store.getBreaker()).open).toBe(false);
  });

  it('throws InvalidInputError naming the field and writes nothing for a malformed event', async () => {
    // Prepare
    const warden = createWarden();

    // Act
    const failure = await handleEvent(loadEvent('invalid/manual-rule-injection.json'), warden.deps).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(warden.store.snapshot().decisions).toEqual([]);
  });
});
