/**
 * The deployed policy, as the functions build it: the configuration file's policy with the VPCs' CIDRs (those
 * the file lists, and those `enforce` recorded in the decision store for VPCs that list none).
 */
import { formatDuration } from '#domain/duration';
import { protectionOf } from '#domain/guard-rails';
import type { Indicator } from '#domain/indicator';
import { modeOf, type Policy, targetsFor, thresholdsFor } from '#domain/policy';
import type { TargetMode, TargetName } from '#domain/target';
import { listedCidrs, policyOf, type WardenConfig } from '#shared/config/config';
import type { CliContext } from './context';
import { fromAwsError } from './errors';

/** The policy and where its VPC CIDRs came from. */
export interface DeployedPolicy {
  readonly config: WardenConfig;
  readonly policy: Policy;
  /** VPCs whose own CIDRs are not known (not listed, and not recorded yet): their addresses are not guarded. */
  readonly unknownVpcs: readonly string[];
}

/**
 * The policy from the configuration alone (no AWS call): enough for the allowlist and most guard rails, so a
 * protected indicator is refused before anything is read or sent.
 */
export async function configuredPolicy(ctx: CliContext): Promise<DeployedPolicy> {
  const config = await ctx.config();
  const unknownVpcs = config.vpcs.filter((vpc) => !vpc.cidrs).map((vpc) => vpc.vpcId);
  return { config, policy: policyOf(config, { vpcCidrs: listedCidrs(config) }), unknownVpcs };
}

/**
 * The policy the service decides with: also the CIDRs `enforce` recorded for VPCs that list none. VPCs it has
 * not recorded yet stay in `unknownVpcs` (the service refuses to decide until they are known).
 */
export async function deployedPolicy(ctx: CliContext): Promise<DeployedPolicy> {
  const configured = await configuredPolicy(ctx);
  if (configured.unknownVpcs.length === 0) return configured;
  const { config } = configured;
  const record = await (await ctx.store()).getVpcCidrs().catch((error: unknown) => {
    throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
  });
  const recorded = new Set(record?.vpcIds);
  return {
    config,
    policy: policyOf(config, { vpcCidrs: [...listedCidrs(config), ...(record?.cidrs ?? [])] }),
    unknownVpcs: configured.unknownVpcs.filter((id) => !recorded.has(id)),
  };
}

/** What the policy would do with an indicator now, for `explain` and `check`. */
export interface PolicyView {
  /** Why it may never be blocked (allowlist, guard rail), or null. */
  readonly protection: { readonly reason: string; readonly detail: string } | null;
  /** The targets that can block its kind, with their modes (`off` ones left out). */
  readonly targets: readonly { readonly target: TargetName; readonly mode: TargetMode }[];
  /** The severity thresholds (enforce, alert) per automated source. */
  readonly thresholds: Readonly<Record<'guardduty' | 'detectors', { enforce: number; alert: number }>>;
  /** A manual block without --ttl or --permanent lasts this long. */
  readonly manualDefault: string;
  /** The escalation ladder of automated blocks, and the repeat window it climbs within. */
  readonly ladder: readonly string[];
  readonly repeatWindow: string;
}

/** The policy's view of one indicator. Pure. */
export function policyView(indicator: Indicator, policy: Policy): PolicyView {
  return {
    protection: protectionOf(indicator, policy),
    targets: targetsFor(indicator, policy).map((target) => ({ target, mode: modeOf(target, policy) })),
    thresholds: {
      guardduty: thresholdsFor('guardduty', policy),
      detectors: thresholdsFor('dns-log', policy),
    },
    manualDefault: formatDuration(policy.durations.manualDefaultMs),
    ladder: policy.durations.ladderMs.map(formatDuration),
    repeatWindow: formatDuration(policy.durations.repeatWindowMs),
  };
}

/** The view as lines for a person. */
export function policyLines(view: PolicyView): string[] {
  const { guardduty, detectors } = view.thresholds;
  return [
    view.protection
      ? `  never blocked (${view.protection.reason}): ${view.protection.detail}`
      : '  not protected: neither the guard rails nor the allowlist cover it',
    `  targets: ${view.targets.map(({ target, mode }) => `${target} (${mode})`).join(', ') || 'none switched on for its kind'}`,
    `  thresholds: GuardDuty enforce ≥ ${guardduty.enforce}, alert ≥ ${guardduty.alert}; detectors and feeds enforce ≥ ${detectors.enforce}, alert ≥ ${detectors.alert}; manual requests have none`,
    `  durations: manual ${view.manualDefault} by default; automated ${view.ladder.join(' → ')} for repeats within ${view.repeatWindow}`,
  ];
}
