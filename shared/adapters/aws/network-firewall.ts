import {
  DescribeRuleGroupCommand,
  type EncryptionConfiguration,
  type NetworkFirewallClient,
  type RuleGroup,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import { awsErrorCode } from '#adapters/aws/errors';
import { assertWithinRuleGroupLimits } from '#adapters/service-rules/network-firewall';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  ServiceUnavailableError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '#domain/target';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';
import { type RetryOptions, withRetry } from '#shared/runtime/retry';

/** Options of AwsNetworkFirewallRuleGroup. */
export interface AwsNetworkFirewallRuleGroupOptions {
  readonly client: NetworkFirewallClient;
  /** The stateful Suricata rules-string group Egress Warden owns. */
  readonly ruleGroupArn: string;
  /** Injected so tests never wait between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per call when throttled or on a server error, the first included; 4 when omitted. */
  readonly maxAttempts?: number;
}

/** What one DescribeRuleGroup (or our own update) said about the group, keyed by the token it produced. */
interface Revision {
  readonly token: string;
  readonly ruleGroup: RuleGroup;
  readonly capacity: number;
  /** Top-level members of UpdateRuleGroup: an update without them resets them (a CMK to an AWS-owned key). */
  readonly encryptionConfiguration: EncryptionConfiguration | undefined;
  readonly description: string | undefined;
}

// InsufficientCapacityException is AWS out of capacity (HTTP 500, "try your request later"), not a full group.
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'InternalServerError',
  'InsufficientCapacityException',
]);

/**
 * The Network Firewall rule group port on AWS: DescribeRuleGroup → UpdateRuleGroup with the update token.
 *
 * Only a STATEFUL group whose rules source is a Suricata rules string is accepted (InvalidInputError
 * otherwise). An update replaces the rules string and keeps the rest of the group as the describe that issued
 * the token returned it (rule variables, reference sets, rule order), and sends the group's
 * `EncryptionConfiguration` and `Description` back with it: UpdateRuleGroup resets what it is not sent, and
 * a customer-managed KMS key would become an AWS-owned one (hashicorp/terraform-provider-aws#30816). Size
 * limits and capacity are checked before any write, so a plan that cannot fit never reaches AWS. Throttling,
 * server errors and AWS being out of capacity are retried with backoff; a stale token is never retried here,
 * because only the caller can re-describe and re-plan.
 */
export class AwsNetworkFirewallRuleGroup implements NetworkFirewallRuleGroup {
  readonly #client: NetworkFirewallClient;
  readonly #arn: string;
  readonly #retry: RetryOptions;
  #last: Revision | undefined;

  constructor(options: AwsNetworkFirewallRuleGroupOptions) {
    this.#client = options.client;
    this.#arn = options.ruleGroupArn;
    this.#retry = {
      attempts: options.maxAttempts ?? 4,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      isRetryable: (error) => RETRYABLE_CODES.has(awsErrorCode(error) ?? ''),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
  }

  /**
   * One DescribeRuleGroup (retried when throttled). Throws InvalidInputError (not a STATEFUL rules-string
   * group), TargetNotFoundError (`ResourceNotFoundException`), ThrottledError.
   */
  async describe(): Promise<RuleGroupSnapshot> {
    const revision = await this.#read();
    return {
      rules: revision.ruleGroup.RulesSource?.RulesString ?? '',
      updateToken: revision.token,
      capacity: revision.capacity,
    };
  }

  /**
   * Replaces the rules string with one UpdateRuleGroup and returns the new token. A token this adapter did not
   * just see costs one DescribeRuleGroup first, to learn the group it belongs to. Throws TargetCapacityError
   * before any write (`RuleGroupLimitExceeded`: a rule over 8,192 characters, over 2,000,000 bytes or more
   * rules than the capacity), ConcurrentUpdateError (`InvalidTokenException`), TargetCapacityError (AWS's own
   * refusal, `InvalidRequestException … capacity exceeded`, or `LimitExceededException`), InvalidInputError (a
   * rule AWS rejects), TargetNotFoundError, ThrottledError, ServiceUnavailableError (AWS out of capacity,
   * `InsufficientCapacityException`, after the retries).
   */
  async update(rules: string, updateToken: string): Promise<string> {
    const base = this.#last?.token === updateToken ? this.#last : await this.#read();
    assertWithinRuleGroupLimits(rules, base.capacity);
    if (base.token !== updateToken) {
      throw new ConcurrentUpdateError(
        `update token ${updateToken} is stale for rule group ${this.#arn}: describe it again`,
        'InvalidTokenException',
      );
    }
    const ruleGroup: RuleGroup = { ...base.ruleGroup, RulesSource: { RulesString: rules } };
    this.#last = undefined;
    const response = await this.#call('UpdateRuleGroup', () =>
      this.#client.send(
        new UpdateRuleGroupCommand({
          RuleGroupArn: this.#arn,
          Type: 'STATEFUL',
          UpdateToken: updateToken,
          RuleGroup: ruleGroup,
          ...(base.encryptionConfiguration ? { EncryptionConfiguration: base.encryptionConfiguration } : {}),
          ...(base.description === undefined ? {} : { Description: base.description }),
        }),
      ),
    );
    const token = this.#required(response.UpdateToken, 'UpdateRuleGroup', 'UpdateToken');
    this.#last = { ...base, token, ruleGroup };
    return token;
  }

  async #read(): Promise<Revision> {
    const response = await this.#call('DescribeRuleGroup', () =>
      this.#client.send(new DescribeRuleGroupCommand({ RuleGroupArn: this.#arn, Type: 'STATEFUL' })),
    );
    const type = response.RuleGroupResponse?.Type;
    if (type !== undefined && type !== 'STATEFUL') {
      throw this.#notRulesString(`its type is ${type}`);
    }
    const ruleGroup: RuleGroup = response.RuleGroup ?? { RulesSource: { RulesString: '' } };
    const source = ruleGroup.RulesSource ?? {};
    const other = (['RulesSourceList', 'StatefulRules', 'StatelessRulesAndCustomActions'] as const).find(
      (key) => source[key] !== undefined,
    );
    if (other !== undefined) throw this.#notRulesString(`its rules source is ${other}`);
    const revision: Revision = {
      token: this.#required(response.UpdateToken, 'DescribeRuleGroup', 'UpdateToken'),
      ruleGroup,
      // AWS always reports the capacity; the largest one keeps the pre-check from refusing what AWS may take.
      capacity: response.RuleGroupResponse?.Capacity ?? NETWORK_FIREWALL_LIMITS.maxCapacity,
      encryptionConfiguration: response.RuleGroupResponse?.EncryptionConfiguration,
      description: response.RuleGroupResponse?.Description,
    };
    this.#last = revision;
    return revision;
  }

  #notRulesString(reason: string): InvalidInputError {
    return new InvalidInputError(
      `rule group ${this.#arn} must be a STATEFUL rule group whose rules are a Suricata rules string; ${reason}`,
      'ruleGroupArn',
    );
  }

  #required(value: string | undefined, operation: string, field: string): string {
    if (!value) throw new Error(`${operation} on ${this.#arn} returned no ${field}`);
    return value;
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(send, this.#retry);
    } catch (error) {
      throw this.#translate(operation, error);
    }
  }

  #translate(operation: string, error: unknown): unknown {
    const code = awsErrorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    const message = `${operation} on ${this.#arn} failed with ${code}: ${detail}`;
    const options = { cause: error };
    switch (code) {
      case 'InvalidTokenException':
        return new ConcurrentUpdateError(message, code, options);
      case 'ThrottlingException':
        return new ThrottledError(message, code, options);
      case 'InsufficientCapacityException':
        return new ServiceUnavailableError(message, code, options);
      case 'LimitExceededException':
        return new TargetCapacityError(message, code, options);
      case 'InvalidRequestException':
        return /capacity/i.test(detail)
          ? new TargetCapacityError(message, code, options)
          : new InvalidInputError(message, '', { ...options, code });
      case 'ResourceNotFoundException':
        return new TargetNotFoundError(message, code, options);
      default:
        return error;
    }
  }
}
