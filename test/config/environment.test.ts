import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseConfig, runtimeConfig } from '#shared/config/config';
import { ENVIRONMENT, parseDetectorEnvironment, parseEnvironment } from '#shared/config/environment';
import { DEFAULT_FLOW_LOG_FORMAT } from '#shared/logs/flow-log';

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

  it('reads the warden bus name for the undo commands in alerts, and does without it', () => {
    // Act
    const named = parseEnvironment({ ...ENV, [ENVIRONMENT.bus]: 'EgressWarden-bus' });
    const unnamed = parseEnvironment(ENV);

    // Assess
    expect(named.busName).toBe('EgressWarden-bus');
    expect(unnamed).not.toHaveProperty('busName');
    expect(errorOf({ ...ENV, [ENVIRONMENT.bus]: 'no spaces allowed' })).toMatch(/^WARDEN_BUS_NAME: /);
  });

  it('needs the chat topic when alerts.chat is on, naming the variable', () => {
    // Prepare
    const config = runtimeConfig(
      parseConfig({
        vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'] }],
        alerts: { chat: true },
      }),
    );
    const env = { ...ENV, [ENVIRONMENT.config]: JSON.stringify(config) };
    const chatTopic = 'arn:aws:sns:eu-west-1:123456789012:EgressWarden-Chat';

    // Act
    const withTopic = parseEnvironment({ ...env, [ENVIRONMENT.chatTopic]: chatTopic });

    // Assess
    expect(withTopic.chatTopicArn).toBe(chatTopic);
    expect(errorOf(env)).toBe('CHAT_TOPIC_ARN: is not set');
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

describe('parseDetectorEnvironment', () => {
  const DETECTOR_ENV = {
    ...ENV,
    [ENVIRONMENT.detectorTable]: 'EgressWarden-DetectorState',
    [ENVIRONMENT.bus]: 'egress-warden',
  };

  /** The message parseDetectorEnvironment throws for `env`, or 'accepted'. */
  function detectorErrorOf(env: Record<string, string | undefined>): string {
    try {
      parseDetectorEnvironment(env);
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      return (error as Error).message;
    }
  }

  it('reads the detector table and the bus; no feeds bucket and the default flow-log format when unset', () => {
    // Act
    const environment = parseDetectorEnvironment(DETECTOR_ENV);

    // Assess
    expect(environment).toMatchObject({
      detectorTableName: 'EgressWarden-DetectorState',
      busName: 'egress-warden',
    });
    expect(environment.feedsBucket).toBeUndefined();
    expect(environment.flowLogFormat).toBe(DEFAULT_FLOW_LOG_FORMAT);
  });

  it('reads the feeds bucket and the flow-log format string', () => {
    // Act
    const environment = parseDetectorEnvironment({
      ...DETECTOR_ENV,
      [ENVIRONMENT.feedsBucket]: 'egress-warden-feeds',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a flow-log format string, as CreateFlowLogs takes it
      [ENVIRONMENT.flowLogFormat]: '${srcaddr} ${dstaddr} ${start} ${end} ${action}',
    });

    // Assess
    expect(environment.feedsBucket).toBe('egress-warden-feeds');
    expect(environment.flowLogFormat.fields).toEqual(['srcaddr', 'dstaddr', 'start', 'end', 'action']);
  });

  it.each([
    [{ [ENVIRONMENT.detectorTable]: undefined }, 'DETECTOR_TABLE_NAME: is not set'],
    [{ [ENVIRONMENT.bus]: '' }, 'WARDEN_BUS_NAME: is not set'],
    [{ [ENVIRONMENT.bus]: 'no spaces allowed' }, 'WARDEN_BUS_NAME: must be an EventBridge bus name or ARN'],
    [{ [ENVIRONMENT.feedsBucket]: 'Feeds_Bucket' }, 'FEEDS_BUCKET: must be an S3 bucket name'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a flow-log format string, as CreateFlowLogs takes it
    [{ [ENVIRONMENT.flowLogFormat]: '${srcaddr} dstaddr' }, 'FLOW_LOG_FORMAT: "dstaddr"'],
  ])('refuses %j, naming the variable', (overrides, message) => {
    expect(detectorErrorOf({ ...DETECTOR_ENV, ...overrides })).toContain(message);
  });
});
