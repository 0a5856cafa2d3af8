import { DescribeRuleGroupCommand, NetworkFirewallClient } from '@aws-sdk/client-network-firewall';
import type { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import { suricataRules } from '#adapters/service-rules/network-firewall';
import { parseOwnRules } from '#domain/reconcile/network-firewall-plan';
import { EXAMPLE_CONFIG, synthTemplate } from './synth';

const DOMAIN_LIST = 'AWS::Route53Resolver::FirewallDomainList';
const RULE_GROUP = 'AWS::NetworkFirewall::RuleGroup';

/** A configuration that differs from the example in everything but the stack name and the capacity. */
const OTHER_CONFIG = {
  stackName: EXAMPLE_CONFIG.stackName,
  vpcs: [
    { vpcId: 'vpc-0fedcba9876543210', cidrs: ['10.1.0.0/16'], networkAcls: ['acl-0123456789abcdef0'] },
    { vpcId: 'vpc-0aaaabbbbccccdddd', cidrs: ['10.2.0.0/16'], networkAcls: ['acl-0fedcba9876543210'] },
  ],
  targets: {
    dnsFirewall: { deploy: true, rulePriority: 200, associationPriority: 1000 },
    networkAcls: { deploy: true },
    networkFirewall: { deploy: true, capacity: 1000 },
  },
  alerts: {
    emails: ['someone-else@example.com'],
    subscriptions: [{ protocol: 'https', endpoint: 'https://hooks.example.com/warden' }],
  },
  operators: ['arn:aws:iam::123456789012:user/bob', 'arn:aws:iam::123456789012:role/Responders'],
  guardDuty: { catchUpLookback: '6h' },
  detectors: {
    deploy: true,
    logs: { queryLogGroup: '/vpc/dns-queries', flowLogGroup: '/vpc/flows' },
    feedsBucket: { bucket: 'org-threat-feeds' },
    flows: { volume: { enabled: false } },
  },
  policy: {
    allowlist: { domains: ['example.org'] },
    blockDurations: ['1h', '1d'],
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'off' },
      networkFirewall: { mode: 'enforce', domainRules: true },
    },
  },
};

const templates = new Map<unknown, Template>();

function onlyResource(input: unknown, type: string): { Properties: Record<string, unknown> } {
  if (!templates.has(input)) templates.set(input, synthTemplate(input));
  const found = Object.values((templates.get(input) as Template).findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown> };
}

describe('the stack owns containers, never entries', () => {
  it('gives the domain list and the rule group the same properties whatever else the configuration changes', () => {
    for (const type of [DOMAIN_LIST, RULE_GROUP]) {
      const before = onlyResource(EXAMPLE_CONFIG, type);
      const after = onlyResource(OTHER_CONFIG, type);
      expect(after).toEqual(before);
    }
  });

  it('keeps them the same when the log detectors are turned off', () => {
    const { detectors: _, ...withoutDetectors } = EXAMPLE_CONFIG;
    for (const type of [DOMAIN_LIST, RULE_GROUP]) {
      expect(onlyResource(withoutDetectors, type)).toEqual(onlyResource(EXAMPLE_CONFIG, type));
    }
  });

  it('never gives the domain list domains, a domain file or tags', () => {
    const { Properties } = onlyResource(OTHER_CONFIG, DOMAIN_LIST);
    expect(Object.keys(Properties)).toEqual(['Name']);
  });

  it('gives the rule group a constant rules string and no tags', () => {
    const { Properties } = onlyResource(OTHER_CONFIG, RULE_GROUP);
    expect(Object.keys(Properties).sort()).toEqual([
      'Capacity',
      'Description',
      'RuleGroup',
      'RuleGroupName',
      'Type',
    ]);
  });

  it('creates the rule group with rules the Network Firewall adapter accepts and keeps', async () => {
    const { Properties } = onlyResource(EXAMPLE_CONFIG, RULE_GROUP);
    const rulesString = (Properties.RuleGroup as { RulesSource: { RulesString: string } }).RulesSource
      .RulesString;
    const client = mockClient(NetworkFirewallClient);
    client.on(DescribeRuleGroupCommand).resolves({
      UpdateToken: 'token-1',
      RuleGroup: { RulesSource: { RulesString: rulesString } },
      RuleGroupResponse: {
        RuleGroupArn:
          'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden-blocklist',
        RuleGroupName: 'EgressWarden-blocklist',
        RuleGroupId: 'id',
        Type: 'STATEFUL',
        Capacity: Properties.Capacity as number,
      },
    });
    const adapter = new AwsNetworkFirewallRuleGroup({
      client: client as unknown as NetworkFirewallClient,
      ruleGroupArn:
        'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden-blocklist',
    });

    const snapshot = await adapter.describe();

    expect(snapshot.rules).toBe(rulesString);
    expect(suricataRules(snapshot.rules)).toHaveLength(1);
    // Not one of Egress Warden's own rules, so enforce keeps it ahead of the rules it writes.
    expect(parseOwnRules(snapshot.rules)).toMatchObject({ foreign: [rulesString], own: [] });
    client.restore();
  });
});
