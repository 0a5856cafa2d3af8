/** The three egress controls Egress Warden writes to, and the shapes of their state. */
export const TARGET_NAMES = ['dnsFirewall', 'networkAcls', 'networkFirewall'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** `enforce` writes; `alert` decides and alerts but changes nothing (shadow); `off` ignores the target. */
export type TargetMode = 'enforce' | 'alert' | 'off';

/** The most domains one UpdateFirewallDomains call takes. */
export const DNS_FIREWALL_MAX_DOMAINS_PER_CALL = 1000;

/** One network ACL entry as EC2 reports it. */
export interface NetworkAclEntry {
  readonly ruleNumber: number;
  /** Canonical CIDR (IPv4 or IPv6). */
  readonly cidr: string;
  readonly action: 'allow' | 'deny';
  /** `-1` = all protocols. */
  readonly protocol: string;
}

/** An ACL and its egress entries. */
export interface NetworkAcl {
  readonly aclId: string;
  readonly vpcId: string;
  /** Every egress entry, including the default `*` rules (32767 for IPv4, 32768 for IPv6). */
  readonly egress: readonly NetworkAclEntry[];
}

/**
 * An egress entry Egress Warden wrote (or is about to write) in one ACL. EC2 entries carry no tag, so this
 * record is the only proof of ownership: a live entry is ours only when it is a deny for all protocols with
 * exactly this number and CIDR.
 */
export interface OwnedAclEntry {
  readonly ruleNumber: number;
  /** Canonical CIDR, as EC2 reports it. */
  readonly cidr: string;
}

/** The owned entries of one ACL. */
export interface AclLedgerEntries {
  readonly aclId: string;
  /** Sorted by rule number, then CIDR. */
  readonly entries: readonly OwnedAclEntry[];
}

/**
 * The ledger of every network ACL entry Egress Warden wrote, kept in the decision store as one small item
 * and written conditionally on `version` like the breaker.
 */
export interface NetworkAclLedger {
  /** Sorted by ACL id; an ACL with no owned entry is left out. */
  readonly acls: readonly AclLedgerEntries[];
  readonly version: number;
}

/** What DescribeRuleGroup returns that matters here. */
export interface RuleGroupSnapshot {
  /** The Suricata rules string (may hold rules that are not ours). */
  readonly rules: string;
  /** The optimistic-lock token the next update must present. */
  readonly updateToken: string;
  /** Fixed at creation: the most stateful rules the group can hold. */
  readonly capacity: number;
}

/** Limits of a stateful Network Firewall rule group that no configuration can raise. */
export const NETWORK_FIREWALL_LIMITS = {
  /** One Suricata rule, in characters. */
  maxRuleLength: 8192,
  /** The whole rules string, in bytes. */
  maxRulesBytes: 2_000_000,
  /** The largest capacity a stateful rule group can have. */
  maxCapacity: 30_000,
} as const;
