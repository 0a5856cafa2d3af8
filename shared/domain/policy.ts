/**
 * The policy: one validated configuration object with safe defaults, and the checks that use it. Guard rails
 * are built in and cannot be configured away; the allowlist, thresholds, durations, target modes and the
 * breaker are the user's.
 */
import * as v from 'valibot';
import { type CidrRange, rangeContains, rangesOverlap, toRange } from './cidr';
import { parseDuration } from './duration';
import { InvalidInputError } from './errors';
import { DEFAULT_FINDING_TYPES, type FindingAction } from './finding-types';
import { type Indicator, isSubdomainOrSame, parseIndicator } from './indicator';
import {
  DEFAULT_NETWORK_ACL_MAX_ENTRIES_PER_FAMILY,
  DEFAULT_NETWORK_ACL_RULE_RANGE,
} from './reconcile/network-acl-plan';
import type { SignalSource } from './signal';
import type { TargetMode, TargetName } from './target';
import { parseWith } from './validate';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Policy {
  readonly guardRails: {
    /** CIDRs shorter than these prefixes are never blocked (too wide). */
    readonly minPrefixLengthV4: number;
    readonly minPrefixLengthV6: number;
    /** Private, shared (CGNAT) and unique-local ranges may be blocked only when this is true. */
    readonly allowPrivateRanges: boolean;
    /** The VPCs' own CIDRs, NAT addresses and anything else that must stay reachable. */
    readonly protectedCidrs: readonly string[];
    /** The operator's own domains; with their subdomains. */
    readonly protectedDomains: readonly string[];
  };
  readonly allowlist: { readonly domains: readonly string[]; readonly cidrs: readonly string[] };
  readonly guardDuty: {
    /** Findings at or above this severity are enforced (7.0 = High). */
    readonly minSeverity: number;
    /** Findings below the threshold but at or above this one raise an alert saying what would be blocked. */
    readonly alertMinSeverity: number;
    readonly findingTypes: Readonly<Record<string, FindingAction>>;
  };
  /** The same thresholds for signals from the log detectors and feeds. */
  readonly detectors: { readonly minSeverity: number; readonly alertMinSeverity: number };
  readonly durations: {
    /** First offence, then repeats within the window: 4 h, 8 h, 24 h, 7 d (the last one is the cap). */
    readonly ladderMs: readonly number[];
    readonly repeatWindowMs: number;
    /** A manual block without `ttl` or `permanent`. */
    readonly manualDefaultMs: number;
  };
  readonly targets: {
    readonly dnsFirewall: { readonly mode: TargetMode; readonly maxDomains: number };
    readonly networkAcls: {
      readonly mode: TargetMode;
      /** Rule numbers Egress Warden owns, inclusive; entries outside are never touched. */
      readonly ruleRange: readonly [number, number];
      /** The ACL quota per direction and IP family, default rule included (20, raisable to 40). */
      readonly maxEntriesPerFamily: number;
    };
    readonly networkFirewall: {
      readonly mode: TargetMode;
      /** Also block domains by TLS SNI and HTTP Host (needs rule-group capacity: two rules a domain). */
      readonly domainRules: boolean;
    };
  };
  readonly breaker: { readonly maxNewBlocks: number; readonly windowMs: number };
}

const mode = v.picklist(['enforce', 'alert', 'off']);
const severity = v.pipe(v.number(), v.minValue(0), v.maxValue(10));
const duration = v.string();

const PolicySchema = v.strictObject({
  guardRails: v.optional(
    v.strictObject({
      minPrefixLengthV4: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(32))),
      minPrefixLengthV6: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(128))),
      allowPrivateRanges: v.optional(v.boolean()),
      protectedCidrs: v.optional(v.array(v.string())),
      protectedDomains: v.optional(v.array(v.string())),
    }),
  ),
  allowlist: v.optional(
    v.strictObject({ domains: v.optional(v.array(v.string())), cidrs: v.optional(v.array(v.string())) }),
  ),
  guardDuty: v.optional(
    v.strictObject({
      minSeverity: v.optional(severity),
      alertMinSeverity: v.optional(severity),
      findingTypes: v.optional(
        v.record(v.string(), v.picklist(['domain', 'registered-domain', 'remote-ip', 'ignore'])),
      ),
    }),
  ),
  detectors: v.optional(
    v.strictObject({ minSeverity: v.optional(severity), alertMinSeverity: v.optional(severity) }),
  ),
  blockDurations: v.optional(v.pipe(v.array(duration), v.minLength(1))),
  repeatWindow: v.optional(duration),
  manualDefaultTtl: v.optional(duration),
  targets: v.optional(
    v.strictObject({
      dnsFirewall: v.optional(
        v.strictObject({
          mode: v.optional(mode),
          maxDomains: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(2))),
        }),
      ),
      networkAcls: v.optional(
        v.strictObject({
          mode: v.optional(mode),
          ruleRange: v.optional(
            v.pipe(
              v.tuple([
                v.pipe(v.number(), v.integer(), v.minValue(1)),
                v.pipe(v.number(), v.integer(), v.maxValue(32766)),
              ]),
              v.check(([low, high]) => low <= high, 'must be [low, high] with low ≤ high'),
            ),
          ),
          maxEntriesPerFamily: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(40))),
        }),
      ),
      networkFirewall: v.optional(
        v.strictObject({ mode: v.optional(mode), domainRules: v.optional(v.boolean()) }),
      ),
    }),
  ),
  breaker: v.optional(
    v.strictObject({
      maxNewBlocksPerHour: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    }),
  ),
});

/** The policy configuration as a user writes it (JSON); every field is optional. */
export type PolicyInput = v.InferInput<typeof PolicySchema>;

/**
 * Validates a policy configuration and fills in the defaults. A fresh deployment watches: every target
 * defaults to `alert` until the operator switches it to `enforce`. Throws InvalidInputError naming the field.
 */
export function parsePolicy(input: unknown = {}, root = 'policy'): Policy {
  const raw = parseWith(PolicySchema, input ?? {}, root);
  const field = (path: string) => `${root}.${path}`;
  const cidrs = (values: readonly string[] | undefined, path: string) =>
    (values ?? []).map((value, i) => parseNetwork(value, field(`${path}[${i}]`)));
  const domains = (values: readonly string[] | undefined, path: string) =>
    (values ?? []).map((value, i) => {
      const indicator = parseIndicator(value, field(`${path}[${i}]`));
      if (indicator.kind !== 'domain')
        throw new InvalidInputError('must be a domain name', field(`${path}[${i}]`));
      return indicator.value.replace(/^\*\./, '');
    });
  const findingTypes: Record<string, FindingAction> = { ...DEFAULT_FINDING_TYPES };
  for (const [type, action] of Object.entries(raw.guardDuty?.findingTypes ?? {})) {
    if (action === 'ignore') delete findingTypes[type];
    else findingTypes[type] = action;
  }
  const ladderMs = (raw.blockDurations ?? ['4h', '8h', '24h', '7d']).map((d, i) =>
    parseDuration(d, field(`blockDurations[${i}]`)),
  );
  // A repeat offence must never be blocked for less time than the one before it.
  ladderMs.forEach((ms, i) => {
    if (i > 0 && ms < (ladderMs[i - 1] ?? 0))
      throw new InvalidInputError(
        'must not be shorter than the duration before it',
        field(`blockDurations[${i}]`),
      );
  });
  return {
    guardRails: {
      minPrefixLengthV4: raw.guardRails?.minPrefixLengthV4 ?? 16,
      minPrefixLengthV6: raw.guardRails?.minPrefixLengthV6 ?? 32,
      allowPrivateRanges: raw.guardRails?.allowPrivateRanges ?? false,
      protectedCidrs: cidrs(raw.guardRails?.protectedCidrs, 'guardRails.protectedCidrs'),
      protectedDomains: domains(raw.guardRails?.protectedDomains, 'guardRails.protectedDomains'),
    },
    allowlist: {
      domains: domains(raw.allowlist?.domains, 'allowlist.domains'),
      cidrs: cidrs(raw.allowlist?.cidrs, 'allowlist.cidrs'),
    },
    guardDuty: {
      minSeverity: raw.guardDuty?.minSeverity ?? 7,
      alertMinSeverity: raw.guardDuty?.alertMinSeverity ?? 4,
      findingTypes,
    },
    detectors: {
      minSeverity: raw.detectors?.minSeverity ?? 7,
      alertMinSeverity: raw.detectors?.alertMinSeverity ?? 4,
    },
    durations: {
      ladderMs,
      repeatWindowMs:
        raw.repeatWindow === undefined ? 30 * DAY : parseDuration(raw.repeatWindow, field('repeatWindow')),
      manualDefaultMs:
        raw.manualDefaultTtl === undefined
          ? DAY
          : parseDuration(raw.manualDefaultTtl, field('manualDefaultTtl')),
    },
    targets: {
      dnsFirewall: {
        mode: raw.targets?.dnsFirewall?.mode ?? 'alert',
        maxDomains: raw.targets?.dnsFirewall?.maxDomains ?? 100_000,
      },
      networkAcls: {
        mode: raw.targets?.networkAcls?.mode ?? 'alert',
        ruleRange: raw.targets?.networkAcls?.ruleRange ?? DEFAULT_NETWORK_ACL_RULE_RANGE,
        maxEntriesPerFamily:
          raw.targets?.networkAcls?.maxEntriesPerFamily ?? DEFAULT_NETWORK_ACL_MAX_ENTRIES_PER_FAMILY,
      },
      networkFirewall: {
        mode: raw.targets?.networkFirewall?.mode ?? 'alert',
        domainRules: raw.targets?.networkFirewall?.domainRules ?? true,
      },
    },
    breaker: { maxNewBlocks: raw.breaker?.maxNewBlocksPerHour ?? 50, windowMs: HOUR },
  };
}

/**
 * Parses an IP address or CIDR from a configuration into its canonical CIDR (`10.20.0.0/16`,
 * `198.51.100.7/32`). Throws InvalidInputError naming `field` for anything else, a domain included.
 */
export function parseNetwork(value: unknown, field: string): string {
  const indicator = parseIndicator(value, field);
  if (indicator.kind === 'domain') throw new InvalidInputError('must be an IP address or CIDR', field);
  return indicator.value;
}

/** Addresses that must always stay reachable from a VPC, parsed once: every check runs against them all. */
const ALWAYS_PROTECTED: readonly { cidr: string; what: string; range: CidrRange }[] = [
  { cidr: '169.254.169.253/32', what: 'the Amazon-provided DNS server' },
  { cidr: '169.254.169.254/32', what: 'the instance metadata service' },
  { cidr: '169.254.169.123/32', what: 'the Amazon Time Sync Service' },
  { cidr: 'fd00:ec2::253/128', what: 'the Amazon-provided DNS server (IPv6)' },
  { cidr: 'fd00:ec2::254/128', what: 'the instance metadata service (IPv6)' },
  { cidr: 'fd00:ec2::123/128', what: 'the Amazon Time Sync Service (IPv6)' },
  { cidr: '169.254.0.0/16', what: 'link-local addresses' },
  { cidr: 'fe80::/10', what: 'link-local addresses' },
  { cidr: '127.0.0.0/8', what: 'loopback addresses' },
  { cidr: '::1/128', what: 'the loopback address' },
  { cidr: '0.0.0.0/8', what: '"this network" addresses' },
  { cidr: '::/128', what: 'the unspecified address' },
].map((entry) => ({ ...entry, range: toRange(entry.cidr) }));

/** Single addresses inside it are fine (one IPv4 host through NAT64); the whole prefix is every IPv4 host. */
const NAT64_PREFIX = '64:ff9b::/96';
const NAT64_RANGE = toRange(NAT64_PREFIX);

const PRIVATE_RANGES: readonly { cidr: string; range: CidrRange }[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
].map((cidr) => ({ cidr, range: toRange(cidr) }));

/** AWS's own service domains: blocking them breaks the workloads and Egress Warden itself. */
const AWS_DOMAINS: readonly string[] = ['amazonaws.com', 'aws.amazon.com', 'amazon.com', 'amazontrust.com'];

/** Why an indicator may not be blocked, or null when it may. */
export interface Protection {
  readonly reason: 'guard-rail' | 'allowlisted';
  readonly detail: string;
}

/**
 * Checks the built-in guard rails, the protected lists and the allowlist. An indicator is protected when it
 * overlaps a protected network or when it and a protected domain cover one another (blocking `example.com`
 * would also block an allowlisted `partner.example.com`). Run at decision time and again at enforcement time.
 */
export function protectionOf(indicator: Indicator, policy: Policy): Protection | null {
  const { guardRails, allowlist } = policy;
  if (indicator.kind === 'domain') {
    const name = indicator.value.replace(/^\*\./, '');
    if (indicator.registeredDomain === null) {
      return {
        reason: 'guard-rail',
        detail: `${indicator.value} is a public suffix: blocking it would block every site under it`,
      };
    }
    const related = (other: string) => isSubdomainOrSame(name, other) || isSubdomainOrSame(other, name);
    const aws = AWS_DOMAINS.find(related);
    if (aws)
      return { reason: 'guard-rail', detail: `${indicator.value} overlaps the AWS service domain ${aws}` };
    const own = guardRails.protectedDomains.find(related);
    if (own)
      return { reason: 'guard-rail', detail: `${indicator.value} overlaps the protected domain ${own}` };
    const allowed = allowlist.domains.find(related);
    if (allowed)
      return {
        reason: 'allowlisted',
        detail: `${indicator.value} overlaps the allowlisted domain ${allowed}`,
      };
    return null;
  }
  const minimum = indicator.family === 4 ? guardRails.minPrefixLengthV4 : guardRails.minPrefixLengthV6;
  if (indicator.prefixLength < minimum) {
    return {
      reason: 'guard-rail',
      detail: `${indicator.value} is wider than /${minimum}, the widest network Egress Warden will block`,
    };
  }
  const range = toRange(indicator.value);
  if (rangeContains(range, NAT64_RANGE)) {
    return {
      reason: 'guard-rail',
      detail: `${indicator.value} covers the NAT64 prefix ${NAT64_PREFIX}: all IPv4 egress of IPv6-only subnets`,
    };
  }
  const builtIn = ALWAYS_PROTECTED.find((p) => rangesOverlap(p.range, range));
  if (builtIn)
    return { reason: 'guard-rail', detail: `${indicator.value} covers ${builtIn.what} (${builtIn.cidr})` };
  if (!guardRails.allowPrivateRanges) {
    const privateRange = PRIVATE_RANGES.find((p) => rangesOverlap(p.range, range));
    if (privateRange) {
      return {
        reason: 'guard-rail',
        detail: `${indicator.value} is in the private range ${privateRange.cidr}; set guardRails.allowPrivateRanges to block it`,
      };
    }
  }
  const own = guardRails.protectedCidrs.find((p) => rangesOverlap(toRange(p), range));
  if (own)
    return { reason: 'guard-rail', detail: `${indicator.value} overlaps the protected network ${own}` };
  const allowed = allowlist.cidrs.find((p) => rangesOverlap(toRange(p), range));
  if (allowed)
    return {
      reason: 'allowlisted',
      detail: `${indicator.value} overlaps the allowlisted network ${allowed}`,
    };
  return null;
}

/** The targets that can block this kind of indicator and are not switched off. */
export function targetsFor(indicator: Indicator, policy: Policy): TargetName[] {
  const { targets } = policy;
  const candidates: TargetName[] =
    indicator.kind === 'domain'
      ? ['dnsFirewall', ...(targets.networkFirewall.domainRules ? (['networkFirewall'] as const) : [])]
      : ['networkAcls', 'networkFirewall'];
  return candidates.filter((name) => targets[name].mode !== 'off');
}

/** The mode a target runs in. */
export function modeOf(target: TargetName, policy: Policy): TargetMode {
  return policy.targets[target].mode;
}

/** The enforcement threshold and the alert threshold for a source; manual requests have none. */
export function thresholdsFor(source: SignalSource, policy: Policy): { enforce: number; alert: number } {
  if (source === 'manual') return { enforce: 0, alert: 0 };
  if (source === 'guardduty')
    return { enforce: policy.guardDuty.minSeverity, alert: policy.guardDuty.alertMinSeverity };
  return { enforce: policy.detectors.minSeverity, alert: policy.detectors.alertMinSeverity };
}

/** The escalated duration for a block that follows `priorOffences` blocks within the repeat window. */
export function escalatedDurationMs(priorOffences: number, policy: Policy): number {
  const { ladderMs } = policy.durations;
  return ladderMs[Math.min(priorOffences, ladderMs.length - 1)] ?? ladderMs[0] ?? 4 * HOUR;
}
