/** A stateful Network Firewall rule group behind aws-sdk-client-mock. */
import { randomUUID } from 'node:crypto';
import {
  DescribeRuleGroupCommand,
  type DescribeRuleGroupCommandInput,
  type DescribeRuleGroupResponse,
  type EncryptionConfiguration,
  InvalidRequestException,
  InvalidTokenException,
  type NetworkFirewallClient,
  ResourceNotFoundException,
  type RuleGroup,
  type RuleGroupResponse,
  type RuleGroupType,
  UpdateRuleGroupCommand,
  type UpdateRuleGroupCommandInput,
  type UpdateRuleGroupResponse,
} from '@aws-sdk/client-network-firewall';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { suricataRules } from '#adapters/service-rules/network-firewall';
import { FakeAwsService } from './injected-failures';

/** The ARN of the group the fake holds unless told otherwise. */
export const RULE_GROUP_ARN =
  'arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/egress-warden';

const $metadata = {};

/**
 * One rule group as the Network Firewall API keeps it: an optimistic update token that every write replaces
 * (`InvalidTokenException` for a stale one), a capacity fixed at creation and unique SIDs
 * (`InvalidRequestException`), and the whole group replaced on each update: like AWS, an update that does
 * not send the `EncryptionConfiguration` puts the group back on an AWS-owned key, and one without a
 * `Description` clears it.
 */
export class FakeNetworkFirewall extends FakeAwsService {
  token = randomUUID();
  ruleGroup: RuleGroup;
  /** The group's key; AWS reports an AWS-owned key when none was chosen. */
  encryptionConfiguration: EncryptionConfiguration = { Type: 'AWS_OWNED_KMS_KEY' };
  description: string | undefined;

  constructor(
    readonly capacity: number,
    ruleGroup: RuleGroup,
    readonly type: RuleGroupType = 'STATEFUL',
    readonly arn: string = RULE_GROUP_ARN,
  ) {
    super();
    this.ruleGroup = structuredClone(ruleGroup);
  }

  /** The rules string the group holds now. */
  get rules(): string {
    return this.ruleGroup.RulesSource?.RulesString ?? '';
  }

  /** DescribeRuleGroup. */
  describe(input: DescribeRuleGroupCommandInput): DescribeRuleGroupResponse {
    this.throwIfInjected(DescribeRuleGroupCommand);
    this.#find(input.RuleGroupArn);
    return {
      UpdateToken: this.token,
      RuleGroup: structuredClone(this.ruleGroup),
      RuleGroupResponse: this.#response(),
    };
  }

  /** UpdateRuleGroup. */
  update(input: UpdateRuleGroupCommandInput): UpdateRuleGroupResponse {
    this.throwIfInjected(UpdateRuleGroupCommand);
    this.#find(input.RuleGroupArn);
    if (input.UpdateToken !== this.token) {
      throw new InvalidTokenException({
        $metadata,
        message: "The token you provided is stale or isn't valid for the operation.",
      });
    }
    const rules = suricataRules(input.RuleGroup?.RulesSource?.RulesString ?? '');
    const sids = rules.map((rule) => /sid\s*:\s*(\d+)\s*;/.exec(rule)?.[1]);
    if (sids.includes(undefined) || new Set(sids).size !== sids.length) {
      throw new InvalidRequestException({ $metadata, message: 'Suricata rule is missing a unique sid' });
    }
    if (rules.length > this.capacity) {
      throw new InvalidRequestException({
        $metadata,
        message: `StatefulRules capacity exceeded, parameter: [${rules.length}], context: RulesSource.StatefulRules`,
      });
    }
    this.ruleGroup = structuredClone(input.RuleGroup ?? { RulesSource: undefined });
    this.encryptionConfiguration = structuredClone(
      input.EncryptionConfiguration ?? { Type: 'AWS_OWNED_KMS_KEY' },
    );
    this.description = input.Description;
    this.token = randomUUID();
    return { UpdateToken: this.token, RuleGroupResponse: this.#response() };
  }

  /** Another writer replaces the rules string, so every token read before is stale. */
  writeAsSomeoneElse(rules: string): void {
    this.ruleGroup = { ...this.ruleGroup, RulesSource: { RulesString: rules } };
    this.token = randomUUID();
  }

  #response(): RuleGroupResponse {
    return {
      RuleGroupArn: this.arn,
      RuleGroupName: 'egress-warden',
      RuleGroupId: '11111111-2222-4333-8444-555555555555',
      Type: this.type,
      Capacity: this.capacity,
      ConsumedCapacity: suricataRules(this.rules).length,
      EncryptionConfiguration: structuredClone(this.encryptionConfiguration),
      ...(this.description === undefined ? {} : { Description: this.description }),
    };
  }

  #find(arn: string | undefined): void {
    if (arn !== this.arn) {
      throw new ResourceNotFoundException({ $metadata, message: `Resource ${arn} not found` });
    }
  }
}

/** Backs `mock` with `fake` and returns it. */
export function backWithNetworkFirewall(
  mock: AwsClientStub<NetworkFirewallClient>,
  fake: FakeNetworkFirewall,
): FakeNetworkFirewall {
  mock.on(DescribeRuleGroupCommand).callsFake((input) => fake.describe(input));
  mock.on(UpdateRuleGroupCommand).callsFake((input) => fake.update(input));
  return fake;
}

/** Backs `mock` with a new STATEFUL group of `capacity` holding `rules` (empty when omitted) and returns it. */
export function fakeNetworkFirewall(
  mock: AwsClientStub<NetworkFirewallClient>,
  options: { readonly capacity: number; readonly rules?: string },
): FakeNetworkFirewall {
  const fake = new FakeNetworkFirewall(options.capacity, {
    RulesSource: { RulesString: options.rules ?? '' },
  });
  return backWithNetworkFirewall(mock, fake);
}
