import { describe, expect, it } from 'vitest';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import { parsePolicy } from '#domain/policy';
import { guardDutyCommands } from '#shared/intake/guardduty';
import { type GuardDutyEvent, loadEvent, signalsOf, thrownBy } from '../support/events';
import { VPC_CONTEXT } from '../support/signals';

const policy = parsePolicy({}, VPC_CONTEXT);

const finding = (path: string) => loadEvent<GuardDutyEvent>(`guardduty/${path}`).detail;

describe('guardDutyCommands', () => {
  it('turns a DNS finding into one domain signal with the finding as evidence', () => {
    // Prepare
    const detail = finding('c2-domain.json');

    // Act
    const signals = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      source: 'guardduty',
      intent: 'block',
      indicator: { kind: 'domain', value: 'guarddutyc2activityb.com' },
      severity: 8,
      detector: 'Backdoor:EC2/C&CActivity.B!DNS',
      sample: false,
      evidence: {
        key: 'guardduty:a4c5e6f7081920a1b2c3d4e5f6071829',
        summary: detail.title,
        details: expect.arrayContaining([detail.arn, 'seen 3 times']),
      },
    });
  });

  it('takes the observation time from eventLastSeen, not from updatedAt', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.service.eventLastSeen = '2026-11-28T09:04:59Z';
    detail.updatedAt = '2026-11-28T09:05:30.000Z';

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.observedAt).toBe('2026-11-28T09:04:59.000Z');
  });

  it('falls back to updatedAt when the finding has no eventLastSeen', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    delete detail.service.eventLastSeen;
    detail.updatedAt = '2026-11-28T09:05:30.000Z';

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.observedAt).toBe('2026-11-28T09:05:30.000Z');
  });

  it('names the workload: account, region, VPC, subnet, instance and network interface', () => {
    // Act
    const [signal] = signalsOf(guardDutyCommands(finding('c2-domain.json'), policy));

    // Assess
    expect(signal?.workload).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetId: 'subnet-0a1b2c3d4e5f60718',
      instanceId: 'i-0a1b2c3d4e5f60718',
      eniId: 'eni-0c1d2e3f4a5b6c7d8',
    });
  });

  it('turns an OUTBOUND network finding into an IP signal for the remote address', () => {
    // Act
    const signals = signalsOf(guardDutyCommands(finding('c2-ip-outbound.json'), policy));

    // Assess
    expect(signals.map((s) => s.indicator)).toEqual([
      { kind: 'ip', value: '198.51.100.77/32', family: 4, prefixLength: 32 },
    ]);
    expect(signals[0]?.evidence.key).toBe('guardduty:b5d6e7f8091a2b3c4d5e6f708192a3b4');
  });

  it('gives one signal per remote address when the finding has both IPv4 and IPv6', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    const remote = detail.service.action.networkConnectionAction?.remoteIpDetails;
    if (remote) remote.ipAddressV6 = '2001:DB8:0:0::7';

    // Act
    const signals = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signals.map((s) => s.indicator.value)).toEqual(['198.51.100.77/32', '2001:db8::7/128']);
    expect(new Set(signals.map((s) => s.evidence.key)).size).toBe(1);
  });

  it('ignores an INBOUND finding with a reason, because the remote side started it', () => {
    // Act
    const commands = guardDutyCommands(finding('inbound-ssh-brute-force.json'), policy);

    // Assess
    expect(commands).toEqual([
      {
        kind: 'ignored',
        source: 'guardduty',
        label: 'UnauthorizedAccess:EC2/SSHBruteForce f91a2b3c4d5e6f708192a3b4c5d6e7f8',
        reason: expect.stringMatching(/INBOUND, not OUTBOUND/),
      },
    ]);
  });

  it('ignores a finding type that is not an egress finding', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.type = 'Recon:IAMUser/MaliciousIPCaller';

    // Act
    const commands = guardDutyCommands(detail, policy);

    // Assess
    expect(commands).toEqual([
      {
        kind: 'ignored',
        source: 'guardduty',
        label: `Recon:IAMUser/MaliciousIPCaller ${detail.id}`,
        reason: expect.stringContaining('not an egress finding'),
      },
    ]);
  });

  it('ignores a finding type the policy switches off', () => {
    // Prepare
    const quiet = parsePolicy(
      {
        guardDuty: { findingTypes: { 'Backdoor:EC2/C&CActivity.B!DNS': 'ignore' } },
      },
      VPC_CONTEXT,
    );

    // Act
    const commands = guardDutyCommands(finding('c2-domain.json'), quiet);

    // Assess
    expect(commands.map((c) => c.kind)).toEqual(['ignored']);
  });

  it('blocks the registered domain of a DNS exfiltration finding, whose labels keep changing', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.type = 'Trojan:EC2/DNSDataExfiltration';
    detail.service.action.dnsRequestAction = { domain: '4a6f686e.x7f3a9.tunnel-example.org' };

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.indicator).toMatchObject({ kind: 'domain', value: 'tunnel-example.org' });
  });

  it('marks a sample finding as a sample', () => {
    // Act
    const [signal] = signalsOf(guardDutyCommands(finding('sample-finding.json'), policy));

    // Assess
    expect(signal?.sample).toBe(true);
    expect(signal?.indicator.value).toBe('pool.coinminer-sample.net');
  });

  it('marks a sample finding whose additionalInfo carries its fields as JSON text in value', () => {
    // Prepare
    const detail = finding('sample-finding.json');
    detail.service.additionalInfo = {
      value: '{"sample":true,"threatListName":"GeneratedFindingThreatListName"}',
      type: 'default',
    };

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.sample).toBe(true);
  });

  it('does not take a value that is not JSON, or says nothing of samples, for a sample', () => {
    // Prepare
    const notJson = finding('sample-finding.json');
    notJson.service.additionalInfo = { value: '{sample', type: 'default' };
    const silent = finding('sample-finding.json');
    silent.service.additionalInfo = { value: '{"threatListName":"x"}', type: 'default' };

    // Act
    const signals = [notJson, silent].map((detail) => signalsOf(guardDutyCommands(detail, policy))[0]);

    // Assess
    expect(signals.map((signal) => signal?.sample)).toEqual([false, false]);
  });

  it('rejects the GeneratedFindingDomainName placeholder, naming the domain field', () => {
    // Prepare
    const { detail } = loadEvent<GuardDutyEvent>('invalid/guardduty-placeholder-domain.json');

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toBeInstanceOf(InvalidIndicatorError);
    expect(error).toMatchObject({ field: 'detail.service.action.dnsRequestAction.domain' });
    expect((error as Error).message).toMatch(/placeholder/);
  });

  it('rejects a finding without a severity, naming the field', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    delete detail.severity;

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'detail.severity' });
  });

  it('rejects a finding whose updatedAt is not a timestamp, naming the field and the value', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.updatedAt = 'yesterday';

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toMatchObject({ field: 'detail.updatedAt' });
    expect((error as Error).message).toMatch(/^detail\.updatedAt: .*yesterday/);
  });

  it('rejects a DNS finding without a domain, naming the field', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.service.action.dnsRequestAction = {};

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toMatchObject({ field: 'detail.service.action.dnsRequestAction.domain' });
  });

  it('rejects an OUTBOUND network finding without a remote address, naming the field', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    const connection = detail.service.action.networkConnectionAction;
    if (connection) connection.remoteIpDetails = {};

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toMatchObject({
      field: 'detail.service.action.networkConnectionAction.remoteIpDetails',
    });
  });

  it('rejects a remote address that is not an IP address, naming the field', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    const remote = detail.service.action.networkConnectionAction?.remoteIpDetails;
    if (remote) remote.ipAddressV4 = '198.51.100.077';

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toBeInstanceOf(InvalidIndicatorError);
    expect(error).toMatchObject({
      field: 'detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4',
    });
  });

  it.each([
    ['updatedAt', 'detail.updatedAt'],
    ['eventLastSeen', 'detail.service.eventLastSeen'],
  ] as const)('rejects the field %s when Date cannot read it (an offset of hours only)', (key, field) => {
    // Prepare
    const detail = finding('c2-domain.json');
    if (key === 'updatedAt') detail.updatedAt = '2026-11-28T09:05:30+05';
    else detail.service.eventLastSeen = '2026-11-28T09:05:30+05';

    // Act
    const error = thrownBy(() => guardDutyCommands(detail, policy));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'ignores a finding of type %j, which only an object prototype knows',
    (type) => {
      // Prepare
      const detail = finding('c2-domain.json');
      detail.type = type;

      // Act
      const commands = guardDutyCommands(detail, policy);

      // Assess
      expect(commands).toEqual([
        {
          kind: 'ignored',
          source: 'guardduty',
          label: `${type} ${detail.id}`,
          reason: expect.stringContaining('not an egress finding'),
        },
      ]);
    },
  );

  describe('DNS findings whose queried name is not a valid DNS Firewall entry', () => {
    /** A DNS finding of `type` for the queried name `domain`, with GuardDuty's `domainWithSuffix` if given. */
    function dnsFinding(type: string, domain: string, domainWithSuffix?: string) {
      const detail = finding('c2-domain.json');
      detail.type = type;
      detail.service.action.dnsRequestAction = { domain, ...(domainWithSuffix ? { domainWithSuffix } : {}) };
      return detail;
    }

    it.each([
      ['an underscore (base64url tunnelling)', 'aGVsbG8_d29ybGQ.t.evil-tunnel.com', 'evil-tunnel.com'],
      ['a DKIM-style label', 'mail._domainkey.evil-tunnel.com', 'evil-tunnel.com'],
      ['a label ending in a hyphen', 'x--bad-.evil-tunnel.com', 'evil-tunnel.com'],
      ['upper case and a trailing dot', 'ABC_DEF.Evil-Tunnel.COM.', 'evil-tunnel.com'],
      ['a private suffix', 'a_b.tenant.cloudfront.net', 'tenant.cloudfront.net'],
    ])('blocks the registered domain of an exfiltration query with %s', (_label, domain, expected) => {
      // Prepare
      const detail = dnsFinding('Trojan:EC2/DNSDataExfiltration', domain);

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator).toMatchObject({ kind: 'domain', value: expected });
      expect(signal?.evidence.details?.[0]).toContain(`registered domain ${expected}`);
    });

    it("takes GuardDuty's domainWithSuffix for an exfiltration query when it is valid", () => {
      // Prepare
      const detail = dnsFinding(
        'Trojan:EC2/DNSDataExfiltration',
        'a_b.c.evil-tunnel.co.uk',
        'evil-tunnel.co.uk',
      );

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator).toMatchObject({ kind: 'domain', value: 'evil-tunnel.co.uk' });
    });

    it.each([
      ['not a name', 'evil"; pass'],
      ['a public suffix', 'co.uk'],
      ['a name the query is not under', 'other.example'],
    ])('computes the registered domain itself when domainWithSuffix is %s', (_label, domainWithSuffix) => {
      // Prepare
      const detail = dnsFinding('Trojan:EC2/DNSDataExfiltration', 'a_b.evil-tunnel.co.uk', domainWithSuffix);

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator).toMatchObject({ kind: 'domain', value: 'evil-tunnel.co.uk' });
    });

    it('blocks the nearest valid parent of a queried name that is not valid, and says so in the evidence', () => {
      // Prepare
      const detail = dnsFinding('Backdoor:EC2/C&CActivity.B!DNS', 'x_y.c2.evil.example.com');

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator).toMatchObject({ kind: 'domain', value: 'c2.evil.example.com' });
      expect(signal?.evidence.details?.[0]).toMatch(
        /^queried name "x_y\.c2\.evil\.example\.com" is not a valid DNS Firewall entry \(.*underscore.*\): blocking its nearest valid parent c2\.evil\.example\.com$/,
      );
    });

    it('falls back no further than the registered domain', () => {
      // Prepare
      const detail = dnsFinding('Backdoor:EC2/C&CActivity.B!DNS', 'a_b.evil.co.uk');

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator).toMatchObject({ kind: 'domain', value: 'evil.co.uk' });
    });

    it.each([
      ['the registered domain itself is invalid', 'x.bad_zone.com'],
      ['the name is a public suffix with a bad label', 'a_b.co.uk'],
      ['there is no name at all', '_'],
    ])('still rejects the finding when %s, naming the field', (_label, domain) => {
      // Prepare
      const detail = dnsFinding('Backdoor:EC2/C&CActivity.B!DNS', domain);

      // Act
      const error = thrownBy(() => guardDutyCommands(detail, policy));

      // Assess
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ field: 'detail.service.action.dnsRequestAction.domain' });
    });

    it('blocks a valid queried name as it is, with no fallback note', () => {
      // Prepare
      const detail = dnsFinding('Backdoor:EC2/C&CActivity.B!DNS', 'c2.evil.example.com');

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator.value).toBe('c2.evil.example.com');
      expect(signal?.evidence.details?.join('\n')).not.toContain('not a valid DNS Firewall entry');
    });
  });

  it.each([['Trojan:Runtime/DriveBySourceTraffic!DNS'], ['UnauthorizedAccess:Runtime/MetadataDNSRebind']])(
    'blocks the queried domain of the Runtime Monitoring finding %s',
    (type) => {
      // Prepare
      const detail = finding('c2-domain.json');
      detail.type = type;

      // Act
      const [signal] = signalsOf(guardDutyCommands(detail, policy));

      // Assess
      expect(signal?.indicator.value).toBe('guarddutyc2activityb.com');
    },
  );

  it('marks a finding an analyst archived as archived', () => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.service.archived = true;

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.archived).toBe(true);
  });

  it('leaves a finding that is not archived unmarked', () => {
    // Act
    const [signal] = signalsOf(guardDutyCommands(finding('c2-domain.json'), policy));

    // Assess
    expect(signal?.archived).toBeUndefined();
  });

  it('keeps the workload of a Lambda finding: function, VPC and subnets', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    detail.type = 'Backdoor:Lambda/C&CActivity.B';
    detail.resource = {
      resourceType: 'Lambda',
      lambdaDetails: {
        functionName: 'orders-export',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-export',
        vpcConfig: { vpcId: 'vpc-0a1b2c3d4e5f60718', subnetIds: ['subnet-0aaa', 'subnet-0bbb'] },
      },
    };

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.workload).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetId: 'subnet-0aaa, subnet-0bbb',
      functionName: 'orders-export',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-export',
    });
  });

  it.each([
    [
      'an ECS task',
      {
        ecsClusterDetails: {
          name: 'payments',
          taskDetails: { containers: [{ name: 'api', image: 'example/api:1.4' }] },
        },
      },
      { cluster: 'payments', container: 'api', image: 'example/api:1.4' },
    ],
    [
      'an EKS pod',
      {
        eksClusterDetails: { name: 'platform', vpcId: 'vpc-0a1b2c3d4e5f60718' },
        containerDetails: { name: 'worker', image: 'example/worker:2' },
      },
      { cluster: 'platform', vpcId: 'vpc-0a1b2c3d4e5f60718', container: 'worker', image: 'example/worker:2' },
    ],
  ])('keeps the workload of a Runtime Monitoring finding on %s', (_label, resource, expected) => {
    // Prepare
    const detail = finding('c2-domain.json');
    detail.type = 'Backdoor:Runtime/C&CActivity.B!DNS';
    detail.resource = { resourceType: 'Container', ...resource };

    // Act
    const [signal] = signalsOf(guardDutyCommands(detail, policy));

    // Assess
    expect(signal?.workload).toEqual({ account: '123456789012', region: 'eu-west-1', ...expected });
  });

  it('ignores, with a reason, a remote-IP finding that describes no network connection', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    delete detail.service.action.networkConnectionAction;

    // Act
    const commands = guardDutyCommands(detail, policy);

    // Assess
    expect(commands).toEqual([
      {
        kind: 'ignored',
        source: 'guardduty',
        label: `${detail.type} ${detail.id}`,
        reason: expect.stringContaining('no networkConnectionAction'),
      },
    ]);
  });

  it('ignores, with a reason, a connection whose direction GuardDuty could not tell', () => {
    // Prepare
    const detail = finding('c2-ip-outbound.json');
    const connection = detail.service.action.networkConnectionAction;
    if (connection) connection.connectionDirection = 'UNKNOWN';

    // Act
    const commands = guardDutyCommands(detail, policy);

    // Assess
    expect(commands).toEqual([
      {
        kind: 'ignored',
        source: 'guardduty',
        label: `${detail.type} ${detail.id}`,
        reason: expect.stringMatching(/UNKNOWN/),
      },
    ]);
  });
});
