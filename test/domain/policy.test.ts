import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsIpRangesSnapshot, parseAwsIpRanges } from '#domain/aws-ip-ranges';
import { InvalidIndicatorError, InvalidInputError } from '#domain/errors';
import { DEFAULT_FINDING_TYPES } from '#domain/finding-types';
import { parseIndicator } from '#domain/indicator';
import {
  escalatedDurationMs,
  modeOf,
  type Policy,
  type PolicyInput,
  parsePolicy,
  targetsFor,
  thresholdsFor,
} from '#domain/policy';
import { DAY, HOUR, VPC_CONTEXT } from '../support/signals';

/** The InvalidInputError a policy input is rejected with; fails the test when it is accepted. */
function rejectionOf(input: unknown): InvalidInputError {
  try {
    parsePolicy(input, VPC_CONTEXT);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('parsePolicy', () => {
  it('fills in safe defaults: every target watches, thresholds High and Medium, the 4h–7d ladder', () => {
    // Prepare
    const input = {};

    // Act
    const policy = parsePolicy(input, VPC_CONTEXT);

    // Assess
    expect(policy).toEqual<Policy>({
      guardRails: {
        minPrefixLengthV4: 16,
        minPrefixLengthV6: 48,
        allowPrivateRanges: false,
        vpcCidrs: ['10.20.0.0/16'],
        awsIpRanges: awsIpRangesSnapshot(),
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

  it('takes the VPC CIDRs, IPv6 included, from the context, canonical', () => {
    // Prepare
    const context = { vpcCidrs: ['10.20.0.0/16', '2600:1F18:5:A00::/56'] };

    // Act
    const policy = parsePolicy({}, context);

    // Assess
    expect(policy.guardRails.vpcCidrs).toEqual(['10.20.0.0/16', '2600:1f18:5:a00::/56']);
  });

  it('takes fresher AWS ranges from the context instead of the snapshot', () => {
    // Prepare
    const fresher = parseAwsIpRanges(
      {
        syncToken: '1',
        createDate: '2030-01-01-00-00-00',
        prefixes: [{ ip_prefix: '198.51.100.0/24', region: 'us-east-1', service: 'S3' }],
        ipv6_prefixes: [],
      },
      'ip-ranges.json',
    );

    // Act
    const policy = parsePolicy({}, { ...VPC_CONTEXT, awsIpRanges: fresher });

    // Assess
    expect(policy.guardRails.awsIpRanges).toBe(fresher);
  });

  it.each([undefined, null])('treats %s as an empty configuration', (input) => {
    // Prepare
    const expected = parsePolicy({}, VPC_CONTEXT);

    // Act
    const policy = parsePolicy(input, VPC_CONTEXT);

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
    const policy = parsePolicy(input, VPC_CONTEXT);

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
      const { findingTypes } = parsePolicy(input, VPC_CONTEXT).guardDuty;

      // Assess
      expect(findingTypes.get('Custom:EC2/Example')).toBe('remote-ip');
      expect(findingTypes.get('Trojan:EC2/DropPoint!DNS')).toBe('registered-domain');
      expect(findingTypes.has('UnauthorizedAccess:EC2/SSHBruteForce')).toBe(false);
      expect(findingTypes.get('Backdoor:EC2/C&CActivity.B')).toBe('remote-ip');
    });

    it('knows no type an object prototype would answer for', () => {
      // Act
      const { findingTypes } = parsePolicy({}, VPC_CONTEXT).guardDuty;

      // Assess
      for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])
        expect(findingTypes.get(type)).toBeUndefined();
    });

    it('takes __proto__, constructor and prototype from a JSON configuration as plain type names', () => {
      // Prepare
      const input = JSON.parse(
        '{"guardDuty":{"findingTypes":{"__proto__":"domain","constructor":"remote-ip","prototype":"registered-domain"}}}',
      );

      // Act
      const { findingTypes } = parsePolicy(input, VPC_CONTEXT).guardDuty;

      // Assess
      expect(findingTypes.get('__proto__')).toBe('domain');
      expect(findingTypes.get('constructor')).toBe('remote-ip');
      expect(findingTypes.get('prototype')).toBe('registered-domain');
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    });

    it('rejects finding types that are not an object of names to actions, naming the field', () => {
      // Act
      const error = rejectionOf({ guardDuty: { findingTypes: ['domain'] } });

      // Assess
      expect(error).toMatchObject({ field: 'policy.guardDuty.findingTypes' });
    });

    it('leaves the built-in mapping untouched', () => {
      // Prepare
      const before = new Map(DEFAULT_FINDING_TYPES);

      // Act
      parsePolicy({ guardDuty: { findingTypes: { 'Backdoor:EC2/C&CActivity.B': 'ignore' } } }, VPC_CONTEXT);

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

    it('a VPC CIDR of the context that is not a network, naming it', () => {
      // Prepare
      const context = { vpcCidrs: ['10.20.0.0/16', 'vpc.example.com'] };

      // Act
      let error: unknown;
      try {
        parsePolicy({}, context);
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('context.vpcCidrs[1]');
    });

    it('a field under another root when the caller names one', () => {
      // Prepare
      const input = { repeatWindow: 'soon' };

      // Act
      let field = '';
      try {
        parsePolicy(input, VPC_CONTEXT, 'config.policy');
      } catch (error) {
        field = (error as InvalidInputError).field;
      }

      // Assess
      expect(field).toBe('config.policy.repeatWindow');
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
    const policy = parsePolicy(input, VPC_CONTEXT);

    // Act
    const targets = targetsFor(parseIndicator(indicator), policy);

    // Assess
    expect(targets).toEqual(expected);
  });
});

describe('modeOf', () => {
  it('reads the mode of a target', () => {
    // Prepare
    const policy = parsePolicy({ targets: { networkAcls: { mode: 'enforce' } } }, VPC_CONTEXT);

    // Act
    const modes = [modeOf('networkAcls', policy), modeOf('dnsFirewall', policy)];

    // Assess
    expect(modes).toEqual(['enforce', 'alert']);
  });
});

describe('thresholdsFor', () => {
  it('gives GuardDuty, the detectors and operators their own thresholds', () => {
    // Prepare
    const policy = parsePolicy(
      {
        guardDuty: { minSeverity: 8, alertMinSeverity: 5 },
        detectors: { minSeverity: 6, alertMinSeverity: 3 },
      },
      VPC_CONTEXT,
    );

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
    const policy = parsePolicy({}, VPC_CONTEXT);

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
        const policy = parsePolicy({ blockDurations }, VPC_CONTEXT);
        const cap = policy.durations.ladderMs.at(-1) ?? 0;
        const duration = escalatedDurationMs(prior, policy);
        expect(duration).toBeLessThanOrEqual(cap);
        expect(escalatedDurationMs(prior + 1, policy)).toBeGreaterThanOrEqual(duration);
      }),
    );
  });
});
