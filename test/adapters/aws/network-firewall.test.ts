import { randomUUID } from 'node:crypto';
import {
  DescribeRuleGroupCommand,
  InsufficientCapacityException,
  InternalServerError,
  InvalidRequestException,
  InvalidTokenException,
  LimitExceededException,
  NetworkFirewallClient,
  ResourceNotFoundException,
  type RuleGroup,
  ThrottlingException,
  UpdateRuleGroupCommand,
} from '@aws-sdk/client-network-firewall';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { RULE_GROUP_LIMIT_EXCEEDED } from '#adapters/service-rules/network-firewall';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  ServiceUnavailableError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import {
  denyRule,
  denyRules,
  describeNetworkFirewallContract,
} from '../../contracts/network-firewall.contract';
import {
  backWithNetworkFirewall,
  FakeNetworkFirewall,
  RULE_GROUP_ARN,
} from '../../support/fakes/network-firewall';

const ARN = RULE_GROUP_ARN;
const client = new NetworkFirewallClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const nfw = mockClient(client);
const $metadata = {};

/** Backs the mock with `fake`. */
function backWithFake(fake: FakeNetworkFirewall): void {
  backWithNetworkFirewall(nfw, fake);
}

const noWait = async () => {};

beforeEach(() => {
  nfw.reset();
});

describeNetworkFirewallContract('AwsNetworkFirewallRuleGroup', ({ capacity, rules = '', settings = {} }) => {
  const fake = new FakeNetworkFirewall(capacity, { RulesSource: { RulesString: rules } });
  fake.description = settings.description;
  if (settings.kmsKeyId) fake.encryptionConfiguration = { Type: 'CUSTOMER_KMS', KeyId: settings.kmsKeyId };
  backWithFake(fake);
  return {
    ruleGroup: new AwsNetworkFirewallRuleGroup({ client, ruleGroupArn: ARN, sleep: noWait }),
    writeAsSomeoneElse: (next) => fake.writeAsSomeoneElse(next),
    storedRules: () => fake.rules,
    storedSettings: () => ({
      ...(fake.description === undefined ? {} : { description: fake.description }),
      ...(fake.encryptionConfiguration.Type === 'CUSTOMER_KMS'
        ? { kmsKeyId: fake.encryptionConfiguration.KeyId }
        : {}),
    }),
  };
});

const RICH_GROUP: RuleGroup = {
  RuleVariables: {
    IPSets: { HOME_NET: { Definition: ['10.0.0.0/16'] } },
    PortSets: { TLS_PORTS: { Definition: ['443'] } },
  },
  ReferenceSets: {
    IPSetReferences: {
      BLOCKED: { ReferenceArn: 'arn:aws:ec2:us-east-1:123456789012:prefix-list/pl-0123456789abcdef0' },
    },
  },
  RulesSource: { RulesString: denyRule(900_001, 'keep.example.com') },
  StatefulRuleOptions: { RuleOrder: 'STRICT_ORDER' },
};

function adapter(maxAttempts?: number, sleep = noWait): AwsNetworkFirewallRuleGroup {
  return new AwsNetworkFirewallRuleGroup({
    client,
    ruleGroupArn: ARN,
    sleep,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}

describe('AwsNetworkFirewallRuleGroup', () => {
  describe('describe', () => {
    it('describes the stateful group by ARN', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(100, RICH_GROUP));

      // Act
      const snapshot = await adapter().describe();

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 1);
      expect(nfw).toHaveReceivedCommandWith(DescribeRuleGroupCommand, {
        RuleGroupArn: ARN,
        Type: 'STATEFUL',
      });
      expect(snapshot).toMatchObject({ rules: denyRule(900_001, 'keep.example.com'), capacity: 100 });
    });

    it.each<[string, RuleGroup | undefined]>([
      ['a rules source without a rules string', { RulesSource: {} }],
      ['no rules source', { RulesSource: undefined }],
      ['no rule group', undefined],
    ])('reads %s as empty rules', async (_, ruleGroup) => {
      // Prepare
      nfw.on(DescribeRuleGroupCommand).resolves({
        UpdateToken: randomUUID(),
        ...(ruleGroup ? { RuleGroup: ruleGroup } : {}),
        RuleGroupResponse: {
          RuleGroupArn: ARN,
          RuleGroupName: 'g',
          RuleGroupId: 'i',
          Type: 'STATEFUL',
          Capacity: 10,
        },
      });

      // Act
      const snapshot = await adapter().describe();

      // Assess
      expect(snapshot.rules).toBe('');
    });

    it.each<[string, RuleGroup]>([
      [
        'a domain list',
        {
          RulesSource: {
            RulesSourceList: {
              Targets: ['.example.com'],
              TargetTypes: ['TLS_SNI'],
              GeneratedRulesType: 'DENYLIST',
            },
          },
        },
      ],
      [
        'structured stateful rules',
        {
          RulesSource: {
            StatefulRules: [
              {
                Action: 'DROP',
                Header: {
                  Protocol: 'IP',
                  Source: 'ANY',
                  SourcePort: 'ANY',
                  Direction: 'FORWARD',
                  Destination: '192.0.2.1',
                  DestinationPort: 'ANY',
                },
                RuleOptions: [{ Keyword: 'sid', Settings: ['1'] }],
              },
            ],
          },
        },
      ],
    ])('refuses a group that holds %s instead of a Suricata rules string', async (_, ruleGroup) => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(100, ruleGroup));

      // Act
      const attempt = adapter().describe();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toThrow(
        /must be a STATEFUL rule group whose rules are a Suricata rules string/,
      );
    });

    it('refuses a group that is not STATEFUL', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(100, { RulesSource: { RulesString: '' } }, 'STATELESS'));

      // Act
      const attempt = adapter().describe();

      // Assess
      await expect(attempt).rejects.toThrow(/its type is STATELESS/);
    });

    it('retries a throttled describe and then succeeds', async () => {
      // Prepare
      const sleep = vi.fn(noWait);
      const fake = new FakeNetworkFirewall(10, RICH_GROUP);
      nfw
        .on(DescribeRuleGroupCommand)
        .rejectsOnce(new ThrottlingException({ $metadata, message: 'Rate exceeded' }))
        .callsFake((input) => fake.describe(input));

      // Act
      const snapshot = await adapter(4, sleep).describe();

      // Assess
      expect(snapshot.updateToken).toBe(fake.token);
      expect(nfw).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 2);
      expect(sleep).toHaveBeenCalledTimes(1);
    });

    it('reports a missing group as TargetNotFoundError', async () => {
      // Prepare
      nfw
        .on(DescribeRuleGroupCommand)
        .rejects(new ResourceNotFoundException({ $metadata, message: 'not found' }));

      // Act
      const attempt = adapter().describe();

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(attempt).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
    });
  });

  describe('update', () => {
    it('sends the whole described group back with the new rules string and the token', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(100, RICH_GROUP);
      backWithFake(fake);
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();

      // Act
      const token = await ruleGroup.update(denyRules(2), updateToken);

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 1);
      expect(nfw).toHaveReceivedCommandWith(UpdateRuleGroupCommand, {
        RuleGroupArn: ARN,
        Type: 'STATEFUL',
        UpdateToken: updateToken,
        RuleGroup: {
          RuleVariables: RICH_GROUP.RuleVariables,
          ReferenceSets: RICH_GROUP.ReferenceSets,
          StatefulRuleOptions: { RuleOrder: 'STRICT_ORDER' },
          RulesSource: { RulesString: denyRules(2) },
        },
      });
      expect(token).toBe(fake.token);
      expect(fake.ruleGroup.RuleVariables).toEqual(RICH_GROUP.RuleVariables);
    });

    it('sends the customer-managed key and the description on every update, chained ones included', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(100, RICH_GROUP);
      const key = { Type: 'CUSTOMER_KMS', KeyId: 'arn:aws:kms:us-east-1:123456789012:key/abcd' } as const;
      fake.encryptionConfiguration = key;
      fake.description = 'Egress Warden blocks';
      backWithFake(fake);
      const ruleGroup = adapter();
      const first = await ruleGroup.update(denyRules(1), (await ruleGroup.describe()).updateToken);

      // Act
      await ruleGroup.update(denyRules(2), first);

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 2);
      for (const call of [1, 2]) {
        expect(nfw).toHaveReceivedNthCommandWith(UpdateRuleGroupCommand, call, {
          EncryptionConfiguration: key,
          Description: 'Egress Warden blocks',
        });
      }
      expect(fake.encryptionConfiguration).toEqual(key);
      expect(fake.description).toBe('Egress Warden blocks');
    });

    it('retries AWS being out of capacity (InsufficientCapacityException) and then writes', async () => {
      // Prepare
      const sleep = vi.fn(noWait);
      const fake = new FakeNetworkFirewall(10, RICH_GROUP);
      backWithFake(fake);
      nfw
        .on(UpdateRuleGroupCommand)
        .rejectsOnce(new InsufficientCapacityException({ $metadata, message: 'try your request later' }))
        .callsFake((input) => fake.update(input));
      const ruleGroup = adapter(4, sleep);
      const { updateToken } = await ruleGroup.describe();

      // Act
      const token = await ruleGroup.update(denyRules(1), updateToken);

      // Assess
      expect(token).toBe(fake.token);
      expect(fake.rules).toBe(denyRules(1));
      expect(sleep).toHaveBeenCalledTimes(1);
    });

    it('reports AWS out of capacity after the retries as a retryable ServiceUnavailableError, not a full group', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(10, RICH_GROUP));
      const failure = new InsufficientCapacityException({ $metadata, message: 'try your request later' });
      nfw.on(UpdateRuleGroupCommand).rejects(failure);
      const ruleGroup = adapter(3);
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        code: 'InsufficientCapacityException',
        retryable: true,
        cause: failure,
      });
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 3);
    });

    it('chains updates on its own tokens without describing again', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(100, RICH_GROUP);
      backWithFake(fake);
      const ruleGroup = adapter();
      const first = await ruleGroup.update(denyRules(1), (await ruleGroup.describe()).updateToken);

      // Act
      await ruleGroup.update(denyRules(2), first);

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 1);
      expect(nfw).toHaveReceivedNthCommandWith(UpdateRuleGroupCommand, 2, {
        UpdateToken: first,
        RuleGroup: { ...RICH_GROUP, RulesSource: { RulesString: denyRules(2) } },
      });
    });

    it('describes first when handed a current token it has not seen', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(100, RICH_GROUP);
      backWithFake(fake);

      // Act
      await adapter().update(denyRules(1), fake.token);

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 1);
      expect(nfw).toHaveReceivedCommandWith(UpdateRuleGroupCommand, {
        RuleGroup: { ...RICH_GROUP, RulesSource: { RulesString: denyRules(1) } },
      });
    });

    it('refuses an unseen stale token without writing', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(100, RICH_GROUP));

      // Act
      const attempt = adapter().update(denyRules(1), randomUUID());

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: 'ConcurrentUpdateError',
        code: 'InvalidTokenException',
      });
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 0);
    });

    it.each([
      ['more rules than the capacity', denyRules(4)],
      ['a rule over 8,192 characters', denyRule(1, 'x.example.com', 'm'.repeat(8192))],
    ])('refuses %s before calling AWS, with its own code', async (_, rules) => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(3, RICH_GROUP));
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(rules, updateToken);

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: 'TargetCapacityError',
        code: RULE_GROUP_LIMIT_EXCEEDED,
      });
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 0);
    });

    it('does not retry a stale token itself', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(10, RICH_GROUP);
      backWithFake(fake);
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();
      fake.writeAsSomeoneElse(denyRule(5));

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 1);
    });

    it('retries a throttled update and returns the token of the write that got through', async () => {
      // Prepare
      const sleep = vi.fn(noWait);
      const fake = new FakeNetworkFirewall(10, RICH_GROUP);
      backWithFake(fake);
      nfw
        .on(UpdateRuleGroupCommand)
        .rejectsOnce(new ThrottlingException({ $metadata, message: 'Rate exceeded' }))
        .rejectsOnce(new ThrottlingException({ $metadata, message: 'Rate exceeded' }))
        .callsFake((input) => fake.update(input));
      const ruleGroup = adapter(4, sleep);
      const { updateToken } = await ruleGroup.describe();

      // Act
      const token = await ruleGroup.update(denyRules(1), updateToken);

      // Assess
      expect(token).toBe(fake.token);
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 3);
      expect(sleep).toHaveBeenCalledTimes(2);
    });

    it('gives up on throttling after the bounded attempts with ThrottledError', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(10, RICH_GROUP));
      nfw
        .on(UpdateRuleGroupCommand)
        .rejects(new ThrottlingException({ $metadata, message: 'Rate exceeded' }));
      const ruleGroup = adapter(3);
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
      await expect(attempt).rejects.toMatchObject({ code: 'ThrottlingException', retryable: true });
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 3);
    });

    it('retries a server error and rethrows it when it persists', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(10, RICH_GROUP));
      const failure = new InternalServerError({ $metadata, message: 'internal' });
      nfw.on(UpdateRuleGroupCommand).rejects(failure);
      const ruleGroup = adapter(2);
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBe(failure);
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 2);
    });

    it.each([
      [
        new InvalidRequestException({
          $metadata,
          message: 'StatefulRules capacity exceeded, parameter: [67]',
        }),
        TargetCapacityError,
        'InvalidRequestException',
      ],
      [
        new LimitExceededException({ $metadata, message: 'limit' }),
        TargetCapacityError,
        'LimitExceededException',
      ],
      [
        new ResourceNotFoundException({ $metadata, message: 'gone' }),
        TargetNotFoundError,
        'ResourceNotFoundException',
      ],
      [
        new InvalidTokenException({ $metadata, message: 'stale' }),
        ConcurrentUpdateError,
        'InvalidTokenException',
      ],
    ])('maps %s to the typed error with its code', async (failure, type, code) => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(10, RICH_GROUP));
      nfw.on(UpdateRuleGroupCommand).rejects(failure);
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(type);
      await expect(attempt).rejects.toMatchObject({ code, cause: failure });
      expect(nfw).toHaveReceivedCommandTimes(UpdateRuleGroupCommand, 1);
    });

    it('maps any other invalid request to InvalidInputError, keeping the cause', async () => {
      // Prepare
      backWithFake(new FakeNetworkFirewall(10, RICH_GROUP));
      const failure = new InvalidRequestException({
        $metadata,
        message: 'priority keyword not allowed in STRICT_ORDER',
      });
      nfw.on(UpdateRuleGroupCommand).rejects(failure);
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();

      // Act
      const attempt = ruleGroup.update(denyRules(1), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toMatchObject({ cause: failure, retryable: false });
      await expect(attempt).rejects.toThrow(/priority keyword/);
    });

    it('describes again after a failed write instead of trusting its cached group', async () => {
      // Prepare
      const fake = new FakeNetworkFirewall(10, RICH_GROUP);
      backWithFake(fake);
      nfw
        .on(UpdateRuleGroupCommand)
        .rejectsOnce(new InvalidRequestException({ $metadata, message: 'bad rule' }))
        .callsFake((input) => fake.update(input));
      const ruleGroup = adapter();
      const { updateToken } = await ruleGroup.describe();
      await expect(ruleGroup.update(denyRules(1), updateToken)).rejects.toThrow(InvalidInputError);

      // Act
      await ruleGroup.update(denyRules(1), updateToken);

      // Assess
      expect(nfw).toHaveReceivedCommandTimes(DescribeRuleGroupCommand, 2);
      expect(fake.rules).toBe(denyRules(1));
    });
  });
});
