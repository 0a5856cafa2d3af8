/**
 * Network ACLs held in memory for the local simulation and the use-case tests. They follow EC2's rules: the
 * default `*` egress denies, rule numbers 1–32766, CIDRs canonicalised, a per-family entry quota with the
 * default rule counted, and the same error codes as the EC2 adapter reports.
 */

import ipaddr from 'ipaddr.js';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
} from '#domain/errors';
import type { NetworkAcl, NetworkAclEntry } from '#domain/target';
import type { NetworkAcls } from '#ports/network-acls';

/** EC2's default quota of entries per direction and per IP family, the default `*` rule included. */
export const DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY = 20;

/** The lowest and highest rule numbers EC2 lets a caller write; 32767 and above are EC2's own. */
export const ACL_RULE_NUMBER_RANGE = { min: 1, max: 32766 } as const;

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

/** One ACL to start the in-memory adapter with. */
export interface InMemoryNetworkAclSeed {
  readonly aclId: string;
  readonly vpcId: string;
  /** Existing egress entries; the default `*` denies are added when their numbers are free. */
  readonly egress?: readonly NetworkAclEntry[];
}

/** Options of the in-memory adapter. */
export interface InMemoryNetworkAclsOptions {
  /** Entries per IP family, default rule included: 20 by default, as EC2's quota; raisable to 40 there. */
  readonly maxEntriesPerFamily?: number;
}

interface StoredAcl {
  readonly vpcId: string;
  readonly egress: Map<number, NetworkAclEntry>;
}

/**
 * The NetworkAcls port in memory. Same guarantees and errors as the EC2 adapter: creating the same deny twice
 * and deleting an absent entry succeed; a number held by anything else is ConcurrentUpdateError
 * (`NetworkAclEntryAlreadyExists`); a full family is TargetCapacityError (`NetworkAclEntryLimitExceeded`); an
 * unknown ACL is TargetNotFoundError (`InvalidNetworkAclID.NotFound`); a bad rule number or CIDR is
 * InvalidInputError (`InvalidParameterValue`).
 */
export class InMemoryNetworkAcls implements NetworkAcls {
  /**
   * Write calls that reached EC2's rules (creates and deletes, refused ones included); calls with an invalid
   * rule number or CIDR are not counted, as the EC2 adapter refuses them without calling EC2.
   */
  calls = 0;

  readonly #acls = new Map<string, StoredAcl>();
  readonly #maxEntriesPerFamily: number;
  #pendingFailure: Error | undefined;

  constructor(acls: readonly InMemoryNetworkAclSeed[], options: InMemoryNetworkAclsOptions = {}) {
    const max = options.maxEntriesPerFamily ?? DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY;
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${max}`, 'maxEntriesPerFamily');
    }
    this.#maxEntriesPerFamily = max;
    for (const seed of acls) {
      const egress = new Map<number, NetworkAclEntry>();
      for (const entry of [...(seed.egress ?? []), ...DEFAULT_EGRESS_DENIES]) {
        if (egress.has(entry.ruleNumber)) continue;
        egress.set(entry.ruleNumber, { ...entry, cidr: canonicalAclCidr(entry.cidr, 'egress.cidr').cidr });
      }
      this.#acls.set(seed.aclId, { vpcId: seed.vpcId, egress });
    }
  }

  /** Makes the next write call throw `error`, once. */
  injectFailure(error: Error): void {
    this.#pendingFailure = error;
  }

  /** The current state, as `list()` would return it. */
  snapshot(): NetworkAcl[] {
    return [...this.#acls.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([aclId, acl]) => ({
        aclId,
        vpcId: acl.vpcId,
        egress: [...acl.egress.values()]
          .sort((a, b) => a.ruleNumber - b.ruleNumber)
          .map((entry) => ({ ...entry })),
      }));
  }

  /** Every ACL held, sorted by id, egress entries by rule number. Never throws. */
  async list(): Promise<NetworkAcl[]> {
    return this.snapshot();
  }

  /** See NetworkAcls.createEgressDeny. */
  async createEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    const wanted = canonicalAclCidr(cidr);
    this.#beginWrite();
    const acl = this.#find(aclId);
    const existing = acl.egress.get(ruleNumber);
    if (existing) {
      if (isWardenDeny(existing, wanted.cidr)) return;
      throw new ConcurrentUpdateError(
        `rule ${ruleNumber} of ${aclId} already holds ${existing.action} ${existing.cidr}`,
        'NetworkAclEntryAlreadyExists',
      );
    }
    const used = [...acl.egress.values()].filter((entry) => familyOf(entry.cidr) === wanted.family).length;
    if (used >= this.#maxEntriesPerFamily) {
      throw new TargetCapacityError(
        `${aclId} already has ${used} IPv${wanted.family} egress entries (limit ${this.#maxEntriesPerFamily})`,
        'NetworkAclEntryLimitExceeded',
      );
    }
    acl.egress.set(ruleNumber, { ruleNumber, cidr: wanted.cidr, action: 'deny', protocol: '-1' });
  }

  /** See NetworkAcls.deleteEgressEntry. */
  async deleteEgressEntry(aclId: string, ruleNumber: number): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    this.#beginWrite();
    this.#find(aclId).egress.delete(ruleNumber);
  }

  #beginWrite(): void {
    this.calls++;
    const failure = this.#pendingFailure;
    if (failure) {
      this.#pendingFailure = undefined;
      throw failure;
    }
  }

  #find(aclId: string): StoredAcl {
    const acl = this.#acls.get(aclId);
    if (!acl) {
      throw new TargetNotFoundError(`network ACL ${aclId} does not exist`, 'InvalidNetworkAclID.NotFound');
    }
    return acl;
  }
}

function familyOf(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}
