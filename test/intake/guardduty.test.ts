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
});
