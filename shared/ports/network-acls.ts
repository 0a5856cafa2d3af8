import type { NetworkAcl } from '#domain/target';

/** What {@link NetworkAcls.list} found. */
export interface NetworkAclListing {
  readonly acls: NetworkAcl[];
  /** Configured ACL ids (`acl-…`) or VPC ids (`vpc-…`) with no ACL found; empty when every one was. */
  readonly missing: readonly string[];
}

/**
 * The network ACLs Egress Warden manages (chosen by id or by VPC in the configuration). It only ever writes
 * egress deny entries for all protocols; the reconciliation core only asks it to delete or replace entries
 * that its ledger says Egress Warden wrote.
 */
export interface NetworkAcls {
  /**
   * The managed ACLs with their egress entries, sorted by ACL id, and the configured ACLs or VPCs that EC2 no
   * longer has (one deleted ACL must not stop the others). Throws TargetNotFoundError when none is found.
   */
  list(): Promise<NetworkAclListing>;
  /**
   * Creates an egress deny for all protocols. Idempotent when the same entry already holds the number.
   * Throws ConcurrentUpdateError (`NetworkAclEntryAlreadyExists`: another entry holds the number),
   * TargetCapacityError (`NetworkAclEntryLimitExceeded`), TargetNotFoundError (`InvalidNetworkAclID.NotFound`),
   * ThrottledError (`RequestLimitExceeded`), InvalidInputError (`InvalidParameterValue`: a rule number outside
   * 1–32766 or not a CIDR, refused before any call).
   */
  createEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void>;
  /**
   * Replaces the egress entry at `ruleNumber` with a deny for all protocols on `cidr`, in place: no moment
   * passes without an entry at that number. Idempotent when the entry already is that deny. Throws
   * ConcurrentUpdateError (`InvalidNetworkAclEntry.NotFound`: no entry holds the number any more),
   * TargetCapacityError, TargetNotFoundError, ThrottledError and InvalidInputError as createEgressDeny does.
   */
  replaceEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void>;
  /**
   * Deletes an egress entry. Idempotent: an entry already gone is success. Throws TargetNotFoundError,
   * ThrottledError, InvalidInputError (a rule number outside 1–32766).
   */
  deleteEgressEntry(aclId: string, ruleNumber: number): Promise<void>;
}
