import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AwsIpRanges, parseAwsIpRanges } from '#domain/aws-ip-ranges';
import { aggregateCidrs, type CidrRange, formatRange } from '#domain/cidr';
import { mayMergeUnder, protectionOf } from '#domain/guard-rails';
import { parseIndicator } from '#domain/indicator';
import { type PolicyContext, type PolicyInput, parsePolicy } from '#domain/policy';
import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import { block, network } from './reconcile/blocks';

/** The deployment the tests protect: one VPC with an IPv4 and an IPv6 CIDR. */
const CONTEXT: PolicyContext = { vpcCidrs: ['10.20.0.0/16', '2600:1f18:5:a00::/56'] };

/**
 * A small published list on documentation ranges, so that the rules are tested apart from AWS's data: an EC2
 * /24 with an S3 /28 carved out of it, a Global Accelerator /24, a CloudFront /24, an `AMAZON`-only /24.
 */
const FIXTURE_RANGES: AwsIpRanges = parseAwsIpRanges(
  {
    syncToken: '1700000000',
    createDate: '2030-01-01-00-00-00',
    prefixes: [
      { ip_prefix: '198.51.100.0/24', region: 'eu-west-1', service: 'AMAZON' },
      { ip_prefix: '198.51.100.0/24', region: 'eu-west-1', service: 'EC2' },
      { ip_prefix: '198.51.100.16/28', region: 'eu-west-1', service: 'S3' },
      { ip_prefix: '203.0.113.0/25', region: 'GLOBAL', service: 'GLOBALACCELERATOR' },
      { ip_prefix: '203.0.113.128/25', region: 'GLOBAL', service: 'CLOUDFRONT' },
      { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'AMAZON' },
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2001:db8:ec2::/48', region: 'eu-west-1', service: 'EC2' }],
  },
  'fixture',
);

function protect(indicator: string, input: PolicyInput = {}, context: PolicyContext = CONTEXT) {
  return protectionOf(parseIndicator(indicator), parsePolicy(input, context));
}

/** The most permissive configuration there is: whatever it still protects, nothing can unprotect. */
const PERMISSIVE: PolicyInput = {
  guardRails: { minPrefixLengthV4: 8, minPrefixLengthV6: 16, allowPrivateRanges: true },
};

describe('protectionOf', () => {
  describe('built-in guard rails', () => {
    it.each([
      ['0.0.0.0/0', 'wider than /16'],
      ['::/0', 'wider than /48'],
      ['198.48.0.0/15', 'wider than /16'],
      ['2001:db8::/47', 'wider than /48'],
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
      '2001:db8::/48',
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
      const elsewhere = protect('10.30.0.5', input);
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
          const policy = parsePolicy(
            { guardRails, allowlist: allowlisted ? { cidrs: ['198.51.100.0/24'] } : {} },
            CONTEXT,
          );
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

describe('the VPCs of the context', () => {
  it.each([
    ['10.20.3.4', '10.20.0.0/16'],
    ['2600:1f18:5:a00::17', '2600:1f18:5:a00::/56'],
    ['2600:1f18:5:a00::/64', '2600:1f18:5:a00::/56'],
    ['2600:1f18:5::/48', '2600:1f18:5:a00::/56'],
  ])(
    'never blocks %s, which overlaps the VPC network %s, even with private ranges allowed',
    (indicator, vpc) => {
      // Prepare
      const input = { guardRails: { allowPrivateRanges: true } };

      // Act
      const protection = protect(indicator, input);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
      expect(protection?.detail).toContain(`overlaps the VPC network ${vpc}`);
    },
  );

  it('lets an address next to the VPC be blocked', () => {
    // Act
    const protection = protect('2600:1f18:5:b00::1', { guardRails: { allowPrivateRanges: true } });

    // Assess
    expect(protection).toBeNull();
  });
});

describe('IPv4 addresses embedded in IPv6', () => {
  it.each([
    ['64:ff9b::/96', 'covers the NAT64 prefix (RFC 6052) 64:ff9b::/96'],
    ['64:ff9b::/97', 'carries 0.0.0.0/1'],
    ['64:ff9b::8000:0/97', 'carries 128.0.0.0/1'],
    ['64:ff9b::/64', 'covers the NAT64 prefix'],
    ['64:ff9b::a14:1', 'carries 10.20.0.1/32'],
    ['64:ff9b::a9fe:a9fe', 'the instance metadata service'],
    ['64:ff9b::a9fe:a9fd', 'the Amazon-provided DNS server'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::3440:0/112', '52.64.0.0/16'],
    ['64:ff9b:1::a14:1', 'carries 10.20.0.1/32 (the local-use NAT64 block (RFC 8215))'],
    ['64:ff9b:1:ab::/64', 'carries 0.0.0.0/0'],
    ['64:ff9b:1::/48', 'covers the local-use NAT64 block'],
    ['2002:a14:1::/48', 'carries 10.20.0.1/32 (6to4 (RFC 3056))'],
    ['2002:a9fe:a9fe::1', 'the instance metadata service'],
    ['2001:0:4136:e378:8000:63bf:f5eb:fffe', 'carries 10.20.0.1/32 (Teredo (RFC 4380))'],
    ['2001:0:a14:1:8000:63bf:3fff:fdd2', 'carries 10.20.0.1/32 (Teredo (RFC 4380))'],
  ])('never blocks %s (%s)', (indicator, detail) => {
    // Act
    const protection = protect(indicator);

    // Assess
    expect(protection?.reason).toBe('guard-rail');
    expect(protection?.detail).toContain(detail);
  });

  it.each([
    ['64:ff9b::c633:6401', 'one NAT64 host, 198.51.100.1'],
    ['64:ff9b::c633:6400/120', 'the NAT64 image of 198.51.100.0/24'],
    ['64:ff9b:1::c633:6401', 'one host behind a local-use NAT64 prefix'],
    ['2002:c633:6401::/48', 'the 6to4 site of 198.51.100.1'],
    ['2001:0:c633:6401:8000:63bf:34ff:8efa', 'a Teredo client 203.0.113.5 with server 198.51.100.1'],
  ])('lets %s be blocked (%s)', (indicator) => {
    // Act
    const protection = protect(indicator);

    // Assess
    expect(protection).toBeNull();
  });

  it('gives the embedded address the allowlist too', () => {
    // Act
    const protection = protect('64:ff9b::cb00:7105', { allowlist: { cidrs: ['203.0.113.0/24'] } });

    // Assess
    expect(protection?.reason).toBe('allowlisted');
    expect(protection?.detail).toContain('203.0.113.5/32 overlaps the allowlisted network 203.0.113.0/24');
  });
});

describe("AWS's published ranges", () => {
  describe('the snapshot shipped with the package', () => {
    it.each([
      ['52.216.0.0/16', 'S3'],
      ['52.216.10.20', 'S3'],
      ['3.5.140.9', 'EC2 and S3'],
      ['52.94.0.1', 'DYNAMODB'],
    ])('never blocks %s, published for %s', (indicator, service) => {
      // Act
      const protection = protect(indicator);

      // Assess
      expect(protection?.reason).toBe('guard-rail');
      expect(protection?.detail).toContain(`published by AWS for ${service}`);
    });

    it.each(['99.77.55.49', '2600:1f18:1:2::5', '64:ff9b::634d:3731'])(
      'lets %s, a single address in an EC2 range, be blocked',
      (indicator) => {
        // Act
        const protection = protect(indicator);

        // Assess
        expect(protection).toBeNull();
      },
    );

    it('refuses a network of EC2 space wider than one address', () => {
      // Act
      const protection = protect('2600:1f18:1:2::/64');

      // Assess
      expect(protection?.detail).toContain('only single addresses there may be blocked');
    });

    it('refuses 2600:1f18::/32 by the /48 minimum before anything else', () => {
      // Act
      const protection = protect('2600:1f18::/32');

      // Assess
      expect(protection?.detail).toBe(
        '2600:1f18::/32 is wider than /48, the widest network Egress Warden will block',
      );
    });

    it('says which data it uses', () => {
      // Act
      const ranges = parsePolicy({}, CONTEXT).guardRails.awsIpRanges;

      // Assess
      expect(ranges.createDate).toMatch(/^\d{4}-\d{2}-\d{2}-/);
      expect(ranges.size).toBeGreaterThan(5_000);
      expect(ranges.source).toContain(ranges.syncToken);
    });
  });

  describe('a fresher list given in the context', () => {
    const context = { ...CONTEXT, awsIpRanges: FIXTURE_RANGES };

    it.each([
      ['198.51.100.7', null],
      ['198.51.100.0/25', 'only single addresses there may be blocked'],
      ['198.51.100.17', "198.51.100.16/28, published by AWS for S3 (eu-west-1): AWS's own service space"],
      ['203.0.113.5', null],
      ['203.0.113.130', 'published by AWS for CLOUDFRONT (GLOBAL)'],
      ['192.0.2.1', 'published by AWS for AMAZON (us-east-1)'],
      ['2001:db8:ec2::1', null],
      ['2001:db8:ec2::/64', 'only single addresses there may be blocked'],
      ['2001:db8:ec3::1', null],
      ['52.216.10.20', null],
    ])('decides %s: %s', (indicator, detail) => {
      // Act
      const protection = protect(indicator, {}, context);

      // Assess
      if (detail === null) expect(protection).toBeNull();
      else expect(protection?.detail).toContain(detail);
    });
  });

  describe('parseAwsIpRanges', () => {
    it.each([
      [{}, 'ip-ranges.syncToken'],
      [{ syncToken: '1', createDate: 'x', prefixes: [], ipv6_prefixes: [] }, 'ip-ranges.prefixes'],
      [
        {
          syncToken: '1',
          createDate: 'x',
          prefixes: [{ ip_prefix: '52.216.0.0/33', region: 'us-east-1', service: 'S3' }],
          ipv6_prefixes: [],
        },
        'ip-ranges.prefixes[0].ip_prefix',
      ],
      [
        {
          syncToken: '1',
          createDate: 'x',
          prefixes: [{ ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3' }],
          ipv6_prefixes: [{ ipv6_prefix: '52.217.0.0/16', region: 'us-east-1', service: 'S3' }],
        },
        'ip-ranges.ipv6_prefixes[0].ipv6_prefix',
      ],
    ])('refuses a malformed file, naming the field (%#)', (json, field) => {
      // Act
      let error: unknown;
      try {
        parseAwsIpRanges(json, 'ip-ranges.json');
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect((error as { field?: string }).field).toBe(field);
    });
  });
});

describe('AWS domains', () => {
  it.each([
    'amazonaws.com',
    'sts.amazonaws.com',
    's3.amazonaws.com',
    's3.eu-west-1.amazonaws.com',
    'ec2.us-east-1.amazonaws.com',
    'sqs.us-gov-west-1.amazonaws.com',
    'vpce-0a1b.s3.us-east-1.vpce.amazonaws.com',
    '*.s3.amazonaws.com',
    '*.us-east-1.amazonaws.com',
    'execute-api.eu-west-1.amazonaws.com',
    's3.amazonaws.com.cn',
    'ec2.cn-north-1.amazonaws.com.cn',
    'api.aws',
    'ec2.us-east-1.api.aws',
    'time.aws.com',
    'cdn.amazonlinux.com',
    'ip-10-0-0-1.ec2.internal',
    'ip-10-20-0-1.eu-west-1.compute.internal',
    'instance-data.ec2.internal',
  ])('never blocks %s', (indicator) => {
    // Act
    const protection = protect(indicator);

    // Assess
    expect(protection?.reason).toBe('guard-rail');
  });

  it.each([
    'evil-bucket.s3.amazonaws.com',
    '*.evil-bucket.s3.amazonaws.com',
    'my-bucket.s3.eu-west-1.amazonaws.com',
    'my-bucket.s3.dualstack.us-east-1.amazonaws.com',
    'abc123.execute-api.eu-west-1.amazonaws.com',
    'my-lb-1234567890.eu-west-1.elb.amazonaws.com',
    'evil.s3.cn-north-1.amazonaws.com.cn',
  ])('lets %s, a name a customer owns, be blocked', (indicator) => {
    // Act
    const protection = protect(indicator);

    // Assess
    expect(protection).toBeNull();
  });
});

describe('mayMergeUnder', () => {
  const policy = parsePolicy({}, { ...CONTEXT, awsIpRanges: FIXTURE_RANGES });

  it('keeps the two NAT64 /97 halves apart', () => {
    // Act
    const result = aggregateCidrs(['64:ff9b::/97', '64:ff9b::8000:0/97'], mayMergeUnder(policy));

    // Assess
    expect(result).toEqual(['64:ff9b::/97', '64:ff9b::8000:0/97']);
  });

  it('keeps two single EC2 addresses as two network ACL entries, not one /31', () => {
    // Prepare
    const acl = { aclId: 'acl-0123456789abcdef0', vpcId: 'vpc-0123456789abcdef0', egress: [] };
    const desired = [block(network('198.51.100.6/32')), block(network('198.51.100.7/32'))];

    // Act
    const plan = planNetworkAcl(acl, desired, { mayMerge: mayMergeUnder(policy) });

    // Assess
    expect(plan.steps.map((step) => step.cidr).sort()).toEqual(['198.51.100.6/32', '198.51.100.7/32']);
    expect(plan.merged).toEqual([]);
  });

  it('still merges halves whose parent may be blocked', () => {
    // Act
    const result = aggregateCidrs(['203.0.114.0/25', '203.0.114.128/25'], mayMergeUnder(policy));

    // Assess
    expect(result).toEqual(['203.0.114.0/24']);
  });

  it('property: whatever blockable networks are merged, every network that comes out is blockable', () => {
    // Near the protected places, so that siblings and parents often touch them.
    const bases: readonly [4 | 6, bigint][] = [
      [4, 0xc6336400n], // 198.51.100.0: EC2 with an S3 carve-out (fixture)
      [4, 0xcb007100n], // 203.0.113.0: Global Accelerator and CloudFront (fixture)
      [4, 0x0a140000n], // 10.20.0.0: the VPC
      [6, 0x0064ff9b_0000_0000_0000_0000_0000_0000n], // NAT64
      [6, 0x20010db8_0ec2_0000_0000_0000_0000_0000n], // EC2 IPv6 (fixture)
    ];
    const nearby = fc
      .tuple(fc.constantFrom(...bases), fc.bigInt({ min: 0n, max: 1023n }), fc.integer({ min: 0, max: 10 }))
      .map(([[family, base], offset, hostBits]): CidrRange => {
        const bits = family === 4 ? 32 : 128;
        const address =
          family === 6 && base >> 96n === 0x64ff9bn ? base | (0xc6336400n + offset) : base + offset;
        const length = bits - hostBits;
        return { family, network: (address >> BigInt(hostBits)) << BigInt(hostBits), prefixLength: length };
      })
      .map(formatRange)
      .filter((cidr) => protectionOf(parseIndicator(cidr), policy) === null);
    fc.assert(
      fc.property(fc.array(nearby, { maxLength: 30 }), (cidrs) => {
        // Act
        const result = aggregateCidrs(cidrs, mayMergeUnder(policy));

        // Assess
        for (const cidr of result) expect(protectionOf(parseIndicator(cidr), policy)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
