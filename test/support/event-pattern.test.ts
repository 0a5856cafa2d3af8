import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from './event-pattern';

const EVENT = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account: '123456789012',
  time: '2026-11-30T12:00:00Z',
  region: 'eu-west-1',
  resources: [
    'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc',
    'arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1',
  ],
  detail: {
    type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
    severity: 8,
    archived: false,
    note: null,
    empty: '',
    file: 'Report.PNG',
    path: '/usr/lib/egress',
    remoteIp: '198.51.100.77',
    remoteIpv6: '2001:db8::17',
    tags: ['blocked', 'egress'],
    service: { action: { actionType: 'NETWORK_CONNECTION' } },
    connections: [
      { port: 443, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ],
  },
};

/** Whether the pattern matches the sample event with `detail` fields replaced by `detail`. */
function matches(pattern: unknown, detail: Record<string, unknown> = {}): boolean {
  return matchesEventPattern(pattern, { ...EVENT, detail: { ...EVENT.detail, ...detail } });
}

const onDetail = (field: string, ...conditions: unknown[]) => ({ detail: { [field]: conditions } });

describe('matchesEventPattern', () => {
  describe('exact values', () => {
    it('matches the top-level envelope fields like any other field', () => {
      // Prepare
      const pattern = {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        account: ['123456789012'],
        region: ['eu-west-1', 'us-east-1'],
        id: ['7bf73129-1428-4cd3-a780-95db273d1602'],
        time: ['2026-11-30T12:00:00Z'],
      };

      // Act / Assess
      expect(matches(pattern)).toBe(true);
      expect(matches({ ...pattern, region: ['us-east-1'] })).toBe(false);
    });

    it('needs every field to match (and) and one of the listed values (or)', () => {
      expect(matches({ source: ['aws.ec2', 'aws.guardduty'], detail: { severity: [8] } })).toBe(true);
      expect(matches({ source: ['aws.guardduty'], detail: { severity: [5] } })).toBe(false);
    });

    it('compares strings, numbers, booleans and null by type and value', () => {
      expect(matches(onDetail('severity', 8))).toBe(true);
      expect(matches(onDetail('severity', '8'))).toBe(false);
      expect(matches(onDetail('archived', false))).toBe(true);
      expect(matches(onDetail('archived', 'false'))).toBe(false);
      expect(matches(onDetail('note', null))).toBe(true);
      expect(matches(onDetail('note', ''))).toBe(false);
      expect(matches(onDetail('empty', ''))).toBe(true);
      expect(matches(onDetail('empty', null))).toBe(false);
    });

    it('is case-sensitive', () => {
      expect(matches({ source: ['AWS.GuardDuty'] })).toBe(false);
    });
  });

  describe('arrays in the event', () => {
    it('matches when any element of the event array matches any allowed value', () => {
      expect(matches({ resources: ['arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1'] })).toBe(true);
      expect(matches(onDetail('tags', 'unrelated', 'egress'))).toBe(true);
      expect(matches(onDetail('tags', 'unrelated'))).toBe(false);
    });

    it('matches a nested pattern against the elements of an array of objects, one element at a time', () => {
      expect(matches({ detail: { connections: { port: [53], protocol: ['UDP'] } } })).toBe(true);
      expect(matches({ detail: { connections: { port: [53], protocol: ['TCP'] } } })).toBe(false);
    });
  });

  describe('nested objects', () => {
    it('recurses into nested objects', () => {
      expect(matches({ detail: { service: { action: { actionType: ['NETWORK_CONNECTION'] } } } })).toBe(true);
      expect(matches({ detail: { service: { action: { actionType: ['DNS_REQUEST'] } } } })).toBe(false);
    });

    it('does not match a value against an object, nor an object pattern against a value', () => {
      expect(matches(onDetail('service', 'NETWORK_CONNECTION'))).toBe(false);
      expect(matches({ detail: { severity: { value: [8] } } })).toBe(false);
    });
  });

  describe('missing fields', () => {
    it('match no value and no value operator', () => {
      expect(matches(onDetail('missing', 'x'))).toBe(false);
      expect(matches(onDetail('missing', null))).toBe(false);
      expect(matches(onDetail('missing', { prefix: '' }))).toBe(false);
      expect(matches(onDetail('missing', { numeric: ['>', 0] }))).toBe(false);
      expect(matches({ nothing: { deeper: ['x'] } })).toBe(false);
    });

    it('do not match anything-but', () => {
      expect(matches(onDetail('missing', { 'anything-but': 'x' }))).toBe(false);
      expect(matches(onDetail('missing', { 'anything-but': { prefix: 'x' } }))).toBe(false);
    });

    it('match exists: false, even under an absent parent', () => {
      expect(matches(onDetail('missing', { exists: false }))).toBe(true);
      expect(matches({ nothing: { deeper: [{ exists: false }] } })).toBe(true);
    });
  });

  describe('prefix', () => {
    it('matches strings that start with the prefix', () => {
      expect(matches({ source: [{ prefix: 'aws.' }] })).toBe(true);
      expect(matches({ source: [{ prefix: 'custom.' }] })).toBe(false);
      expect(matches(onDetail('severity', { prefix: '8' }))).toBe(false);
    });

    it('ignores case when asked', () => {
      expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.GUARD' } }] })).toBe(true);
      expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.EC2' } }] })).toBe(false);
    });
  });

  describe('suffix', () => {
    it('matches strings that end with the suffix', () => {
      expect(matches(onDetail('file', { suffix: '.PNG' }))).toBe(true);
      expect(matches(onDetail('file', { suffix: '.png' }))).toBe(false);
    });

    it('ignores case when asked', () => {
      expect(matches(onDetail('file', { suffix: { 'equals-ignore-case': '.png' } }))).toBe(true);
      expect(matches(onDetail('file', { suffix: { 'equals-ignore-case': '.jpg' } }))).toBe(false);
    });
  });

  describe('equals-ignore-case', () => {
    it('matches the same string in any case', () => {
      expect(matches({ 'detail-type': [{ 'equals-ignore-case': 'guardduty finding' }] })).toBe(true);
      expect(matches({ 'detail-type': [{ 'equals-ignore-case': 'guardduty findings' }] })).toBe(false);
    });
  });

  describe('wildcard', () => {
    it('lets a star stand for any run of characters, including none', () => {
      expect(matches(onDetail('type', { wildcard: 'UnauthorizedAccess:EC2/*' }))).toBe(true);
      expect(matches(onDetail('type', { wildcard: '*MaliciousIPCaller*' }))).toBe(true);
      expect(matches(onDetail('path', { wildcard: '/usr/lib/egress*' }))).toBe(true);
      expect(matches(onDetail('type', { wildcard: 'Recon:*' }))).toBe(false);
    });

    it('reads regex characters and an escaped star literally', () => {
      expect(matches(onDetail('file', { wildcard: 'Report.*' }))).toBe(true);
      expect(matches(onDetail('file', { wildcard: 'Report?PNG' }))).toBe(false);
      expect(matches(onDetail('file', { wildcard: 'a\\*b' }), { file: 'a*b' })).toBe(true);
      expect(matches(onDetail('file', { wildcard: 'a\\*b' }), { file: 'axb' })).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any value except the one given', () => {
      expect(matches(onDetail('severity', { 'anything-but': 5 }))).toBe(true);
      expect(matches(onDetail('severity', { 'anything-but': 8 }))).toBe(false);
      expect(matches({ region: [{ 'anything-but': 'eu-west-1' }] })).toBe(false);
    });

    it('matches any value except those listed', () => {
      expect(matches({ region: [{ 'anything-but': ['us-east-1', 'us-west-2'] }] })).toBe(true);
      expect(matches({ region: [{ 'anything-but': ['us-east-1', 'eu-west-1'] }] })).toBe(false);
    });

    it('matches any string without the prefix, suffix or wildcard given', () => {
      expect(matches({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(true);
      expect(matches({ region: [{ 'anything-but': { prefix: 'eu-' } }] })).toBe(false);
      expect(matches(onDetail('file', { 'anything-but': { suffix: '.PNG' } }))).toBe(false);
      expect(matches(onDetail('path', { 'anything-but': { wildcard: '*/lib/*' } }))).toBe(false);
      expect(matches(onDetail('path', { 'anything-but': { wildcard: '*/bin/*' } }))).toBe(true);
    });

    it('ignores case when asked', () => {
      expect(
        matches({ source: [{ 'anything-but': { 'equals-ignore-case': ['AWS.EC2', 'AWS.GUARDDUTY'] } }] }),
      ).toBe(false);
      expect(matches({ source: [{ 'anything-but': { 'equals-ignore-case': 'AWS.EC2' } }] })).toBe(true);
    });
  });

  describe('numeric', () => {
    it('compares with each operator', () => {
      expect(matches(onDetail('severity', { numeric: ['=', 8] }))).toBe(true);
      expect(matches(onDetail('severity', { numeric: ['=', 8.5] }))).toBe(false);
      expect(matches(onDetail('severity', { numeric: ['>', 7] }))).toBe(true);
      expect(matches(onDetail('severity', { numeric: ['>', 8] }))).toBe(false);
      expect(matches(onDetail('severity', { numeric: ['>=', 8] }))).toBe(true);
      expect(matches(onDetail('severity', { numeric: ['<', 8] }))).toBe(false);
      expect(matches(onDetail('severity', { numeric: ['<=', 8] }))).toBe(true);
    });

    it('matches a two-sided range', () => {
      expect(matches(onDetail('severity', { numeric: ['>=', 7, '<', 9] }))).toBe(true);
      expect(matches(onDetail('severity', { numeric: ['>', 8, '<=', 9] }))).toBe(false);
    });

    it('matches numbers only, never numeric strings', () => {
      expect(matches(onDetail('severity', { numeric: ['=', 8] }), { severity: '8' })).toBe(false);
    });

    it('matches iff the value lies in the range', () => {
      const lowerOps = fc.constantFrom('>', '>=');
      const upperOps = fc.constantFrom('<', '<=');
      const number = fc.double({ min: -1e9, max: 1e9, noNaN: true });
      fc.assert(
        fc.property(lowerOps, number, upperOps, number, number, (lowerOp, lower, upperOp, upper, value) => {
          // Prepare
          const pattern = onDetail('severity', { numeric: [lowerOp, lower, upperOp, upper] });
          const aboveLower = lowerOp === '>' ? value > lower : value >= lower;
          const belowUpper = upperOp === '<' ? value < upper : value <= upper;

          // Act / Assess
          expect(matches(pattern, { severity: value })).toBe(aboveLower && belowUpper);
        }),
      );
    });
  });

  describe('exists', () => {
    it('exists: true matches a present leaf, including null and empty values', () => {
      expect(matches(onDetail('severity', { exists: true }))).toBe(true);
      expect(matches(onDetail('note', { exists: true }))).toBe(true);
      expect(matches(onDetail('empty', { exists: true }))).toBe(true);
      expect(matches(onDetail('missing', { exists: true }))).toBe(false);
    });

    it('exists: false matches only an absent leaf', () => {
      expect(matches(onDetail('severity', { exists: false }))).toBe(false);
      expect(matches(onDetail('missing', { exists: false }))).toBe(true);
    });

    it('treats a field holding an object as absent, since exists works on leaves only', () => {
      expect(matches(onDetail('service', { exists: true }))).toBe(false);
      expect(matches(onDetail('service', { exists: false }))).toBe(true);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 addresses inside the block', () => {
      expect(matches(onDetail('remoteIp', { cidr: '198.51.100.0/24' }))).toBe(true);
      expect(matches(onDetail('remoteIp', { cidr: '203.0.113.0/24' }))).toBe(false);
    });

    it('matches IPv6 addresses inside the block, never across families', () => {
      expect(matches(onDetail('remoteIpv6', { cidr: '2001:db8::/32' }))).toBe(true);
      expect(matches(onDetail('remoteIpv6', { cidr: '2001:db9::/32' }))).toBe(false);
      expect(matches(onDetail('remoteIp', { cidr: '::/0' }))).toBe(false);
    });

    it('does not match values that are not IP addresses', () => {
      expect(matches(onDetail('remoteIp', { cidr: '10.0.0.0/8' }), { remoteIp: '10.1' })).toBe(false);
      expect(matches(onDetail('file', { cidr: '0.0.0.0/0' }))).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any branch matches, alongside the other fields', () => {
      // Prepare
      const pattern = {
        source: ['aws.guardduty'],
        detail: { $or: [{ severity: [{ numeric: ['>=', 9] }] }, { tags: ['egress'] }] },
      };

      // Act / Assess
      expect(matches(pattern)).toBe(true);
      expect(matches(pattern, { tags: [] })).toBe(false);
      expect(matches({ ...pattern, source: ['aws.ec2'] })).toBe(false);
    });

    it('works at the top level and with several fields in a branch', () => {
      // Prepare
      const pattern = {
        $or: [{ source: ['aws.ec2'] }, { source: ['aws.guardduty'], detail: { archived: [true] } }],
      };

      // Act / Assess
      expect(matches(pattern)).toBe(false);
      expect(matches(pattern, { archived: true })).toBe(true);
    });
  });

  describe('malformed patterns', () => {
    it.each([
      ['a non-object pattern', ['aws.ec2'], '(root)'],
      ['an empty pattern', {}, '(root)'],
      ['a leaf that is not an array', { source: 'aws.guardduty' }, 'source'],
      ['an empty leaf array', { detail: { state: [] } }, 'detail.state'],
      ['a nested array value', { source: [['aws.guardduty']] }, 'source[0]'],
      ['an unknown operator', { detail: { type: [{ contains: 'EC2' }] } }, 'detail.type[0].contains'],
      ['two operators in one condition', { source: [{ prefix: 'aws', suffix: 'duty' }] }, 'source[0]'],
      ['an empty condition', { source: [{}] }, 'source[0]'],
      ['a non-string prefix', { source: [{ prefix: 1 }] }, 'source[0].prefix'],
      ['a non-boolean exists', { source: [{ exists: 'yes' }] }, 'source[0].exists'],
      [
        'an unknown comparison',
        { detail: { severity: [{ numeric: ['!=', 1] }] } },
        'detail.severity[0].numeric[0]',
      ],
      ['a range the wrong way round', { detail: { severity: [{ numeric: ['<', 9, '>', 1] }] } }, 'numeric'],
      [
        'a numeric bound that is not a number',
        { detail: { severity: [{ numeric: ['>', '1'] }] } },
        'numeric[1]',
      ],
      ['a block that is not CIDR', { detail: { remoteIp: [{ cidr: '198.51.100.7' }] } }, 'remoteIp[0].cidr'],
      ['consecutive wildcard stars', { source: [{ wildcard: 'aws**' }] }, 'source[0].wildcard'],
      ['a bad wildcard escape', { source: [{ wildcard: 'aws\\.ec2' }] }, 'source[0].wildcard'],
      ['a mixed anything-but list', { source: [{ 'anything-but': ['a', 1] }] }, 'source[0].anything-but'],
      [
        'anything-but holding numeric',
        { source: [{ 'anything-but': { numeric: ['>', 1] } }] },
        'anything-but',
      ],
      ['an $or with one branch', { $or: [{ source: ['aws.ec2'] }] }, '$or'],
    ])('throws naming the path for %s', (_case, pattern, path) => {
      expect(() => matchesEventPattern(pattern, EVENT)).toThrow(path);
    });

    it('throws even when an earlier field has already failed to match', () => {
      // Prepare
      const pattern = { source: ['aws.ec2'], detail: { type: [{ contains: 'EC2' }] } };

      // Act / Assess
      expect(() => matchesEventPattern(pattern, EVENT)).toThrow('detail.type[0].contains');
    });

    it('throws when the malformed part sits under a field the event lacks', () => {
      expect(() => matchesEventPattern({ nothing: { deeper: 'x' } }, EVENT)).toThrow('nothing.deeper');
    });
  });
});
