import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { CALLER, useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

describe('egress-warden pause and resume', () => {
  it('pauses with the caller as requestedBy, waits for it, and a block is then only a shadow', async () => {
    // Act
    const pause = await lab.deployment.cli('pause', '--reason', 'rollout looks wrong (INC-4712)', '--wait');
    const block = await lab.deployment.cli('block', 'evil.example.com', '--reason', 'C2', '--wait');

    // Assess
    expect(pause.stderr).toBe('');
    expect(pause.code).toBe(0);
    expect(pause.stdout).toContain(
      'Will pause Egress Warden: every target runs as in alert mode until resumed; blocks in force stay (unblock opens them).',
    );
    expect(pause.stdout).toContain(
      'Paused: new blocks are shadowed; blocks in force stay until they expire or are unblocked.',
    );
    expect(lab.deployment.mocks.eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: 'EgressWarden-bus',
          Source: 'egress-warden.manual',
          DetailType: 'Pause',
          Detail: JSON.stringify({ reason: 'rollout looks wrong (INC-4712)', requestedBy: CALLER }),
        },
      ],
    });
    expect(await lab.store.getPause()).toMatchObject({ paused: true, by: CALLER });
    expect(await lab.store.listAudit('PAUSE')).toEqual([
      expect.objectContaining({ event: 'paused', actor: CALLER, reason: 'rollout looks wrong (INC-4712)' }),
    ]);
    expect(block.stdout).toContain('Will record a shadow decision (nothing blocked)');
    expect(block.stdout).toMatch(/Decided at .*: shadow/);
    expect(lab.deployment.warden.dnsFirewall.snapshot()).toEqual([]);
  });

  it('sends nothing when already paused, and says since when and by whom', async () => {
    // Prepare
    await lab.store.putPause(
      { paused: true, since: '2026-11-28T09:00:00Z', by: 'bob', reason: 'review', version: 1 },
      0,
    );

    // Act
    const run = await lab.deployment.cli('pause', '--reason', 'again');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'Egress Warden is already paused since 2026-11-28T09:00:00.000Z (by bob: review): nothing sent.',
    );
    expect(lab.deployment.mocks.eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('resumes a paused lab.deployment and prints JSON for a script', async () => {
    // Prepare
    await lab.store.putPause(
      { paused: true, since: '2026-11-28T09:00:00Z', by: 'bob', reason: 'review', version: 1 },
      0,
    );

    // Act
    const run = await lab.deployment.cli('resume', '--reason', 'reviewed', '--wait', '--json');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      sent: true,
      pause: { paused: false, by: CALLER, reason: 'reviewed' },
    });
    expect((await lab.store.listAudit('PAUSE')).map((r) => r.event)).toEqual(['resumed']);
  });

  it('refuses an empty reason before sending anything (exit 3)', async () => {
    // Act
    const run = await lab.deployment.cli('pause', '--reason', '   ');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('detail.reason');
    expect(lab.deployment.mocks.eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('times out at the decide hop when the request is not handled (exit 6)', async () => {
    // Prepare
    lab.deployment.stall();

    // Act
    const run = await lab.deployment.cli('pause', '--reason', 'x', '--wait', '--timeout', '6s');

    // Assess
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('timed out waiting for the service to be paused (hop: bus → decide)');
    expect(run.stderr).toContain(
      "hint: the request was sent; check the decide function's logs and the dead-letter queue",
    );
  });
});
