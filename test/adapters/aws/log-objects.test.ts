import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { S3LogObjects } from '#adapters/aws/log-objects';
import { InvalidInputError, ServiceUnavailableError, ThrottledError } from '#domain/errors';
import { collect } from '../../logs/samples';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const mock = mockClient(client);
const sleep = vi.fn(async (_ms: number) => undefined);
const objects = new S3LogObjects({ client, sleep, random: () => 0.5 });
const KEY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/28/file.log.gz';

/** A GetObject body as the SDK returns it in Node.js: a stream with the SDK's helpers. */
function bodyOf(chunks: readonly string[]) {
  return sdkStreamMixin(Readable.from(chunks.map((chunk) => Buffer.from(chunk))));
}

/** An S3 error as the SDK raises it. */
function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

beforeEach(() => {
  mock.reset();
  sleep.mockClear();
});

describe('S3LogObjects', () => {
  it('hands over the body chunk by chunk as S3 sends it', async () => {
    // Prepare
    mock.on(GetObjectCommand, { Bucket: 'logs', Key: KEY }).resolves({ Body: bodyOf(['one\n', 'two\n']) });

    // Act
    const chunks = await collect(await objects.open('logs', KEY));

    // Assess
    expect(chunks.map((chunk) => Buffer.from(chunk).toString())).toEqual(['one\n', 'two\n']);
  });

  it('retries SlowDown and 503 and reads the object once S3 answers', async () => {
    // Prepare
    mock
      .on(GetObjectCommand)
      .rejectsOnce(s3Error('SlowDown', 503))
      .rejectsOnce(s3Error('InternalError', 500))
      .resolves({ Body: bodyOf(['line\n']) });

    // Act
    const chunks = await collect(await objects.open('logs', KEY));

    // Assess
    expect(chunks).toHaveLength(1);
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('throws ThrottledError once the retries are spent on throttling, ServiceUnavailableError on 5xx', async () => {
    // Prepare
    mock.on(GetObjectCommand, { Key: 'slow' }).rejects(s3Error('SlowDown', 503));
    mock.on(GetObjectCommand, { Key: 'broken' }).rejects(s3Error('InternalError', 500));

    // Act
    const slow = objects.open('logs', 'slow');
    const broken = objects.open('logs', 'broken');

    // Assess
    await expect(slow).rejects.toThrow(ThrottledError);
    await expect(broken).rejects.toThrow(ServiceUnavailableError);
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(8);
  });

  it('refuses a missing object at once, naming the bucket and key, as input no retry can fix', async () => {
    // Prepare
    mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));

    // Act
    const open = objects.open('logs', KEY);

    // Assess
    await expect(open).rejects.toThrow(InvalidInputError);
    await expect(open).rejects.toThrow(`s3://logs/${KEY} does not exist`);
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('passes AccessDenied on as the SDK raised it, without retrying', async () => {
    // Prepare
    const denied = s3Error('AccessDenied', 403);
    mock.on(GetObjectCommand).rejects(denied);

    // Act
    const open = objects.open('logs', KEY);

    // Assess
    await expect(open).rejects.toBe(denied);
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });
});
