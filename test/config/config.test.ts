import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseConfig, policyOf, runtimeConfig } from '#shared/config/config';

const VPC = { vpcId: 'vpc-0a1b2c3d4e5f60718' };

/** A flow log format string, `${field}` for each name. */
function format(...names: string[]): string {
  return names.map((name) => `\${${name}}`).join(' ');
}

/** The message parseConfig throws for `input`, or 'accepted'. */
function errorOf(input: unknown, root?: string): string {
  try {
    parseConfig(input, root);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
}

describe('parseConfig', () => {
  it('fills in the defaults of a configuration that names only its VPC', () => {
    // Act
    const config = parseConfig({ vpcs: [VPC] });

    // Assess
    expect(config).toMatchObject({
      stackName: 'EgressWarden',
      vpcs: [VPC],
      targets: {
        dnsFirewall: { deploy: true, rulePriority: 100, associationPriority: 9000 },
        networkAcls: { deploy: true },
        networkFirewall: { deploy: true, capacity: 1000 },
      },
      alerts: { emails: [], subscriptions: [] },
      operators: [],
      guardDuty: { catchUpLookbackMs: 24 * 3_600_000 },
    });
    expect(config.env).toBeUndefined();
  });

  it('reads the example configuration shipped at the repository root', async () => {
    // Prepare
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../egress-warden.config.json', import.meta.url), 'utf8');

    // Act
    const config = parseConfig(JSON.parse(text));

    // Assess: a fresh deployment watches before it blocks.
    const policy = policyOf(config, { vpcCidrs: [] });
    expect(Object.values(policy.targets).map((target) => target.mode)).toEqual(['alert', 'alert', 'alert']);
  });

  it.each([
    [{}, /^vpcs: /],
    [{ vpcs: [] }, /^vpcs: /],
    [{ vpcs: [{ vpcId: 'vpc-1' }] }, /^vpcs\[0\]\.vpcId: must look like vpc-/],
    [{ vpcs: [VPC, VPC] }, /^vpcs\[1\]\.vpcId: is listed twice/],
    [{ vpcs: [{ ...VPC, cidrs: ['10.0.0.0/16', 'example.com'] }] }, /^vpcs\[0\]\.cidrs\[1\]: /],
    [{ vpcs: [{ ...VPC, networkAcls: ['acl-1'] }] }, /^vpcs\[0\]\.networkAcls\[0\]: /],
    [
      { vpcs: [{ ...VPC, networkAcls: ['acl-0123456789abcdef0'] }, { vpcId: 'vpc-0a1b2c3d4e5f60719' }] },
      /^vpcs\[1\]\.networkAcls: list the network ACLs of every VPC, or of none/,
    ],
    [
      { vpcs: [VPC], targets: { networkFirewall: { capacity: 30_001 } } },
      /^targets\.networkFirewall\.capacity: /,
    ],
    [
      { vpcs: [VPC], targets: { dnsFirewall: { associationPriority: 100 } } },
      /^targets\.dnsFirewall\.associationPriority: /,
    ],
    [
      { vpcs: [VPC], alerts: { emails: ['not-an-address'] } },
      /^alerts\.emails\[0\]: must be an e-mail address/,
    ],
    [{ vpcs: [VPC], operators: ['SecOps'] }, /^operators\[0\]: must be the ARN of an IAM role or user/],
    [{ vpcs: [VPC], guardDuty: { catchUpLookback: 'soon' } }, /^guardDuty\.catchUpLookback: /],
    [{ vpcs: [VPC], env: { account: '1234', region: 'eu-west-1' } }, /^env\.account: /],
    [
      { vpcs: [VPC], policy: { targets: { dnsFirewall: { mode: 'block' } } } },
      /^policy\.targets\.dnsFirewall\.mode: /,
    ],
    [{ vpcs: [VPC], polcy: {} }, /^polcy: is not a known field/],
    [{ vpcs: [VPC], detectors: { logs: {} } }, /^detectors\.logs: give one of /],
    [
      { vpcs: [VPC], detectors: { logs: { create: true, bucket: 'my-logs' } } },
      /^detectors\.logs: give one of /,
    ],
    [
      { vpcs: [VPC], detectors: { logs: { bucket: 'my-logs', flowLogGroup: 'flows' } } },
      /^detectors\.logs: give one of /,
    ],
    [{ vpcs: [VPC], detectors: { logs: { create: false } } }, /^detectors\.logs: give one of /],
    [
      { vpcs: [VPC], detectors: { logs: { bucket: 'My_Logs' } } },
      /^detectors\.logs\.bucket: must be an S3 bucket name/,
    ],
    [
      { vpcs: [VPC], detectors: { logs: { bucket: 'my-logs', prefix: '/logs/' } } },
      /^detectors\.logs\.prefix: /,
    ],
    [
      { vpcs: [VPC], detectors: { logs: { create: true, expireAfterDays: 0 } } },
      /^detectors\.logs\.expireAfterDays: /,
    ],
    [
      { vpcs: [VPC], detectors: { logs: { bucket: 'my-logs', expireAfterDays: 30 } } },
      /^detectors\.logs\.expireAfterDays: applies only to a bucket the stack creates/,
    ],
    [
      {
        vpcs: [VPC],
        detectors: { logs: { flowLogGroup: 'flows', flowLogFormat: `${format('version')} srcaddr` } },
      },
      /^detectors\.logs\.flowLogFormat: /,
    ],
    [
      { vpcs: [VPC], detectors: { logs: { queryLogGroup: 'dns', flowLogFormat: format('version') } } },
      /^detectors\.logs\.flowLogFormat: needs flowLogGroup/,
    ],
    [{ vpcs: [VPC], detectors: { logs: { queryLogGroup: 'a b' } } }, /^detectors\.logs\.queryLogGroup: /],
    [{ vpcs: [VPC], detectors: { feedsBucket: {} } }, /^detectors\.feedsBucket: give one of /],
    [{ vpcs: [VPC], detectors: { deploy: 'yes' } }, /^detectors\.deploy: /],
  ])('refuses %j, naming the field', (input, expected) => {
    // Act
    const message = errorOf(input);

    // Assess
    expect(message).toMatch(expected);
  });

  it('prefixes every field with the root it was read from', () => {
    // Act
    const message = errorOf(
      { vpcs: [VPC], policy: { allowlist: { cidrs: ['nope'] } } },
      'EGRESS_WARDEN_CONFIG',
    );

    // Assess
    expect(message).toMatch(/^EGRESS_WARDEN_CONFIG\.policy\.allowlist\.cidrs\[0\]: /);
  });
});

describe('detector deployment settings', () => {
  it('leaves the detectors out by default, and creates the logs when they are turned on without a source', () => {
    // Act
    const off = parseConfig({ vpcs: [VPC] });
    const on = parseConfig({ vpcs: [VPC], detectors: { deploy: true } });

    // Assess
    expect(off.detectors).toMatchObject({ deploy: false, logs: { source: 'create', expireAfterDays: 30 } });
    expect(off.detectors.feedsBucket).toBeUndefined();
    expect(on.detectors).toMatchObject({ deploy: true, logs: { source: 'create', expireAfterDays: 30 } });
  });

  it.each([
    [
      { create: true, expireAfterDays: 7 },
      { source: 'create', expireAfterDays: 7 },
    ],
    [{ bucket: 'org-vpc-logs' }, { source: 'bucket', bucket: 'org-vpc-logs', prefix: '' }],
    [
      { bucket: 'org-vpc-logs', prefix: 'prod' },
      { source: 'bucket', bucket: 'org-vpc-logs', prefix: 'prod/' },
    ],
    [
      { bucket: 'org-vpc-logs', prefix: 'prod/eu/' },
      { source: 'bucket', bucket: 'org-vpc-logs', prefix: 'prod/eu/' },
    ],
    [{ queryLogGroup: '/vpc/dns-queries' }, { source: 'log-groups', queryLogGroup: '/vpc/dns-queries' }],
    [
      { flowLogGroup: 'vpc-flows', flowLogFormat: format('version', 'srcaddr', 'dstaddr', 'action') },
      {
        source: 'log-groups',
        flowLogGroup: 'vpc-flows',
        flowLogFormat: format('version', 'srcaddr', 'dstaddr', 'action'),
      },
    ],
  ])('reads the log source %j', (logs, expected) => {
    // Act
    const config = parseConfig({ vpcs: [VPC], detectors: { deploy: true, logs } });

    // Assess
    expect(config.detectors.logs).toEqual(expected);
  });

  it.each([
    [{ create: true }, { create: true }],
    [{ bucket: 'threat-feeds' }, { bucket: 'threat-feeds' }],
  ])('reads the feeds bucket %j', (feedsBucket, expected) => {
    // Act
    const config = parseConfig({ vpcs: [VPC], detectors: { deploy: true, feedsBucket } });

    // Assess
    expect(config.detectors.feedsBucket).toEqual(expected);
  });
});

describe('parseConfig alerts', () => {
  it('fills in a digest beyond 5 alerts, a 1-hour repeat interval and no chat topic', () => {
    // Act
    const config = parseConfig({ vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }] });

    // Assess
    expect(config.alerts).toEqual({
      emails: [],
      subscriptions: [],
      digestAbove: 5,
      repeatIntervalMs: 3_600_000,
      chat: false,
    });
  });

  it('reads the digest count, the repeat interval and the chat switch', () => {
    // Act
    const config = parseConfig({
      vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }],
      alerts: { digestAbove: 20, repeatInterval: '6h', chat: true },
    });

    // Assess
    expect(config.alerts).toMatchObject({ digestAbove: 20, repeatIntervalMs: 6 * 3_600_000, chat: true });
  });

  it('refuses a repeat interval that is not a duration, naming the field', () => {
    // Act
    const attempt = () =>
      parseConfig({ vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }], alerts: { repeatInterval: 'hourly' } });

    // Assess
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(/^alerts\.repeatInterval: "hourly" is not a duration/);
  });
});

describe('runtimeConfig', () => {
  it('keeps what the functions need and parses back to the same configuration, without the stack settings', () => {
    // Prepare
    const config = parseConfig({
      stackName: 'Warden-Prod',
      env: { account: '123456789012', region: 'eu-west-1' },
      vpcs: [{ ...VPC, cidrs: ['10.20.0.0/16'] }],
      targets: { networkFirewall: { deploy: false } },
      alerts: { emails: ['secops@example.com'] },
      operators: ['arn:aws:iam::123456789012:role/SecOps'],
      guardDuty: { catchUpLookback: '36h' },
      policy: { allowlist: { domains: ['partner.example.net'] } },
      detectors: {
        deploy: true,
        logs: { bucket: 'org-vpc-logs' },
        feedsBucket: { create: true },
        flows: { volume: { enabled: false } },
      },
    });

    // Act
    const runtime = runtimeConfig(config);
    const back = parseConfig(JSON.parse(JSON.stringify(runtime)));

    // Assess
    expect(runtime.alerts).toEqual({ digestAbove: 5, repeatInterval: '1h', chat: false });
    expect(back.alerts).toMatchObject({ digestAbove: 5, repeatIntervalMs: 3_600_000, chat: false });
    expect(runtime).not.toHaveProperty('operators');
    expect(back.vpcs).toEqual(config.vpcs);
    expect(back.targets).toEqual(config.targets);
    expect(back.guardDuty).toEqual(config.guardDuty);
    expect(back.policyInput).toEqual(config.policyInput);
    expect(runtime.detectors).toEqual({ flows: { volume: { enabled: false } } });
    expect(back.detectors.flows).toEqual(config.detectors.flows);
  });
});
