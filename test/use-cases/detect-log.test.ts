import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import type { DnsContext } from '#domain/detect/dns';
import { parseDnsSettings } from '#domain/detect/dns-settings';
import { InvalidInputError, ThrottledError } from '#domain/errors';
import type { DetectorStateStore } from '#ports/detector-state';
import type { LogObjects } from '#ports/log-objects';
import { ThreatSignalSchema } from '#shared/intake/threat-signal';
import { DEFAULT_FLOW_LOG_FORMAT, type FlowLogFormat, parseFlowLogFormat } from '#shared/logs/flow-log';
import { type DetectLogDependencies, detectLog } from '#shared/use-cases/detect-log';
import { bodyOf, subscriptionEvent } from '../logs/samples';
import { tunnelQueries } from '../support/dns-traffic';
import { addressScan, testDetector } from '../support/flow-traffic';
import {
  FLOW_FORMAT_STRING,
  FLOW_KEY,
  flowLogFile,
  LOGS_BUCKET,
  objectCreatedEvent,
  QUERY_KEY,
  queryLogFile,
} from '../support/log-inputs';

const CONTEXT: DnsContext = {
  settings: parseDnsSettings({}),
  allowlist: [],
  protectedDomains: [],
  thresholds: { minSeverity: 7, alertMinSeverity: 4 },
};

/** Log objects in memory, handed out in 64 KiB chunks; a missing one is refused as S3's adapter does. */
class MapLogObjects implements LogObjects {
  readonly objects = new Map<string, Uint8Array>();
  readonly opened: string[] = [];

  async open(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = this.objects.get(`${bucket}/${key}`);
    if (!bytes) throw new InvalidInputError(`s3://${bucket}/${key} does not exist`, 'key');
    this.opened.push(key);
    return bodyOf(bytes, 64 * 1024);
  }
}

function world(options: { state?: DetectorStateStore; flowLogFormat?: FlowLogFormat } = {}) {
  const logObjects = new MapLogObjects();
  const state = options.state ?? new InMemoryDetectorStateStore();
  const publisher = new InMemoryThreatSignalPublisher();
  const baseline = new InMemoryDomainBaselineStore();
  const deps: DetectLogDependencies = {
    logObjects,
    flowLogFormat: options.flowLogFormat ?? DEFAULT_FLOW_LOG_FORMAT,
    dns: async () => ({ context: CONTEXT, state, publisher, baseline }),
    flows: async () => ({ detector: testDetector(), state, publisher }),
  };
  return { deps, logObjects, publisher };
}

describe('detectLog', () => {
  it('reads a query-log subscription batch and publishes the tunnel it finds as a valid Threat Signal', async () => {
    // Prepare
    const { deps, publisher } = world();
    const queries = tunnelQueries(1, { domain: 'exfil-tunnel.net', count: 250 });
    const event = subscriptionEvent(queries.map((query) => query.raw));

    // Act
    const report = await detectLog(event, 'query-log', deps);

    // Assess
    expect(report).toMatchObject({ input: 'subscription', kind: 'query-log', records: 250 });
    expect(report.signals.map((signal) => [signal.detector, signal.indicator])).toEqual([
      ['dns-tunnel', 'exfil-tunnel.net'],
    ]);
    expect(publisher.published).toHaveLength(1);
    expect(v.safeParse(ThreatSignalSchema, publisher.published[0]).success).toBe(true);
  });

  it('streams a gzip flow-log file named by an Object Created event, header first, and finds an address scan', async () => {
    // Prepare
    const { deps, logObjects, publisher } = world();
    logObjects.objects.set(`${LOGS_BUCKET}/${FLOW_KEY}`, flowLogFile(addressScan(1, { hosts: 30 })));

    // Act
    const report = await detectLog(objectCreatedEvent(FLOW_KEY), 'flow-log', deps);

    // Assess
    expect(report).toMatchObject({
      input: 'object-created',
      source: `s3://${LOGS_BUCKET}/${FLOW_KEY}`,
      records: 30,
      malformed: { count: 0 },
    });
    expect(publisher.published.map((signal) => signal.detector)).toEqual(['flow-address-scan']);
    expect(v.safeParse(ThreatSignalSchema, publisher.published[0]).success).toBe(true);
  });

  it('counts a malformed line of a file with its line number and still detects in the rest', async () => {
    // Prepare
    const { deps, logObjects, publisher } = world();
    const queries = tunnelQueries(2, { domain: 'exfil-tunnel.net', count: 250 });
    logObjects.objects.set(`${LOGS_BUCKET}/${QUERY_KEY}`, queryLogFile(queries, ['{"query_name": 5}']));

    // Act
    const report = await detectLog(objectCreatedEvent(QUERY_KEY), 'query-log', deps);

    // Assess
    expect(report.records).toBe(251);
    expect(report.malformed.count).toBe(1);
    expect(report.malformed.first[0]).toMatchObject({ position: 251 });
    expect(publisher.published).toHaveLength(1);
  });

  it('counts a malformed subscription record by its log event id', async () => {
    // Prepare
    const { deps } = world();
    const event = subscriptionEvent(['not a flow record']);

    // Act
    const report = await detectLog(event, 'flow-log', deps);

    // Assess
    expect(report.malformed).toMatchObject({ count: 1, first: [{ position: 'e1' }] });
  });

  it('reads flow-log subscription records in the configured format', async () => {
    // Prepare: the test records carry 17 fields, which the default 14-field format refuses.
    const { deps, publisher } = world({ flowLogFormat: parseFlowLogFormat(FLOW_FORMAT_STRING) });
    const event = subscriptionEvent(addressScan(3, { hosts: 30 }).map((record) => record.raw));

    // Act
    const report = await detectLog(event, 'flow-log', deps);

    // Assess
    expect(report.malformed.count).toBe(0);
    expect(publisher.published.map((signal) => signal.detector)).toEqual(['flow-address-scan']);
  });

  it('reads nothing for a control message', async () => {
    // Prepare
    const { deps, publisher } = world();
    const event = subscriptionEvent([], { messageType: 'CONTROL_MESSAGE' });

    // Act
    const report = await detectLog(event, 'query-log', deps);

    // Assess
    expect(report).toMatchObject({ skipped: 'control message', records: 0 });
    expect(publisher.published).toEqual([]);
  });

  it('skips a file of the other log kind without reading it', async () => {
    // Prepare
    const { deps, logObjects } = world();
    logObjects.objects.set(`${LOGS_BUCKET}/${FLOW_KEY}`, flowLogFile(addressScan(1, { hosts: 30 })));

    // Act
    const report = await detectLog(objectCreatedEvent(FLOW_KEY), 'query-log', deps);

    // Assess
    expect(report).toMatchObject({ skipped: 'a flow-log file', records: 0 });
    expect(logObjects.opened).toEqual([]);
  });

  it('refuses an event that is neither input, and a key that is no log file', async () => {
    // Prepare
    const { deps } = world();

    // Act
    const neither = detectLog({ source: 'aws.guardduty' }, 'flow-log', deps);
    const notALog = detectLog(
      objectCreatedEvent('AWSLogs/123456789012/aws-logs-write-test'),
      'flow-log',
      deps,
    );

    // Assess
    await expect(neither).rejects.toThrow(InvalidInputError);
    await expect(neither).rejects.toThrow('nor an S3 Object Created event');
    await expect(notALog).rejects.toThrow('detail.object.key');
  });

  it('throws what the state store throws, so that the invocation is retried', async () => {
    // Prepare
    const throttled: DetectorStateStore = {
      addAndTotal: async () => {
        throw new ThrottledError('slow down', 'ProvisionedThroughputExceededException');
      },
    };
    const { deps } = world({ state: throttled });
    const event = subscriptionEvent(addressScan(1, { hosts: 30 }).map((record) => record.raw));

    // Act
    const run = detectLog(event, 'flow-log', {
      ...deps,
      flowLogFormat: parseFlowLogFormat(FLOW_FORMAT_STRING),
    });

    // Assess
    await expect(run).rejects.toThrow(ThrottledError);
  });
});
