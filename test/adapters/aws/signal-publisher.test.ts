import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBridgeThreatSignalPublisher } from '#adapters/aws/signal-publisher';
import { entrySize, MAX_CALL_BYTES } from '#adapters/service-rules/signal-publisher';
import {
  InvalidInputError,
  ServiceUnavailableError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import type { ThreatSignalDetail } from '#shared/intake/threat-signal';

/** A valid Threat Signal about `indicator`. */
function aSignal(indicator: string, overrides: Partial<ThreatSignalDetail> = {}): ThreatSignalDetail {
  return {
    source: 'dns-log',
    indicator,
    severity: 8,
    detector: 'dns-tunnel',
    observedAt: '2026-11-28T09:44:10.000Z',
    evidence: {
      key: `dns-tunnel ${indicator}`,
      summary: `412 unique names under ${indicator} in 15 minutes`,
    },
    workload: { account: '123456789012', region: 'eu-west-1', vpcId: 'vpc-0a1b2c3d4e5f60718' },
    ...overrides,
  };
}

const metadata = { $metadata: {} };
const client = new EventBridgeClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const mock = mockClient(client);
const sleep = vi.fn(async (_ms: number) => undefined);
const publisher = new EventBridgeThreatSignalPublisher({
  client,
  eventBusName: 'egress-warden',
  sleep,
  random: () => 0.5,
});
const signals = (count: number) => Array.from({ length: count }, (_, n) => aSignal(`c2-${n}.example.net`));
const sentEntries = (call: number): PutEventsRequestEntry[] =>
  (mock.commandCalls(PutEventsCommand)[call]?.args[0].input.Entries ?? []) as PutEventsRequestEntry[];
const accepted = (count: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: count }, (_, n) => ({ EventId: `e${n}` })),
});

beforeEach(() => {
  mock.reset();
  sleep.mockClear();
  mock.on(PutEventsCommand).callsFake(async (input) => accepted(input.Entries.length));
});

describe('entrySize', () => {
  it('counts Time as 14 bytes and Source, DetailType, Detail and each resource in UTF-8 bytes', () => {
    // Act
    const size = entrySize({
      Time: new Date(),
      Source: 'src',
      DetailType: 'type',
      Detail: '{"a":"é"}',
      Resources: ['r1', 'r22'],
      EventBusName: 'not counted',
    });

    // Assess
    expect(size).toBe(14 + 3 + 4 + 10 + 2 + 3);
  });
});

describe('EventBridgeThreatSignalPublisher', () => {
  it('puts each signal on the bus as a Threat Signal from the detectors, its detail the signal', async () => {
    // Prepare
    const signal = aSignal('x7f3a9.tunnel-example.org');

    // Act
    await publisher.publish([signal]);

    // Assess
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sentEntries(0)).toStrictEqual([
      {
        Source: 'egress-warden.detectors',
        DetailType: 'Threat Signal',
        Detail: expect.any(String),
        EventBusName: 'egress-warden',
      },
    ]);
    expect(JSON.parse(sentEntries(0)[0]?.Detail ?? '')).toStrictEqual(signal);
  });

  it('sends 25 signals in calls of 10, 10 and 5, in order', async () => {
    // Act
    await publisher.publish(signals(25));

    // Assess
    const calls = mock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toStrictEqual([10, 10, 5]);
    expect(calls.flat().map((entry) => JSON.parse(entry.Detail ?? '').indicator)).toStrictEqual(
      signals(25).map((signal) => signal.indicator),
    );
  });

  it('splits calls so that each totals less than 256 KB', async () => {
    // Prepare: three signals of about 100 KB each, 300 KB in all.
    const large = [0, 1, 2].map((n) =>
      aSignal(`c2-${n}.example.net`, {
        workload: { image: `registry.example.com/app:${'x'.repeat(100 * 1024)}` },
      }),
    );

    // Act
    await publisher.publish(large);

    // Assess
    const calls = mock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toStrictEqual([2, 1]);
    for (const entries of calls) {
      expect(entries.reduce((sum, entry) => sum + entrySize(entry), 0)).toBeLessThan(MAX_CALL_BYTES);
    }
  });

  it('refuses a signal that breaks the contract, naming it, and still sends the others', async () => {
    // Prepare
    const bad = aSignal('bad.example.net', { severity: 11 });
    const badIndicator = aSignal('not a domain!');

    // Act
    const attempt = publisher.publish([aSignal('good.example.net'), bad, badIndicator]);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      /2 of 3 .*bad\.example\.net \(InvalidThreatSignal: signals\[1\]\.severity/,
    );
    await expect(attempt).rejects.toThrow(/not a domain! \(InvalidThreatSignal: signals\[2\]\.indicator/);
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sentEntries(0).map((entry) => JSON.parse(entry.Detail ?? '').indicator)).toStrictEqual([
      'good.example.net',
    ]);
  });

  it('retries only the entries that failed with a retryable code, until they are accepted', async () => {
    // Prepare
    mock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'e0' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure' }] })
      .resolves(accepted(1));

    // Act
    await publisher.publish(signals(3));

    // Assess
    const indicators = (call: number) =>
      sentEntries(call).map((entry) => JSON.parse(entry.Detail ?? '').indicator);
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect(indicators(1)).toStrictEqual(['c2-1.example.net', 'c2-2.example.net']);
    expect(indicators(2)).toStrictEqual(['c2-2.example.net']);
    expect(sleep.mock.calls.map(([ms]) => ms)).toStrictEqual([50, 100]);
  });

  it('reports a permanent failure at once, listing the signal and its code, after sending the rest', async () => {
    // Prepare
    mock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized' },
          ...accepted(9).Entries,
        ],
      })
      .resolves(accepted(1));

    // Act
    const attempt = publisher.publish(signals(11));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({
      code: 'NotAuthorizedForSourceException',
      retryable: false,
    });
    await expect(attempt).rejects.toThrow(
      '1 of 11 Threat Signals not published: c2-0.example.net (NotAuthorizedForSourceException: Not authorized)',
    );
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('gives up on entries still throttled after 4 attempts with ThrottledError listing them', async () => {
    // Prepare
    mock.on(PutEventsCommand).callsFake(async (input) => ({
      FailedEntryCount: input.Entries.length,
      Entries: input.Entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
    }));

    // Act
    const attempt = publisher.publish(signals(2));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    await expect(attempt).rejects.toMatchObject({ code: 'ThrottlingException', retryable: true });
    await expect(attempt).rejects.toThrow(
      'c2-0.example.net (ThrottlingException: Rate exceeded); c2-1.example.net (ThrottlingException: Rate exceeded)',
    );
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 4);
  });

  it('reports entries that keep failing inside EventBridge as ServiceUnavailableError', async () => {
    // Prepare
    mock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    // Act
    const attempt = publisher.publish(signals(1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'InternalFailure', retryable: true });
  });

  it('retries a whole call that is throttled', async () => {
    // Prepare
    mock
      .on(PutEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...metadata }))
      .resolves(accepted(2));

    // Act
    await publisher.publish(signals(2));

    // Assess
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(sentEntries(1)).toHaveLength(2);
  });

  it('reports a missing bus as TargetNotFoundError', async () => {
    // Prepare
    mock.on(PutEventsCommand).rejects(new ResourceNotFoundException({ message: 'no bus', ...metadata }));

    // Act
    const attempt = publisher.publish(signals(1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TargetNotFoundError);
    expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('sends nothing for no signals', async () => {
    // Act
    await publisher.publish([]);

    // Assess
    expect(mock).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
