import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { PROJECT_ROOT } from '../../infra/bundling';
import { configFilePath, DEFAULT_CONFIG_FILE, readConfigFile } from '../../infra/config-file';

function configFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'egress-warden-config-')), 'config.json');
  writeFileSync(path, content);
  return path;
}

describe('the configuration file', () => {
  it('is egress-warden.config.json unless EGRESS_WARDEN_CONFIG_FILE names another', () => {
    expect(configFilePath({})).toBe(DEFAULT_CONFIG_FILE);
    expect(configFilePath({ EGRESS_WARDEN_CONFIG_FILE: 'prod.json' })).toBe('prod.json');
  });

  it('reads the example in the repository, every target in alert mode', () => {
    const config = readConfigFile(join(PROJECT_ROOT, DEFAULT_CONFIG_FILE));

    expect(config.vpcs).toEqual([{ vpcId: 'vpc-0123456789abcdef0' }]);
    expect(config.policyInput).toEqual({
      targets: {
        dnsFirewall: { mode: 'alert' },
        networkAcls: { mode: 'alert' },
        networkFirewall: { mode: 'alert' },
      },
    });
  });

  it('names the file and the field that is wrong', () => {
    const path = configFile(JSON.stringify({ vpcs: [{ vpcId: 'vpc-1' }] }));

    expect(() => readConfigFile(path)).toThrow(InvalidInputError);
    expect(() => readConfigFile(path)).toThrow(`${path}.vpcs[0].vpcId`);
  });

  it('reads a file saved with a byte-order mark, as `config validate` does', () => {
    const path = configFile(`\uFEFF${JSON.stringify({ vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }] })}`);

    expect(readConfigFile(path).vpcs).toEqual([{ vpcId: 'vpc-0123456789abcdef0' }]);
  });

  it('names the file when it is not JSON or cannot be read', () => {
    const path = configFile('{ "vpcs": ');

    expect(() => readConfigFile(path)).toThrow(`${path}: is not valid JSON`);
    expect(() => readConfigFile(`${path}.missing`)).toThrow(`${path}.missing: cannot be read`);
  });

  it('fails the app before synth, naming the field', () => {
    const path = configFile(
      JSON.stringify({
        vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }],
        targets: { networkFirewall: { capacity: 0 } },
      }),
    );

    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, EGRESS_WARDEN_CONFIG_FILE: path },
      encoding: 'utf8',
    });

    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${path}.targets.networkFirewall.capacity`);
  });
});
