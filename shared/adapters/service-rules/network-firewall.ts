/** What Network Firewall accepts in a stateful rule group, shared by its in-memory and AWS adapters. */
import { TargetCapacityError } from '#domain/errors';
import { NETWORK_FIREWALL_LIMITS } from '#domain/target';

/**
 * The rules of a Suricata rules string: its lines, trimmed, without blank lines and `#` comments. One rule per
 * line is the only layout counted (Suricata's backslash line continuation is not supported).
 */
export function suricataRules(rules: string): string[] {
  return rules
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The code of a refusal by our own check before any write, so that it is never taken for an AWS error (AWS
 * answers an over-capacity group with `InvalidRequestException`, and `InsufficientCapacityException` means
 * AWS itself is out of capacity).
 */
export const RULE_GROUP_LIMIT_EXCEEDED = 'RuleGroupLimitExceeded';

/**
 * Throws TargetCapacityError (code RULE_GROUP_LIMIT_EXCEEDED) when `rules` breaks a limit Network Firewall
 * enforces on a stateful rule group: one rule over 8,192 characters, the string over 2,000,000 bytes, more
 * rules than `capacity`. Shared by the in-memory and the AWS adapter so that the simulation refuses exactly
 * what production refuses before calling AWS.
 */
export function assertWithinRuleGroupLimits(rules: string, capacity: number): void {
  const bytes = Buffer.byteLength(rules, 'utf8');
  if (bytes > NETWORK_FIREWALL_LIMITS.maxRulesBytes) {
    throw new TargetCapacityError(
      `the rules string is ${bytes} bytes; a rule group takes at most ${NETWORK_FIREWALL_LIMITS.maxRulesBytes}`,
      RULE_GROUP_LIMIT_EXCEEDED,
    );
  }
  const list = suricataRules(rules);
  const tooLong = list.find((rule) => rule.length > NETWORK_FIREWALL_LIMITS.maxRuleLength);
  if (tooLong !== undefined) {
    throw new TargetCapacityError(
      `a rule is ${tooLong.length} characters; one Suricata rule takes at most ${NETWORK_FIREWALL_LIMITS.maxRuleLength}: ${tooLong.slice(0, 80)}…`,
      RULE_GROUP_LIMIT_EXCEEDED,
    );
  }
  if (list.length > capacity) {
    throw new TargetCapacityError(
      `${list.length} rules do not fit a rule group of capacity ${capacity}`,
      RULE_GROUP_LIMIT_EXCEEDED,
    );
  }
}
