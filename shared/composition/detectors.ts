/**
 * The log detectors' composition: how a DNS context and a flow detector are built from the configuration,
 * the policy and the loaded feeds (one function, for the Lambda functions and the simulation alike), and their
 * AWS wiring: the log objects and feeds on S3, the state on the detector table, the domain baselines on the
 * decision table, the signals on the warden bus.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '#adapters/aws/clock';
import { DynamoDbDetectorStateStore } from '#adapters/aws/detector-state';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import { type FeedLog, S3ThreatFeeds } from '#adapters/aws/feeds';
import { S3LogObjects } from '#adapters/aws/log-objects';
import { EventBridgeThreatSignalPublisher } from '#adapters/aws/signal-publisher';
import { InMemoryThreatFeeds } from '#adapters/in-memory/feeds';
import { isAwsServiceAddress } from '#domain/aws-ip-ranges';
import type { DnsContext } from '#domain/detect/dns';
import { FlowDetector } from '#domain/detect/flow';
import { indexIpFeeds } from '#domain/detect/ip-feeds';
import type { Policy } from '#domain/policy';
import type { Clock } from '#ports/clock';
import type { LoadedFeeds, ThreatFeeds } from '#ports/feeds';
import { listedCidrs, policyOf, type WardenConfig } from '#shared/config/config';
import type { DetectorEnvironment } from '#shared/config/environment';
import type { DetectLogDependencies } from '#shared/use-cases/detect-log';

/** The two detectors, as their use cases take them. */
export interface LogDetectorSet {
  readonly dns: DnsContext;
  readonly flows: FlowDetector;
}

/**
 * The DNS context and the flow detector of a configuration: its detector settings, the policy's allowlist,
 * protected domains, thresholds, VPC CIDRs and AWS ranges, and the feeds (none when not given).
 */
export function buildLogDetectors(config: WardenConfig, policy: Policy, feeds?: LoadedFeeds): LogDetectorSet {
  const { guardRails } = policy;
  return {
    dns: {
      settings: config.detectors.dns,
      allowlist: policy.allowlist.domains,
      protectedDomains: guardRails.protectedDomains,
      thresholds: policy.detectors,
      ...(feeds && feeds.domains.size > 0 ? { feeds: feeds.domains } : {}),
    },
    flows: new FlowDetector(config.detectors.flows, {
      vpcCidrs: guardRails.vpcCidrs,
      isAwsAddress: (address) => isAwsServiceAddress(guardRails.awsIpRanges, address),
      intel: feeds?.ips ?? indexIpFeeds([]),
    }),
  };
}

/** Options of {@link createAwsDetectors}: clients other than the default ones, a clock, where feed problems go. */
export interface AwsDetectorsOptions {
  readonly s3?: S3Client;
  readonly dynamodb?: DynamoDBClient;
  readonly eventBridge?: EventBridgeClient;
  readonly clock?: Clock;
  readonly log?: FeedLog;
}

/**
 * Wires the detectors on AWS, once per container. The policy uses the VPC CIDRs the configuration lists (the
 * detectors read nothing but their logs, feeds, table and bus); traffic of a VPC whose CIDRs are not listed
 * still counts as internal when it is private address space. The detectors are rebuilt only when the feeds
 * were read again.
 */
export function createAwsDetectors(
  environment: DetectorEnvironment,
  options: AwsDetectorsOptions = {},
): DetectLogDependencies {
  const s3 = options.s3 ?? new S3Client({});
  const { config } = environment;
  const policy = policyOf(config, { vpcCidrs: listedCidrs(config) });
  const feeds: ThreatFeeds = environment.feedsBucket
    ? new S3ThreatFeeds({
        client: s3,
        bucket: environment.feedsBucket,
        clock: options.clock ?? systemClock,
        ...(options.log ? { log: options.log } : {}),
      })
    : new InMemoryThreatFeeds();
  const dynamodb = DynamoDBDocumentClient.from(options.dynamodb ?? new DynamoDBClient({}));
  const state = new DynamoDbDetectorStateStore({
    client: dynamodb,
    tableName: environment.detectorTableName,
  });
  // The baselines take weeks to learn: they live on the decision table, retained and backed up with the stack.
  const baseline = new DynamoDbDomainBaselineStore({ client: dynamodb, tableName: environment.tableName });
  const publisher = new EventBridgeThreatSignalPublisher({
    client: options.eventBridge ?? new EventBridgeClient({}),
    eventBusName: environment.busName,
  });
  let built: { feeds: LoadedFeeds; detectors: LogDetectorSet } | undefined;
  const detectors = async (): Promise<LogDetectorSet> => {
    const loaded = await feeds.load();
    if (built?.feeds !== loaded)
      built = { feeds: loaded, detectors: buildLogDetectors(config, policy, loaded) };
    return built.detectors;
  };
  return {
    logObjects: new S3LogObjects({ client: s3 }),
    flowLogFormat: environment.flowLogFormat,
    dns: async () => ({ context: (await detectors()).dns, state, publisher, baseline }),
    flows: async () => ({ detector: (await detectors()).flows, state, publisher }),
  };
}
