/**
 * The policy: one validated configuration object with safe defaults, and the checks that use it. The guard
 * rails (`guard-rails.ts`) are built in and cannot be configured away; the allowlist, thresholds, durations,
 * target modes and the breaker are the user's.
 */
import * as v from 'valibot';
import { type AwsIpRanges, awsIpRangesSnapshot } from './aws-ip-ranges';
import { parseDuration } from './duration';
import { InvalidInputError } from './errors';
import { DEFAULT_FINDING_TYPES, type FindingAction } from './finding-types';
import { type Indicator, parseIndicator } from './indicator';
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
    /** CIDRs shorter than these prefixes are never blocked (too wide): /16 and /48 by default. */
    readonly minPrefixLengthV4: number;
    readonly minPrefixLengthV6: number;
    /** Private, shared (CGNAT) and unique-local ranges may be blocked only when this is true. */
    readonly allowPrivateRanges: boolean;
    /** The managed VPCs' own IPv4 and IPv6 CIDRs, from the context (never from the user's configuration). */
    readonly vpcCidrs: readonly string[];
    /** AWS's published service space: the snapshot shipped with the package, or a fresher copy. */
    readonly awsIpRanges: AwsIpRanges;
    /** NAT addresses, on-premises networks and anything else the operator wants to stay reachable. */
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
    /** Finding type → action, own entries only: a type is looked up with `get`, never by indexing. */
    readonly findingTypes: ReadonlyMap<string, FindingAction>;
  };
  /** The same thresholds for signals from the log detectors and feeds. */
  readonly detectors: { readonly minSeverity: number; readonly alertMinSeverity: number };
  readonly durations: {
    /** First offence, then repeats within the window: 4 h, 8 h, 24 h, 7 d (the last one is the cap). */
    readonly ladderMs: readonly number[];
    readonly repeatWindowMs: number;
    /** A manual block without `ttl` or `permanent`. */
    readonly manualDefaultMs: number;
    /** How long an operator's Unblock keeps the evidence already seen from blocking the indicator again. */
    readonly unblockSuppressionMs: number;
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
const FindingActionSchema = v.picklist(['domain', 'registered-domain', 'remote-ip', 'ignore']);

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
      // Checked entry by entry in parsePolicy: v.record drops the keys `__proto__`, `constructor` and
      // `prototype` without a word, and each of them is a valid (if unlikely) finding type name.
      findingTypes: v.optional(
        v.custom<Readonly<Record<string, unknown>>>(
          (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
          'must be an object mapping finding types to domain, registered-domain, remote-ip or ignore',
        ),
      ),
    }),
  ),
  detectors: v.optional(
    v.strictObject({ minSeverity: v.optional(severity), alertMinSeverity: v.optional(severity) }),
  ),
  blockDurations: v.optional(v.pipe(v.array(duration), v.minLength(1))),
  repeatWindow: v.optional(duration),
  manualDefaultTtl: v.optional(duration),
  unblockSuppression: v.optional(duration),
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
 * What the policy needs from the deployment rather than from the user. Required, so that no entry point (a
 * Lambda, the CLI, the simulation) can build a policy that forgets the VPCs it protects.
 */
export interface PolicyContext {
  /**
   * The IPv4 and IPv6 CIDR blocks of every VPC Egress Warden enforces in (`readVpcCidrs` reads them from
   * EC2). Their own addresses are never blocked: NACL egress denies also apply between subnets.
   */
  readonly vpcCidrs: readonly string[];
  /** AWS's ranges fresher than the snapshot shipped with the package (`readAwsIpRanges` reads a file). */
  readonly awsIpRanges?: AwsIpRanges;
}

/**
 * Validates a policy configuration and fills in the defaults. A fresh deployment watches: every target
 * defaults to `alert` until the operator switches it to `enforce`. Throws InvalidInputError naming the field
 * (`context.vpcCidrs[i]` for a bad VPC CIDR).
 */
export function parsePolicy(input: unknown, context: PolicyContext, root = 'policy'): Policy {
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
  const findingTypes = new Map(DEFAULT_FINDING_TYPES);
  for (const [type, value] of Object.entries(raw.guardDuty?.findingTypes ?? {})) {
    const action = parseWith(FindingActionSchema, value, field(`guardDuty.findingTypes.${type}`));
    if (action === 'ignore') findingTypes.delete(type);
    else findingTypes.set(type, action);
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
      minPrefixLengthV6: raw.guardRails?.minPrefixLengthV6 ?? 48,
      allowPrivateRanges: raw.guardRails?.allowPrivateRanges ?? false,
      vpcCidrs: context.vpcCidrs.map((value, i) => parseNetwork(value, `context.vpcCidrs[${i}]`)),
      awsIpRanges: context.awsIpRanges ?? awsIpRangesSnapshot(),
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
      // A week: GuardDuty re-publishes an active finding every 6 hours, and the longest automatic block is 7d.
      unblockSuppressionMs:
        raw.unblockSuppression === undefined
          ? 7 * DAY
          : parseDuration(raw.unblockSuppression, field('unblockSuppression')),
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

/**
 * The emergency brake: while `paused`, every target runs as in `alert` mode (new blocks are shadowed, nothing
 * that blocks more is written) while removals still reach the targets. Version 0 without `since` when no
 * operator ever paused.
 */
export interface PauseState {
  readonly paused: boolean;
  /** When the state last changed (ISO 8601). */
  readonly since?: string;
  /** Who paused or resumed, and why. */
  readonly by?: string;
  readonly reason?: string;
  readonly version: number;
}

/**
 * The mode a target runs in now: its configured mode, except that a pause turns `enforce` into `alert`. `off`
 * stays `off`, so a pause never puts entries back on a target that was switched off.
 */
export function effectiveModeOf(target: TargetName, policy: Policy, pause?: PauseState): TargetMode {
  const configured = modeOf(target, policy);
  return pause?.paused && configured === 'enforce' ? 'alert' : configured;
}
