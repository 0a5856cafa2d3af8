import { beforeEach, describe, expect, it } from 'vitest';
import { parseIndicator } from '#domain/indicator';
import { aDecision } from '../../contracts/decision-store.contract';
import { useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

beforeEach(async () => {
  const decision = (key: string, fields: Parameters<typeof aDecision>[0]) =>
    aDecision({ key, indicator: parseIndicator(key), ...fields });
  await lab.store.put(decision('evil.example.com', { expiresAt: '2026-11-28T13:30:00.000Z' }), undefined);
  await lab.store.put(
    decision('203.0.113.45/32', {
      source: 'manual',
      detector: 'manual',
      targets: ['networkAcls'],
      expiresAt: null,
    }),
    undefined,
  );
  await lab.store.put(
    decision('198.51.100.0/24', { source: 'flow-log', expiresAt: '2026-11-30T10:00:00.000Z' }),
    undefined,
  );
  await lab.store.put(decision('old.example.org', { status: 'unblocked' }), undefined);
});

describe('egress-warden list', () => {
  it('prints the active decisions as a table with time left', async () => {
    // Act
    const run = await lab.deployment.cli('list');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'INDICATOR         KIND    STATUS  SOURCE     SEV  TARGETS                      EXPIRES                   LEFT',
      '198.51.100.0/24   cidr    active  flow-log   8.5  dnsFirewall,networkFirewall  2026-11-30T10:00:00.000Z  2d 0h',
      '203.0.113.45/32   ip      active  manual     8.5  networkAcls                  never                     permanent',
      'evil.example.com  domain  active  guardduty  8.5  dnsFirewall,networkFirewall  2026-11-28T13:30:00.000Z  3h 30m',
      '3 decisions.',
    ]);
  });

  it('filters by kind and source, for scripts as JSON', async () => {
    // Act
    const ips = await lab.deployment.cli('list', '--kind', 'ip', '--json');
    const flows = await lab.deployment.cli('list', '--source', 'flow-log', '--json');

    // Assess
    expect(JSON.parse(ips.stdout).map((d: { indicator: string }) => d.indicator)).toEqual([
      '203.0.113.45/32',
    ]);
    expect(JSON.parse(flows.stdout)).toEqual([
      expect.objectContaining({ indicator: '198.51.100.0/24', source: 'flow-log', status: 'active' }),
    ]);
  });

  it('lists every status with --all', async () => {
    // Act
    const run = await lab.deployment.cli('list', '--all', '--json');

    // Assess
    expect(run.code).toBe(0);
    const statuses = JSON.parse(run.stdout).map((d: { indicator: string; status: string }) => [
      d.indicator,
      d.status,
    ]);
    expect(statuses).toEqual([
      ['198.51.100.0/24', 'active'],
      ['203.0.113.45/32', 'active'],
      ['evil.example.com', 'active'],
      ['old.example.org', 'unblocked'],
    ]);
  });

  it('refuses a source that does not exist, naming the choices (exit 2)', async () => {
    // Act
    const run = await lab.deployment.cli('list', '--source', 'gardduty');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '"gardduty" is not a source: use one of guardduty, dns-log, flow-log, manual, feed',
    );
  });
});
