/** IP address checks for log fields, strict in the way AWS writes addresses. */

import ipaddr from 'ipaddr.js';
import { ipv4Number } from '#domain/detect/cidr-matcher';

const IPV6 = /^[0-9a-fA-F:.]+$/;

/**
 * True for a dotted-quad IPv4 address (no leading zeros) or an IPv6 address. ipaddr.js alone also accepts
 * `1.2.3`, octal and hex IPv4 and zone ids, which AWS never writes and which would read as a different address
 * elsewhere. IPv4 goes through the matcher's hand-written reader: it is two fields of every flow-log record,
 * the hot path.
 */
export function isIpAddress(value: string): boolean {
  return value.includes(':')
    ? IPV6.test(value) && ipaddr.IPv6.isValid(value)
    : ipv4Number(value) !== undefined;
}
