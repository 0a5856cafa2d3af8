import { describe, expect, it } from 'vitest';
import { CALLER, useTestDeployment } from './deployment-fixture';

const lab = useTestDeployment();

describe('an operator session against a deployment', () => {
  it('blocks, lists, explains, unblocks and explains again, seeing the real decisions', async () => {
    // Act: block and wait for the decision.
    const block = await lab.deployment.cli(
      'block',
      'evil.example.com',
      '--reason',
      'C2 beaconing seen in proxy logs (INC-4711)',
      '--ttl',
      '4h',
      '--wait',
    );

    // Assess: said what would happen, sent it with the caller's identity, and the target holds it.
    expect(block.stderr).toBe('');
    expect(block.code).toBe(0);
    expect(block.stdout).toContain(
      'Will block evil.example.com until 2026-11-28T14:00:00.000Z on dnsFirewall (enforce), networkFirewall (enforce).',
    );
    expect(block.stdout).toContain(`requested by ${CALLER}`);
    expect(block.stdout).toMatch(
      /Decided at 2026-11-28T10:00:0\d\.000Z: blocked, until 2026-11-28T14:00:0\d\.000Z/,
    );
    expect(lab.deployment.mocks.eventBridge).toHaveReceivedCommandWith(
      (await import('@aws-sdk/client-eventbridge')).PutEventsCommand,
      {
        Entries: [
          {
            EventBusName: 'EgressWarden-bus',
            Source: 'egress-warden.manual',
            DetailType: 'Block Request',
            Detail: JSON.stringify({
              indicator: 'evil.example.com',
              reason: 'C2 beaconing seen in proxy logs (INC-4711)',
              ttl: '4h',
              requestedBy: CALLER,
            }),
          },
        ],
      },
    );
    expect(lab.deployment.warden.dnsFirewall.snapshot()).toEqual(['*.evil.example.com', 'evil.example.com']);

    // Act: list for a script.
    const list = await lab.deployment.cli('list', '--json');

    // Assess
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        indicator: 'evil.example.com',
        kind: 'domain',
        status: 'active',
        source: 'manual',
        targets: ['dnsFirewall', 'networkFirewall'],
        requestedBy: CALLER,
      }),
    ]);

    // Act: explain it.
    const blocked = await lab.deployment.cli('explain', 'evil.example.com');

    // Assess
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toContain('status: active');
    expect(blocked.stdout).toContain(`BLOCKED  by ${CALLER}`);
    expect(blocked.stdout).toContain(
      `evidence manual:0d1e2f3a-0000-4000-8000-000000000001: ${CALLER}: C2 beaconing`,
    );
    expect(blocked.stdout).toContain('targets: dnsFirewall (enforce), networkFirewall (enforce)');
    expect(blocked.stdout).toContain(
      [
        'Targets now',
        '  dnsFirewall: *.evil.example.com, evil.example.com',
        '  networkAcls: holds nothing for it (from the ledger of entries Egress Warden wrote)',
        '  networkFirewall: evil.example.com',
      ].join('\n'),
    );

    // Act: unblock it.
    const unblock = await lab.deployment.cli(
      'unblock',
      'evil.example.com',
      '--reason',
      'false positive',
      '--wait',
    );

    // Assess
    expect(unblock.stderr).toBe('');
    expect(unblock.code).toBe(0);
    expect(unblock.stdout).toContain(
      'Will unblock evil.example.com on dnsFirewall (enforce), networkFirewall (enforce).',
    );
    expect(unblock.stdout).toMatch(/Decided at .*: unblocked/);
    expect(lab.deployment.warden.dnsFirewall.snapshot()).toEqual([]);

    // Act: explain it again.
    const unblocked = await lab.deployment.cli('explain', 'evil.example.com', '--json');

    // Assess
    expect(unblocked.code).toBe(0);
    const explained = JSON.parse(unblocked.stdout);
    expect(explained.decision.status).toBe('unblocked');
    expect(explained.targets).toEqual([
      { target: 'dnsFirewall', readFrom: 'target', entries: [] },
      { target: 'networkAcls', readFrom: 'ledger', entries: [] },
      { target: 'networkFirewall', readFrom: 'target', entries: [] },
    ]);
    // Each decision's alert leaves an `alerted` record; records of the same instant sort by event name.
    expect(explained.audit.map((a: { event: string; actor: string }) => [a.event, a.actor])).toEqual([
      ['blocked', CALLER],
      ['alerted', 'egress-warden'],
      ['alerted', 'egress-warden'],
      ['unblocked', CALLER],
    ]);
    expect(explained.audit[2].reason).toMatch(/^\[Egress Warden\] UNBLOCKED evil\.example\.com/);
  });
});
