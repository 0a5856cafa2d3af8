import {
  CreateSampleFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SELFTEST_DOMAIN, SELFTEST_FINDING_TYPE } from '#shared/cli/commands/selftest';
import { type GuardDutyEvent, loadEvent } from '../../support/events';
import { useTestDeployment } from '../deployment-fixture';

const lab = useTestDeployment();

const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';
const FINDING = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';

const guardDuty = mockClient(GuardDutyClient);
const sqs = mockClient(SQSClient);

afterAll(() => {
  guardDuty.restore();
  sqs.restore();
});

beforeEach(async () => {
  guardDuty.reset();
  sqs.reset();
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
  guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
  let created = false;
  // GuardDuty publishes the sample finding on the default bus, where the GuardDuty rule sends it to decide.
  guardDuty.on(CreateSampleFindingsCommand).callsFake(async () => {
    created = true;
    const { detail } = loadEvent<GuardDutyEvent>('guardduty/c2-domain.json');
    const now = lab.deployment.warden.clock.now().toISOString();
    const sample = {
      ...detail,
      id: FINDING,
      updatedAt: now,
      service: { ...detail.service, additionalInfo: { sample: true } },
    };
    lab.deployment.pending.push({
      Source: 'aws.guardduty',
      DetailType: 'GuardDuty Finding',
      Detail: JSON.stringify(sample),
    });
    return {};
  });
  guardDuty.on(ListFindingsCommand).callsFake(async () => ({ FindingIds: created ? [FINDING] : [] }));
});

describe('egress-warden selftest', () => {
  it('follows a sample finding to a shadow decision and its alert, with each hop’s latency, blocking nothing', async () => {
    // Act
    const run = await lab.deployment.cli('selftest');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(guardDuty).toHaveReceivedCommandWith(CreateSampleFindingsCommand, {
      DetectorId: DETECTOR,
      FindingTypes: [SELFTEST_FINDING_TYPE],
    });
    expect(guardDuty).toHaveReceivedCommandWith(ListFindingsCommand, {
      DetectorId: DETECTOR,
      FindingCriteria: {
        Criterion: {
          type: { Equals: [SELFTEST_FINDING_TYPE] },
          'service.additionalInfo.sample': { Equals: ['true'] },
          updatedAt: { GreaterThanOrEqual: Date.parse('2026-11-28T10:00:00.000Z') },
        },
      },
    });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      `Asking GuardDuty (detector ${DETECTOR}, eu-west-1) for a sample ${SELFTEST_FINDING_TYPE} finding…`,
    );
    expect(lines[1]).toBe(`  ok  finding  +0.0s  GuardDuty listed the sample finding ${FINDING}`);
    expect(lines[2]).toMatch(
      /^ {2}ok {2}decision \+2\.0s {2}recorded in shadow: shadow: a GuardDuty sample finding; would have blocked guarddutyc2activityb\.com/,
    );
    expect(lines[3]).toMatch(/^ {2}ok {2}alert {4}\+0\.0s {2}published: \[Egress Warden\] /);
    expect(lines[4]).toBe('Self-test passed in 2.0s: finding → decision → alert, nothing blocked.');
    expect((await lab.store.get(SELFTEST_DOMAIN))?.status).toBe('shadow');
    expect(lab.deployment.warden.dnsFirewall.snapshot()).toEqual([]);
  });

  it('prints the hops as JSON for a script', async () => {
    // Act
    const run = await lab.deployment.cli('selftest', '--json');

    // Assess
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ ok: true, detectorId: DETECTOR, findingId: FINDING, totalMs: 2000 });
    expect(result.hops.map((h: { hop: string; latencyMs: number }) => [h.hop, h.latencyMs])).toEqual([
      ['finding', 0],
      ['decision', 2000],
      ['alert', 0],
    ]);
  });

  it('names the decision hop and what to check when decide never records it (exit 6)', async () => {
    // Prepare
    lab.deployment.stall();

    // Act
    const run = await lab.deployment.cli('selftest', '--timeout', '10s');

    // Assess
    expect(run.code).toBe(6);
    expect(run.stdout).toContain(`  ok  finding  +0.0s  GuardDuty listed the sample finding ${FINDING}`);
    expect(run.stderr).toBe(
      [
        'egress-warden: no decision after 10s (hop: decision)',
        "hint: check the GuardDuty rule on the default bus, the decide queue's dead-letter queue (3 message(s)) and the decide function's logs",
      ].join('\n'),
    );
  });

  it('names the alert hop when the decision is recorded but no alert follows (exit 6)', async () => {
    // Prepare
    lab.deployment.loseAlerts();

    // Act
    const run = await lab.deployment.cli('selftest', '--timeout', '6s');

    // Assess
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/ok {2}decision/);
    expect(run.stderr).toContain('egress-warden: decision recorded, but no alert after 6.0s (hop: alert)');
    expect(run.stderr).toContain(
      'hint: check the alert topic arn:aws:sns:eu-west-1:123456789012:EgressWarden-AlertTopic',
    );
  });

  it('names the finding hop when GuardDuty never lists the sample (exit 6)', async () => {
    // Prepare
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: [] });

    // Act
    const run = await lab.deployment.cli('selftest', '--timeout', '4s');

    // Assess
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('egress-warden: no sample finding after 4.0s (hop: finding)');
    expect(run.stderr).toContain(`check that detector ${DETECTOR} is enabled in eu-west-1`);
  });

  it('says GuardDuty is not enabled when the Region has no detector (exit 4)', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });

    // Act
    const run = await lab.deployment.cli('selftest');

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      [
        'egress-warden: no GuardDuty detector in eu-west-1',
        'hint: enable GuardDuty in this Region (aws guardduty create-detector --enable), or pass --region',
      ].join('\n'),
    );
    expect(guardDuty).not.toHaveReceivedCommand(CreateSampleFindingsCommand);
  });
});
