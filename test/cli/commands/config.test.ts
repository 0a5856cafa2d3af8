import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness';

async function fileWith(content: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'warden-config-validate-'));
  const file = join(folder, 'config.json');
  await writeFile(file, content);
  return file;
}

describe('egress-warden config validate', () => {
  it('prints OK and a summary of a valid file', async () => {
    // Act
    const run = await runCli(['config', 'validate', 'egress-warden.config.json']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OK: egress-warden.config.json');
    expect(run.stdout).toContain('  stack EgressWarden');
    expect(run.stdout).toContain('  dnsFirewall: deployed, mode alert');
  });

  it('lists every error of every section, naming the field (exit 2)', async () => {
    // Prepare
    const file = await fileWith(
      JSON.stringify({
        vpcs: [{ vpcId: 'vpc-x' }],
        bogus: 1,
        policy: {
          targets: { dnsFirewall: { mode: 'loud' } },
          allowlist: { domains: ['ok.example', 'not a domain'] },
        },
        alerts: { emails: ['nope'] },
      }),
    );

    // Act
    const run = await runCli(['config', 'validate', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')).toEqual([
      `${file}: vpcs[0].vpcId: must look like vpc-0123456789abcdef0`,
      `${file}: bogus: is not a known field`,
      `${file}: policy.targets.dnsFirewall.mode: Invalid type: Expected ("enforce" | "alert" | "off") but received "loud"`,
      `${file}: policy.allowlist.domains[1]: "not a domain" is not a valid indicator: contains whitespace (U+0020)`,
      `${file}: alerts.emails[0]: must be an e-mail address`,
    ]);
    expect(run.stderr).toContain(`egress-warden: ${file} is not a valid configuration (5 errors)`);
  });

  it('reports a file that is not JSON or cannot be read (exit 2)', async () => {
    // Prepare
    const file = await fileWith('{ "vpcs": ');

    // Act
    const broken = await runCli(['config', 'validate', file, '--json']);
    const missing = await runCli(['config', 'validate', '/nonexistent/config.json']);

    // Assess
    expect(broken.code).toBe(2);
    expect(JSON.parse(broken.stdout)).toEqual({
      valid: false,
      errors: [expect.stringMatching(/^is not valid JSON/)],
    });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/^\/nonexistent\/config\.json: cannot be read/);
  });

  it('validates the file named by --config when none is given', async () => {
    // Act
    const run = await runCli(['--config', 'egress-warden.config.json', 'config', 'validate']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OK: egress-warden.config.json');
  });
});
