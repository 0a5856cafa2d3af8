import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseConfig, runtimeConfig } from '#shared/config/config';
import { ENVIRONMENT, parseEnvironment } from '#shared/config/environment';

const CONFIG = JSON.stringify(
  runtimeConfig(parseConfig({ vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'] }] })),
);
const ENV = {
  [ENVIRONMENT.config]: CONFIG,
  [ENVIRONMENT.table]: 'EgressWarden-Decisions',
  [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-Alerts',
  [ENVIRONMENT.domainList]: 'rslvr-fdl-0123456789abcdef',
  [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/EgressWarden',
};

/** The message parseEnvironment throws for `env`, or 'accepted'. */
function errorOf(env: Record<string, string | undefined>): string {
  try {
    parseEnvironment(env);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
}

describe('parseEnvironment', () => {
  it('reads the configuration and the resources the stack created', () => {
    // Act
    const environment = parseEnvironment(ENV);

    // Assess
    expect(environment).toMatchObject({
      tableName: 'EgressWarden-Decisions',
      topicArn: ENV[ENVIRONMENT.topic],
      domainListId: 'rslvr-fdl-0123456789abcdef',
      ruleGroupArn: ENV[ENVIRONMENT.ruleGroup],
    });
    expect(environment.config.vpcs).toEqual([{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'] }]);
  });

  it('needs no resource variable for a target that is not deployed', () => {
    // Prepare
    const config = JSON.stringify(
      runtimeConfig(
        parseConfig({
          vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718' }],
          targets: { dnsFirewall: { deploy: false }, networkFirewall: { deploy: false } },
        }),
      ),
    );

    // Act
    const environment = parseEnvironment({
      ...ENV,
      [ENVIRONMENT.config]: config,
      [ENVIRONMENT.domainList]: undefined,
      [ENVIRONMENT.ruleGroup]: undefined,
    });

    // Assess
    expect(environment.domainListId).toBeUndefined();
    expect(environment.ruleGroupArn).toBeUndefined();
  });

  it.each([
    [{ [ENVIRONMENT.config]: undefined }, /^EGRESS_WARDEN_CONFIG: is not set/],
    [{ [ENVIRONMENT.config]: '{"vpcs":' }, /^EGRESS_WARDEN_CONFIG: is not valid JSON/],
    [{ [ENVIRONMENT.config]: '{"vpcs":[{"vpcId":"vpc-x"}]}' }, /^EGRESS_WARDEN_CONFIG\.vpcs\[0\]\.vpcId: /],
    [{ [ENVIRONMENT.table]: '' }, /^DECISION_TABLE_NAME: is not set/],
    [{ [ENVIRONMENT.topic]: 'EgressWarden-Alerts' }, /^ALERT_TOPIC_ARN: must be an SNS topic ARN/],
    [{ [ENVIRONMENT.domainList]: undefined }, /^DNS_FIREWALL_DOMAIN_LIST_ID: is not set/],
    [
      { [ENVIRONMENT.ruleGroup]: 'arn:aws:network-firewall:eu-west-1:123456789012:stateless-rulegroup/x' },
      /^NETWORK_FIREWALL_RULE_GROUP_ARN: must be a stateful/,
    ],
  ])('refuses %j, naming the variable', (change, expected) => {
    // Act
    const message = errorOf({ ...ENV, ...change });

    // Assess
    expect(message).toMatch(expected);
  });
});
