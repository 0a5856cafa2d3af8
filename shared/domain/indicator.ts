/**
 * Indicators: the only values that can ever reach a target. Every domain, IP address and CIDR is parsed and
 * normalised here, once; anything else is an InvalidIndicatorError that names the value and the rule it broke.
 */
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import { excerpt, InvalidIndicatorError } from './errors';

/** A domain name, normalised: lowercase, no trailing dot, punycode, optionally starting with `*.`. */
export interface DomainIndicator {
  readonly kind: 'domain';
  /** The normalised name, such as `evil.example.com` or `*.evil.example.com`. This is also its key. */
  readonly value: string;
  /** True when the value starts with `*.` (subdomains only). */
  readonly wildcard: boolean;
  /**
   * The registered domain (eTLD+1) by the Public Suffix List including private suffixes, so that
   * `x.cloudfront.net` stays `x.cloudfront.net`; null when the name is itself a public suffix.
   */
  readonly registeredDomain: string | null;
}

/** An IPv4 or IPv6 address (`kind: 'ip'`, a full-length prefix) or network (`kind: 'cidr'`). */
export interface NetworkIndicator {
  readonly kind: 'ip' | 'cidr';
  /** Canonical CIDR: network address, lowercase, IPv6 compressed: `198.51.100.77/32`, `2001:db8::/32`. */
  readonly value: string;
  readonly family: 4 | 6;
  readonly prefixLength: number;
}

export type Indicator = DomainIndicator | NetworkIndicator;
export type IndicatorKind = Indicator['kind'];

/** True for IP and CIDR indicators. */
export function isNetwork(indicator: Indicator): indicator is NetworkIndicator {
  return indicator.kind !== 'domain';
}

/** Longest domain value accepted, `*.` included: the DNS limit for a name without its trailing dot. */
export const MAX_DOMAIN_LENGTH = 253;

/** Longest raw input even looked at: far beyond any valid name, even one written in Unicode. */
const MAX_RAW_LENGTH = 1_000;

/** How much of a rejected value an error repeats: a huge payload must not flood a log line or an alert. */
const MAX_REPORTED_LENGTH = 256;

const PLACEHOLDER_PREFIX = 'generatedfinding';

/** ASCII in the grammar: letters, digits, `.` `-` (domains), `*` (wildcard), `:` `/` (addresses). */
const GRAMMAR_ASCII = /^[A-Za-z0-9.:/*-]$/;

/**
 * Control, format, unassigned and surrogate code points. Format characters are invisible, and IDNA would drop
 * some of them (a soft hyphen) without a word.
 */
const INVISIBLE = /\p{C}/u;

const WHITESPACE = /[\s\p{Z}]/u;

const LABEL_CHARACTERS = /^[a-z0-9-]+$/;

type Reject = (rule: string) => never;

/**
 * Parses a domain, IP address or CIDR into its canonical form. Pure and idempotent:
 * `parseIndicator(parseIndicator(x).value)` equals `parseIndicator(x)`. Throws InvalidIndicatorError naming
 * the value (cut to 256 characters) and the rule it broke; `field` is the input path reported with the error.
 * Every accepted value contains only `a-z 0-9 . - *` (domains) or `0-9 a-f . : /` (addresses), so it is safe
 * to embed in a Suricata rule or an AWS API call.
 */
export function parseIndicator(raw: unknown, field = ''): Indicator {
  const reported = typeof raw === 'string' ? raw : describeNonString(raw);
  const reject: Reject = (rule) => {
    throw new InvalidIndicatorError(shorten(reported), rule, field);
  };
  if (typeof raw !== 'string') return reject('must be a string');

  const text = raw.trim();
  if (text === '') return reject('must not be empty');
  if (text.length > MAX_RAW_LENGTH) return reject(`is longer than ${MAX_RAW_LENGTH} characters`);
  if (isGuardDutyPlaceholder(text)) {
    return reject('is a GuardDuty sample placeholder, not a real indicator');
  }
  const forbidden = forbiddenCharacterRule(text);
  if (forbidden) return reject(forbidden);

  if (text.includes('/')) return parseCidr(text, reject);
  if (text.includes(':')) return toNetwork(parseIPv6(text, reject), undefined);
  const notation = ipv4NotationRule(text);
  if (notation) return reject(notation);
  if (/^[0-9.]+$/.test(text)) return toNetwork(parseIPv4(text, reject), undefined);
  return parseDomain(text, reject);
}

/** True for GuardDuty's sample placeholder (`GeneratedFindingDomainName`), which is never a real indicator. */
export function isGuardDutyPlaceholder(raw: string): boolean {
  return raw.trim().toLowerCase().startsWith(PLACEHOLDER_PREFIX);
}

/**
 * The registered domain (eTLD+1, Public Suffix List with its private section) of a name as a resolver saw it:
 * lower case, any labels, underscores included; null for a public suffix or what is no name at all. The
 * result is not validated: parse it before it goes anywhere.
 */
export function registeredDomainOf(name: string): string | null {
  return getDomain(name, { allowPrivateDomains: true, extractHostname: false, validateHostname: false });
}

/** The canonical text of an indicator, as it is written to targets, keys and messages. */
export function formatIndicator(indicator: Indicator): string {
  return indicator.value;
}

/**
 * True when `name` is `parent` or one of its subdomains, label by label (`ab.com` is not under `b.com`).
 * Meant for normalised names; case and one trailing dot are tolerated. A leading `*.` is ignored on both
 * sides: `*.b.com` lies under `b.com`, and a `*.b.com` parent also covers `b.com` itself, which errs towards
 * protecting when the parent comes from an allowlist.
 */
export function isSubdomainOrSame(name: string, parent: string): boolean {
  const child = bareName(name);
  const base = bareName(parent);
  if (child === '' || base === '') return false;
  return child === base || child.endsWith(`.${base}`);
}

function bareName(name: string): string {
  let bare = name.trim().toLowerCase();
  if (bare.startsWith('*.')) bare = bare.slice(2);
  if (bare.endsWith('.')) bare = bare.slice(0, -1);
  return bare;
}

function describeNonString(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  if (typeof raw === 'object') return 'an object';
  if (typeof raw === 'symbol' || typeof raw === 'function') return `a ${typeof raw}`;
  return String(raw);
}

function shorten(value: string): string {
  return excerpt(value, MAX_REPORTED_LENGTH);
}

/**
 * A whitelist, checked before anything else: values end up inside Suricata rules and AWS API calls, so a
 * quote, a semicolon or a line break must never get as far as a parser that might be lenient about it.
 * Non-ASCII letters pass here only so that IDNs can be converted; the converted name is checked again.
 */
function forbiddenCharacterRule(text: string): string | undefined {
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80 && GRAMMAR_ASCII.test(char)) continue;
    const code = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    if (WHITESPACE.test(char)) return `contains whitespace (${code})`;
    if (INVISIBLE.test(char)) return `contains a control or invisible character (${code})`;
    if (char === '_') return 'contains an underscore, which DNS Firewall does not accept';
    if (char === '%' && text.includes(':')) return 'must not have an IPv6 zone id ("%…")';
    if (char.charCodeAt(0) < 0x80) {
      return `contains the character ${JSON.stringify(char)}, which no domain, IP address or CIDR has`;
    }
  }
  return undefined;
}

/** An IPv4 number as the URL standard and inet_aton read one: decimal, octal (leading 0) or hex (`0x`). */
const IPV4_NUMBER = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

/**
 * Why `text` is refused as an IPv4 address written in another notation (`0x7f.0.0.1`, `0x7f000001`,
 * `017.0.0.1`, `1.2.3`, full-width digits), or undefined when it is not one. Browsers, curl and inet_aton
 * read these as addresses (`0x7f000001` is 127.0.0.1), so they are neither names nor addresses we can block
 * as written; saying so beats a puzzling domain error. Four plain decimal numbers are left to parseIPv4.
 */
function ipv4NotationRule(text: string): string | undefined {
  const nonAscii = /\P{ASCII}/u.test(text);
  // NFKC turns full-width digits and letters into ASCII; IDNA also reads these three as dots.
  const ascii = nonAscii ? text.normalize('NFKC').replace(/[\u3002\uff0e\uff61]/g, '.') : text;
  const labels = (ascii.endsWith('.') ? ascii.slice(0, -1) : ascii).split('.');
  if (labels.length > 4 || !labels.every((label) => IPV4_NUMBER.test(label))) return undefined;
  const forms = [
    ...(nonAscii ? ['non-ASCII'] : []),
    ...(labels.some((label) => /^0x/i.test(label)) ? ['hex'] : []),
    ...(labels.some((label) => /^0[0-9]/.test(label)) ? ['octal'] : []),
    ...(labels.length < 4 ? ['short'] : []),
  ];
  if (forms.length === 0) return undefined;
  return `looks like an IPv4 address written in ${forms.join(', ')} form, which systems read differently: write it as four decimal numbers, such as 198.51.100.7`;
}

interface Address {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: number[];
}

/**
 * Strict dotted quad: no leading zeros, hex, octal, shorthand (`1.2.3`) or plain integers, which systems read
 * differently.
 */
function parseIPv4(text: string, reject: Reject): Address {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^[0-9]+$/.test(part))) {
    return reject('is not a dotted-quad IPv4 address (four decimal numbers separated by dots)');
  }
  const bytes = parts.map((part) => {
    if (part.length > 1 && part.startsWith('0')) {
      return reject(`octet ${JSON.stringify(part)} must not have leading zeros`);
    }
    const value = Number(part);
    if (value > 255) return reject(`octet ${JSON.stringify(part)} is greater than 255`);
    return value;
  });
  return { family: 4, bytes };
}

/**
 * IPv6 with at most one `::`, groups of 1–4 hex digits and an optional dotted-quad tail. The structure is
 * checked here because ipaddr.js is lenient (zone ids, octal or hex in the IPv4 tail, `::1.2.3.4` read as
 * IPv4-mapped).
 */
function parseIPv6(text: string, reject: Reject): Address {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const tail = parseIPv4(text.slice(lastColon + 1), reject).bytes;
    const high = ((tail[0] ?? 0) << 8) | (tail[1] ?? 0);
    const low = ((tail[2] ?? 0) << 8) | (tail[3] ?? 0);
    hex = `${text.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  if (!/^[0-9a-fA-F:]+$/.test(hex)) return reject('is not a valid IPv6 address: only hex digits and ":"');
  const halves = hex.split('::');
  if (halves.length > 2) return reject('is not a valid IPv6 address: "::" may appear only once');
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) {
      return reject(`is not a valid IPv6 address: group ${JSON.stringify(group)} must be 1 to 4 hex digits`);
    }
  }
  const expected = halves.length === 2 ? groups.length <= 7 : groups.length === 8;
  if (!expected) return reject('is not a valid IPv6 address: it must have eight groups, or fewer with "::"');
  try {
    return { family: 6, bytes: ipaddr.IPv6.parse(hex).toByteArray() };
  } catch {
    return reject('is not a valid IPv6 address');
  }
}

function parseCidr(text: string, reject: Reject): NetworkIndicator {
  const parts = text.split('/');
  if (parts.length !== 2) return reject('must contain at most one "/"');
  const [addressText = '', lengthText = ''] = parts;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) {
    return reject(
      `prefix length ${JSON.stringify(lengthText)} must be a decimal number without leading zeros`,
    );
  }
  const address = addressText.includes(':') ? parseIPv6(addressText, reject) : parseIPv4(addressText, reject);
  const prefixLength = Number(lengthText);
  const max = address.family === 4 ? 32 : 128;
  if (prefixLength > max) {
    return reject(`prefix length ${prefixLength} is out of range 0-${max} for IPv${address.family}`);
  }
  return toNetwork(address, prefixLength);
}

/**
 * Clears host bits (as EC2 does for `198.51.100.77/24`) and folds IPv4-mapped IPv6 (`::ffff:a.b.c.d`) into
 * IPv4, because that is the address the packets carry and the form the IPv4 NACL and rules need.
 */
function toNetwork(address: Address, prefixLength: number | undefined): NetworkIndicator {
  let { family, bytes } = address;
  let length = prefixLength ?? bytes.length * 8;
  if (family === 6 && length >= 96 && isIPv4Mapped(bytes)) {
    family = 4;
    bytes = bytes.slice(12);
    length -= 96;
  }
  const network = bytes.map((byte, index) => {
    const bitsKept = Math.min(8, Math.max(0, length - index * 8));
    return byte & ((0xff << (8 - bitsKept)) & 0xff);
  });
  const text =
    family === 4
      ? network.join('.')
      : new ipaddr.IPv6(
          Array.from({ length: 8 }, (_, i) => ((network[2 * i] ?? 0) << 8) | (network[2 * i + 1] ?? 0)),
        ).toRFC5952String();
  return {
    kind: length === network.length * 8 ? 'ip' : 'cidr',
    value: `${text}/${length}`,
    family,
    prefixLength: length,
  };
}

function isIPv4Mapped(bytes: readonly number[]): boolean {
  return bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Domain rules as DNS Firewall accepts them (RFC 1035 letter-digit-hyphen labels, optional leading `*.`),
 * plus two of ours: at least two labels, and a top-level label that is not all digits (so that no IP address
 * written in some other notation passes as a name).
 */
function parseDomain(text: string, reject: Reject): DomainIndicator {
  const wildcard = text.startsWith('*.');
  let name = wildcard ? text.slice(2) : text;
  if (name.includes('*')) return reject('may contain "*" only as a leading "*." (wildcard)');

  // domainToASCII applies IDNA mapping (full-width dots and letters, case) and returns '' when it fails.
  // Its output is not trusted: it lets quotes, `;` and `_` through, so the checks below apply to it as well.
  if (/\P{ASCII}/u.test(name)) {
    const ascii = domainToASCII(name);
    if (ascii === '') return reject('is not a valid internationalised domain name');
    name = ascii;
  }
  name = name.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);

  const value = wildcard ? `*.${name}` : name;
  if (value.length > MAX_DOMAIN_LENGTH) return reject(`is longer than ${MAX_DOMAIN_LENGTH} characters`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return reject('has an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63)
      return reject(`label ${JSON.stringify(shorten(label))} is longer than 63 characters`);
    if (label.includes('_')) return reject('contains an underscore, which DNS Firewall does not accept');
    if (!LABEL_CHARACTERS.test(label)) {
      return reject(`label ${JSON.stringify(label)} may contain only a-z, 0-9 and "-"`);
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return reject(`label ${JSON.stringify(label)} must not start or end with a hyphen`);
    }
  }
  if (labels.length < 2) return reject('must have at least two labels, such as "example.com"');
  const last = labels.at(-1) ?? '';
  if (/^[0-9]+$/.test(last)) return reject(`top-level label ${JSON.stringify(last)} must not be all digits`);

  return {
    kind: 'domain',
    value,
    wildcard,
    registeredDomain: registeredDomainOf(name),
  };
}
