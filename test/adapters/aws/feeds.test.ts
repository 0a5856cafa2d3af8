import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FEED_CACHE_MS, feedNameOf, ipFeedFormatOf, S3ThreatFeeds } from '#adapters/aws/feeds';
import { ManualClock } from '#adapters/in-memory/clock';
import { ThrottledError } from '#domain/errors';

const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const mock = mockClient(client);
const BUCKET = 'egress-warden-feeds';
const START = new Date('2026-11-28T10:00:00.000Z');

/** The bucket's feeds: key → text; every listed object has an ETag derived from its text. */
function serve(files: Record<string, string>): void {
  const etag = (text: string) => `"${Buffer.from(text).toString('base64').slice(0, 16)}"`;
  mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
    Contents: Object.entries(files)
      .filter(([key]) => key.startsWith(input.Prefix))
      .map(([key, text]) => ({ Key: key, ETag: etag(text), Size: text.length })),
    IsTruncated: false,
  }));
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
    Body: sdkStreamMixin(Readable.from([Buffer.from(files[input.Key] ?? '')])),
  }));
}

function feeds() {
  const clock = new ManualClock(START);
  const warnings: { message: string; attributes: Record<string, unknown> }[] = [];
  const log = {
    warn: (message: string, attributes: Record<string, unknown>) => warnings.push({ message, attributes }),
  };
  const adapter = new S3ThreatFeeds({ client, bucket: BUCKET, clock, log, sleep: async () => undefined });
  return { adapter, clock, warnings };
}

beforeEach(() => {
  mock.reset();
});

describe('S3ThreatFeeds', () => {
  it('loads domain feeds from feeds/dns/ and IP feeds in every format from feeds/ip/', async () => {
    // Prepare
    serve({
      'feeds/dns/': '',
      'feeds/dns/urlhaus-hostfile.txt': '# URLhaus\n127.0.0.1\tmalware.example.net\n',
      'feeds/dns/hagezi.txt': 'c2.example.org\n',
      'feeds/ip/feodo.txt': '198.51.100.7\n',
      'feeds/ip/drop_v4.json': '{"cidr":"203.0.113.0/24","sblid":"SBL000001","rir":"arin"}\n',
      'feeds/ip/ipblocklist.json': '[{"ip_address":"192.0.2.66","port":443,"malware":"QakBot"}]',
    });
    const { adapter, warnings } = feeds();

    // Act
    const loaded = await adapter.load();

    // Assess
    expect(loaded.domains.match('a.b.malware.example.net')).toEqual({
      domain: 'malware.example.net',
      tags: ['urlhaus-hostfile'],
    });
    expect(loaded.domains.has('c2.example.org')).toBe(true);
    expect(loaded.ips.lookupAddress('198.51.100.7')?.listings).toEqual([{ feed: 'feodo' }]);
    expect(loaded.ips.lookupAddress('203.0.113.9')?.cidr).toBe('203.0.113.0/24');
    expect(loaded.ips.lookupAddress('192.0.2.66')?.listings[0]?.feed).toBe('ipblocklist');
    expect(warnings).toEqual([]);
  });

  it('logs bad feed lines with the feed, line and reason, and keeps the good ones', async () => {
    // Prepare
    serve({
      'feeds/dns/list.txt': 'good.example.net\nhttp://bad.example.net/path\n',
      'feeds/ip/list.txt': '0.0.0.0/0\n198.51.100.7\n',
    });
    const { adapter, warnings } = feeds();

    // Act
    const loaded = await adapter.load();

    // Assess
    expect(loaded.domains.has('good.example.net')).toBe(true);
    expect(loaded.ips.lookupAddress('198.51.100.7')).not.toBeNull();
    expect(warnings.map((warning) => [warning.attributes.key, warning.attributes.badLines])).toEqual([
      ['feeds/dns/list.txt', 1],
      ['feeds/ip/list.txt', 1],
    ]);
    expect(warnings[0]?.attributes.first).toEqual([expect.objectContaining({ line: 2 })]);
  });

  it('answers from its cache for 15 minutes, then lists again and reads only the feeds that changed', async () => {
    // Prepare
    const files = { 'feeds/ip/a.txt': '198.51.100.7\n', 'feeds/ip/b.txt': '198.51.100.8\n' };
    serve(files);
    const { adapter, clock } = feeds();
    const first = await adapter.load();
    const readBefore = mock.commandCalls(GetObjectCommand).length;

    // Act
    clock.advance(FEED_CACHE_MS - 1);
    const cached = await adapter.load();
    serve({ ...files, 'feeds/ip/b.txt': '198.51.100.9\n' });
    clock.advance(1);
    const reloaded = await adapter.load();

    // Assess
    expect(cached).toBe(first);
    expect(reloaded.ips.lookupAddress('198.51.100.9')).not.toBeNull();
    expect(reloaded.ips.lookupAddress('198.51.100.8')).toBeNull();
    const readAgain = mock.commandCalls(GetObjectCommand).slice(readBefore);
    expect(readAgain.map((call) => call.args[0].input.Key)).toEqual(['feeds/ip/b.txt']);
  });

  it('keeps the previous feeds when the bucket cannot be read again, and throws when it never could', async () => {
    // Prepare
    serve({ 'feeds/ip/a.txt': '198.51.100.7\n' });
    const { adapter, clock, warnings } = feeds();
    const first = await adapter.load();
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
      message: 'Please reduce your request rate.',
    });
    mock.on(ListObjectsV2Command).rejects(slowDown);
    clock.advance(FEED_CACHE_MS);

    // Act
    const stale = await adapter.load();
    const fresh = feeds().adapter.load();

    // Assess
    expect(stale).toBe(first);
    expect(warnings.map((warning) => warning.message)).toEqual([
      'threat feeds could not be read again: the previous feeds stay in use',
    ]);
    await expect(fresh).rejects.toThrow(ThrottledError);
  });

  it('follows ListObjectsV2 pages', async () => {
    // Prepare
    mock
      .on(ListObjectsV2Command, { Prefix: 'feeds/ip/' })
      .resolvesOnce({
        Contents: [{ Key: 'feeds/ip/a.txt', ETag: '"a"', Size: 13 }],
        IsTruncated: true,
        NextContinuationToken: 't',
      })
      .resolves({ Contents: [{ Key: 'feeds/ip/b.txt', ETag: '"b"', Size: 13 }], IsTruncated: false });
    mock.on(ListObjectsV2Command, { Prefix: 'feeds/dns/' }).resolves({ IsTruncated: false });
    mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: sdkStreamMixin(
        Readable.from([Buffer.from(input.Key.endsWith('a.txt') ? '198.51.100.7' : '198.51.100.8')]),
      ),
    }));
    const { adapter } = feeds();

    // Act
    const loaded = await adapter.load();

    // Assess
    expect(loaded.ips.lookupAddress('198.51.100.8')).not.toBeNull();
    expect(
      mock.commandCalls(ListObjectsV2Command, { Prefix: 'feeds/ip/' })[1]?.args[0].input.ContinuationToken,
    ).toBe('t');
  });
});

describe('feed names and formats', () => {
  it.each([
    ['feeds/ip/ipblocklist.csv', '', 'feodo-csv'],
    ['feeds/ip/drop_v4.jsonl', '', 'spamhaus-drop'],
    ['feeds/ip/drop_v4.json', '{"cidr":"1.10.16.0/20"}', 'spamhaus-drop'],
    ['feeds/ip/ipblocklist.json', ' [{"ip_address":"192.0.2.1"}]', 'feodo-json'],
    ['feeds/ip/drop.txt', '', 'plain'],
    ['feeds/ip/list', '', 'plain'],
  ])('reads %s (text %j) as %s', (key, text, format) => {
    expect(ipFeedFormatOf(key, text)).toBe(format);
  });

  it('names a feed by its key after the prefix, without the last extension', () => {
    expect(feedNameOf('feeds/ip/feodo.csv', 'feeds/ip/')).toBe('feodo');
    expect(feedNameOf('feeds/dns/vendor/list.v2.txt', 'feeds/dns/')).toBe('vendor/list.v2');
    expect(feedNameOf('feeds/dns/.hidden', 'feeds/dns/')).toBe('.hidden');
  });
});
