import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DETECTOR_TABLE } from '#adapters/aws/detector-table';
import { ENVIRONMENT } from '#shared/config/environment';
import { parseFlowLogFormat, parseFlowRecord } from '#shared/logs/flow-log';
import { parseLogObjectCreated } from '#shared/logs/s3-object-created';
import { flowRecordOf } from '#shared/use-cases/detect-flows';
import { FLOW_LOG_FIELDS, FLOW_LOG_FORMAT } from '../../infra/detector-logs';
import { matchesEventPattern } from '../support/event-pattern';
import { EXAMPLE_CONFIG, synthTemplate } from './synth';

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };

const S3_EVENTS_DIR = fileURLToPath(new URL('./s3-events/', import.meta.url));

/** The sample S3 Object Created events (AWS log keys, bucket `egress-warden-logs-sample`), by file name. */
const S3_EVENTS = new Map(
  readdirSync(S3_EVENTS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [file, JSON.parse(readFileSync(join(S3_EVENTS_DIR, file), 'utf8')) as S3Event]),
);

interface S3Event {
  account: string;
  detail: { bucket: { name: string }; object: { key: string } };
  [key: string]: unknown;
}

function s3Event(file: string, change: (event: S3Event) => void = () => {}): S3Event {
  const event = structuredClone(S3_EVENTS.get(file));
  if (!event) throw new Error(`no sample ${file}`);
  change(event);
  return event;
}

const VPCS = [{ vpcId: 'vpc-0123456789abcdef0' }, { vpcId: 'vpc-0fedcba9876543210' }];

const templates = new Map<unknown, Template>();
function templateOf(detectors: unknown, vpcs: unknown = EXAMPLE_CONFIG.vpcs): Template {
  const key = JSON.stringify([detectors, vpcs]);
  if (!templates.has(key)) {
    templates.set(
      key,
      synthTemplate({ ...EXAMPLE_CONFIG, vpcs, ...(detectors === undefined ? {} : { detectors }) }),
    );
  }
  return templates.get(key) as Template;
}

/** The example configuration: detectors on, the stack creates the logs and a feeds bucket. */
const created = (): Template => templateOf(EXAMPLE_CONFIG.detectors);
const USER_BUCKET = { deploy: true, logs: { bucket: 'org-vpc-logs', prefix: 'prod' } };
const LOG_GROUPS = {
  deploy: true,
  logs: {
    queryLogGroup: '/vpc/dns-queries',
    flowLogGroup: '/vpc/flows',
    flowLogFormat: ['version', 'srcaddr', 'dstaddr', 'dstport', 'start', 'end', 'action', 'log-status']
      .map((field) => `\${${field}}`)
      .join(' '),
  },
  feedsBucket: { bucket: 'org-threat-feeds' },
};

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function idOf(template: Template, type: string, prefix: string): string {
  const found = resources(template, type).filter(([id]) => id.startsWith(`EgressWarden${prefix}`));
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[0];
}

function propertiesOf(template: Template, type: string, prefix: string): Record<string, unknown> {
  return (template.findResources(type)[idOf(template, type, prefix)] as Resource).Properties;
}

function variablesOf(template: Template, name: string): Record<string, unknown> {
  return (
    propertiesOf(template, 'AWS::Lambda::Function', name).Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
}

/** The statements of the policies on one function's role. */
function roleStatements(template: Template, name: string): Record<string, unknown>[] {
  const role = (propertiesOf(template, 'AWS::Lambda::Function', name).Role as { 'Fn::GetAtt': string[] })[
    'Fn::GetAtt'
  ][0];
  return resources(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === role))
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
}

/** A value with every `{ Ref: id }` of `names` replaced by the name (a bucket's name is only known at deploy). */
function withNames(value: unknown, names: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => withNames(item, names));
  if (typeof value !== 'object' || value === null) return value;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string' && names[ref] !== undefined) return names[ref];
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withNames(inner, names)]));
}

/** The default-bus rules an event reaches, by logical id without its hash. */
function rulesReached(template: Template, event: unknown, names: Record<string, string> = {}): string[] {
  return resources(template, 'AWS::Events::Rule')
    .filter(
      ([, rule]) => rule.Properties.EventPattern !== undefined && rule.Properties.EventBusName === undefined,
    )
    .filter(([, rule]) => matchesEventPattern(withNames(rule.Properties.EventPattern, names), event))
    .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
}

describe('the detector state table', () => {
  it('is shaped from DETECTOR_TABLE: pay per request, encrypted, TTL, destroyed with the stack', () => {
    const template = created();
    const id = idOf(template, 'AWS::DynamoDB::Table', 'DetectorTable');
    const table = template.findResources('AWS::DynamoDB::Table')[id] as Resource;

    expect(table.Properties).toEqual({
      AttributeDefinitions: [
        { AttributeName: DETECTOR_TABLE.partitionKey.name, AttributeType: DETECTOR_TABLE.partitionKey.type },
        { AttributeName: DETECTOR_TABLE.sortKey.name, AttributeType: DETECTOR_TABLE.sortKey.type },
      ],
      KeySchema: [
        { AttributeName: DETECTOR_TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: DETECTOR_TABLE.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: DETECTOR_TABLE.billingMode,
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: DETECTOR_TABLE.timeToLiveAttribute, Enabled: true },
    });
    expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });
});

describe('logs the stack creates', () => {
  it('go to a private, encrypted, TLS-only bucket with EventBridge on, access logs and expiry, kept with the stack', () => {
    const template = created();
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'LogsBucket');
    const accessLogsId = idOf(template, 'AWS::S3::Bucket', 'AccessLogsBucket');
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId] as Resource;

    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireLogs',
            Status: 'Enabled',
            ExpirationInDays: 30,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: 'logs-bucket/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('let only log delivery for this account write, and only under AWSLogs/<account>/', () => {
    const template = created();
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'LogsBucket');
    const fromThisAccount = {
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:logs:eu-west-1:123456789012:*' },
    };

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AWSLogDeliveryWrite',
            Effect: 'Allow',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/AWSLogs/123456789012/*']] },
            Condition: {
              ...fromThisAccount,
              StringEquals: { ...fromThisAccount.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
            },
          },
          {
            Sid: 'AWSLogDeliveryAclCheck',
            Effect: 'Allow',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: ['s3:GetBucketAcl', 's3:ListBucket'],
            Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
            Condition: fromThisAccount,
          },
        ]),
      },
    });
  });

  it('turn on Resolver query logging to the bucket, with one association per VPC', () => {
    const template = templateOf(EXAMPLE_CONFIG.detectors, VPCS);
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'LogsBucket');
    const configId = idOf(template, 'AWS::Route53Resolver::ResolverQueryLoggingConfig', 'QueryLogging');
    const policyId = idOf(template, 'AWS::S3::BucketPolicy', 'LogsBucketPolicy');

    template.hasResource('AWS::Route53Resolver::ResolverQueryLoggingConfig', {
      Properties: { Name: 'EgressWarden-query-logs', DestinationArn: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      DependsOn: Match.arrayWith([policyId]),
    });
    const associations = resources(template, 'AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation');
    expect(associations.map(([, association]) => association.Properties)).toEqual(
      VPCS.map((vpc) => ({
        ResolverQueryLogConfigId: { 'Fn::GetAtt': [configId, 'Id'] },
        ResourceId: vpc.vpcId,
      })),
    );
  });

  it("turn on flow logs of all traffic for each VPC, every minute, in the detector's format", () => {
    const template = templateOf(EXAMPLE_CONFIG.detectors, VPCS);
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'LogsBucket');
    const policyId = idOf(template, 'AWS::S3::BucketPolicy', 'LogsBucketPolicy');

    const flowLogs = resources(template, 'AWS::EC2::FlowLog');

    expect(flowLogs.map(([, flowLog]) => flowLog.Properties)).toEqual(
      VPCS.map((vpc) => ({
        ResourceId: vpc.vpcId,
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        LogDestination: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        LogFormat: FLOW_LOG_FORMAT,
        MaxAggregationInterval: 60,
      })),
    );
    for (const [, flowLog] of flowLogs) expect(flowLog.DependsOn).toContain(policyId);
  });

  it('write flow logs in a format whose records give the flow detector every field it reads', () => {
    // Prepare: one record in the stack's format, each field with a value of its own.
    const values: Record<string, string> = {
      version: '5',
      'account-id': '123456789012',
      'interface-id': 'eni-0a1b2c3d4e5f60718',
      srcaddr: '10.0.1.5',
      dstaddr: '203.0.113.9',
      srcport: '49152',
      dstport: '443',
      protocol: '6',
      packets: '12',
      bytes: '5120',
      start: '1764323400',
      end: '1764323460',
      action: 'ACCEPT',
      'log-status': 'OK',
      'vpc-id': 'vpc-0123456789abcdef0',
      'subnet-id': 'subnet-0123456789abcdef0',
      'instance-id': 'i-0123456789abcdef0',
      'tcp-flags': '19',
      'pkt-srcaddr': '10.0.1.6',
      'pkt-dstaddr': '203.0.113.10',
      'pkt-dst-aws-service': 'S3',
      'flow-direction': 'egress',
      'traffic-path': '8',
    };
    const line = FLOW_LOG_FIELDS.map((field) => values[field]).join(' ');

    // Act
    const entry = parseFlowRecord(line, parseFlowLogFormat(FLOW_LOG_FORMAT), 1);

    // Assess
    expect(entry.kind).toBe('flow');
    const record = flowRecordOf(entry as Parameters<typeof flowRecordOf>[0]);
    expect(record).toEqual({
      start: 1_764_323_400_000,
      end: 1_764_323_460_000,
      srcAddr: '10.0.1.6',
      dstAddr: '203.0.113.10',
      action: 'ACCEPT',
      raw: line,
      srcPort: 49152,
      dstPort: 443,
      protocol: 6,
      bytes: 5120,
      packets: 12,
      flowDirection: 'egress',
      tcpFlags: 19,
      pktDstAwsService: 'S3',
      trafficPath: 8,
      vpcId: 'vpc-0123456789abcdef0',
      subnetId: 'subnet-0123456789abcdef0',
      instanceId: 'i-0123456789abcdef0',
      interfaceId: 'eni-0a1b2c3d4e5f60718',
      account: '123456789012',
    });
  });
});

describe('the S3 Object Created rules', () => {
  const LOGS_BUCKET = 'egress-warden-logs-sample';

  function createdRules(event: unknown): string[] {
    const template = created();
    return rulesReached(template, event, { [idOf(template, 'AWS::S3::Bucket', 'LogsBucket')]: LOGS_BUCKET });
  }

  it.each([
    ['query-log-object-created.json', 'query-log'],
    ['flow-log-object-created.json', 'flow-log'],
    ['flow-log-hive-object-created.json', 'flow-log'],
  ])('use samples whose keys the log reader accepts: %s is a %s', (file, kind) => {
    expect(parseLogObjectCreated(s3Event(file))).toMatchObject({ kind, account: '123456789012' });
  });

  it('send a new query-log file to detect-dns only, and a new flow-log file to detect-flows only', () => {
    expect(createdRules(s3Event('query-log-object-created.json'))).toEqual([
      'EgressWardenDetectDnsLogObjectRule',
    ]);
    expect(createdRules(s3Event('flow-log-object-created.json'))).toEqual([
      'EgressWardenDetectFlowsLogObjectRule',
    ]);
  });

  it.each([
    [
      'another bucket',
      (event: S3Event) => {
        event.detail.bucket.name = 'someone-elses-bucket';
      },
    ],
    [
      "another account's logs",
      (event: S3Event) => {
        event.detail.object.key = event.detail.object.key.replaceAll('123456789012', '210987654321');
      },
    ],
    [
      'an object outside AWSLogs/',
      (event: S3Event) => {
        event.detail.object.key = `copies/${event.detail.object.key}`;
      },
    ],
    [
      'another event type',
      (event: S3Event) => {
        event['detail-type'] = 'Object Deleted';
      },
    ],
    [
      'another source',
      (event: S3Event) => {
        event.source = 'egress-warden.manual';
      },
    ],
  ])('ignore %s', (_, change) => {
    expect(createdRules(s3Event('query-log-object-created.json', change))).toEqual([]);
    expect(createdRules(s3Event('flow-log-object-created.json', change))).toEqual([]);
  });

  it("match the user's bucket under its prefix, flow logs with Hive-style keys too", () => {
    const template = templateOf(USER_BUCKET);
    const prefixed = (file: string) =>
      s3Event(file, (event) => {
        event.detail.bucket.name = 'org-vpc-logs';
        event.detail.object.key = `prod/${event.detail.object.key}`;
      });

    expect(rulesReached(template, prefixed('query-log-object-created.json'))).toEqual([
      'EgressWardenDetectDnsLogObjectRule',
    ]);
    expect(rulesReached(template, prefixed('flow-log-object-created.json'))).toEqual([
      'EgressWardenDetectFlowsLogObjectRule',
    ]);
    expect(rulesReached(template, prefixed('flow-log-hive-object-created.json'))).toEqual([
      'EgressWardenDetectFlowsLogObjectRule',
    ]);
    // Without the prefix the key is not where this configuration says the logs are.
    expect(
      rulesReached(
        template,
        s3Event('flow-log-object-created.json', (event) => {
          event.detail.bucket.name = 'org-vpc-logs';
        }),
      ),
    ).toEqual([]);
  });

  it('retry delivery, then keep what could not be delivered in the failure queue', () => {
    const template = created();
    const queueId = idOf(template, 'AWS::SQS::Queue', 'DetectorFailureQueue');
    for (const name of ['DetectDns', 'DetectFlows']) {
      expect(propertiesOf(template, 'AWS::Events::Rule', `${name}LogObjectRule`).Targets).toEqual([
        {
          Arn: { 'Fn::GetAtt': [idOf(template, 'AWS::Lambda::Function', name), 'Arn'] },
          Id: 'Target0',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 21_600, MaximumRetryAttempts: 8 },
        },
      ]);
    }
  });
});

describe('log groups the user names', () => {
  it('are subscribed to, each by its detector, with every event', () => {
    const template = templateOf(LOG_GROUPS);

    for (const [name, logGroup] of [
      ['DetectDns', '/vpc/dns-queries'],
      ['DetectFlows', '/vpc/flows'],
    ]) {
      const fnId = idOf(template, 'AWS::Lambda::Function', name as string);
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: logGroup,
        DestinationArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        FilterPattern: '',
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'logs.amazonaws.com',
        SourceArn: `arn:aws:logs:eu-west-1:123456789012:log-group:${logGroup}:*`,
      });
    }
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
  });

  it('create no bucket, logging or S3 rule, and give detect-flows the format of its log group', () => {
    const template = templateOf(LOG_GROUPS);

    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.resourceCountIs('AWS::Route53Resolver::ResolverQueryLoggingConfig', 0);
    expect(resources(template, 'AWS::Events::Rule').map(([id]) => id)).not.toContainEqual(
      expect.stringMatching(/LogObjectRule/),
    );
    expect(variablesOf(template, 'DetectFlows')[ENVIRONMENT.flowLogFormat]).toBe(
      LOG_GROUPS.logs.flowLogFormat,
    );
    expect(variablesOf(template, 'DetectDns')).not.toHaveProperty(ENVIRONMENT.flowLogFormat);
    for (const name of ['DetectDns', 'DetectFlows']) {
      expect(roleStatements(template, name).map((statement) => statement.Sid)).not.toContain(
        'ReadLogObjects',
      );
    }
  });

  it('deploy only the detector whose log is given', () => {
    const template = templateOf({ deploy: true, logs: { flowLogGroup: '/vpc/flows' } });

    expect(resources(template, 'AWS::Lambda::Function').map(([id]) => id)).toEqual([
      expect.stringMatching(/^EgressWardenDecide/),
      expect.stringMatching(/^EgressWardenEnforce/),
      expect.stringMatching(/^EgressWardenCatchUp/),
      expect.stringMatching(/^EgressWardenDetectFlows/),
    ]);
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
  });
});

describe('the detector functions', () => {
  it('get the common variables, the detector table, the warden bus and the feeds bucket', () => {
    const template = created();
    const tableId = idOf(template, 'AWS::DynamoDB::Table', 'DetectorTable');
    const busId = idOf(template, 'AWS::Events::EventBus', 'Bus');
    const feedsId = idOf(template, 'AWS::S3::Bucket', 'FeedsBucket');

    for (const name of ['DetectDns', 'DetectFlows']) {
      const variables = variablesOf(template, name);
      expect(variables).toMatchObject({
        [ENVIRONMENT.detectorTable]: { Ref: tableId },
        [ENVIRONMENT.bus]: { Ref: busId },
        [ENVIRONMENT.feedsBucket]: { Ref: feedsId },
      });
      for (const common of [ENVIRONMENT.config, ENVIRONMENT.table, ENVIRONMENT.topic]) {
        expect(variables).toHaveProperty(common);
      }
      // S3 flow-log files name their fields in a header line.
      expect(variables).not.toHaveProperty(ENVIRONMENT.flowLogFormat);
    }
    // The other functions know nothing of the detectors.
    for (const name of ['Decide', 'Enforce', 'CatchUp']) {
      expect(Object.keys(variablesOf(template, name))).not.toContain(ENVIRONMENT.detectorTable);
    }
  });

  it('are retried twice by Lambda, then their event goes to the failure queue', () => {
    const template = created();
    const queueId = idOf(template, 'AWS::SQS::Queue', 'DetectorFailureQueue');

    for (const name of ['DetectDns', 'DetectFlows']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: idOf(template, 'AWS::Lambda::Function', name) },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.absent(),
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('read log objects only under the prefix AWS writes their log to', () => {
    const template = created();
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'LogsBucket');
    const objects = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, path]] });

    expect(roleStatements(template, 'DetectDns')).toContainEqual({
      Sid: 'ReadLogObjects',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: objects('/AWSLogs/123456789012/vpcdnsquerylogs/*'),
    });
    expect(roleStatements(template, 'DetectFlows')).toContainEqual({
      Sid: 'ReadLogObjects',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: objects('/AWSLogs/123456789012/vpcflowlogs/*'),
    });
  });

  it("read the user's bucket under its prefix only", () => {
    const template = templateOf(USER_BUCKET);
    const objects = (path: string) => `arn:aws:s3:::org-vpc-logs/prod/AWSLogs/${path}`;

    expect(roleStatements(template, 'DetectFlows')).toContainEqual({
      Sid: 'ReadLogObjects',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: [
        objects('123456789012/vpcflowlogs/*'),
        objects('aws-account-id=123456789012/aws-service=vpcflowlogs/*'),
      ],
    });
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('list and read the feeds bucket under feeds/dns/ and feeds/ip/ only', () => {
    const template = created();
    const feedsId = idOf(template, 'AWS::S3::Bucket', 'FeedsBucket');
    const objects = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [feedsId, 'Arn'] }, path]] });

    for (const name of ['DetectDns', 'DetectFlows']) {
      const statements = roleStatements(template, name);
      expect(statements).toContainEqual({
        Sid: 'ListFeeds',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [feedsId, 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['feeds/dns/*', 'feeds/ip/*'] } },
      });
      expect(statements).toContainEqual({
        Sid: 'ReadFeeds',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objects('/feeds/dns/*'), objects('/feeds/ip/*')],
      });
    }
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
      DeletionPolicy: 'Retain',
    });
  });

  it('update and query the detector table, and put only Threat Signals on the warden bus', () => {
    const template = created();
    const tableId = idOf(template, 'AWS::DynamoDB::Table', 'DetectorTable');
    const busId = idOf(template, 'AWS::Events::EventBus', 'Bus');

    for (const name of ['DetectDns', 'DetectFlows']) {
      const statements = roleStatements(template, name);
      expect(statements).toContainEqual({
        Sid: 'DetectorTable',
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
      });
      expect(statements).toContainEqual({
        Sid: 'PutThreatSignals',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
        Condition: {
          StringEquals: {
            'events:source': 'egress-warden.detectors',
            'events:detail-type': ['Threat Signal'],
          },
        },
      });
    }
  });

  it('are the only principals the warden bus lets put Threat Signals', () => {
    const template = created();
    const roles = ['DetectDns', 'DetectFlows'].map((name) => ({
      'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', `${name}Role`), 'Arn'],
    }));

    const statements = resources(template, 'AWS::Events::EventBusPolicy')
      .map(([, policy]) => policy.Properties.Statement as { Sid: string })
      .filter((statement) => statement.Sid !== 'cdk-OnlyOperatorsPutManualRequests');

    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: { 'events:source': 'egress-warden.detectors' },
          ArnNotEquals: { 'aws:PrincipalArn': roles },
        },
      }),
    ]);
  });

  it('alarm on their errors and on the failure queue, to the alert topic', () => {
    const template = created();
    const topicId = idOf(template, 'AWS::SNS::Topic', 'AlertTopic');
    const queueId = idOf(template, 'AWS::SQS::Queue', 'DetectorFailureQueue');

    for (const name of ['DetectDns', 'DetectFlows']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: idOf(template, 'AWS::Lambda::Function', name) } }],
        Threshold: 0,
        AlarmActions: [{ Ref: topicId }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      AlarmActions: [{ Ref: topicId }],
    });
  });
});

describe('a configuration without detectors', () => {
  it('creates none of their resources, permissions or variables, and lets nobody put Threat Signals', () => {
    const { detectors: _, ...withoutDetectors } = EXAMPLE_CONFIG;
    const template = synthTemplate(withoutDetectors);

    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::EC2::FlowLog',
      'AWS::Route53Resolver::ResolverQueryLoggingConfig',
      'AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation',
      'AWS::Logs::SubscriptionFilter',
      'AWS::Lambda::EventInvokeConfig',
    ]) {
      expect(resources(template, type).filter(([id]) => !id.startsWith('EgressWardenEnforce'))).toEqual([]);
    }
    template.resourceCountIs('AWS::SQS::Queue', 2);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(
      /"s3:|aws\.s3|DETECTOR_TABLE_NAME|FEEDS_BUCKET|DetectDns|DetectFlows|DetectorTable|DetectorFailure/,
    );
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Deny',
        Condition: { StringEquals: { 'events:source': 'egress-warden.detectors' } },
      },
    });
  });
});
