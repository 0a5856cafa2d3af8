import { readFileSync } from 'node:fs';
import {
  type Finding,
  GetFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledError } from '#domain/errors';
import { createCatchUpOnDynalite } from '../support/catch-up';
import { useDynalite } from '../support/dynalite';
import { sdkFinding } from '../support/guardduty-finding';

const NOW = new Date('2026-11-28T10:00:00.000Z');
const DETECTOR = '3cb3562d0dd992501515c484383ee494';

const context = {
  functionName: 'catch-up',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:catch-up',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const schedule: ScheduledEvent = {
  version: '0',
  id: 'sched-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: NOW.toISOString(),
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/catch-up'],
  detail: {},
};

/** The c2-ip sample as the SDK returns it from GetFindings (PascalCase, additionalInfo as JSON text). */
function c2IpFinding(): Finding {
  const { detail } = JSON.parse(
    readFileSync(new URL('../../events/guardduty/c2-ip-outbound.json', import.meta.url), 'utf8'),
  );
  return sdkFinding({
    id: detail.id,
    arn: detail.arn,
    accountId: detail.accountId,
    region: detail.region,
    schemaVersion: detail.schemaVersion,
    severity: detail.severity,
    type: detail.type,
    title: detail.title,
    createdAt: detail.createdAt,
    updatedAt: detail.updatedAt,
    eventLastSeen: detail.service.eventLastSeen,
    count: 3,
    remoteIp: '198.51.100.77',
  });
}

describe('catch-up handler', () => {
  const dynalite = useDynalite();
  const guardDutyClient = new GuardDutyClient({ region: 'eu-west-1' });
  const snsClient = new SNSClient({ region: 'eu-west-1' });
  const guardDuty = mockClient(guardDutyClient);
  const sns = mockClient(snsClient);
  let tableName: string;

  beforeEach(async () => {
    tableName = await dynalite.createTable();
    guardDuty.reset();
    sns.reset();
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  function build() {
    return createCatchUpOnDynalite(dynalite, tableName, { sns: snsClient, guardDuty: guardDutyClient }, NOW);
  }

  it('decides the findings GuardDuty lists since the lookback and stores the watermark', async () => {
    // Prepare
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: [c2IpFinding().Id ?? ''] });
    guardDuty.on(GetFindingsCommand).resolves({ Findings: [c2IpFinding()] });
    const { handler, store } = build();

    // Act
    const summary = await handler(schedule, context);

    // Assess
    // The configuration leaves every target in its default shadow mode.
    expect(summary).toMatchObject({
      read: 1,
      handled: 1,
      outcomes: { shadow: 1 },
      watermark: NOW.toISOString(),
    });
    expect(guardDuty).toHaveReceivedCommandWith(ListFindingsCommand, {
      FindingCriteria: {
        Criterion: {
          updatedAt: { GreaterThanOrEqual: NOW.getTime() - 6 * 3_600_000 },
          severity: { GreaterThanOrEqual: 4 },
        },
      },
    });
    expect((await store.get('198.51.100.77/32'))?.evidence.map((evidence) => evidence.key)).toStrictEqual([
      `guardduty:${c2IpFinding().Id}`,
    ]);
    expect(await store.getCatchUpWatermark()).toStrictEqual({ since: NOW.toISOString(), version: 1 });
    expect(sns).toHaveReceivedCommand(PublishCommand);
  });

  it('sends the alerts of a run that catches up on many findings as one digest', async () => {
    // Prepare
    const findings = Array.from({ length: 7 }, (_, i) => {
      const finding = c2IpFinding();
      const action = finding.Service?.Action?.NetworkConnectionAction;
      if (action) action.RemoteIpDetails = { IpAddressV4: `198.51.100.${i + 1}` };
      return { ...finding, Id: `finding-${i + 1}` };
    });
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: findings.map((finding) => finding.Id ?? '') });
    guardDuty.on(GetFindingsCommand).resolves({ Findings: findings });
    const { handler, store } = build();

    // Act
    await handler(schedule, context);

    // Assess
    const subjects = sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
    expect(subjects).toEqual(['[Egress Warden] DIGEST of 7 alerts: 7 WOULD BLOCK']);
    expect((await store.listAudit('198.51.100.1/32')).map((record) => record.event)).toEqual([
      'shadow',
      'alerted',
    ]);
  });

  it('publishes CatchUpFindings in embedded metric format', async () => {
    // Prepare
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: [] });
    const { handler } = build();
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });

    // Act
    await handler(schedule, context);

    // Assess
    const emf = written.map((line) => JSON.parse(line)).find((entry) => entry._aws);
    expect(emf?._aws.CloudWatchMetrics[0].Namespace).toBe('EgressWarden');
    expect(emf?.CatchUpFindings).toBe(0);
  });

  it('fails the invocation when GuardDuty keeps throttling, keeping the watermark where it was', async () => {
    // Prepare
    guardDuty
      .on(ListFindingsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    const { handler, store } = build();
    const previous = new Date(NOW.getTime() - 3_600_000).toISOString();
    await store.putCatchUpWatermark({ since: previous, version: 1 }, 0);

    // Act
    const attempt = handler(schedule, context);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    expect(await store.getCatchUpWatermark()).toStrictEqual({ since: previous, version: 1 });
  }, 60_000);
});
