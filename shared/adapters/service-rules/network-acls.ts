/** What EC2 accepts for network ACL entries, shared by the in-memory and EC2 adapters. */
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '#domain/errors';
import type { NetworkAclEntry } from '#domain/target';

/** EC2's default quota of entries per direction and per IP family, the default `*` rule included. */
export const DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY = 20;

/** The lowest and highest rule numbers EC2 lets a caller write; 32767 and above are EC2's own. */
const ACL_RULE_NUMBER_RANGE = { min: 1, max: 32766 } as const;

/** The `*` egress rules EC2 puts in every ACL: everything not matched before is denied. */
export const DEFAULT_EGRESS_DENIES: readonly NetworkAclEntry[] = [
  { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny', protocol: '-1' },
  { ruleNumber: 32768, cidr: '::/0', action: 'deny', protocol: '-1' },
];

/** A CIDR as EC2 stores it. */
export interface AclCidr {
  /** Network address and prefix; IPv6 lowercase and compressed (RFC 5952). */
  readonly cidr: string;
  readonly family: 4 | 6;
}

/** An InvalidInputError that carries the code EC2 uses for the same refusal. */
export type InvalidAclParameterError = InvalidInputError & { readonly code: 'InvalidParameterValue' };

/**
 * Builds the error both adapters throw for a value EC2 would refuse with `InvalidParameterValue`.
 */
export function invalidAclParameter(
  message: string,
  field: string,
  cause?: unknown,
): InvalidAclParameterError {
  return new InvalidInputError(message, field, {
    cause,
    code: 'InvalidParameterValue',
  }) as InvalidAclParameterError;
}

/**
 * Canonicalises a CIDR the way EC2 does on CreateNetworkAclEntry (`100.68.0.18/18` → `100.68.0.0/18`,
 * IPv6 lowercase and compressed). Throws InvalidInputError (`InvalidParameterValue`) for anything that is not
 * a CIDR, including a bare address, which EC2 refuses too.
 */
export function canonicalAclCidr(raw: string, field = 'cidr'): AclCidr {
  const slash = raw.indexOf('/');
  const address = slash < 0 ? '' : raw.slice(0, slash);
  const prefixText = slash < 0 ? '' : raw.slice(slash + 1);
  const family = address.includes(':') ? 6 : 4;
  // ipaddr.js also accepts `1.2.3`, octal and hex IPv4, zone ids and dotted IPv6 tails; none of those is a
  // spelling EC2 documents, so they are refused rather than guessed at.
  const wellFormed =
    /^\d{1,3}$/.test(prefixText) &&
    (family === 4
      ? /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && ipaddr.IPv4.isValidFourPartDecimal(address)
      : /^[0-9a-fA-F:]+$/.test(address) && ipaddr.IPv6.isValid(address));
  const prefixLength = Number(prefixText);
  if (!wellFormed || prefixLength > (family === 4 ? 32 : 128)) {
    throw invalidAclParameter(`${JSON.stringify(raw)} is not a valid IPv4 or IPv6 CIDR`, field);
  }
  const network =
    family === 4
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefixLength}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefixLength}`);
  return { cidr: `${network.toString()}/${prefixLength}`, family };
}

/** Throws InvalidInputError (`InvalidParameterValue`) unless the number is one a caller may write (1–32766). */
export function assertWritableRuleNumber(ruleNumber: number): void {
  if (
    !Number.isInteger(ruleNumber) ||
    ruleNumber < ACL_RULE_NUMBER_RANGE.min ||
    ruleNumber > ACL_RULE_NUMBER_RANGE.max
  ) {
    throw invalidAclParameter(
      `rule number ${ruleNumber} is outside ${ACL_RULE_NUMBER_RANGE.min}–${ACL_RULE_NUMBER_RANGE.max}`,
      'ruleNumber',
    );
  }
}

/** True when an entry is exactly the egress deny Egress Warden writes for that CIDR (canonical). */
export function isWardenDeny(entry: NetworkAclEntry, cidr: string): boolean {
  return entry.action === 'deny' && entry.protocol === '-1' && entry.cidr === cidr;
}
