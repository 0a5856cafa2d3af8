import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ACL_ID, useTestDeployment } from '../deployment-fixture';
import { stackOutputs } from '../harness';

const lab = useTestDeployment();

const DLQ = stackOutputs().find((o) => o.OutputKey === 'DeadLetterQueueUrl')?.OutputValue;
const FAILURES = stackOutputs().find((o) => o.OutputKey === 'DetectorFailureQueueUrl')?.OutputValue;

const sqs = mockClient(SQSClient);

afterAll(() => {
  sqs.restore();
});

beforeEach(async () => {
  sqs.reset();
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: DLQ })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: FAILURES })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
});

describe('egress-warden status', () => {
  it('shows each target’s mode, result and room after a block, the breaker, the pause and the queue depths', async () => {
    // Prepare: a block, decided and enforced (the fixture records the enforce status as the function does);
    // the last run found it in place: the ACL holds its allow, its default deny and ours, and one IPv6 pair.
    await lab.deployment.cli('block', '198.51.100.7', '--reason', 'C2', '--wait');

    // Act
    const run = await lab.deployment.cli('status');

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Egress Warden EgressWarden (eu-west-1)',
      'Paused: no',
      'Breaker: closed',
      'Dead-letter queue: 2 message(s) (events decide could not handle: see its logs)',
      'Detector failure queue: 0 message(s)',
    ]);
    expect(lines[5]).toMatch(
      /^Last enforce run: 2026-11-28T10:00:0\d\.000Z \(\d+s ago\), took 0 ms; 0 block\(s\) ended, 0 drift repair\(s\)$/,
    );
    expect(run.stdout).toContain('TARGET           MODE     RESULT     CHANGES  HELD  OVERFLOW  ROOM');
    expect(run.stdout).toMatch(
      new RegExp(
        `networkAcls +enforce +unchanged +0 +0 +0 +${ACL_ID} IPv4 egress entries 3/20 \\(17 free\\); ${ACL_ID} IPv6 egress entries 2/20 \\(18 free\\)`,
      ),
    );
    expect(run.stdout).toMatch(/dnsFirewall +enforce +unchanged +0 +0 +0 +domains 0\/100000 \(100000 free\)/);
    expect(run.stdout).toMatch(
      /networkFirewall +enforce +unchanged +0 +0 +0 +rule capacity 1\/1000 \(999 free\); rules bytes \d+\/2000000/,
    );
    expect(sqs).toHaveReceivedCommandWith(GetQueueAttributesCommand, {
      QueueUrl: DLQ,
      AttributeNames: ['ApproximateNumberOfMessages'],
    });
  });

  it('prints one JSON document with the pause and the breaker for a script', async () => {
    // Prepare
    await lab.store.putPause(
      { paused: true, since: '2026-11-28T09:00:00Z', by: 'bob', reason: 'review', version: 1 },
      0,
    );
    await lab.store.putBreaker(
      { open: true, openedAt: '2026-11-28T09:30:00.000Z', reason: 'burst', recentBlocks: [], version: 1 },
      0,
    );

    // Act
    const run = await lab.deployment.cli('status', '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      stack: 'EgressWarden',
      region: 'eu-west-1',
      pause: { paused: true, since: '2026-11-28T09:00:00.000Z', by: 'bob', reason: 'review' },
      breaker: { open: true, openedAt: '2026-11-28T09:30:00.000Z', reason: 'burst' },
      lastRun: null,
      queues: { deadLetter: 2, detectorFailures: 0 },
    });
  });

  it('says when no enforce run was recorded yet, and that the lab.deployment is paused', async () => {
    // Prepare
    await lab.store.putPause(
      { paused: true, since: '2026-11-28T09:00:00Z', by: 'bob', reason: 'review', version: 1 },
      0,
    );

    // Act
    const run = await lab.deployment.cli('status');

    // Assess
    expect(run.stdout).toContain('Paused: YES since 2026-11-28T09:00:00.000Z by bob: review');
    expect(run.stdout).toContain('Last enforce run: none recorded yet');
  });

  it('names the queue and the permission when SQS refuses (exit 5)', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).rejects(
      Object.assign(new Error('not authorized to perform: sqs:GetQueueAttributes'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    // Act
    const run = await lab.deployment.cli('status');

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('sqs:GetQueueAttributes');
  });
});
