/**
 * The `EgressWarden` construct: everything Egress Warden runs on, for the ready app (`infra/bin/app.ts`) or a
 * user's own CDK app. It owns containers, never entries: the DNS Firewall domain list's domains and the
 * Network Firewall rule group's rules are written only by the `enforce` function, and both resources have
 * properties that no configuration change alters, so a redeploy never makes CloudFormation rewrite them.
 */
import { Buffer } from 'node:buffer';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { CfnFlowLog } from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { CfnRuleGroup } from 'aws-cdk-lib/aws-networkfirewall';
import {
  CfnFirewallDomainList,
  CfnFirewallRuleGroup,
  CfnFirewallRuleGroupAssociation,
  CfnResolverQueryLoggingConfig,
  CfnResolverQueryLoggingConfigAssociation,
} from 'aws-cdk-lib/aws-route53resolver';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DECISION_TABLE, decisionKey } from '#adapters/aws/decision-table';
import { DETECTOR_TABLE } from '#adapters/aws/detector-table';
import { InvalidInputError } from '#domain/errors';
import { runtimeConfig, type WardenConfig } from '#shared/config/config';
import { ENVIRONMENT } from '#shared/config/environment';
import { ACCEPTED_EVENTS } from '#shared/intake/event';
import { MANUAL_SOURCE } from '#shared/intake/manual';
import { DETECTOR_SOURCE } from '#shared/intake/threat-signal';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '#shared/runtime/observability';
import type { DetectorFunctionName, FunctionName } from './bundling';
import { type DetectorLog, FEED_PREFIXES, FLOW_LOG_FORMAT, logKeyPrefixes } from './detector-logs';
import { functionCode } from './function-code';

/** The functions that are always deployed. */
type CoreFunctionName = Exclude<FunctionName, DetectorFunctionName>;

/** Each detector function and the log it reads. */
const DETECTOR_LOGS: readonly (readonly [DetectorFunctionName, DetectorLog])[] = [
  ['detect-dns', 'query-log'],
  ['detect-flows', 'flow-log'],
];

/** The log detectors' resources (present when the configuration deploys them). */
export interface DetectorResources {
  /** The windowed counts (DETECTOR_TABLE). */
  readonly table: dynamodb.Table;
  /** Invocations that failed after Lambda's retries, and S3 events EventBridge could not deliver. */
  readonly failureQueue: sqs.Queue;
  /** The bucket the logs are read from: the stack's, or the user's; absent when they come from log groups. */
  readonly logsBucket?: s3.IBucket;
  /** The bucket of feed files (`feeds/dns/*`, `feeds/ip/*`), when configured. */
  readonly feedsBucket?: s3.IBucket;
  /** The Resolver query logging configuration, when the stack creates the logs. */
  readonly queryLogging?: CfnResolverQueryLoggingConfig;
}

/** Properties of {@link EgressWarden}. */
export interface EgressWardenProps {
  /** The validated configuration (`parseConfig`). */
  readonly config: WardenConfig;
}

/** Lambda refuses a function whose environment variables (names and values) exceed 4 KB in total. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/** An upper bound for a value the stack fills in at deploy time (a table name, an ARN, an ID). */
const DEPLOY_TIME_VALUE_BYTES = 256;

/**
 * The rules the Network Firewall rule group is created with. A stateful group needs a rules source, so it
 * starts with one rule that can never match (TEST-NET-1 to itself); its SID is outside Egress Warden's range,
 * so `enforce` keeps it as a foreign rule and writes its own rules after it. It never changes, so
 * CloudFormation never updates the group and never overwrites what `enforce` wrote.
 */
export const INITIAL_RULES =
  'pass ip 192.0.2.1 any -> 192.0.2.1 any (msg:"egress-warden placeholder: matches nothing"; sid:1; rev:1;)';

/** The detail types of the accepted events from one source, read from the intake. */
function detailTypesOf(source: string): string[] {
  return ACCEPTED_EVENTS.filter((event) => event.source === source).map((event) => event.detailType);
}

/**
 * Timeouts; the decide queue's visibility timeout is six times decide's, as AWS recommends. A batch of 10 on a
 * hot breaker item may retry each record's conditional write for up to 54 s (CONFLICT_RETRY); that many
 * retries only happen when hundreds of writers race, and a timed-out batch is redelivered and replays as duplicates.
 * Exported for the benchmark that models enforce's runs against its timeout.
 */
export const TIMEOUTS: Record<FunctionName, Duration> = {
  decide: Duration.seconds(60),
  enforce: Duration.minutes(2),
  'catch-up': Duration.minutes(5),
  // One S3 file is up to 75 MB of gzip, streamed; a CloudWatch Logs batch is at most 1 MB.
  'detect-dns': Duration.minutes(5),
  'detect-flows': Duration.minutes(5),
};

/**
 * Memory, in MB: the detectors get more, because Lambda gives CPU in proportion to memory and gunzip and
 * parsing are CPU-bound; their memory use itself grows with distinct keys, not with file size.
 */
const MEMORY: Record<FunctionName, number> = {
  decide: 512,
  enforce: 512,
  'catch-up': 512,
  'detect-dns': 1024,
  'detect-flows': 1024,
};

/**
 * Egress Warden in one construct: the warden event bus and the rules into the decide queue, the decision
 * table, the three functions and their schedules, the DNS Firewall domain list and rule group (associated
 * with each configured VPC), the stateful Network Firewall rule group to add to a firewall policy, the
 * encrypted alert topic, the operators' managed policy, and alarms.
 */
export class EgressWarden extends Construct {
  readonly bus: events.EventBus;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly table: dynamodb.Table;
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  /**
   * Present when `alerts.chat` is on: every alert again, as an AWS Chatbot (Amazon Q Developer in chat
   * applications) custom notification, for a chat channel configuration to subscribe to.
   */
  readonly chatTopic?: sns.Topic;
  /** The functions; the detectors only when the configuration deploys them. */
  readonly functions: Record<CoreFunctionName, lambda.Function> &
    Partial<Record<DetectorFunctionName, lambda.Function>>;
  /** Present when the log detectors are deployed. */
  readonly detectors?: DetectorResources;
  readonly operatorPolicy: iam.ManagedPolicy;
  /** Present when the DNS Firewall target is deployed. */
  readonly domainList?: CfnFirewallDomainList;
  /** Present when the Network Firewall target is deployed. */
  readonly ruleGroup?: CfnRuleGroup;

  constructor(scope: Construct, id: string, props: EgressWardenProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `${config.stackName}-bus` });

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the Egress Warden alert topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic, so the key lets the service use it for this account.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlertTopic', { masterKey: this.topicKey, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    if (config.alerts.chat) {
      this.chatTopic = new sns.Topic(this, 'ChatTopic', { masterKey: this.topicKey, enforceSSL: true });
    }
    for (const email of config.alerts.emails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    config.alerts.subscriptions.forEach((subscription, i) => {
      new sns.Subscription(this, `AlertSubscription${i}`, {
        topic: this.topic,
        protocol: subscription.protocol as unknown as sns.SubscriptionProtocol,
        endpoint: subscription.endpoint,
      });
    });

    this.table = this.#decisionTable();
    this.deadLetterQueue = new sqs.Queue(this, 'DecideDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'DecideQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(TIMEOUTS.decide.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.#inboundRules();

    const { dnsFirewall, networkFirewall, networkAcls } = config.targets;
    if (dnsFirewall.deploy) this.domainList = this.#dnsFirewall(config);
    if (networkFirewall.deploy) {
      this.ruleGroup = new CfnRuleGroup(this, 'RuleGroup', {
        ruleGroupName: `${config.stackName}-blocklist`,
        type: 'STATEFUL',
        capacity: networkFirewall.capacity,
        description: 'Egress Warden blocks: rules written by the enforce function',
        ruleGroup: { rulesSource: { rulesString: INITIAL_RULES } },
      });
    }

    const environment: Record<string, string> = {
      [ENVIRONMENT.config]: JSON.stringify(runtimeConfig(config)),
      [ENVIRONMENT.table]: this.table.tableName,
      [ENVIRONMENT.topic]: this.topic.topicArn,
      // The undo commands in alerts name the bus they put requests on.
      [ENVIRONMENT.bus]: this.bus.eventBusName,
      ...(this.chatTopic ? { [ENVIRONMENT.chatTopic]: this.chatTopic.topicArn } : {}),
      ...(this.domainList ? { [ENVIRONMENT.domainList]: this.domainList.attrId } : {}),
      ...(this.ruleGroup ? { [ENVIRONMENT.ruleGroup]: this.ruleGroup.attrRuleGroupArn } : {}),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
    };
    assertEnvironmentFits(environment);
    const core = {
      decide: this.#function('decide', environment),
      enforce: this.#function('enforce', environment, 1),
      'catch-up': this.#function('catch-up', environment),
    };
    if (config.detectors.deploy) {
      const detectors = this.#detectors(config, environment);
      this.detectors = detectors.resources;
      this.functions = { ...core, ...detectors.functions };
    } else {
      this.functions = core;
    }
    this.#onlyPrincipalsPut(
      'OnlyDetectorsPutThreatSignals',
      DETECTOR_SOURCE,
      DETECTOR_LOGS.flatMap(([name]) => this.functions[name]?.role?.roleArn ?? []),
    );
    this.#onlyPrincipalsPut('OnlyOperatorsPutManualRequests', MANUAL_SOURCE, config.operators);
    this.#wireFunctions();
    this.#grant(config, networkAcls.deploy);

    this.operatorPolicy = this.#operatorPolicy(config);
    this.#alarms();
    this.#outputs();
    this.#acknowledge(networkAcls.deploy);
  }

  /** The decision table, shaped from DECISION_TABLE (the same definition the tests' CreateTable uses). */
  #decisionTable(): dynamodb.Table {
    const { partitionKey, sortKey, activeIndex, timeToLiveAttribute } = DECISION_TABLE;
    const attribute = (key: { name: string }) => ({ name: key.name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, 'DecisionTable', {
      partitionKey: attribute(partitionKey),
      sortKey: attribute(sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute,
      // enforce is only woken by a change; it reads the store itself, so keys are enough.
      stream: dynamodb.StreamViewType.KEYS_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: activeIndex.indexName,
      partitionKey: attribute(activeIndex.partitionKey),
      sortKey: attribute(activeIndex.sortKey),
      projectionType: dynamodb.ProjectionType.ALL,
    });
    return table;
  }

  /** GuardDuty findings from the default bus; manual requests and Threat Signals from the warden bus. */
  #inboundRules(): void {
    const target = new eventTargets.SqsQueue(this.queue);
    const manualTypes = detailTypesOf(MANUAL_SOURCE);
    const guardDutyTypes = detailTypesOf('aws.guardduty');
    const signalTypes = detailTypesOf(DETECTOR_SOURCE);
    new events.Rule(this, 'GuardDutyFindingRule', {
      description: 'GuardDuty findings (default bus) to the decide queue',
      eventPattern: { source: ['aws.guardduty'], detailType: guardDutyTypes },
      targets: [target],
    });
    new events.Rule(this, 'ManualRequestRule', {
      description:
        'Manual requests (block, unblock, reset breaker, pause, resume) on the warden bus to the decide queue',
      eventBus: this.bus,
      eventPattern: { source: [MANUAL_SOURCE], detailType: manualTypes },
      targets: [target],
    });
    new events.Rule(this, 'ThreatSignalRule', {
      description: 'Threat Signals from detectors (warden bus) to the decide queue',
      eventBus: this.bus,
      eventPattern: { source: [DETECTOR_SOURCE], detailType: signalTypes },
      targets: [target],
    });
  }

  /**
   * The domain list (name only: its domains are written by enforce), a rule group with one BLOCK rule on it,
   * and one association per configured VPC.
   */
  #dnsFirewall(config: WardenConfig): CfnFirewallDomainList {
    const { rulePriority, associationPriority } = config.targets.dnsFirewall;
    const domainList = new CfnFirewallDomainList(this, 'DomainList', {
      name: `${config.stackName}-blocklist`,
    });
    const ruleGroup = new CfnFirewallRuleGroup(this, 'DnsFirewallRuleGroup', {
      name: `${config.stackName}-dns-firewall`,
      firewallRules: [
        {
          firewallDomainListId: domainList.attrId,
          priority: rulePriority,
          action: 'BLOCK',
          blockResponse: 'NXDOMAIN',
        },
      ],
    });
    for (const vpc of config.vpcs) {
      new CfnFirewallRuleGroupAssociation(this, `DnsFirewallAssociation-${vpc.vpcId}`, {
        firewallRuleGroupId: ruleGroup.attrId,
        vpcId: vpc.vpcId,
        priority: associationPriority,
        name: `${config.stackName}-${vpc.vpcId}`,
        mutationProtection: 'DISABLED',
      });
    }
    return domainList;
  }

  #function(name: FunctionName, environment: Record<string, string>, reserved?: number): lambda.Function {
    const id = pascalCase(name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role per function, so each holds exactly what its code calls (no AWS managed policy).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Egress Warden ${name} function`,
    });
    logGroup.grantWrite(role);
    return new lambda.Function(this, id, {
      code: functionCode(name),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: MEMORY[name],
      timeout: TIMEOUTS[name],
      role,
      logGroup,
      environment,
      ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
    });
  }

  /** Event sources and schedules. */
  #wireFunctions(): void {
    const { decide, enforce } = this.functions;
    // Decision items only (`IND#<key>` / `DECISION`): audit, breaker and ledger writes never wake enforce.
    const decisionItem = decisionKey('');
    decide.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    enforce.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(2),
        // A dropped wake-up costs nothing: the every-minute run reconciles everything anyway.
        retryAttempts: 2,
        maxRecordAge: Duration.hours(1),
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: {
              Keys: {
                pk: { S: lambda.FilterRule.beginsWith(decisionItem.pk) },
                sk: { S: lambda.FilterRule.isEqual(decisionItem.sk) },
              },
            },
          }),
        ],
      }),
    );
    // enforce runs one at a time; a tick that finds it busy is dropped rather than queued for later.
    enforce.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    new events.Rule(this, 'EnforceSchedule', {
      description: 'Expiry and drift repair: enforce reconciles every target every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new eventTargets.LambdaFunction(enforce, { retryAttempts: 0 })],
    });
    new events.Rule(this, 'CatchUpSchedule', {
      description: 'GuardDuty catch-up every 15 minutes',
      schedule: events.Schedule.rate(Duration.minutes(15)),
      targets: [new eventTargets.LambdaFunction(this.functions['catch-up'], { retryAttempts: 2 })],
    });
  }

  /** Each function's permissions: exactly the calls its code makes, on exactly its resources. */
  #grant(config: WardenConfig, networkAclsDeployed: boolean): void {
    const stack = Stack.of(this);
    const tableArns = [
      this.table.tableArn,
      `${this.table.tableArn}/index/${DECISION_TABLE.activeIndex.indexName}`,
    ];
    const store = new iam.PolicyStatement({
      sid: 'DecisionTable',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      resources: tableArns,
    });
    for (const fn of [this.functions.decide, this.functions.enforce, this.functions['catch-up']]) {
      fn.addToRolePolicy(store);
      this.topic.grantPublish(fn);
      this.chatTopic?.grantPublish(fn);
    }
    const { enforce } = this.functions;
    // Only enforce reads the CIDRs of the VPCs the configuration lists none for, and records them in the table
    // for the other functions; DescribeVpcs has no resource type.
    enforce.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'VpcCidrs', actions: ['ec2:DescribeVpcs'], resources: ['*'] }),
    );
    if (this.domainList) {
      enforce.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DnsFirewallDomainList',
          actions: [
            'route53resolver:GetFirewallDomainList',
            'route53resolver:ListFirewallDomains',
            'route53resolver:UpdateFirewallDomains',
          ],
          resources: [this.domainList.attrArn],
        }),
      );
    }
    if (this.ruleGroup) {
      enforce.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'NetworkFirewallRuleGroup',
          actions: ['network-firewall:DescribeRuleGroup', 'network-firewall:UpdateRuleGroup'],
          resources: [this.ruleGroup.attrRuleGroupArn],
        }),
      );
    }
    if (networkAclsDeployed) {
      enforce.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'NetworkAclEntries',
          actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry', 'ec2:ReplaceNetworkAclEntry'],
          resources: [this.#anyNetworkAcl()],
          // Only the ACLs of the protected VPCs: ec2:Vpc is the VPC's ARN, not its id.
          conditions: {
            ArnEquals: {
              'ec2:Vpc': config.vpcs.map((vpc) =>
                stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpc.vpcId }),
              ),
            },
          },
        }),
      );
      enforce.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'NetworkAclRead',
          actions: ['ec2:DescribeNetworkAcls'],
          resources: ['*'],
        }),
      );
    }
    this.functions['catch-up'].addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'GuardDutyFindings',
        actions: ['guardduty:ListDetectors', 'guardduty:ListFindings', 'guardduty:GetFindings'],
        resources: ['*'],
      }),
    );
  }

  /**
   * Only `principals` (role and user ARNs) may put events of `source` on the warden bus: an explicit deny in the
   * bus's resource policy holds for every principal, in this account too, whatever its IAM policies allow (so a
   * principal allowed `events:PutEvents` on `*` can neither forge a Threat Signal nor unblock an indicator or
   * pause Egress Warden). With no principal listed, nobody may. Threat Signals: the detector functions; manual
   * requests: the configured operators.
   */
  #onlyPrincipalsPut(sid: string, source: string, principals: readonly string[]): void {
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': source },
          ...(principals.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': [...principals] } } : {}),
        },
      }),
    );
  }

  /**
   * The log detectors: their state table, where their logs come from (logging the stack turns on into its own
   * bucket, the user's bucket, or the user's log groups), the feeds bucket, the two functions with their
   * environment, triggers, retries and failure queue, and their permissions. A function is left out when its
   * log is not given (log groups named for one log only).
   */
  #detectors(
    config: WardenConfig,
    environment: Readonly<Record<string, string>>,
  ): { resources: DetectorResources; functions: Partial<Record<DetectorFunctionName, lambda.Function>> } {
    const stack = Stack.of(this);
    const { logs: source, feedsBucket } = config.detectors;
    const table = this.#detectorTable();
    const failureQueue = new sqs.Queue(this, 'DetectorFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself where failures end: the detectors' on-failure destination and the dead-letter queue of their EventBridge targets.",
    });
    const createsFeeds = feedsBucket !== undefined && !('bucket' in feedsBucket);
    const accessLogs = source.source === 'create' || createsFeeds ? this.#accessLogsBucket() : undefined;
    let logsBucket: s3.IBucket | undefined;
    let queryLogging: CfnResolverQueryLoggingConfig | undefined;
    if (source.source === 'create' && accessLogs) {
      const bucket = this.#logsBucket(source.expireAfterDays, accessLogs);
      queryLogging = this.#createLogs(config, bucket);
      logsBucket = bucket;
    } else if (source.source === 'bucket') {
      logsBucket = s3.Bucket.fromBucketName(this, 'LogsBucket', source.bucket);
    }
    let feeds: s3.IBucket | undefined;
    if (feedsBucket && 'bucket' in feedsBucket) {
      feeds = s3.Bucket.fromBucketName(this, 'FeedsBucket', feedsBucket.bucket);
    } else if (createsFeeds && accessLogs) {
      feeds = new s3.Bucket(this, 'FeedsBucket', {
        ...PRIVATE_BUCKET,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: 'feeds-bucket/',
        // An overwritten or deleted feed can be restored; feeds are the user's own work, so they are kept.
        versioned: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    const functions: Partial<Record<DetectorFunctionName, lambda.Function>> = {};
    for (const [name, log] of DETECTOR_LOGS) {
      const logGroup =
        source.source !== 'log-groups'
          ? undefined
          : log === 'query-log'
            ? source.queryLogGroup
            : source.flowLogGroup;
      if (source.source === 'log-groups' && logGroup === undefined) continue;
      // The common variables, and the detector's own (parseDetectorEnvironment): no FLOW_LOG_FORMAT for S3
      // files, whose header line names the fields.
      const variables: Record<string, string> = {
        ...environment,
        [ENVIRONMENT.detectorTable]: table.tableName,
        [ENVIRONMENT.bus]: this.bus.eventBusName,
        ...(feeds ? { [ENVIRONMENT.feedsBucket]: feeds.bucketName } : {}),
        ...(log === 'flow-log' && source.source === 'log-groups' && source.flowLogFormat
          ? { [ENVIRONMENT.flowLogFormat]: source.flowLogFormat }
          : {}),
      };
      assertEnvironmentFits(variables);
      const fn = this.#function(name, variables);
      const objectPaths: string[] = [];
      // A failure that may pass (throttling, a service error) is retried by Lambda; what still fails is kept.
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(failureQueue),
      });
      const id = pascalCase(name);
      if (logsBucket) {
        const prefix = source.source === 'bucket' ? source.prefix : '';
        const prefixes = logKeyPrefixes(log, stack.account, prefix, source.source === 'bucket');
        new events.Rule(this, `${id}LogObjectRule`, {
          description: `New ${log} files in the logs bucket to the ${name} function`,
          eventPattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: {
              bucket: { name: [logsBucket.bucketName] },
              object: { key: prefixes.map((keyPrefix) => ({ prefix: keyPrefix })) },
            },
          },
          targets: [
            new eventTargets.LambdaFunction(fn, {
              retryAttempts: 8,
              maxEventAge: Duration.hours(6),
              deadLetterQueue: failureQueue,
            }),
          ],
        });
        const logObjects = prefixes.map((keyPrefix) => logsBucket.arnForObjects(`${keyPrefix}*`));
        objectPaths.push(...logObjects);
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'ReadLogObjects',
            actions: ['s3:GetObject'],
            resources: logObjects,
          }),
        );
      } else if (logGroup !== undefined) {
        new logs.SubscriptionFilter(this, `${id}Subscription`, {
          logGroup: logs.LogGroup.fromLogGroupName(this, `${id}SourceLogGroup`, logGroup),
          destination: new LambdaDestination(fn),
          filterPattern: logs.FilterPattern.allEvents(),
        });
      }
      if (feeds) {
        // Each detector loads both kinds of feed (one loader, one cache per container), and nothing else.
        const feedPrefixes = Object.values(FEED_PREFIXES);
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'ListFeeds',
            actions: ['s3:ListBucket'],
            resources: [feeds.bucketArn],
            conditions: { StringLike: { 's3:prefix': feedPrefixes.map((feedPrefix) => `${feedPrefix}*`) } },
          }),
        );
        const feedObjects = feedPrefixes.map((feedPrefix) => feeds.arnForObjects(`${feedPrefix}*`));
        objectPaths.push(...feedObjects);
        fn.addToRolePolicy(
          new iam.PolicyStatement({ sid: 'ReadFeeds', actions: ['s3:GetObject'], resources: feedObjects }),
        );
      }
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DetectorTable',
          actions: ['dynamodb:UpdateItem', 'dynamodb:Query'],
          resources: [table.tableArn],
        }),
      );
      // The DNS detector learns each VPC's domain baseline on the decision table (kept for weeks, backed up),
      // and may touch no item there but the baseline's: every key it reads or writes leads with BASELINE#.
      // detect-flows shares the composition and its bundle, so its role gets the same grant.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DomainBaselines',
          actions: ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['BASELINE#*'] } },
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'PutThreatSignals',
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            StringEquals: {
              'events:source': DETECTOR_SOURCE,
              'events:detail-type': detailTypesOf(DETECTOR_SOURCE),
            },
          },
        }),
      );
      if (fn.role) {
        for (const path of objectPaths) {
          Validations.of(fn.role).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${nagResource(stack.resolve(path))}]`,
            reason:
              'Log files and feed files get new keys all the time, so objects are granted by key prefix: only the prefix AWS writes this log under, or the feed folders.',
          });
        }
      }
      functions[name] = fn;
    }
    return {
      resources: {
        table,
        failureQueue,
        ...(logsBucket ? { logsBucket } : {}),
        ...(feeds ? { feedsBucket: feeds } : {}),
        ...(queryLogging ? { queryLogging } : {}),
      },
      functions,
    };
  }

  /**
   * The detector state table, shaped from DETECTOR_TABLE. Destroyed with the stack: it holds only windowed
   * counts that expire within days (TTL), which rebuild from the next logs; keeping a copy or restoring an old
   * one would only revive stale windows.
   */
  #detectorTable(): dynamodb.Table {
    const { partitionKey, sortKey, timeToLiveAttribute } = DETECTOR_TABLE;
    const table = new dynamodb.Table(this, 'DetectorTable', {
      partitionKey: { name: partitionKey.name, type: ATTRIBUTE_TYPES[partitionKey.type] },
      sortKey: { name: sortKey.name, type: ATTRIBUTE_TYPES[sortKey.type] },
      billingMode: dynamodb.BillingMode[DETECTOR_TABLE.billingMode],
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The table holds only windowed counts that expire within days and rebuild from the next logs; restoring an older copy would only revive stale windows.',
    });
    return table;
  }

  /**
   * The bucket AWS delivers query logs and flow logs to: private, SSE-S3, TLS only, EventBridge notifications
   * on (natively, so no notification custom resource), objects expiring after `expireAfterDays`. Retained
   * with the stack: the logs are evidence. The delivery policy is the one AWS documents for vended logs
   * (flow logs and Resolver query logs alike), limited to this account's `AWSLogs/<account>/` keys.
   */
  #logsBucket(expireAfterDays: number, accessLogs: s3.IBucket): s3.Bucket {
    const stack = Stack.of(this);
    const bucket = new s3.Bucket(this, 'LogsBucket', {
      ...PRIVATE_BUCKET,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'logs-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireLogs',
          expiration: Duration.days(expireAfterDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    const fromThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*' }) },
    };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSLogDeliveryWrite',
        principals: [delivery],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: {
          ...fromThisAccount,
          StringEquals: {
            ...fromThisAccount.StringEquals,
            's3:x-amz-acl': 'bucket-owner-full-control',
          },
        },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSLogDeliveryAclCheck',
        principals: [delivery],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: fromThisAccount,
      }),
    );
    return bucket;
  }

  /**
   * Resolver query logging and VPC flow logs (all traffic, 1-minute aggregation, the detector's format) for
   * every configured VPC, into `bucket`. Both wait for the bucket policy, so that AWS finds its delivery
   * permission rather than trying to add its own.
   */
  #createLogs(config: WardenConfig, bucket: s3.Bucket): CfnResolverQueryLoggingConfig {
    const policy = bucket.policy?.node.defaultChild as s3.CfnBucketPolicy;
    const queryLogging = new CfnResolverQueryLoggingConfig(this, 'QueryLogging', {
      name: `${config.stackName}-query-logs`,
      destinationArn: bucket.bucketArn,
    });
    queryLogging.addResourceDependency(policy);
    for (const vpc of config.vpcs) {
      new CfnResolverQueryLoggingConfigAssociation(this, `QueryLoggingAssociation-${vpc.vpcId}`, {
        resolverQueryLogConfigId: queryLogging.attrId,
        resourceId: vpc.vpcId,
      });
      const flowLog = new CfnFlowLog(this, `FlowLog-${vpc.vpcId}`, {
        resourceId: vpc.vpcId,
        resourceType: 'VPC',
        trafficType: 'ALL',
        logDestinationType: 's3',
        logDestination: bucket.bucketArn,
        logFormat: FLOW_LOG_FORMAT,
        // The scan windows are minutes long: a 10-minute aggregation would blur them.
        maxAggregationInterval: 60,
      });
      flowLog.addResourceDependency(policy);
    }
    return queryLogging;
  }

  /**
   * The bucket the server access logs of the stack's other buckets go to (who read or changed a feed matters:
   * feeds decide what is blocked). Its objects expire after a year.
   */
  #accessLogsBucket(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket receives the server access logs of the stack's other buckets; logging its own access would log into itself.",
    });
    return accessLogs;
  }

  /**
   * What the operator's command line calls, and nothing more: manual requests (and nothing else) on the warden
   * bus, the stack's outputs, reads of the decision table, the depth of the dead-letter and detector failure
   * queues, and the GuardDuty calls of `selftest` (a sample finding, never a real one).
   */
  #operatorPolicy(config: WardenConfig): iam.ManagedPolicy {
    const stack = Stack.of(this);
    const queues = [this.deadLetterQueue, ...(this.detectors ? [this.detectors.failureQueue] : [])];
    const anyDetector = stack.formatArn({ service: 'guardduty', resource: 'detector', resourceName: '*' });
    const stackArn = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${stack.stackName}/*`,
    });
    const policy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description:
        'Operate Egress Warden: manual requests on the warden bus, reading its decisions and queues, selftest',
      statements: [
        new iam.PolicyStatement({
          sid: 'ManualRequestsOnly',
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            StringEquals: {
              'events:source': MANUAL_SOURCE,
              'events:detail-type': detailTypesOf(MANUAL_SOURCE),
            },
          },
        }),
        new iam.PolicyStatement({
          sid: 'FindTheDeployment',
          actions: ['cloudformation:DescribeStacks'],
          resources: [stackArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadDecisions',
          // Scan: `list --all`, every record whatever its status.
          actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
          resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
        }),
        new iam.PolicyStatement({
          sid: 'QueueDepths',
          actions: ['sqs:GetQueueAttributes'],
          resources: queues.map((queue) => queue.queueArn),
        }),
        // `explain` reads what the targets hold for an indicator (the ACL entries come from the table).
        ...(this.domainList
          ? [
              new iam.PolicyStatement({
                sid: 'ReadDomainList',
                actions: ['route53resolver:ListFirewallDomains'],
                resources: [this.domainList.attrArn],
              }),
            ]
          : []),
        ...(this.ruleGroup
          ? [
              new iam.PolicyStatement({
                sid: 'ReadRuleGroup',
                actions: ['network-firewall:DescribeRuleGroup'],
                resources: [this.ruleGroup.attrRuleGroupArn],
              }),
            ]
          : []),
        new iam.PolicyStatement({
          sid: 'SelfTestFindDetector',
          actions: ['guardduty:ListDetectors'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'SelfTestSampleFinding',
          actions: ['guardduty:CreateSampleFindings', 'guardduty:ListFindings'],
          resources: [anyDetector],
        }),
      ],
    });
    const wildcards: [string, string][] = [
      [
        stackArn,
        'a stack ARN ends with an id CloudFormation assigns at creation, so the stack is named with /*',
      ],
      [`${this.table.tableArn}/index/*`, "listing active decisions queries the table's own indexes"],
      ['*', 'guardduty:ListDetectors has no resource type, so IAM only accepts "*" for it'],
      [anyDetector, "the account's GuardDuty detector is not part of the stack and is found at run time"],
    ];
    for (const [resource, reason] of wildcards) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack.resolve(resource))}]`,
        reason: `The operator policy: ${reason}.`,
      });
    }
    config.operators.forEach((arn, i) => {
      if (/:role\//.test(arn)) policy.attachToRole(iam.Role.fromRoleArn(this, `Operator${i}`, arn));
      else policy.attachToUser(iam.User.fromUserArn(this, `Operator${i}`, arn));
    });
    return policy;
  }

  #alarms(): void {
    const action = new SnsAction(this.topic);
    const alarms: cloudwatch.Alarm[] = [
      this.deadLetterQueue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) })
        .createAlarm(this, 'DeadLetterAlarm', {
          alarmDescription:
            'Events that decide could not handle after 5 attempts are in the dead-letter queue',
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    ];
    if (this.detectors) {
      alarms.push(
        this.detectors.failureQueue
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) })
          .createAlarm(this, 'DetectorFailureAlarm', {
            alarmDescription:
              'A log detector failed on a batch or a log file after its retries, or EventBridge could not deliver a log file to it',
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    for (const [name, fn] of Object.entries(this.functions)) {
      alarms.push(
        fn.metricErrors({ period: Duration.minutes(5) }).createAlarm(this, `${pascalCase(name)}ErrorsAlarm`, {
          alarmDescription: `The ${name} function failed`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const custom = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        // Powertools adds the service as a default dimension to every metric it publishes.
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period: Duration.minutes(5),
      });
    const customAlarms: [string, string, string, string][] = [
      ['TargetErrorsAlarm', METRICS.targetErrors, 'Sum', 'A target could not be written in an enforce run'],
      ['OverflowAlarm', METRICS.overflow, 'Sum', 'Blocks did not fit a target and overflowed'],
      [
        'BreakerOpenAlarm',
        METRICS.breakerOpen,
        'Maximum',
        'The breaker is open: new automated blocks are held back',
      ],
    ];
    for (const [id, metricName, statistic, description] of customAlarms) {
      alarms.push(
        custom(metricName, statistic).createAlarm(this, id, {
          alarmDescription: description,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    // One run cut short is expected after a large burst (the next run goes on); every run of 15 minutes cut
    // short means enforce is not keeping up (a list stuck UPDATING, throttling).
    alarms.push(
      custom(METRICS.enforceCutShort, 'Minimum').createAlarm(this, 'EnforceBehindAlarm', {
        alarmDescription: 'Every enforce run for 15 minutes ran out of time and left work for the next one',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const alarm of alarms) alarm.addAlarmAction(action);
  }

  #outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('EventBusName', this.bus.eventBusName, 'Put manual requests on this bus');
    output('DecisionTableName', this.table.tableName, 'The decision table');
    output('AlertTopicArn', this.topic.topicArn, 'Alerts are published here');
    if (this.chatTopic) {
      output(
        'ChatTopicArn',
        this.chatTopic.topicArn,
        'Subscribe a chat channel configuration (AWS Chatbot) here',
      );
    }
    output('DecideQueueUrl', this.queue.queueUrl, 'The decide queue');
    output('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'Events decide could not handle');
    output(
      'OperatorPolicyArn',
      this.operatorPolicy.managedPolicyArn,
      'Attach to who may send manual requests',
    );
    if (this.domainList) output('DomainListId', this.domainList.attrId, 'The DNS Firewall domain list');
    if (this.ruleGroup) {
      output('RuleGroupArn', this.ruleGroup.attrRuleGroupArn, 'Add this rule group to your firewall policy');
    }
    if (this.detectors) {
      const { table, failureQueue, logsBucket, feedsBucket } = this.detectors;
      output('DetectorTableName', table.tableName, "The log detectors' windowed counts");
      output(
        'DetectorFailureQueueUrl',
        failureQueue.queueUrl,
        'Log batches and files the detectors failed on',
      );
      if (logsBucket) output('LogsBucketName', logsBucket.bucketName, 'The detectors read their logs here');
      if (feedsBucket) {
        output('FeedsBucketName', feedsBucket.bucketName, 'Put feeds under feeds/dns/ and feeds/ip/ here');
      }
    }
  }

  /** Every network ACL of the account and Region (the `ec2:Vpc` condition narrows it). */
  #anyNetworkAcl(): string {
    return Stack.of(this).formatArn({ service: 'ec2', resource: 'network-acl', resourceName: '*' });
  }

  /**
   * Every cdk-nag finding this construct accepts, with its reason, on the function roles only (so a wildcard
   * anywhere else still fails synth).
   */
  #acknowledge(networkAclsDeployed: boolean): void {
    const topicKey = {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alert topic needs the GenerateDataKey family on its one key, the grant CDK and the SNS guide give.',
    };
    for (const fn of [this.functions.decide, this.functions.enforce, this.functions['catch-up']]) {
      if (fn.role) Validations.of(fn.role).acknowledge(topicKey);
    }
    // decide has no action without a resource type, so a "*" in its role still fails synth.
    const resourceless = (actions: string) => ({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${actions} have no resource type, so IAM only accepts "*" for them.`,
    });
    const { enforce, 'catch-up': catchUp } = this.functions;
    if (enforce.role) {
      Validations.of(enforce.role).acknowledge(
        resourceless(
          "ec2:DescribeVpcs, ec2:DescribeNetworkAcls and the stream mapping's dynamodb:ListStreams",
        ),
      );
    }
    if (catchUp.role)
      Validations.of(catchUp.role).acknowledge(resourceless('The GuardDuty List/Get actions'));
    const anyAcl = this.#anyNetworkAcl();
    if (enforce.role && networkAclsDeployed) {
      Validations.of(enforce.role).acknowledge({
        // cdk-nag names the resource as written: literal in a stack with an environment, with
        // pseudo-parameter placeholders in an environment-agnostic one.
        id: `AwsSolutions-IAM5[Resource::${
          Token.isUnresolved(anyAcl)
            ? 'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-acl/*'
            : anyAcl
        }]`,
        reason:
          'The ACLs are found at run time, so entries are allowed on any ACL, and the ec2:Vpc condition limits that to the ACLs of the configured VPCs.',
      });
    }
  }
}

/** The settings every bucket of the stack shares: private, owner-enforced, SSE-S3, TLS only. */
const PRIVATE_BUCKET: s3.BucketProps = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
};

/** DynamoDB attribute types, by the letters of DETECTOR_TABLE. */
const ATTRIBUTE_TYPES: Record<'S' | 'N', dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

/**
 * Throws InvalidInputError (naming EGRESS_WARDEN_CONFIG) when the functions' environment could exceed
 * Lambda's 4 KB limit; values filled in at deploy time are counted at their largest.
 */
export function assertEnvironmentFits(environment: Readonly<Record<string, string>>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(environment)) {
    bytes +=
      Buffer.byteLength(name, 'utf8') +
      (Token.isUnresolved(value) ? DEPLOY_TIME_VALUE_BYTES : Buffer.byteLength(value, 'utf8'));
  }
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    const configBytes = Buffer.byteLength(environment[ENVIRONMENT.config] ?? '', 'utf8');
    throw new InvalidInputError(
      `the functions' environment would take up to ${bytes} bytes with this ${configBytes}-byte configuration; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes: shorten the policy (allowlists, finding types) or list fewer VPCs`,
      ENVIRONMENT.config,
    );
  }
}

/**
 * A resolved CloudFormation value written the way cdk-nag names it in a finding: `<LogicalId.Attribute>` for
 * Fn::GetAtt, `<LogicalId>` for Ref (pseudo parameters too), the parts of Fn::Join joined.
 */
function nagResource(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Ref' in intrinsic) return `<${intrinsic.Ref as string}>`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(nagResource).join(separator);
  }
  throw new Error(`no cdk-nag name for ${JSON.stringify(value)}`);
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
