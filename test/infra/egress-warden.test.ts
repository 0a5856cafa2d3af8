import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { ENVIRONMENT } from '#shared/config/environment';
import { METRIC_NAMESPACE, METRICS } from '#shared/runtime/observability';
import { assertEnvironmentFits, INITIAL_RULES } from '../../infra/egress-warden';
import { EXAMPLE_CONFIG, synthStack, synthTemplate } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const template = synthTemplate();

function functionNamed(name: string): Record<string, unknown> {
  const entries = Object.entries(template.findResources('AWS::Lambda::Function')) as [
    string,
    Resources[string],
  ][];
  const match = entries.find(([logicalId]) => logicalId.startsWith(`EgressWarden${name}`));
  if (!match) throw new Error(`no function ${name}`);
  return match[1].Properties;
}

function logicalIdOf(type: string, prefix: string): string {
  const id = Object.keys(template.findResources(type)).find((logicalId) => logicalId.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}`);
  return id;
}

describe('EgressWarden stack', () => {
  it('passes cdk-nag AwsSolutions with every finding acknowledged', () => {
    expect(() => synthTemplate()).not.toThrow();
  });

  it('fails the template on an unacknowledged cdk-nag finding', () => {
    const stack = synthStack();
    new Bucket(stack, 'UnloggedBucket');
    expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-S1/);
  });

  it('runs five arm64 nodejs24.x functions (the detectors too) with log groups kept three months', () => {
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('gives enforce a reserved concurrency of 1, and no other function one', () => {
    expect(functionNamed('Enforce').ReservedConcurrentExecutions).toBe(1);
    expect(functionNamed('Decide').ReservedConcurrentExecutions).toBeUndefined();
    expect(functionNamed('CatchUp').ReservedConcurrentExecutions).toBeUndefined();
  });

  it('feeds decide from an encrypted queue with a DLQ after 5 receives and a visibility of 6× its timeout', () => {
    const decideTimeout = functionNamed('Decide').Timeout as number;
    const queueId = logicalIdOf('AWS::SQS::Queue', 'EgressWardenDecideQueue');
    const dlqId = logicalIdOf('AWS::SQS::Queue', 'EgressWardenDecideDeadLetterQueue');
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: decideTimeout * 6,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    // The decide queue, its DLQ and the detectors' failure queue.
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 3);
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      3,
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('wakes enforce on decision items only, from the table stream, with a short window and bounded retries', () => {
    const tableId = logicalIdOf('AWS::DynamoDB::Table', 'EgressWardenDecisionTable');
    const mapping = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] } },
      }),
    )[0] as Resources[string];
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'LATEST',
      MaximumBatchingWindowInSeconds: 2,
      MaximumRetryAttempts: 2,
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { dynamodb: { Keys: { pk: { S: [{ prefix: 'IND#' }] }, sk: { S: ['DECISION'] } } } },
    ]);
  });

  it('runs enforce every minute and the GuardDuty catch-up every 15 minutes', () => {
    const enforceId = logicalIdOf('AWS::Lambda::Function', 'EgressWardenEnforce');
    const catchUpId = logicalIdOf('AWS::Lambda::Function', 'EgressWardenCatchUp');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [enforceId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [catchUpId, 'Arn'] } })],
    });
  });

  it('keeps the decision table: encrypted, point-in-time recovery, keys-only stream, TTL, the active index, retained', () => {
    const tableId = logicalIdOf('AWS::DynamoDB::Table', 'EgressWardenDecisionTable');
    const table = template.findResources('AWS::DynamoDB::Table')[tableId] as Resources[string];
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'active',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('encrypts the alert topic with a rotated customer-managed key that CloudWatch may use', () => {
    const keyId = logicalIdOf('AWS::KMS::Key', 'EgressWardenTopicKey');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security-alerts@example.com',
    });
  });

  it('lets operators do exactly what the command line calls, and put only manual requests on the bus', () => {
    const busId = logicalIdOf('AWS::Events::EventBus', 'EgressWardenBus');
    const tableId = logicalIdOf('AWS::DynamoDB::Table', 'EgressWardenDecisionTable');
    const dlqId = logicalIdOf('AWS::SQS::Queue', 'EgressWardenDecideDeadLetterQueue');
    const failureId = logicalIdOf('AWS::SQS::Queue', 'EgressWardenDetectorFailureQueue');
    const listId = logicalIdOf('AWS::Route53Resolver::FirewallDomainList', 'EgressWardenDomainList');
    const ruleGroupId = logicalIdOf('AWS::NetworkFirewall::RuleGroup', 'EgressWardenRuleGroup');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: ['SecurityOperators'],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
            Condition: {
              StringEquals: {
                'events:source': 'egress-warden.manual',
                'events:detail-type': [
                  'Block Request',
                  'Unblock Request',
                  'Reset Breaker',
                  'Pause',
                  'Resume',
                ],
              },
            },
            Sid: 'ManualRequestsOnly',
          },
          {
            Effect: 'Allow',
            Action: 'cloudformation:DescribeStacks',
            Resource: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/EgressWarden/*',
            Sid: 'FindTheDeployment',
          },
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
            Resource: [
              { 'Fn::GetAtt': [tableId, 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
            ],
            Sid: 'ReadDecisions',
          },
          {
            Effect: 'Allow',
            Action: 'sqs:GetQueueAttributes',
            Resource: [{ 'Fn::GetAtt': [dlqId, 'Arn'] }, { 'Fn::GetAtt': [failureId, 'Arn'] }],
            Sid: 'QueueDepths',
          },
          {
            Effect: 'Allow',
            Action: 'route53resolver:ListFirewallDomains',
            Resource: { 'Fn::GetAtt': [listId, 'Arn'] },
            Sid: 'ReadDomainList',
          },
          {
            Effect: 'Allow',
            Action: 'network-firewall:DescribeRuleGroup',
            Resource: { 'Fn::GetAtt': [ruleGroupId, 'RuleGroupArn'] },
            Sid: 'ReadRuleGroup',
          },
          { Effect: 'Allow', Action: 'guardduty:ListDetectors', Resource: '*', Sid: 'SelfTestFindDetector' },
          {
            Effect: 'Allow',
            Action: ['guardduty:CreateSampleFindings', 'guardduty:ListFindings'],
            Resource: 'arn:aws:guardduty:eu-west-1:123456789012:detector/*',
            Sid: 'SelfTestSampleFinding',
          },
        ],
      },
    });
  });

  it('denies every principal putting Threat Signals on the warden bus while no detector is deployed', () => {
    // Prepare
    const { detectors: _, ...withoutDetectors } = EXAMPLE_CONFIG;
    const without = Template.fromStack(synthStack(withoutDetectors));

    // Assess: an explicit deny in the bus's own policy, so no IAM policy in the account can allow it.
    const busId = logicalIdOf('AWS::Events::EventBus', 'EgressWardenBus');
    const policies = Object.values(
      without.findResources('AWS::Events::EventBusPolicy'),
    ) as Resources[string][];
    const statements = policies
      .map((policy) => policy.Properties.Statement as { Sid: string })
      .filter((statement) => statement.Sid !== 'cdk-OnlyOperatorsPutManualRequests');
    expect(statements).toEqual([
      {
        Sid: 'cdk-OnlyDetectorsPutThreatSignals',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
        Condition: { StringEquals: { 'events:source': 'egress-warden.detectors' } },
      },
    ]);
  });

  it('attaches the operator policy to IAM users as well as roles', () => {
    const withUser = Template.fromStack(
      synthStack({ ...EXAMPLE_CONFIG, operators: ['arn:aws:iam::123456789012:user/ops/alice'] }),
    );
    withUser.hasResourceProperties('AWS::IAM::ManagedPolicy', { Users: ['alice'] });
  });

  it('allows network ACL entries only in the configured VPCs', () => {
    const twoVpcs = Template.fromStack(
      synthStack({
        ...EXAMPLE_CONFIG,
        vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }, { vpcId: 'vpc-0fedcba9876543210' }],
      }),
    );
    twoVpcs.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'NetworkAclEntries',
            Effect: 'Allow',
            Action: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry', 'ec2:ReplaceNetworkAclEntry'],
            Resource: 'arn:aws:ec2:eu-west-1:123456789012:network-acl/*',
            Condition: {
              ArnEquals: {
                'ec2:Vpc': [
                  'arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0123456789abcdef0',
                  'arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0fedcba9876543210',
                ],
              },
            },
          },
        ]),
      },
    });
  });

  it('alarms on the DLQs, each function, target errors, overflow, the breaker and enforce falling behind, to the topic', () => {
    const topicId = logicalIdOf('AWS::SNS::Topic', 'EgressWardenAlertTopic');
    template.resourceCountIs('AWS::CloudWatch::Alarm', 11);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: topicId }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
      5,
    );
    for (const metric of [METRICS.targetErrors, METRICS.overflow, METRICS.breakerOpen]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRIC_NAMESPACE,
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'egress-warden' }],
      });
    }
    // Every run cut short for three 5-minute periods: one run cut short after a burst is not an alarm.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: METRICS.enforceCutShort,
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('creates the DNS Firewall rule group with one BLOCK rule on the list, associated with each VPC', () => {
    const listId = logicalIdOf('AWS::Route53Resolver::FirewallDomainList', 'EgressWardenDomainList');
    template.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroup', {
      FirewallRules: [
        {
          FirewallDomainListId: { 'Fn::GetAtt': [listId, 'Id'] },
          Priority: 100,
          Action: 'BLOCK',
          BlockResponse: 'NXDOMAIN',
        },
      ],
    });
    template.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroupAssociation', {
      VpcId: 'vpc-0123456789abcdef0',
      Priority: 9000,
    });
  });

  it('creates a stateful Network Firewall rule group of the configured capacity', () => {
    template.hasResourceProperties('AWS::NetworkFirewall::RuleGroup', {
      Type: 'STATEFUL',
      Capacity: 1000,
      RuleGroup: { RulesSource: { RulesString: INITIAL_RULES } },
    });
  });

  it('leaves out a target that is not deployed, with its permissions and variables', () => {
    const without = Template.fromStack(
      synthStack({
        ...EXAMPLE_CONFIG,
        targets: {
          dnsFirewall: { deploy: false },
          networkAcls: { deploy: false },
          networkFirewall: { deploy: false },
        },
      }),
    );
    without.resourceCountIs('AWS::Route53Resolver::FirewallDomainList', 0);
    without.resourceCountIs('AWS::Route53Resolver::FirewallRuleGroup', 0);
    without.resourceCountIs('AWS::Route53Resolver::FirewallRuleGroupAssociation', 0);
    without.resourceCountIs('AWS::NetworkFirewall::RuleGroup', 0);
    const json = JSON.stringify(without.toJSON());
    expect(json).not.toMatch(/route53resolver:|network-firewall:|NetworkAclEntry|DescribeNetworkAcls/);
    expect(json).not.toContain(ENVIRONMENT.domainList);
    expect(json).not.toContain(ENVIRONMENT.ruleGroup);
  });

  it('passes the run-time configuration and the resources to every function', () => {
    const common = [
      ENVIRONMENT.config,
      ENVIRONMENT.table,
      ENVIRONMENT.topic,
      ENVIRONMENT.bus,
      ENVIRONMENT.domainList,
      ENVIRONMENT.ruleGroup,
    ];
    for (const name of ['Decide', 'Enforce', 'CatchUp', 'DetectDns', 'DetectFlows']) {
      const variables = (functionNamed(name).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(common));
      expect(JSON.parse(variables[ENVIRONMENT.config] as string)).toMatchObject({
        vpcs: [{ vpcId: 'vpc-0123456789abcdef0' }],
        policy: { targets: { dnsFirewall: { mode: 'alert' } } },
      });
    }
  });

  it('names the warden bus to every function, for the undo commands in alerts', () => {
    const busId = logicalIdOf('AWS::Events::EventBus', 'EgressWardenBus');
    for (const name of ['Decide', 'Enforce', 'CatchUp']) {
      const variables = (functionNamed(name).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[ENVIRONMENT.bus]).toEqual({ Ref: busId });
      expect(variables).not.toHaveProperty(ENVIRONMENT.chatTopic);
    }
  });

  it('adds an encrypted chat topic the functions publish to, and outputs it, only when alerts.chat is on', () => {
    // Prepare
    const withChat = synthTemplate({ ...EXAMPLE_CONFIG, alerts: { ...EXAMPLE_CONFIG.alerts, chat: true } });

    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 1);
    withChat.resourceCountIs('AWS::SNS::Topic', 2);
    const chatId = Object.keys(withChat.findResources('AWS::SNS::Topic')).find((id) =>
      id.startsWith('EgressWardenChatTopic'),
    );
    withChat.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    withChat.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENVIRONMENT.chatTopic]: { Ref: chatId } }) },
    });
    withChat.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: Match.arrayWith([{ Ref: chatId }]) }),
        ]),
      },
    });
    expect(Object.keys(withChat.findOutputs('*')).join(' ')).toContain('ChatTopicArn');
  });

  it('outputs the names and addresses a user needs', () => {
    const outputs = Object.keys(template.findOutputs('*')).join(' ');
    for (const name of [
      'EventBusName',
      'DecisionTableName',
      'AlertTopicArn',
      'DomainListId',
      'RuleGroupArn',
      'DecideQueueUrl',
      'DeadLetterQueueUrl',
      'DetectorTableName',
      'DetectorFailureQueueUrl',
      'LogsBucketName',
      'FeedsBucketName',
    ]) {
      expect(outputs).toContain(name);
    }
  });

  it("fails synth naming EGRESS_WARDEN_CONFIG when the environment would exceed Lambda's 4 KB", () => {
    const allowlist = Array.from({ length: 300 }, (_, i) => `host-${i}.example.com`);
    expect(() => synthStack({ ...EXAMPLE_CONFIG, policy: { allowlist: { domains: allowlist } } })).toThrow(
      /EGRESS_WARDEN_CONFIG: .*4096 bytes/,
    );
    expect(() => assertEnvironmentFits({ [ENVIRONMENT.config]: 'x'.repeat(4096) })).toThrow(
      InvalidInputError,
    );
    expect(() => assertEnvironmentFits({ [ENVIRONMENT.config]: 'x'.repeat(3000) })).not.toThrow();
  });
});
