/** IP address checks for log fields, strict in the way AWS writes addresses. */
import ipaddr from 'ipaddr.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

/**
 * True for a dotted-quad IPv4 address or an IPv6 address. ipaddr.js alone also accepts `1.2.3`, octal and
 * hex IPv4 and zone ids, which AWS never writes and which would read as a different address elsewhere.
 */
export function isIpAddress(value: string): boolean {
  if (IPV4.test(value)) return ipaddr.IPv4.isValidFourPartDecimal(value);
  return value.includes(':') && IPV6.test(value) && ipaddr.IPv6.isValid(value);
}
