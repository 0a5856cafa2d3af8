import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIndicatorError } from '#domain/errors';
import {
  formatIndicator,
  type Indicator,
  isNetwork,
  isSubdomainOrSame,
  MAX_DOMAIN_LENGTH,
  parseIndicator,
} from '#domain/indicator';

/** The rule a rejected value broke; fails the test when the value is accepted or something else is thrown. */
function ruleBrokenBy(raw: unknown): string {
  try {
    parseIndicator(raw);
  } catch (error) {
    if (error instanceof InvalidIndicatorError) return error.rule;
    throw error;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

/** Parses, or returns the InvalidIndicatorError; anything else thrown fails the property. */
function tryParse(raw: unknown): Indicator | InvalidIndicatorError {
  try {
    return parseIndicator(raw);
  } catch (error) {
    if (error instanceof InvalidIndicatorError) return error;
    throw error;
  }
}

const SAFE_DOMAIN = /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const SAFE_NETWORK = /^[0-9a-f.:]+\/[0-9]{1,3}$/;

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const topLevelLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
const domainName = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), topLevelLabel)
  .map(([labels, top]) => [...labels, top].join('.'))
  .filter((name) => name.length <= MAX_DOMAIN_LENGTH - 2);
const domainInput = fc
  .tuple(fc.oneof(domainName, fc.domain()), fc.boolean(), fc.boolean(), fc.boolean())
  .map(([name, wildcard, upper, trailingDot]) => {
    const written = upper ? name.toUpperCase() : name;
    return `${wildcard ? '*.' : ''}${written}${trailingDot ? '.' : ''}`;
  });
const ipv4Cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, len]) => `${ip}/${len}`);
const ipv6Cidr = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([ip, len]) => `${ip}/${len}`);

/** The rule broken by an IPv4 address written as something other than four decimal numbers. */
function notation(form: string): string {
  return `looks like an IPv4 address written in ${form} form, which systems read differently: write it as four decimal numbers, such as 198.51.100.7`;
}

describe('parseIndicator', () => {
  describe('input', () => {
    it.each([
      [42, '42'],
      [null, 'null'],
      [undefined, 'undefined'],
      [{ domain: 'evil.example.com' }, 'an object'],
      [['evil.example.com'], 'an array'],
    ])('rejects the non-string %j', (raw, shown) => {
      // Prepare
      let thrown: unknown;

      // Act
      try {
        parseIndicator(raw);
      } catch (error) {
        thrown = error;
      }

      // Assess
      expect(thrown).toBeInstanceOf(InvalidIndicatorError);
      expect((thrown as InvalidIndicatorError).rule).toBe('must be a string');
      expect((thrown as InvalidIndicatorError).value).toBe(shown);
    });

    it('trims surrounding whitespace', () => {
      // Prepare
      const raw = ' \t evil.example.com\n';

      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toBe('evil.example.com');
    });

    it.each(['', '   ', '\n\t'])('rejects the empty value %j', (raw) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe('must not be empty');
    });

    it('rejects huge values before parsing them and keeps the error short', () => {
      // Prepare
      const raw = `${'a'.repeat(100_000)}.com`;
      let thrown: unknown;

      // Act
      try {
        parseIndicator(raw);
      } catch (error) {
        thrown = error;
      }

      // Assess
      expect(thrown).toBeInstanceOf(InvalidIndicatorError);
      expect((thrown as InvalidIndicatorError).rule).toBe('is longer than 1000 characters');
      expect((thrown as Error).message.length).toBeLessThan(400);
    });

    it('names the field, the value and the rule in the error', () => {
      // Act
      const act = () => parseIndicator('-bad.example.com', 'detail.indicator');

      // Assess
      expect(act).toThrow(
        'detail.indicator: "-bad.example.com" is not a valid indicator: label "-bad" must not start or end with a hyphen',
      );
    });
  });

  describe('rule injection', () => {
    it.each([
      [
        'evil.com"; sid:1; drop ip any any -> any any (msg:"x',
        'contains the character "\\"", which no domain, IP address or CIDR has',
      ],
      ['evil.com drop', 'contains whitespace (U+0020)'],
      ['evil.com";sid:1;', 'contains the character "\\"", which no domain, IP address or CIDR has'],
      ['evil.com;', 'contains the character ";", which no domain, IP address or CIDR has'],
      ['evil.com(x)', 'contains the character "(", which no domain, IP address or CIDR has'],
      ["evil.com'", 'contains the character "\'", which no domain, IP address or CIDR has'],
      ['evil.com\\', 'contains the character "\\\\", which no domain, IP address or CIDR has'],
      ['evil.com|x', 'contains the character "|", which no domain, IP address or CIDR has'],
      ['evil.com\nalert', 'contains whitespace (U+000A)'],
      ['evil.com\r\nalert', 'contains whitespace (U+000D)'],
      ['evil.com\u0000', 'contains a control or invisible character (U+0000)'],
      ['evil\u200b.com', 'contains a control or invisible character (U+200B)'],
      ['evil.com\u2028alert', 'contains whitespace (U+2028)'],
      ['1.2.3.4/32 any', 'contains whitespace (U+0020)'],
      ['1.2.3.4,5.6.7.8', 'contains the character ",", which no domain, IP address or CIDR has'],
      ['[2001:db8::1]', 'contains the character "[", which no domain, IP address or CIDR has'],
      ['evil.com#', 'contains the character "#", which no domain, IP address or CIDR has'],
    ])('rejects %j', (raw, expected) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe(expected);
    });

    it('rejects full-width lookalikes that IDN conversion turns into forbidden characters', () => {
      // Prepare: node:url domainToASCII maps "；" to ";" and "＂" to a quote, and returns them.
      const raws = ['evil；x.example', 'evil＂x.example', 'ü＿x.example'];

      // Act
      const rules = raws.map(ruleBrokenBy);

      // Assess
      expect(rules).toEqual([
        'label "evil;x" may contain only a-z, 0-9 and "-"',
        'label "evil\\"x" may contain only a-z, 0-9 and "-"',
        'contains an underscore, which DNS Firewall does not accept',
      ]);
    });
  });

  describe('IPv4 addresses', () => {
    it('returns a /32 ip indicator', () => {
      // Act
      const indicator = parseIndicator('198.51.100.77');

      // Assess
      expect(indicator).toEqual({ kind: 'ip', value: '198.51.100.77/32', family: 4, prefixLength: 32 });
    });

    it.each(['0.0.0.0', '255.255.255.255', '10.0.0.1', '203.0.113.9'])('accepts %s', (raw) => {
      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toBe(`${raw}/32`);
    });

    it.each([
      ['010.0.0.1', notation('octal')],
      ['0177.0.0.1', notation('octal')],
      ['017.0.0.1', notation('octal')],
      ['1.2.3.00', notation('octal')],
      ['256.0.0.1', 'octet "256" is greater than 255'],
      ['1.2.3', notation('short')],
      ['1.2.3.4.5', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
      ['1.2..4', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
      ['1.2.3.4.', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
      ['3325256781', notation('short')],
      ['0x7f.0.0.1', notation('hex')],
      ['0X7F.0.0.1', notation('hex')],
      ['0x7f000001', notation('hex, short')],
      ['0x7f.1', notation('hex, short')],
      ['0x7f.0.0.1.', notation('hex')],
      ['１２７.0.0.1', notation('non-ASCII')],
      ['０x7f.0.0.1', notation('non-ASCII, hex')],
      ['１２７。0。0。1', notation('non-ASCII')],
    ])('rejects %s', (raw, expected) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe(expected);
    });
  });

  describe('IPv6 addresses', () => {
    it('returns a /128 ip indicator, lowercase and compressed per RFC 5952', () => {
      // Act
      const indicator = parseIndicator('2001:0DB8:0000:0000:0000:0000:0000:0001');

      // Assess
      expect(indicator).toEqual({ kind: 'ip', value: '2001:db8::1/128', family: 6, prefixLength: 128 });
    });

    it.each([
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128'],
      ['::', '::/128'],
      ['::1', '::1/128'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0/128'],
      ['::1.2.3.4', '::102:304/128'],
      ['64:ff9b::198.51.100.7', '64:ff9b::c633:6407/128'],
    ])('normalises %s', (raw, expected) => {
      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toBe(expected);
    });

    it('turns an IPv4-mapped address into the IPv4 address', () => {
      // Act
      const indicators = ['::ffff:198.51.100.7', '::FFFF:c633:6407'].map((raw) => parseIndicator(raw));

      // Assess
      expect(indicators).toEqual([
        { kind: 'ip', value: '198.51.100.7/32', family: 4, prefixLength: 32 },
        { kind: 'ip', value: '198.51.100.7/32', family: 4, prefixLength: 32 },
      ]);
    });

    it.each([
      ['fe80::1%eth0', 'must not have an IPv6 zone id ("%…")'],
      ['fe80::1%25', 'must not have an IPv6 zone id ("%…")'],
      ['2001:db8::0000f', 'is not a valid IPv6 address: group "0000f" must be 1 to 4 hex digits'],
      ['2001:db8::g', 'is not a valid IPv6 address: only hex digits and ":"'],
      ['1::2::3', 'is not a valid IPv6 address: "::" may appear only once'],
      ['1:2:3:4:5:6:7:8:9', 'is not a valid IPv6 address: it must have eight groups, or fewer with "::"'],
      ['1::2:3:4:5:6:7:8', 'is not a valid IPv6 address: it must have eight groups, or fewer with "::"'],
      ['1:2:3', 'is not a valid IPv6 address: it must have eight groups, or fewer with "::"'],
      [':1::', 'is not a valid IPv6 address: group "" must be 1 to 4 hex digits'],
      ['::ffff:010.0.0.1', 'octet "010" must not have leading zeros'],
      ['::ffff:1.2.3', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
      ['1.2.3.4:80', 'is not a valid IPv6 address: only hex digits and ":"'],
      ['evil.com:443', 'is not a valid IPv6 address: only hex digits and ":"'],
    ])('rejects %s', (raw, expected) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe(expected);
    });
  });

  describe('CIDRs', () => {
    it('clears host bits to the network address, as EC2 does', () => {
      // Act
      const indicator = parseIndicator('198.51.100.77/24');

      // Assess
      expect(indicator).toEqual({ kind: 'cidr', value: '198.51.100.0/24', family: 4, prefixLength: 24 });
    });

    it.each([
      ['10.1.2.3/8', '10.0.0.0/8'],
      ['203.0.113.255/31', '203.0.113.254/31'],
      ['198.51.100.77/0', '0.0.0.0/0'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['2001:DB8:1:2::1/32', '2001:db8::/32'],
      ['2001:db8:ffff:ffff::/33', '2001:db8:8000::/33'],
      ['::/0', '::/0'],
      ['::ffff:198.51.100.7/120', '198.51.100.0/24'],
      ['::ffff:0:0/96', '0.0.0.0/0'],
      ['::ffff:0:0/95', '::fffe:0:0/95'],
    ])('normalises %s to %s', (raw, expected) => {
      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toBe(expected);
      expect(indicator.kind).toBe('cidr');
    });

    it('treats a full-length prefix as the address itself', () => {
      // Act
      const withPrefix = [parseIndicator('198.51.100.77/32'), parseIndicator('2001:db8::1/128')];
      const without = [parseIndicator('198.51.100.77'), parseIndicator('2001:db8::1')];

      // Assess
      expect(withPrefix).toEqual(without);
      expect(withPrefix.map((indicator) => indicator.kind)).toEqual(['ip', 'ip']);
    });

    it.each([
      ['1.2.3.4/024', 'prefix length "024" must be a decimal number without leading zeros'],
      ['1.2.3.4/', 'prefix length "" must be a decimal number without leading zeros'],
      ['1.2.3.4/+8', 'contains the character "+", which no domain, IP address or CIDR has'],
      ['1.2.3.4/0x8', 'prefix length "0x8" must be a decimal number without leading zeros'],
      ['1.2.3.4/33', 'prefix length 33 is out of range 0-32 for IPv4'],
      ['2001:db8::/129', 'prefix length 129 is out of range 0-128 for IPv6'],
      ['1.2.3.4/1000', 'prefix length "1000" must be a decimal number without leading zeros'],
      ['1.2.3.4/8/8', 'must contain at most one "/"'],
      ['/8', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
      ['010.0.0.0/8', 'octet "010" must not have leading zeros'],
      ['evil.com/8', 'is not a dotted-quad IPv4 address (four decimal numbers separated by dots)'],
    ])('rejects %s', (raw, expected) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe(expected);
    });
  });

  describe('domains', () => {
    it('returns a domain indicator with its registered domain', () => {
      // Act
      const indicator = parseIndicator('c2.evil.example.com');

      // Assess
      expect(indicator).toEqual({
        kind: 'domain',
        value: 'c2.evil.example.com',
        wildcard: false,
        registeredDomain: 'example.com',
      });
    });

    it.each([
      ['Evil.Example.COM', 'evil.example.com'],
      ['evil.example.com.', 'evil.example.com'],
      ['bücher.example', 'xn--bcher-kva.example'],
      ['BÜCHER.example', 'xn--bcher-kva.example'],
      ['bücher.example。', 'xn--bcher-kva.example'],
      ['ｅｖｉｌ.example', 'evil.example'],
      ['*.Evil.Example.com.', '*.evil.example.com'],
      ['*.bücher.example', '*.xn--bcher-kva.example'],
      ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
      ['3com.example', '3com.example'],
      ['a--b.example', 'a--b.example'],
    ])('normalises %s to %s', (raw, expected) => {
      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toBe(expected);
    });

    it('marks a leading *. as a wildcard', () => {
      // Act
      const indicator = parseIndicator('*.evil.example.com');

      // Assess
      expect(indicator).toEqual({
        kind: 'domain',
        value: '*.evil.example.com',
        wildcard: true,
        registeredDomain: 'example.com',
      });
    });

    it('accepts a name of exactly 253 characters', () => {
      // Prepare
      const raw = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.value).toHaveLength(253);
    });

    it.each([
      ['-bad.example.com', 'label "-bad" must not start or end with a hyphen'],
      ['bad-.example.com', 'label "bad-" must not start or end with a hyphen'],
      ['evil.example.-com', 'label "-com" must not start or end with a hyphen'],
      [`${'a'.repeat(64)}.com`, `label "${'a'.repeat(64)}" is longer than 63 characters`],
      [
        `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
        'is longer than 253 characters',
      ],
      [
        `*.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.com`,
        'is longer than 253 characters',
      ],
      ['evil..example.com', 'has an empty label (two dots in a row, or a leading dot)'],
      ['.evil.example.com', 'has an empty label (two dots in a row, or a leading dot)'],
      ['evil.example.com..', 'has an empty label (two dots in a row, or a leading dot)'],
      ['localhost', 'must have at least two labels, such as "example.com"'],
      ['localhost.', 'must have at least two labels, such as "example.com"'],
      ['*.com', 'must have at least two labels, such as "example.com"'],
      ['evil.123', 'top-level label "123" must not be all digits'],
      ['_dmarc.example.com', 'contains an underscore, which DNS Firewall does not accept'],
      ['*', 'may contain "*" only as a leading "*." (wildcard)'],
      ['*.', 'has an empty label (two dots in a row, or a leading dot)'],
      ['*evil.example.com', 'may contain "*" only as a leading "*." (wildcard)'],
      ['evil.*.example.com', 'may contain "*" only as a leading "*." (wildcard)'],
      ['*.*.example.com', 'may contain "*" only as a leading "*." (wildcard)'],
      ['soft\u00adhyphen.example', 'contains a control or invisible character (U+00AD)'],
      ['xn--zz.bücher.example', 'is not a valid internationalised domain name'],
      ['bücher.0x7f', 'is not a valid internationalised domain name'],
    ])('rejects %s', (raw, expected) => {
      // Act
      const rule = ruleBrokenBy(raw);

      // Assess
      expect(rule).toBe(expected);
    });

    it.each([
      ['x.cloudfront.net', 'x.cloudfront.net'],
      ['a.b.evil.co.uk', 'evil.co.uk'],
      ['*.a.b.evil.co.uk', 'evil.co.uk'],
      ['evil.example', 'evil.example'],
      ['co.uk', null],
      ['cloudfront.net', null],
      ['*.co.uk', null],
    ])('gives %s the registered domain %s', (raw, expected) => {
      // Act
      const indicator = parseIndicator(raw);

      // Assess
      expect(indicator.kind === 'domain' && indicator.registeredDomain).toBe(expected);
    });
  });

  describe('GuardDuty sample placeholders', () => {
    it.each(['GeneratedFindingDomainName', 'generatedfindingremoteip', 'GENERATEDFINDINGX.example.com'])(
      'rejects %s',
      (raw) => {
        // Act
        const rule = ruleBrokenBy(raw);

        // Assess
        expect(rule).toBe('is a GuardDuty sample placeholder, not a real indicator');
      },
    );
  });

  describe('properties', () => {
    it('is idempotent on domains, addresses and CIDRs', () => {
      // Prepare
      const valid = fc.oneof(domainInput, fc.ipV4(), fc.ipV6(), ipv4Cidr, ipv6Cidr);

      // Act & Assess
      fc.assert(
        fc.property(valid, (raw) => {
          const once = parseIndicator(raw);
          expect(parseIndicator(once.value)).toEqual(once);
        }),
      );
    });

    it('only ever returns whitelisted text, whatever the input', () => {
      // Prepare: arbitrary Unicode, and strings dense in grammar and injection characters to reach every rule.
      const dense = fc.string({
        unit: fc.constantFrom(...'aZ09.-:/*%_ü。"\';()|\\\n\t\u00ad\u200b；＂'.split('')),
        maxLength: 40,
      });
      const anything = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 60 }),
        dense,
        domainInput.map((d) => `${d}";`),
      );

      // Act & Assess
      fc.assert(
        fc.property(anything, (raw) => {
          const result = tryParse(raw);
          if (result instanceof InvalidIndicatorError) return;
          expect(result.value).toMatch(result.kind === 'domain' ? SAFE_DOMAIN : SAFE_NETWORK);
        }),
        { numRuns: 2000 },
      );
    });

    it('accepts exactly the addresses node:net accepts', () => {
      // Prepare: zone ids are excluded because they are rejected on purpose.
      const addressLike = fc.oneof(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 }),
        fc.string({ unit: fc.constantFrom(...'0123456789.'.split('')), minLength: 7, maxLength: 16 }),
        fc.ipV6(),
        fc.ipV4Extended(),
      );

      // Act & Assess
      fc.assert(
        fc.property(addressLike, (raw) => {
          fc.pre(raw.includes(':') || /^[0-9.]+$/.test(raw));
          const accepted = !(tryParse(raw) instanceof InvalidIndicatorError);
          expect(accepted).toBe(net.isIP(raw) !== 0);
        }),
        { numRuns: 2000 },
      );
    });

    it('keeps only the network address of a CIDR', () => {
      // Act & Assess
      fc.assert(
        fc.property(ipv4Cidr, (raw) => {
          const indicator = parseIndicator(raw);
          if (!isNetwork(indicator)) throw new Error(`${raw} did not parse as a network`);
          const [address = '', length = ''] = indicator.value.split('/');
          const bits = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
          const hostBits = 2 ** (32 - Number(length));
          expect(bits % hostBits).toBe(0);
          expect(Number(length)).toBe(indicator.prefixLength);
        }),
      );
    });
  });
});

describe('formatIndicator', () => {
  it('returns the canonical value', () => {
    // Prepare
    const indicators = ['Evil.Example.com.', '198.51.100.77/24', '::ffff:198.51.100.7'].map((raw) =>
      parseIndicator(raw),
    );

    // Act
    const formatted = indicators.map(formatIndicator);

    // Assess
    expect(formatted).toEqual(['evil.example.com', '198.51.100.0/24', '198.51.100.7/32']);
  });
});

describe('isNetwork', () => {
  it('tells addresses and CIDRs from domains', () => {
    // Act
    const results = ['evil.example.com', '198.51.100.7', '198.51.100.0/24'].map((raw) =>
      isNetwork(parseIndicator(raw)),
    );

    // Assess
    expect(results).toEqual([false, true, true]);
  });
});

describe('isSubdomainOrSame', () => {
  it.each([
    ['a.b.com', 'b.com', true],
    ['x.a.b.com', 'b.com', true],
    ['b.com', 'b.com', true],
    ['*.b.com', 'b.com', true],
    ['*.a.b.com', 'b.com', true],
    ['*.b.com', '*.b.com', true],
    ['b.com', '*.b.com', true],
    ['B.COM.', 'b.com', true],
    ['ab.com', 'b.com', false],
    ['b.com', 'a.b.com', false],
    ['*.b.com', 'a.b.com', false],
    ['b.com.evil.net', 'b.com', false],
    ['com', 'b.com', false],
    ['b.com', '', false],
  ])('says %s under %s is %s', (name, parent, expected) => {
    // Act
    const result = isSubdomainOrSame(name, parent);

    // Assess
    expect(result).toBe(expected);
  });

  it('holds for any label added in front, and never the other way round', () => {
    // Act & Assess
    fc.assert(
      fc.property(domainName, label, (parent, extra) => {
        expect(isSubdomainOrSame(`${extra}.${parent}`, parent)).toBe(true);
        expect(isSubdomainOrSame(parent, `${extra}.${parent}`)).toBe(false);
      }),
    );
  });
});
