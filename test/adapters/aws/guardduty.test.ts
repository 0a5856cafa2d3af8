import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  type Finding,
  GetFindingsCommand,
  GuardDutyClient,
  type GuardDutyClientConfig,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { GuardDutyFindings } from '#adapters/aws/guardduty';
import { ServiceUnavailableError, TargetNotFoundError, ThrottledError } from '#domain/errors';
import type { FindingDetail } from '#ports/findings';

const DETECTOR = '3cb3562d0dd992501515c484383ee494';
const noWait = async (): Promise<void> => {};

async function collect(source: AsyncIterable<FindingDetail>): Promise<FindingDetail[]> {
  const all: FindingDetail[] = [];
  for await (const finding of source) all.push(finding);
  return all;
}

function sampleDetails(): Record<string, unknown>[] {
  const folder = new URL('../../../events/guardduty/', import.meta.url);
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(new URL(name, folder), 'utf8')).detail);
}

/**
 * The detail as GuardDuty's API puts it on the wire: the EventBridge JSON, except `additionalInfo`, which the
 * API models as `{value: "<JSON text>", type}`.
 */
function onTheWire(detail: Record<string, unknown>): Record<string, unknown> {
  const service = detail.service as Record<string, unknown>;
  return {
    ...detail,
    service: {
      ...service,
      additionalInfo: { value: JSON.stringify(service.additionalInfo), type: 'default' },
    },
  };
}

/**
 * A client whose HTTP layer answers like GuardDuty, so that the SDK's own deserializer turns the wire JSON
 * into its PascalCase shapes: the mapper is checked against the real naming, not against our idea of it.
 */
function clientAnswering(findings: Record<string, unknown>[]): GuardDutyClient {
  const reply = (body: unknown) => ({
    response: {
      statusCode: 200,
      reason: 'OK',
      headers: { 'content-type': 'application/json' },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    },
  });
  return new GuardDutyClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    requestHandler: {
      handle: async (request: { path: string }) => {
        if (request.path.endsWith('/findings/get')) return reply({ findings });
        if (request.path.endsWith('/findings'))
          return reply({ findingIds: findings.map((finding) => finding.id) });
        return reply({ detectorIds: [DETECTOR] });
      },
    },
  } as unknown as GuardDutyClientConfig);
}

describe('GuardDutyFindings, mapping the SDK shape back to the EventBridge detail', () => {
  it('gives back every sample finding in events/guardduty exactly as EventBridge delivers it', async () => {
    // Prepare
    const details = sampleDetails();
    const source = new GuardDutyFindings({ client: clientAnswering(details.map(onTheWire)) });

    // Act
    const read = await collect(source.listUpdatedSince(new Date('2026-11-27T00:00:00Z'), 4));

    // Assess
    expect(details.length).toBeGreaterThan(5);
    expect(read).toStrictEqual(details);
  });

  it('keeps the sample flag that the API only carries inside additionalInfo.value', async () => {
    // Prepare
    const sample = sampleDetails().find(
      (detail) => (detail.service as { additionalInfo: { sample?: boolean } }).additionalInfo.sample,
    );
    const source = new GuardDutyFindings({ client: clientAnswering([onTheWire(sample ?? {})]) });

    // Act
    const [read] = await collect(source.listUpdatedSince(new Date(0), 0));

    // Assess
    expect(read?.service).toMatchObject({ additionalInfo: { sample: true } });
  });

  it('honours the JSON names that differ from the member names, timestamps and map keys', async () => {
    // Prepare
    const wire = {
      id: 'f1',
      type: 'Discovery:Kubernetes/Example',
      severity: 5,
      updatedAt: '2026-11-28T09:00:00.000Z',
      resource: {
        instanceDetails: {
          productCodes: [{ productCodeId: 'abc123', productCodeType: 'marketplace' }],
        },
        ecsClusterDetails: { taskDetails: { createdAt: 1_764_320_000.5, startedAt: 1_764_320_001 } },
      },
      service: {
        action: {
          kubernetesApiCallAction: { sourceIPs: ['198.51.100.9'], verb: 'get' },
          rdsLoginAttemptAction: { LoginAttributes: [{ user: 'admin', successfulLoginAttempts: 1 }] },
          awsApiCallAction: { affectedResources: { 'AWS::S3::Bucket': 'example-bucket' } },
        },
        additionalInfo: { value: 'not json', type: 'default' },
      },
    };
    const source = new GuardDutyFindings({ client: clientAnswering([wire]) });

    // Act
    const [read] = await collect(source.listUpdatedSince(new Date(0), 0));

    // Assess
    expect(read).toStrictEqual(wire);
  });
});

describe('GuardDutyFindings, talking to GuardDuty', () => {
  // The instance, not the class: the mapping tests above use real clients.
  const client = new GuardDutyClient({ region: 'eu-west-1' });
  const guardDuty = mockClient(client);
  let source: GuardDutyFindings;

  beforeEach(() => {
    guardDuty.reset();
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    source = new GuardDutyFindings({ client, sleep: noWait });
  });

  const finding = (id: string): Finding => ({
    AccountId: '123456789012',
    Arn: `arn:aws:guardduty:eu-west-1:123456789012:detector/${DETECTOR}/finding/${id}`,
    CreatedAt: '2026-11-28T09:00:00.000Z',
    Region: 'eu-west-1',
    Resource: {},
    SchemaVersion: '2.0',
    Id: id,
    Type: 'Backdoor:EC2/C&CActivity.B',
    Severity: 8,
    UpdatedAt: '2026-11-28T09:00:00.000Z',
  });

  it('asks for findings updated since the time in epoch milliseconds, at or above the whole severity, oldest first', async () => {
    // Prepare
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: [] });

    // Act
    await collect(source.listUpdatedSince(new Date('2026-11-28T09:00:00.000Z'), 4.5));

    // Assess
    expect(guardDuty).toHaveReceivedCommandWith(ListFindingsCommand, {
      DetectorId: DETECTOR,
      FindingCriteria: {
        Criterion: {
          updatedAt: { GreaterThanOrEqual: Date.parse('2026-11-28T09:00:00.000Z') },
          severity: { GreaterThanOrEqual: 4 },
        },
      },
      SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' },
      MaxResults: 50,
    });
    expect(guardDuty).not.toHaveReceivedCommand(GetFindingsCommand);
  });

  it('follows NextToken, fetches 120 ids as 50, 50 and 20, and keeps the listed order', async () => {
    // Prepare
    const ids = Array.from({ length: 120 }, (_, index) => `finding-${String(index).padStart(3, '0')}`);
    guardDuty
      .on(ListFindingsCommand)
      .resolvesOnce({ FindingIds: ids.slice(0, 50), NextToken: 'page-2' })
      .resolvesOnce({ FindingIds: ids.slice(50, 100), NextToken: 'page-3' })
      .resolvesOnce({ FindingIds: ids.slice(100), NextToken: '' });
    guardDuty.on(GetFindingsCommand).callsFake(({ FindingIds }: { FindingIds: string[] }) => ({
      Findings: [...FindingIds].reverse().map(finding),
    }));

    // Act
    const read = await collect(source.listUpdatedSince(new Date(0), 7));

    // Assess
    expect(read.map((detail) => detail.id)).toStrictEqual(ids);
    expect(guardDuty).toHaveReceivedCommandTimes(ListDetectorsCommand, 1);
    expect(
      guardDuty.commandCalls(ListFindingsCommand).map((call) => call.args[0].input.NextToken),
    ).toStrictEqual([undefined, 'page-2', 'page-3']);
    expect(
      guardDuty.commandCalls(GetFindingsCommand).map((call) => call.args[0].input.FindingIds?.length),
    ).toStrictEqual([50, 50, 20]);
  });

  it('reads the detector once for every later listing', async () => {
    // Prepare
    guardDuty.on(ListFindingsCommand).resolves({ FindingIds: [] });

    // Act
    await collect(source.listUpdatedSince(new Date(0), 7));
    await collect(source.listUpdatedSince(new Date(0), 7));

    // Assess
    expect(guardDuty).toHaveReceivedCommandTimes(ListDetectorsCommand, 1);
    expect(guardDuty).toHaveReceivedCommandTimes(ListFindingsCommand, 2);
  });

  it('says clearly when the Region has no detector', async () => {
    // Prepare
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });

    // Act
    const attempt = collect(source.listUpdatedSince(new Date(0), 7));

    // Assess
    await expect(attempt).rejects.toThrow(TargetNotFoundError);
    await expect(collect(source.listUpdatedSince(new Date(0), 7))).rejects.toThrow(
      /no detector in this Region: enable GuardDuty/,
    );
  });

  it('retries throttling and gets through', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429 },
    });
    guardDuty
      .on(ListFindingsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ FindingIds: ['f1'] });
    guardDuty
      .on(GetFindingsCommand)
      .rejectsOnce(throttled)
      .resolves({ Findings: [finding('f1')] });

    // Act
    const read = await collect(source.listUpdatedSince(new Date(0), 7));

    // Assess
    expect(read.map((detail) => detail.id)).toStrictEqual(['f1']);
    expect(guardDuty).toHaveReceivedCommandTimes(ListFindingsCommand, 3);
    expect(guardDuty).toHaveReceivedCommandTimes(GetFindingsCommand, 2);
  });

  it('gives up with ThrottledError, or ServiceUnavailableError on server errors, after its attempts', async () => {
    // Prepare
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const broken = Object.assign(new Error('oops'), { name: 'InternalServerErrorException' });
    guardDuty.on(ListFindingsCommand).rejects(throttled);
    const other = new GuardDutyFindings({ client, sleep: noWait, maxAttempts: 2 });

    // Act
    const throttledAttempt = collect(source.listUpdatedSince(new Date(0), 7));
    await expect(throttledAttempt).rejects.toThrow(ThrottledError);
    guardDuty.on(ListFindingsCommand).rejects(broken);
    const brokenAttempt = collect(other.listUpdatedSince(new Date(0), 7));

    // Assess
    await expect(brokenAttempt).rejects.toThrow(ServiceUnavailableError);
    expect(guardDuty).toHaveReceivedCommandTimes(ListFindingsCommand, 5 + 2);
  });

  it('does not retry an access denial', async () => {
    // Prepare
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    guardDuty.on(ListFindingsCommand).rejects(denied);

    // Act
    const attempt = collect(source.listUpdatedSince(new Date(0), 7));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(guardDuty).toHaveReceivedCommandTimes(ListFindingsCommand, 1);
  });
});
