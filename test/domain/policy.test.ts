import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import { DEFAULT_FINDING_TYPES } from '#domain/finding-types';
import { parseIndicator } from '#domain/indicator';
import {
  escalatedDurationMs,
  modeOf,
  type Policy,
  type PolicyInput,
  parsePolicy,
  protectionOf,
  targetsFor,
  thresholdsFor,
} from '#domain/policy';
import { DAY, HOUR } from '../support/signals';

/** The InvalidInputError a policy input is rejected with; fails the test when it is accepted. */
function rejectionOf(input: unknown): InvalidInputError {
  try {
    parsePolicy(input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

function protect(indicator: string, input: PolicyInput = {}) {
  return protectionOf(parseIndicator(indicator), parsePolicy(input));
}

/** The most permissive configuration there is: whatever it still protects, nothing can unprotect. */
const PERMISSIVE: PolicyInput = {
  guardRails: { minPrefixLengthV4: 8, minPrefixLengthV6: 16, allowPrivateRanges: true },
};

describe('parsePolicy', () => {
  it('fills in safe defaults: every target watches, thresholds High and Medium, the 4h–7d ladder', () => {
    // Prepare
    const input = {};

    // Act
    const policy = parsePolicy(input);

    // Assess
    expect(policy).toEqual<Policy>({
      guardRails: {
        minPrefixLengthV4: 16,
        minPrefixLengthV6: 32,
        allowPrivateRanges: false,
        protectedCidrs: [],
        protectedDomains: [],
      },
      allowlist: { domains: [], cidrs: [] },
      guardDuty: { minSeverity: 7, alertMinSeverity: 4, findingTypes: DEFAULT_FINDING_TYPES },
      detectors: { minSeverity: 7, alertMinSeverity: 4 },
      durations: {
        ladderMs: [4 * HOUR, 8 * HOUR, 24 * HOUR, 7 * DAY],
        repeatWindowMs: 30 * DAY,
        manualDefaultMs: 24 * HOUR,
        unblockSuppressionMs: 7 * DAY,
      },
      targets: {
        dnsFirewall: { mode: 'alert', maxDomains: 100_000 },
        networkAcls: { mode: 'alert', ruleRange: [1, 18], maxEntriesPerFamily: 20 },
        networkFirewall: { mode: 'alert', domainRules: true },
      },
      breaker: { maxNewBlocks: 50, windowMs: HOUR },
    });
  });

  it.each([undefined, null])('treats %s as an empty configuration', (input) => {
    // Prepare
    const expected = parsePolicy({});

    // Act
    const policy = parsePolicy(input);

    // Assess
    expect(policy).toEqual(expected);
  });

  it('takes the values a user sets', () => {
    // Prepare
    const input: PolicyInput = {
      guardRails: {
        protectedCidrs: ['10.0.0.0/16', '2001:DB8:0:0::/56', '10.1.2.3'],
        protectedDomains: ['Corp.Example'],
      },
      allowlist: { domains: ['*.partner.example.net'], cidrs: ['203.0.113.9'] },
      blockDurations: ['1h', 'PT2H', '1d'],
      repeatWindow: '2w',
      manualDefaultTtl: '90m',
      unblockSuppression: '3d',
      targets: { networkAcls: { mode: 'enforce', ruleRange: [100, 119], maxEntriesPerFamily: 40 } },
      breaker: { maxNewBlocksPerHour: 10 },
    };

    // Act
    const policy = parsePolicy(input);

    // Assess
    expect(policy.guardRails.protectedCidrs).toEqual(['10.0.0.0/16', '2001:db8::/56', '10.1.2.3/32']);
    expect(policy.guardRails.protectedDomains).toEqual(['corp.example']);
    expect(policy.allowlist).toEqual({ domains: ['partner.example.net'], cidrs: ['203.0.113.9/32'] });
    expect(policy.durations).toEqual({
      ladderMs: [HOUR, 2 * HOUR, DAY],
      repeatWindowMs: 14 * DAY,
      manualDefaultMs: 90 * 60_000,
      unblockSuppressionMs: 3 * DAY,
    });
    expect(policy.targets.networkAcls).toEqual({
      mode: 'enforce',
      ruleRange: [100, 119],
      maxEntriesPerFamily: 40,
    });
    expect(policy.targets.dnsFirewall.mode).toBe('alert');
    expect(policy.breaker).toEqual({ maxNewBlocks: 10, windowMs: HOUR });
  });

  describe('GuardDuty finding types', () => {
    it('adds a type, overrides one and ignores one', () => {
      // Prepare
      const input = {
        guardDuty: {
          findingTypes: {
            'Custom:EC2/Example': 'remote-ip',
            'Trojan:EC2/DropPoint!DNS': 'registered-domain',
            'UnauthorizedAccess:EC2/SSHBruteForce': 'ignore',
          },
        },
      };

      // Act
      const { findingTypes } = parsePolicy(input).guardDuty;

      // Assess
      expect(findingTypes['Custom:EC2/Example']).toBe('remote-ip');
      expect(findingTypes['Trojan:EC2/DropPoint!DNS']).toBe('registered-domain');
      expect(findingTypes).not.toHaveProperty(['UnauthorizedAccess:EC2/SSHBruteForce']);
      expect(findingTypes['Backdoor:EC2/C&CActivity.B']).toBe('remote-ip');
    });

    it('leaves the built-in mapping untouched', () => {
      // Prepare
      const before = { ...DEFAULT_FINDING_TYPES };

      // Act
      parsePolicy({ guardDuty: { findingTypes: { 'Backdoor:EC2/C&CActivity.B': 'ignore' } } });

      // Assess
      expect(DEFAULT_FINDING_TYPES).toEqual(before);
    });
  });

  describe('rejects', () => {
    it.each<[string, unknown, string]>([
      [
        'an unknown field',
        { targets: { dnsFirewall: { mdoe: 'enforce' } } },
        'policy.targets.dnsFirewall.mdoe',
      ],
      ['an unknown top-level field', { allowList: {} }, 'policy.allowList'],
      [
        'an invalid CIDR',
        { allowlist: { cidrs: ['203.0.113.0/24', '203.0.113.0/33'] } },
        'policy.allowlist.cidrs[1]',
      ],
      [
        'a domain where a CIDR belongs',
        { allowlist: { cidrs: ['203.0.113.0/24', 'example.com'] } },
        'policy.allowlist.cidrs[1]',
      ],
      [
        'a number where a CIDR belongs',
        { allowlist: { cidrs: ['203.0.113.0/24', 42] } },
        'policy.allowlist.cidrs[1]',
      ],
      [
        'an IP where a domain belongs',
        { guardRails: { protectedDomains: ['198.51.100.1'] } },
        'policy.guardRails.protectedDomains[0]',
      ],
      [
        'a rule range upside down',
        { targets: { networkAcls: { ruleRange: [18, 1] } } },
        'policy.targets.networkAcls.ruleRange',
      ],
      [
        'rule number 0',
        { targets: { networkAcls: { ruleRange: [0, 18] } } },
        'policy.targets.networkAcls.ruleRange[0]',
      ],
      ['a bad duration', { blockDurations: ['4h', '8 hours'] }, 'policy.blockDurations[1]'],
      ['a ladder that goes down', { blockDurations: ['8h', '4h'] }, 'policy.blockDurations[1]'],
      ['an empty ladder', { blockDurations: [] }, 'policy.blockDurations'],
      ['an empty repeat window', { repeatWindow: '' }, 'policy.repeatWindow'],
      ['an empty manual default', { manualDefaultTtl: '' }, 'policy.manualDefaultTtl'],
      ['a zero manual default', { manualDefaultTtl: '0h' }, 'policy.manualDefaultTtl'],
      ['a severity above 10', { guardDuty: { minSeverity: 11 } }, 'policy.guardDuty.minSeverity'],
      [
        'a misspelt mode',
        { targets: { networkFirewall: { mode: 'enforced' } } },
        'policy.targets.networkFirewall.mode',
      ],
      [
        'an unknown finding action',
        { guardDuty: { findingTypes: { 'A:B/C': 'block' } } },
        'policy.guardDuty.findingTypes.A:B/C',
      ],
      [
        'a prefix minimum that would allow 0.0.0.0/0',
        { guardRails: { minPrefixLengthV4: 0 } },
        'policy.guardRails.minPrefixLengthV4',
      ],
      [
        'a breaker that can never close',
        { breaker: { maxNewBlocksPerHour: 0 } },
        'policy.breaker.maxNewBlocksPerHour',
      ],
      ['a non-object', 'enforce', 'policy'],
    ])('%s, naming the field', (_, input, field) => {
      // Prepare
      const expected = `${field}:`;

      // Act
      const error = rejectionOf(input);

      // Assess
      expect(error.field).toBe(field);
      expect(error.message.startsWith(expected)).toBe(true);
      expect(error.retryable).toBe(false);
    });

    it('an unknown field with a message that says so', () => {
      // Prepare
      const input = { targets: { dnsFirewall: { mdoe: 'enforce' } } };

      // Act
      const error = rejectionOf(input);

      // Assess
      expect(error.message).toBe('policy.targets.dnsFirewall.mdoe: is not a known field');
    });

    it('an invalid indicator with the value and the rule it broke', () => {
      // Prepare
      const input = { allowlist: { cidrs: ['203.0.113.0/24', '203.0.113.0/33'] } };

      // Act
      const error = rejectionOf(input);

      // Assess
      expect(error).toBeInstanceOf(InvalidIndicatorError);
      expect((error as InvalidIndicatorError).value).toBe('203.0.113.0/33');
      expect((error as InvalidIndicatorError).rule).toContain('out of range');
    });

    it('a field under another root when the caller names one', () => {
      // Prepare
      const input = { repeatWindow: 'soon' };

      // Act
      let field = '';
      try {
        parsePolicy(input, 'config.policy');
      } catch (error) {
        field = (error as InvalidInputError).field;
      }

      // Assess
      expect(field).toBe('config.policy.repeatWindow');
    });
  });
});

describe('protectionOf', () => {
  describe('built-in guard rails', () => {
    it.each([
      ['0.0.0.0/0', 'wider than /16'],
      ['::/0', 'wider than /32'],
      ['198.48.0.0/15', 'wider than /16'],
      ['2001:db8::/31', 'wider than /32'],
      ['169.254.169.253', 'the Amazon-provided DNS server'],
      ['169.254.169.254', 'the instance metadata service'],
      ['169.254.169.123', 'the Amazon Time Sync Service'],
      ['fd00:ec2::253', 'the Amazon-provided DNS server (IPv6)'],
      ['fd00:ec2::254', 'the instance metadata service (IPv6)'],
      ['::ffff:169.254.169.254', 'the instance metadata service'],
      ['169.254.169.0/24', 'the Amazon-provided DNS server'],
      ['fd00:ec2::/64', 'the Amazon-provided DNS server (IPv6)'],
      ['169.254.10.20', 'link-local'],
      ['fe80::1', 'link-local'],
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private range 10.0.0.0/8'],
      ['172.16.5.4', 'private range 172.16.0.0/12'],
      ['172.31.0.0/16', 'private range 172.16.0.0/12'],
      ['192.168.1.1', 'private range 192.168.0.0/16'],
      ['100.64.0.1', 'private range 100.64.0.0/10'],
      ['fd12:3456::1', 'private range fc00::/7'],
    ])('never blocks %s (%s)', (indicator, detail) => {
      // Prepare
      const input = {};

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
      expect(protection?.detail).toContain(detail);
    });

    it.each([
      '198.51.100.77',
      '203.0.113.0/24',
      '198.51.0.0/16',
      '2001:db8::1',
      '2001:db8::/32',
      '172.32.0.1',
    ])('lets %s be blocked', (indicator) => {
      // Prepare
      const input = {};

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection).toBeNull();
    });

    it.each([
      '0.0.0.0/0',
      '::/0',
      '169.254.169.253',
      '169.254.169.254',
      'fd00:ec2::253',
      'fd00:ec2::254',
      '169.254.0.0/16',
      'fe80::/10',
      '169.0.0.0/8',
    ])('protects %s even under the most permissive configuration', (indicator) => {
      // Prepare
      const input = PERMISSIVE;

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
    });

    it('applies the configured minimum prefix lengths', () => {
      // Prepare
      const input = { guardRails: { minPrefixLengthV4: 24, minPrefixLengthV6: 64 } };

      // Act
      const v4 = [protect('198.51.100.0/23', input), protect('198.51.100.0/24', input)];
      const v6 = [protect('2001:db8::/48', input), protect('2001:db8::/64', input)];

      // Assess
      expect(v4[0]?.detail).toContain('wider than /24');
      expect(v4[1]).toBeNull();
      expect(v6[0]?.detail).toContain('wider than /64');
      expect(v6[1]).toBeNull();
    });

    it('lets private ranges be blocked only when allowed, and never the protected CIDRs', () => {
      // Prepare
      const input = { guardRails: { allowPrivateRanges: true, protectedCidrs: ['10.0.0.0/16'] } };

      // Act
      const elsewhere = protect('10.20.0.5', input);
      const ownVpc = protect('10.0.3.4', input);
      const coveringVpc = protect('10.0.0.0/16', input);

      // Assess
      expect(elsewhere).toBeNull();
      expect(ownVpc).toEqual({
        reason: 'guard-rail',
        detail: '10.0.3.4/32 overlaps the protected network 10.0.0.0/16',
      });
      expect(coveringVpc?.reason).toBe('guard-rail');
    });

    it('protects a network that contains a protected CIDR', () => {
      // Prepare
      const input = { guardRails: { protectedCidrs: ['198.51.100.7'] } };

      // Act
      const protection = protect('198.51.100.0/24', input);

      // Assess
      expect(protection?.detail).toBe('198.51.100.0/24 overlaps the protected network 198.51.100.7/32');
    });

    it('protects the whole NAT64 prefix but lets one IPv4 host behind it be blocked', () => {
      // Prepare
      const prefix = '64:ff9b::/96';
      const oneHost = '64:ff9b::c633:644d';

      // Act
      const whole = protect(prefix);
      const single = protect(oneHost);

      // Assess
      expect(whole?.reason).toBe('guard-rail');
      expect(whole?.detail).toContain('NAT64');
      expect(single).toBeNull();
    });

    it.each([
      'amazonaws.com',
      's3.amazonaws.com',
      '*.amazonaws.com',
      'my-bucket.s3.eu-west-1.amazonaws.com',
      'ec2.eu-west-1.amazonaws.com',
      'aws.amazon.com',
      'console.aws.amazon.com',
      'amazon.com',
      '*.amazon.com',
      'amazontrust.com',
    ])('never blocks the AWS domain %s', (indicator) => {
      // Prepare
      const input = {};

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
    });

    it.each(['co.uk', '*.co.uk', 'cloudfront.net', 'github.io'])(
      'never blocks the public suffix %s',
      (indicator) => {
        // Prepare
        const input = {};

        // Act
        const protection = protect(indicator, input);

        // Assess
        expect(protection).toEqual({
          reason: 'guard-rail',
          detail: `${indicator} is a public suffix: blocking it would block every site under it`,
        });
      },
    );

    it.each(['evil.example.com', '*.evil.example.com', 'd111111abcdef8.cloudfront.net', 'notamazonaws.com'])(
      'lets %s be blocked',
      (indicator) => {
        // Prepare
        const input = {};

        // Act
        const protection = protect(indicator, input);

        // Assess
        expect(protection).toBeNull();
      },
    );

    it.each([
      'corp.example.org',
      'api.corp.example.org',
      '*.corp.example.org',
      'example.org',
      '*.example.org',
    ])('never blocks %s, which overlaps the protected domain corp.example.org', (indicator) => {
      // Prepare
      const input = { guardRails: { protectedDomains: ['corp.example.org'] } };

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection).toEqual({
        reason: 'guard-rail',
        detail: `${indicator} overlaps the protected domain corp.example.org`,
      });
    });

    it('property: never lets a network containing the metadata service be blocked, whatever the configuration', () => {
      const configuration = fc.record({
        minPrefixLengthV4: fc.integer({ min: 8, max: 32 }),
        minPrefixLengthV6: fc.integer({ min: 16, max: 128 }),
        allowPrivateRanges: fc.boolean(),
      });
      const metadata = fc.oneof(
        fc.integer({ min: 0, max: 32 }).map((length) => `169.254.169.254/${length}`),
        fc.integer({ min: 0, max: 128 }).map((length) => `fd00:ec2::254/${length}`),
        fc.integer({ min: 96, max: 128 }).map((length) => `::ffff:169.254.169.254/${length}`),
      );
      fc.assert(
        fc.property(configuration, metadata, fc.boolean(), (guardRails, cidr, allowlisted) => {
          const indicator = parseIndicator(cidr);
          const policy = parsePolicy({
            guardRails,
            allowlist: allowlisted ? { cidrs: ['198.51.100.0/24'] } : {},
          });
          expect(protectionOf(indicator, policy)?.reason).toBe('guard-rail');
        }),
      );
    });
  });

  describe('the allowlist', () => {
    const input = { allowlist: { domains: ['partner.example.net'], cidrs: ['203.0.113.0/24'] } };

    it.each([
      'partner.example.net',
      'api.partner.example.net',
      '*.partner.example.net',
      'example.net',
      '*.example.net',
    ])('protects %s, which overlaps partner.example.net', (indicator) => {
      // Prepare
      const policy = input;

      // Act
      const protection = protect(indicator, policy);

      // Assess
      expect(protection?.reason).toBe('allowlisted');
      expect(protection?.detail).toContain('partner.example.net');
    });

    it.each(['203.0.113.7', '203.0.113.128/25', '203.0.112.0/23'])(
      'protects %s, which overlaps 203.0.113.0/24',
      (indicator) => {
        // Prepare
        const policy = input;

        // Act
        const protection = protect(indicator, policy);

        // Assess
        expect(protection?.reason).toBe('allowlisted');
        expect(protection?.detail).toContain('203.0.113.0/24');
      },
    );

    it.each([
      'other.example.net',
      'partner.example.com',
      'xpartner.example.net',
      '203.0.114.1',
      '203.0.112.0/24',
    ])('lets %s be blocked', (indicator) => {
      // Prepare
      const policy = input;

      // Act
      const protection = protect(indicator, policy);

      // Assess
      expect(protection).toBeNull();
    });

    it('reports a guard rail before the allowlist', () => {
      // Prepare
      const policy = { allowlist: { cidrs: ['169.254.169.254'] } };

      // Act
      const protection = protect('169.254.169.254', policy);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
    });
  });
});

describe('targetsFor', () => {
  it.each<[string, PolicyInput, string[]]>([
    ['evil.example.com', {}, ['dnsFirewall', 'networkFirewall']],
    ['evil.example.com', { targets: { networkFirewall: { domainRules: false } } }, ['dnsFirewall']],
    ['evil.example.com', { targets: { dnsFirewall: { mode: 'off' } } }, ['networkFirewall']],
    ['198.51.100.77', {}, ['networkAcls', 'networkFirewall']],
    ['198.51.100.0/24', { targets: { networkFirewall: { mode: 'off' } } }, ['networkAcls']],
    ['2001:db8::1', { targets: { networkAcls: { mode: 'off' }, networkFirewall: { mode: 'off' } } }, []],
  ])('picks the targets that can block %s (%j)', (indicator, input, expected) => {
    // Prepare
    const policy = parsePolicy(input);

    // Act
    const targets = targetsFor(parseIndicator(indicator), policy);

    // Assess
    expect(targets).toEqual(expected);
  });
});

describe('modeOf', () => {
  it('reads the mode of a target', () => {
    // Prepare
    const policy = parsePolicy({ targets: { networkAcls: { mode: 'enforce' } } });

    // Act
    const modes = [modeOf('networkAcls', policy), modeOf('dnsFirewall', policy)];

    // Assess
    expect(modes).toEqual(['enforce', 'alert']);
  });
});

describe('thresholdsFor', () => {
  it('gives GuardDuty, the detectors and operators their own thresholds', () => {
    // Prepare
    const policy = parsePolicy({
      guardDuty: { minSeverity: 8, alertMinSeverity: 5 },
      detectors: { minSeverity: 6, alertMinSeverity: 3 },
    });

    // Act
    const thresholds = (['guardduty', 'dns-log', 'flow-log', 'feed', 'manual'] as const).map((s) =>
      thresholdsFor(s, policy),
    );

    // Assess
    expect(thresholds).toEqual([
      { enforce: 8, alert: 5 },
      { enforce: 6, alert: 3 },
      { enforce: 6, alert: 3 },
      { enforce: 6, alert: 3 },
      { enforce: 0, alert: 0 },
    ]);
  });
});

describe('escalatedDurationMs', () => {
  it('climbs the ladder one step per prior offence and stays on the last step', () => {
    // Prepare
    const policy = parsePolicy();

    // Act
    const durations = [0, 1, 2, 3, 4, 100].map((prior) => escalatedDurationMs(prior, policy));

    // Assess
    expect(durations).toEqual([4 * HOUR, 8 * HOUR, 24 * HOUR, 7 * DAY, 7 * DAY, 7 * DAY]);
  });

  it('property: never exceeds the last step nor decreases with more offences, for any valid ladder', () => {
    const ladder = fc
      .array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 })
      .map((hours) => [...hours].sort((a, b) => a - b).map((h) => `${h}h`));
    fc.assert(
      fc.property(ladder, fc.nat(20), (blockDurations, prior) => {
        const policy = parsePolicy({ blockDurations });
        const cap = policy.durations.ladderMs.at(-1) ?? 0;
        const duration = escalatedDurationMs(prior, policy);
        expect(duration).toBeLessThanOrEqual(cap);
        expect(escalatedDurationMs(prior + 1, policy)).toBeGreaterThanOrEqual(duration);
      }),
    );
  });
});
