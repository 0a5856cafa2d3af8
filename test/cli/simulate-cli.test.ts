import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import type { SimulationResult } from '#shared/simulation/simulate';
import { deltasOf } from '../contracts/domain-baseline.contract';
import { startDynalite } from '../support/dynalite';
import { EVENTS_DIR } from '../support/events';
import { ACL_ID, reservedDenyCidrs } from '../support/warden';
import { type ProcessRun, runNode } from './node-process';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type CliOutput = Pick<SimulationResult, 'decisions' | 'rejected' | 'targets' | 'alerts'>;

/** Runs the CLI the way `npm run cli` does, from the repository root. */
function cli(...args: string[]): Promise<ProcessRun> {
  return cliWith({}, ...args);
}

/** Runs the CLI with `env` added to the environment. */
function cliWith(env: Record<string, string>, ...args: string[]): Promise<ProcessRun> {
  return runNode(['--import', 'tsx', 'shared/cli/bin.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

function denies(output: CliOutput): string[] {
  return reservedDenyCidrs(output.targets.networkAcls[ACL_ID] ?? []);
}

describe('egress-warden simulate', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'egress-warden-cli-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('prints exactly one JSON document with the decisions, rejections, targets and alerts', async () => {
    // Act
    const run = await cli('simulate', 'events', '--json');

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(Object.keys(output).sort()).toEqual([
      'alerts',
      'breakerResets',
      'decisions',
      'logs',
      'pauses',
      'rejected',
      'targets',
    ]);
    expect(output.rejected).toHaveLength(3);
    expect(output.targets.dnsFirewall.domains).toContain('guarddutyc2activityb.com');
    expect(denies(output)).toEqual(['198.51.100.128/25', '198.51.100.77/32']);
  });

  it('decides at the time given with --now', async () => {
    // Act
    const run = await cli(
      'simulate',
      'events/guardduty/c2-domain.json',
      '--json',
      '--now',
      '2026-12-01T12:00:00Z',
    );

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.decisions).toEqual([
      expect.objectContaining({ outcome: 'blocked', expiresAt: '2026-12-01T16:00:00.000Z' }),
    ]);
  });

  it('lets the 4-hour blocks expire with --advance 5h and keeps the permanent one', async () => {
    // Act
    const run = await cli('simulate', 'events', '--json', '--advance', '5h');

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.targets.dnsFirewall.domains).toEqual([]);
    expect(output.targets.networkFirewall.rules).toBe('');
    expect(denies(output)).toEqual(['198.51.100.128/25']);
  });

  it('prints a readable report without --json', async () => {
    // Act
    const run = await cli('simulate', 'events');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Egress Warden simulation: 17 events from events at 2026-11-28T09:53:00.000Z/,
    );
    expect(run.stdout).toContain('Rejected (3)');
  });

  it('refuses an --advance that is not a duration, saying so on stderr', async () => {
    // Act
    const run = await cli('simulate', 'events', '--json', '--advance', 'soon');

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--advance');
    expect(run.stderr).toContain('"soon" is not a duration');
  });

  it('refuses a --now that is not a time', async () => {
    // Act
    const run = await cli('simulate', 'events', '--json', '--now', 'tomorrow');

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('"tomorrow" is not an ISO 8601 time');
  });

  it('exits non-zero for a path that does not exist, naming it', async () => {
    // Act
    const run = await cli('simulate', 'events/no-such-folder', '--json');

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('events/no-such-folder: no such file or folder');
  });

  it('reports a file that is not valid JSON as rejected and goes on with the others', async () => {
    // Prepare
    const folder = await mkdtemp(join(scratch, 'events-'));
    const broken = join(folder, 'a-broken.json');
    await writeFile(broken, '{ "source": "aws.guardduty", ');
    await copyFile(join(EVENTS_DIR, 'guardduty/c2-domain.json'), join(folder, 'b-c2-domain.json'));

    // Act
    const run = await cli('simulate', folder, '--json');

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.rejected).toEqual([{ input: broken, error: expect.stringMatching(/^not valid JSON/) }]);
    expect(output.decisions.map((d) => d.outcome)).toEqual(['blocked']);
  });

  it('exits non-zero for a --config with an invalid policy, naming the field', async () => {
    // Prepare
    const config = join(scratch, 'bad-policy.json');
    await writeFile(config, JSON.stringify({ policy: { targets: { dnsFirewall: { mode: 'block' } } } }));

    // Act
    const run = await cli('simulate', 'events', '--json', '--config', config);

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('policy.targets.dnsFirewall.mode');
  });

  it('runs with a valid --config', async () => {
    // Prepare
    const config = join(scratch, 'alert-only.json');
    await writeFile(config, JSON.stringify({ policy: {} }));

    // Act
    const run = await cli('simulate', 'events', '--json', '--config', config);

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.targets.dnsFirewall.domains).toEqual([]);
    expect(output.decisions.find((d) => d.indicator === 'guarddutyc2activityb.com')?.outcome).toBe('shadow');
  });

  it('takes a DNS Firewall maxDomains above 100,000, as the account quota can be raised', async () => {
    // Prepare
    const config = join(scratch, 'raised-quota.json');
    await writeFile(
      config,
      JSON.stringify({ policy: { targets: { dnsFirewall: { mode: 'enforce', maxDomains: 250_000 } } } }),
    );

    // Act
    const run = await cli('simulate', 'events/guardduty/c2-domain.json', '--json', '--config', config);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.targets.dnsFirewall.domains).toContain('guarddutyc2activityb.com');
  });

  it('runs a file of 190,000 events and takes the newest event time as now', async () => {
    // Prepare
    const file = join(scratch, 'many-events.json');
    const events = Array.from({ length: 190_000 }, (_, i) => ({
      time: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    }));
    await writeFile(file, JSON.stringify(events));

    // Act
    const run = await cli('simulate', file, '--json');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.rejected).toHaveLength(190_000);
    expect(output.rejected[189_999]).toEqual({ input: `${file}[189999]`, error: 'source: is required' });
  });

  it('rejects an event nested 100,000 levels deep and decides the other events of the run', async () => {
    // Prepare
    const folder = await mkdtemp(join(scratch, 'deep-'));
    const deep = join(folder, 'a-deep-manual.json');
    const manual = JSON.parse(await readFile(join(EVENTS_DIR, 'manual/block-request.json'), 'utf8'));
    delete manual.id;
    manual.detail.note = '__NESTED__';
    const nested = `${'{"a":'.repeat(99_999)}{"a":1}${'}'.repeat(99_999)}`;
    await writeFile(deep, JSON.stringify(manual).replace('"__NESTED__"', nested));
    await copyFile(join(EVENTS_DIR, 'guardduty/c2-domain.json'), join(folder, 'b-c2-domain.json'));

    // Act
    const run = await cli('simulate', folder, '--json');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.rejected).toEqual([
      { input: deep, error: expect.stringMatching(/^nested deeper than 1000 levels/) },
    ]);
    expect(output.decisions.map((d) => d.outcome)).toEqual(['blocked']);
  });

  it('runs a file that starts with a UTF-8 byte order mark', async () => {
    // Prepare
    const file = join(scratch, 'bom-c2-domain.json');
    await writeFile(file, `\uFEFF${await readFile(join(EVENTS_DIR, 'guardduty/c2-domain.json'), 'utf8')}`);

    // Act
    const run = await cli('simulate', file, '--json');

    // Assess
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as CliOutput;
    expect(output.rejected).toEqual([]);
    expect(output.decisions.map((d) => d.outcome)).toEqual(['blocked']);
  });
});

describe('egress-warden baseline-export', () => {
  it("prints the VPC's established domains from the decision table, with the shipped configuration's thresholds", async () => {
    // Prepare: a decision table on dynalite, reached through the SDK's standard endpoint variable.
    const dynalite = await startDynalite();
    try {
      const tableName = await dynalite.createTable();
      const store = new DynamoDbDomainBaselineStore({ client: dynalite.doc, tableName });
      const hosts = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
      const week = Array.from({ length: 7 }, (_, i) => i * 86_400_000);
      await store.record(
        deltasOf('vpc-0123456789abcdef0', {
          'github.com': [hosts, week],
          'new.example': [hosts.slice(0, 1), week],
        }),
      );

      // Act: the example configuration lists no VPC CIDRs, as a deployment's need not.
      const run = await cliWith(
        {
          AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'x',
        },
        'baseline-export',
        '--table',
        tableName,
        '--vpc',
        'vpc-0123456789abcdef0',
        '--config',
        'egress-warden.config.json',
      );

      // Assess
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('github.com\n');
    } finally {
      await dynalite.stop();
    }
  });

  it('names the configuration field that is wrong before reading anything', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'warden-cli-'));
    const config = join(folder, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718' }],
        detectors: { dns: { baseline: { minDays: 0 } } },
      }),
    );

    // Act
    const run = await cli(
      'baseline-export',
      '--table',
      'decisions',
      '--vpc',
      'vpc-0a1b2c3d4e5f60718',
      '--config',
      config,
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--config .*config\.json: detectors\.dns\.baseline\.minDays/);
  });
});
