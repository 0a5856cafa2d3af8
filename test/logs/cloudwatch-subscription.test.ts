import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import {
  decodeSubscriptionData,
  decodeSubscriptionEvent,
  MAX_SUBSCRIPTION_BYTES,
} from '#shared/logs/cloudwatch-subscription';
import { sampleJson, subscriptionEvent } from './samples';

function thrown(act: () => unknown): InvalidInputError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

const dataOf = (value: unknown) => gzipSync(JSON.stringify(value)).toString('base64');

describe('decodeSubscriptionEvent', () => {
  it.each([
    'cwlogs-subscription-lambda-event-console-template',
    'cwlogs-subscription-lambda-event-powertools',
  ])('decodes the captured event %s to what base64 and gunzip give', (name) => {
    // Prepare
    const event = sampleJson(`${name}.json.sample`);
    const expected = sampleJson(`${name}.decoded.json.sample`);

    // Act
    const message = decodeSubscriptionEvent(event);

    // Assess
    expect(message).toEqual(expected);
  });

  it('keeps each log event id, timestamp and message', () => {
    // Act
    const message = decodeSubscriptionEvent(subscriptionEvent(['first record', 'second record']));

    // Assess
    expect(message.logEvents).toEqual([
      { id: 'e1', timestamp: 1_764_324_000_000, message: 'first record' },
      { id: 'e2', timestamp: 1_764_324_000_001, message: 'second record' },
    ]);
  });

  it('recognises a CONTROL_MESSAGE, which names no log group, and drops its log events', () => {
    // Prepare
    const event = subscriptionEvent(
      ['CWL CONTROL MESSAGE: Checking health of destination Lambda function.'],
      {
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        subscriptionFilters: [],
      },
    );

    // Act
    const message = decodeSubscriptionEvent(event);

    // Assess
    expect(message).toEqual({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [],
    });
  });

  it('refuses a DATA_MESSAGE that names no log group', () => {
    expect(thrown(() => decodeSubscriptionEvent(subscriptionEvent(['x'], { logGroup: '' }))).message).toBe(
      'logGroup: is not a non-empty string: ""',
    );
  });

  it('refuses an event without awslogs.data', () => {
    expect(thrown(() => decodeSubscriptionEvent({ Records: [] })).message).toMatch(/^awslogs\.data: /);
  });

  it('refuses data that is not base64, naming the field', () => {
    expect(thrown(() => decodeSubscriptionData('not base64!')).message).toContain(
      'awslogs.data: is not base64: "not base64!"',
    );
  });

  it('refuses base64 that is not gzip', () => {
    expect(thrown(() => decodeSubscriptionData(Buffer.from('{"a":1}').toString('base64'))).message).toContain(
      'is not gzip',
    );
  });

  it('refuses a truncated gzip stream', () => {
    // Prepare
    const whole = gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE' }));
    const truncated = whole.subarray(0, whole.length - 10);
    const data = Buffer.concat([truncated, Buffer.alloc((3 - (truncated.length % 3)) % 3)]).toString(
      'base64',
    );

    // Act & Assess
    expect(thrown(() => decodeSubscriptionData(data)).message).toContain('is not valid gzip');
  });

  it('refuses gzip that is not JSON', () => {
    expect(thrown(() => decodeSubscriptionData(gzipSync('not json').toString('base64'))).message).toContain(
      'does not decompress to JSON',
    );
  });

  it('stops a gzip bomb at the cap instead of decompressing it', () => {
    // Prepare: zeros compress about 1,000 times, so 40 KB of gzip would become 40 MiB
    const bomb = gzipSync(Buffer.alloc(MAX_SUBSCRIPTION_BYTES + 1024 * 1024)).toString('base64');

    // Act
    const error = thrown(() => decodeSubscriptionData(bomb));

    // Assess
    expect(bomb.length).toBeLessThan(100_000);
    expect(error.message).toContain(`decompresses to more than ${MAX_SUBSCRIPTION_BYTES} bytes`);
  });

  it.each([
    [{ messageType: 'OTHER' }, 'messageType: is "OTHER"'],
    [[1, 2], 'is not a JSON object'],
    [{ messageType: 'DATA_MESSAGE', owner: 'o', logGroup: 'g', logStream: 's' }, 'subscriptionFilters'],
    [
      { messageType: 'DATA_MESSAGE', owner: 'o', logGroup: 'g', logStream: 's', subscriptionFilters: [] },
      'logEvents: is not a list',
    ],
    [
      {
        messageType: 'DATA_MESSAGE',
        owner: 'o',
        logGroup: 'g',
        logStream: 's',
        subscriptionFilters: [],
        logEvents: [{ id: 'a', timestamp: 'soon', message: 'm' }],
      },
      'logEvents[0].timestamp: is not epoch milliseconds: "soon"',
    ],
    [
      {
        messageType: 'DATA_MESSAGE',
        owner: 'o',
        logGroup: 'g',
        logStream: 's',
        subscriptionFilters: [],
        logEvents: [{ id: 'a', timestamp: 1 }],
      },
      'logEvents[0].message',
    ],
  ])('refuses a payload of the wrong shape (%j)', (payload, expected) => {
    expect(thrown(() => decodeSubscriptionData(dataOf(payload))).message).toContain(expected);
  });

  it('never throws anything but InvalidInputError for arbitrary data', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('base64')),
          fc.uint8Array().map((bytes) => gzipSync(bytes).toString('base64')),
          fc.jsonValue().map(dataOf),
        ),
        (data) => {
          try {
            decodeSubscriptionData(data);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInputError);
          }
        },
      ),
    );
  });
});
