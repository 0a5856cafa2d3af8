/**
 * Indicators: the only values that can ever reach a target. Every domain, IP address and CIDR is parsed and
 * normalised here, once; anything else is an InvalidIndicatorError that names the value and the rule it broke.
 */
import { InvalidIndicatorError } from './errors';

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

/**
 * Parses a domain, IP address or CIDR. Throws InvalidIndicatorError naming the value and the rule it broke.
 * `field` is the input path reported with the error.
 */
export function parseIndicator(raw: unknown, field = ''): Indicator {
  throw new InvalidIndicatorError(String(raw), 'not implemented yet', field);
}
