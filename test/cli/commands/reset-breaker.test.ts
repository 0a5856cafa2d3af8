import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { CALLER, useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

describe('egress-warden reset-breaker', () => {
  it('sends nothing when the breaker is closed', async () => {
    // Act
    const run = await lab.deployment.cli('reset-breaker', '--reason', 'reviewed');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('The breaker is closed: nothing to reset, nothing sent.');
    expect(lab.deployment.mocks.eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('closes an open breaker with the caller as requestedBy and waits for it', async () => {
    // Prepare
    await lab.store.putBreaker(
      {
        open: true,
        openedAt: '2026-11-28T09:30:00.000Z',
        reason: 'more than 50 new blocks within 1h',
        recentBlocks: [],
        version: 1,
      },
      0,
    );

    // Act
    const run = await lab.deployment.cli('reset-breaker', '--reason', 'reviewed: one campaign', '--wait');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Will close the breaker, open since 2026-11-28T09:30:00.000Z (more than 50 new blocks within 1h).',
    );
    expect(run.stdout).toContain('The breaker is closed: automated blocks resume.');
    expect((await lab.store.getBreaker()).open).toBe(false);
    expect(await lab.store.listAudit('BREAKER')).toEqual([
      expect.objectContaining({ event: 'breaker-reset', actor: CALLER, reason: 'reviewed: one campaign' }),
    ]);
  });

  it('times out when the breaker stays open (exit 6)', async () => {
    // Prepare
    await lab.store.putBreaker({ open: true, recentBlocks: [], version: 1 }, 0);
    lab.deployment.stall();

    // Act
    const run = await lab.deployment.cli(
      'reset-breaker',
      '--reason',
      'reviewed',
      '--wait',
      '--timeout',
      '6s',
    );

    // Assess
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('timed out waiting for the breaker to close (hop: bus → decide)');
  });
});
