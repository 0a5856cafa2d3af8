/**
 * Network ACLs held in memory for the local simulation and the use-case tests. They follow EC2's rules: the
 * default `*` egress denies, rule numbers 1–32766, CIDRs canonicalised, a per-family entry quota with the
 * default rule counted, and the same error codes as the EC2 adapter reports.
 */

import {
  assertWritableRuleNumber,
  canonicalAclCidr,
  DEFAULT_EGRESS_DENIES,
  DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY,
  isWardenDeny,
} from '#adapters/service-rules/network-acls';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
} from '#domain/errors';
import { entryFamily } from '#domain/reconcile/network-acl-plan';
import type { NetworkAcl, NetworkAclEntry } from '#domain/target';
import type { NetworkAclListing, NetworkAcls } from '#ports/network-acls';

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
 * and deleting an absent entry succeed; replacing an absent entry is ConcurrentUpdateError
 * (`InvalidNetworkAclEntry.NotFound`); a number held by anything else is ConcurrentUpdateError
 * (`NetworkAclEntryAlreadyExists`); a full family is TargetCapacityError (`NetworkAclEntryLimitExceeded`); an
 * unknown ACL is TargetNotFoundError (`InvalidNetworkAclID.NotFound`); a bad rule number or CIDR is
 * InvalidInputError (`InvalidParameterValue`).
 */
export class InMemoryNetworkAcls implements NetworkAcls {
  /**
   * Write calls that reached EC2's rules (creates, replaces and deletes, refused ones included); calls with an invalid
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

  /** Deletes a whole ACL, as its owner may: it is listed no more, and writes to it are TargetNotFoundError. */
  deleteAcl(aclId: string): void {
    this.#acls.delete(aclId);
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
  async list(): Promise<NetworkAclListing> {
    return { acls: this.snapshot(), missing: [] };
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
    this.#assertRoom(aclId, acl, wanted.family);
    acl.egress.set(ruleNumber, { ruleNumber, cidr: wanted.cidr, action: 'deny', protocol: '-1' });
  }

  /** See NetworkAcls.replaceEgressDeny. */
  async replaceEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    const wanted = canonicalAclCidr(cidr);
    this.#beginWrite();
    const acl = this.#find(aclId);
    const existing = acl.egress.get(ruleNumber);
    if (!existing) {
      throw new ConcurrentUpdateError(
        `rule ${ruleNumber} of ${aclId} no longer exists, so it cannot be replaced`,
        'InvalidNetworkAclEntry.NotFound',
      );
    }
    // Swapping a family moves the entry into the other family's quota.
    if (entryFamily(existing) !== wanted.family) this.#assertRoom(aclId, acl, wanted.family);
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

  /** EC2's per-family quota: TargetCapacityError (`NetworkAclEntryLimitExceeded`) when the family is full. */
  #assertRoom(aclId: string, acl: StoredAcl, family: 4 | 6): void {
    const used = [...acl.egress.values()].filter((entry) => entryFamily(entry) === family).length;
    if (used >= this.#maxEntriesPerFamily) {
      throw new TargetCapacityError(
        `${aclId} already has ${used} IPv${family} egress entries (limit ${this.#maxEntriesPerFamily})`,
        'NetworkAclEntryLimitExceeded',
      );
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
