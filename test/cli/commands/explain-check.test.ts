import { describe, expect, it } from 'vitest';
import { useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

const HOUR = 3_600_000;

describe('egress-warden explain', () => {
  it('shows the policy and exits 4 for an indicator never decided', async () => {
    // Act
    const run = await lab.deployment.cli('explain', 'nothing.example.com');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('never decided: no record in the decision table');
    expect(run.stdout).toContain('targets: dnsFirewall (enforce), networkFirewall (enforce)');
    expect(run.stdout).toContain(
      'durations: manual 1d by default; automated 4h → 8h → 1d → 7d for repeats within 30d',
    );
    expect(run.stderr).toContain('egress-warden: nothing.example.com was never decided');
    expect(run.stderr).toContain('hint: `egress-warden list --all`');
  });

  it('says why an allowlisted domain is never blocked', async () => {
    // Act
    const run = await lab.deployment.cli('explain', 'cdn.partner.example.net', '--json');

    // Assess
    expect(run.code).toBe(4);
    expect(JSON.parse(run.stdout).policy.protection).toEqual({
      reason: 'allowlisted',
      detail: 'cdn.partner.example.net overlaps the allowlisted domain partner.example.net',
    });
  });

  it('refuses something that is not an indicator (exit 2)', async () => {
    // Act
    const run = await lab.deployment.cli('explain', 'exa mple.com');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('indicator: "exa mple.com" is not a valid indicator');
  });
});

describe('egress-warden check', () => {
  it('says a block would be allowed, where and for how long, and sends nothing', async () => {
    // Act
    const run = await lab.deployment.cli('check', 'evil.example.com', '--ttl', '2h');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'A block of evil.example.com would be allowed: blocked, for 2h (until 2026-11-28T12:00:00.000Z)',
    );
    expect(run.stdout).toContain('  on dnsFirewall (enforce), networkFirewall (enforce)');
    expect(run.stdout).toContain('an automated block now would last 4h');
    expect(lab.deployment.pending).toEqual([]);
  });

  it('climbs the escalation ladder from the offence history in the store', async () => {
    // Prepare: a block that ended an hour ago counts as the previous offence.
    await lab.deployment.cli('block', 'evil.example.com', '--reason', 'x', '--ttl', '1h', '--wait');
    lab.deployment.warden.clock.advance(2 * HOUR);
    await lab.deployment.deliver();

    // Act
    const run = await lab.deployment.cli('check', 'evil.example.com', '--json');

    // Assess
    expect(run.code).toBe(0);
    const checked = JSON.parse(run.stdout);
    expect(checked.current).toEqual(expect.objectContaining({ status: 'expired', offences: 1 }));
    expect(checked.automated).toEqual({ outcome: 'blocked', durationMs: 8 * HOUR });
    expect(checked.durationMs).toBe(24 * HOUR);
  });

  it('says a block would be refused, with the service reason (exit 3)', async () => {
    // Act
    const run = await lab.deployment.cli('check', '10.0.0.0/8');

    // Assess
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      'A block of 10.0.0.0/8 would be refused: not blocked: 10.0.0.0/8 is wider than /16, the widest network Egress Warden will block',
    );
    expect(run.stderr).toContain('egress-warden: refused: not blocked: 10.0.0.0/8 is wider than /16');
  });
});
