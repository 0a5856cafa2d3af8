/** IP address checks for log fields, strict in the way AWS writes addresses. */
import ipaddr from 'ipaddr.js';

const IPV6 = /^[0-9a-fA-F:.]+$/;

/**
 * True for a dotted-quad IPv4 address (no leading zeros) or an IPv6 address. ipaddr.js alone also accepts
 * `1.2.3`, octal and hex IPv4 and zone ids, which AWS never writes and which would read as a different address
 * elsewhere. IPv4 is checked by hand: it is two fields of every flow-log record, and this is the hot path.
 */
export function isIpAddress(value: string): boolean {
  return value.includes(':') ? IPV6.test(value) && ipaddr.IPv6.isValid(value) : isIpv4(value);
}

function isIpv4(value: string): boolean {
  let parts = 0;
  let octet = -1;
  let digits = 0;
  for (let index = 0; index <= value.length; index += 1) {
    const code = index < value.length ? value.charCodeAt(index) : 46;
    if (code === 46) {
      if (digits === 0 || octet > 255) return false;
      parts += 1;
      octet = -1;
      digits = 0;
    } else {
      const digit = code - 48;
      if (digit < 0 || digit > 9 || octet === 0) return false;
      octet = octet < 0 ? digit : octet * 10 + digit;
      digits += 1;
    }
  }
  return parts === 4;
}
