import {
  AuthorizationErrorException,
  type MessageAttributeValue,
  NotFoundException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SNS_MAX_MESSAGE_BYTES, SnsAlerts } from '#adapters/aws/alerts';
import type { Alert } from '#domain/alert';
import { TargetNotFoundError, ThrottledError } from '#domain/errors';
import { fakeSns, TOPIC_ARN } from '../../support/fakes/sns';

const client = new SNSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const mock = mockClient(client);
const $metadata = {};
const noWait = async () => {};

const alert = (overrides: Partial<Alert> = {}): Alert => ({
  subject: 'Blocked evil.example.com on DNS Firewall',
  message: 'evil.example.com is blocked until 2026-12-01T10:00:00Z.',
  attributes: { outcome: 'blocked', severity: 8, indicatorKind: 'domain' },
  ...overrides,
});

const sns = () => new SnsAlerts({ client, topicArn: TOPIC_ARN, sleep: noWait });

/** The input of the one Publish sent. */
function published(): PublishCommandInput {
  const calls = mock.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input;
  if (!input) throw new Error('no Publish was sent');
  return input;
}

/** What SNS counts against 256 KB: the message and every name, type and value of its attributes. */
function sizeInBytes(input: PublishCommandInput): number {
  const attributes = Object.entries(input.MessageAttributes ?? {}) as [string, MessageAttributeValue][];
  return (
    Buffer.byteLength(input.Message ?? '') +
    attributes.reduce(
      (sum, [name, value]) =>
        sum +
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType ?? '') +
        Buffer.byteLength(value.StringValue ?? ''),
      0,
    )
  );
}

const hasLoneSurrogate = (text: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

beforeEach(() => {
  mock.reset();
  fakeSns(mock, [TOPIC_ARN]);
});

describe('SnsAlerts', () => {
  describe('publish', () => {
    it('sends one Publish with the subject, the message, the evidence and the attributes', async () => {
      // Prepare
      const withEvidence = alert({ evidence: ['query evil.example.com from i-0abc', 'finding 1234'] });

      // Act
      await sns().publish(withEvidence);

      // Assess
      expect(mock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
        TopicArn: TOPIC_ARN,
        Subject: 'Blocked evil.example.com on DNS Firewall',
        Message:
          'evil.example.com is blocked until 2026-12-01T10:00:00Z.\n\nEvidence:\nquery evil.example.com from i-0abc\nfinding 1234',
        MessageAttributes: {
          outcome: { DataType: 'String', StringValue: 'blocked' },
          severity: { DataType: 'Number', StringValue: '8' },
          indicatorKind: { DataType: 'String', StringValue: 'domain' },
        },
      });
    });

    it('sends the message alone when there is no evidence', async () => {
      // Prepare
      const withoutEvidence = alert({ evidence: [] });

      // Act
      await sns().publish(withoutEvidence);

      // Assess
      expect(published().Message).toBe('evil.example.com is blocked until 2026-12-01T10:00:00Z.');
    });
  });

  describe('the subject', () => {
    it('turns line breaks, tabs and control characters into single spaces', async () => {
      // Prepare
      const messy = alert({ subject: ' Blocked\r\nevil.example.com\t\tfor \u0007 8h\u2028now ' });

      // Act
      await sns().publish(messy);

      // Assess
      expect(published().Subject).toBe('Blocked evil.example.com for 8h now');
    });

    it('keeps a subject of exactly 99 characters', async () => {
      // Prepare
      const subject = 'x'.repeat(99);

      // Act
      await sns().publish(alert({ subject }));

      // Assess
      expect(published().Subject).toBe(subject);
    });

    it('cuts a 150-character subject to 99 characters ending with three ASCII dots, not U+2026', async () => {
      // Prepare
      const subject = `Blocked ${'very-long-label.'.repeat(9)}example.com`.padEnd(150, 'x').slice(0, 150);

      // Act
      await sns().publish(alert({ subject }));

      // Assess
      const sent = published().Subject ?? '';
      expect(subject).toHaveLength(150);
      expect(sent).toHaveLength(99);
      expect(sent.endsWith('...')).toBe(true);
      expect(sent).toMatch(/^[\x20-\x7e]+$/);
      expect(subject.startsWith(sent.slice(0, -3))).toBe(true);
    });

    it('never cuts inside an emoji, even one made of several code points', async () => {
      // Prepare
      const family = '👨‍👩‍👧';
      const subject = `${'a'.repeat(95)}${family}🚨 tail`;

      // Act
      await sns().publish(alert({ subject }));

      // Assess
      const sent = published().Subject ?? '';
      expect(sent).toBe(`${'a'.repeat(95)}...`);
      expect(hasLoneSurrogate(sent)).toBe(false);
    });

    it('keeps an emoji that fits whole', async () => {
      // Prepare
      const subject = `🚨 ${'a'.repeat(120)}`;

      // Act
      await sns().publish(alert({ subject }));

      // Assess
      const sent = published().Subject ?? '';
      expect(sent.startsWith('🚨 a')).toBe(true);
      expect(sent.length).toBeLessThanOrEqual(99);
    });

    it('leaves the subject out when nothing printable is left', async () => {
      // Prepare
      const blank = alert({ subject: '\n\t \u0000' });

      // Act
      await sns().publish(blank);

      // Assess
      expect(published()).not.toHaveProperty('Subject');
    });
  });

  describe('the 256 KB limit', () => {
    it('drops evidence lines from the end to fit 300 KB of evidence, and says how many', async () => {
      // Prepare
      const evidence = Array.from(
        { length: 3000 },
        (_, index) => `line ${String(index).padStart(4, '0')} ${'e'.repeat(90)}`,
      );
      const big = alert({ evidence });

      // Act
      await sns().publish(big);

      // Assess
      const input = published();
      const message = input.Message ?? '';
      const kept = message.split('\n').filter((line) => line.startsWith('line '));
      expect(sizeInBytes(input)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      expect(sizeInBytes(input)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES - 200);
      expect(message.startsWith(`${big.message}\n\nEvidence:\nline 0000 `)).toBe(true);
      expect(kept).toEqual(evidence.slice(0, kept.length));
      const dropped = (3000 - kept.length).toLocaleString('en-US');
      expect(
        message.endsWith(`\n\n[trimmed: ${dropped} evidence lines removed to fit the 256 KB SNS limit]`),
      ).toBe(true);
    });

    it('counts the attributes against the limit', async () => {
      // Prepare
      const attributes = { note: 'n'.repeat(10_000) };
      const evidence = Array.from({ length: 2_600 }, () => 'e'.repeat(99));

      // Act
      await sns().publish(alert({ attributes, evidence }));

      // Assess
      const input = published();
      expect(input.MessageAttributes?.note?.StringValue).toHaveLength(10_000);
      expect(input.Message).toContain('evidence lines removed');
      expect(sizeInBytes(input)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    });

    it('sends a message that fits exactly unchanged', async () => {
      // Prepare
      const message = 'm'.repeat(
        SNS_MAX_MESSAGE_BYTES - 'outcome'.length - 'String'.length - 'blocked'.length,
      );

      // Act
      await sns().publish(alert({ message, attributes: { outcome: 'blocked' } }));

      // Assess
      expect(published().Message).toBe(message);
      expect(sizeInBytes(published())).toBe(SNS_MAX_MESSAGE_BYTES);
    });

    it('cuts an oversized message on a character boundary once no evidence is left', async () => {
      // Prepare
      const message = '€'.repeat(100_000);
      const withEvidence = alert({ message, evidence: ['one', 'two'] });

      // Act
      await sns().publish(withEvidence);

      // Assess
      const input = published();
      const sent = input.Message ?? '';
      expect(sizeInBytes(input)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      expect(sent).not.toContain('\uFFFD');
      expect(sent).not.toContain('Evidence:');
      const [body = '', notice] = sent.split('\n\n');
      expect(body).toMatch(/^€+$/);
      const cutBytes = (300_000 - Buffer.byteLength(body)).toLocaleString('en-US');
      expect(notice).toBe(
        `[trimmed: 2 evidence lines and ${cutBytes} bytes of the message removed to fit the 256 KB SNS limit]`,
      );
    });
  });

  describe('the message attributes', () => {
    it('drops names SNS refuses and sends the rest', async () => {
      // Prepare
      const attributes = {
        ok_name: 'a',
        'dotted.name-1': 'b',
        '.leading': 'x',
        'trailing.': 'x',
        'double..dot': 'x',
        'AWS.reserved': 'x',
        'amazon.reserved': 'x',
        'has space': 'x',
        ünicode: 'x',
        [`n${'a'.repeat(256)}`]: 'x',
        [`${'b'.repeat(256)}`]: 'c',
      };

      // Act
      await sns().publish(alert({ attributes }));

      // Assess
      expect(Object.keys(published().MessageAttributes ?? {})).toEqual([
        'ok_name',
        'dotted.name-1',
        'b'.repeat(256),
      ]);
    });

    it('sends numbers as Number within ±10^9 with at most 5 decimals, and others as String', async () => {
      // Prepare
      const attributes = {
        severity: 8.5,
        negative: -3,
        tiny: 0.000001,
        precise: 1.123456789,
        huge: 5e12,
        notANumber: Number.NaN,
        empty: '',
      };

      // Act
      await sns().publish(alert({ attributes }));

      // Assess
      expect(published().MessageAttributes).toEqual({
        severity: { DataType: 'Number', StringValue: '8.5' },
        negative: { DataType: 'Number', StringValue: '-3' },
        tiny: { DataType: 'Number', StringValue: '0' },
        precise: { DataType: 'Number', StringValue: '1.12346' },
        huge: { DataType: 'String', StringValue: '5000000000000' },
        notANumber: { DataType: 'String', StringValue: 'NaN' },
      });
    });

    it('sends a list as String.Array, so that a filter on one target matches every alert naming it', async () => {
      // Prepare
      const attributes = { outcome: 'blocked', targets: ['dnsFirewall', 'networkFirewall'], none: [] };

      // Act
      await sns().publish(alert({ attributes }));

      // Assess
      expect(published().MessageAttributes).toEqual({
        outcome: { DataType: 'String', StringValue: 'blocked' },
        targets: { DataType: 'String.Array', StringValue: '["dnsFirewall","networkFirewall"]' },
      });
    });

    it('leaves MessageAttributes out when none is valid', async () => {
      // Prepare
      const attributes = { 'AWS.only': 'x' };

      // Act
      await sns().publish(alert({ attributes }));

      // Assess
      expect(published()).not.toHaveProperty('MessageAttributes');
    });
  });

  describe('chat', () => {
    const CHAT_TOPIC_ARN = `${TOPIC_ARN}-chat`;
    const chat = () =>
      new SnsAlerts({ client, topicArn: TOPIC_ARN, chatTopicArn: CHAT_TOPIC_ARN, sleep: noWait });

    it('publishes each alert to the chat topic too, as a custom notification with the same attributes', async () => {
      // Prepare
      fakeSns(mock, [TOPIC_ARN, CHAT_TOPIC_ARN]);
      const blocked = alert({
        subject: '[Egress Warden] BLOCKED evil.example.com (C2 domain, severity 8) for 4h',
        message: [
          'BLOCKED domain evil.example.com for 4h.',
          'Why: blocked for 4h (Backdoor:EC2/C&CActivity.B!DNS).',
          'To undo it:',
          "  egress-warden unblock evil.example.com --reason 'why it is safe'",
        ].join('\n'),
        attributes: { outcome: 'blocked', severity: 8, targets: ['dnsFirewall'] },
        evidence: ['EC2 instance i-0abc is querying a C2 domain'],
        nextSteps: ["egress-warden unblock evil.example.com --reason 'why it is safe'"],
      });

      // Act
      await chat().publish(blocked);

      // Assess
      const calls = mock.commandCalls(PublishCommand).map((call) => call.args[0].input);
      expect(calls.map((input) => input.TopicArn)).toEqual([TOPIC_ARN, CHAT_TOPIC_ARN]);
      const [email, notification] = calls;
      expect(notification?.MessageAttributes).toEqual(email?.MessageAttributes);
      expect(notification).not.toHaveProperty('MessageStructure');
      expect(JSON.parse(notification?.Message ?? '{}')).toEqual({
        version: '1.0',
        source: 'custom',
        content: {
          textType: 'client-markdown',
          title: '[Egress Warden] BLOCKED evil.example.com (C2 domain, severity 8) for 4h',
          description: [
            '```',
            'BLOCKED domain evil.example.com for 4h.',
            'Why: blocked for 4h (Backdoor:EC2/C&CActivity.B!DNS).',
            '',
            'Evidence:',
            'EC2 instance i-0abc is querying a C2 domain',
            '```',
          ].join('\n'),
          nextSteps: ["`egress-warden unblock evil.example.com --reason 'why it is safe'`"],
          keywords: ['blocked', 'severity 8', 'dnsFirewall'],
        },
      });
    });

    it('cannot be made to close the code block or add a link from free text', async () => {
      // Prepare
      fakeSns(mock, [TOPIC_ARN, CHAT_TOPIC_ARN]);
      const forged = alert({
        subject: '[Egress Warden] BLOCKED <https://evil.example|click> & more',
        message: 'reason ``` **now bold** ```',
      });

      // Act
      await chat().publish(forged);

      // Assess
      const input = mock.commandCalls(PublishCommand)[1]?.args[0].input;
      const { content } = JSON.parse(input?.Message ?? '{}');
      expect(content.title).toBe('[Egress Warden] BLOCKED \u2039https://evil.example|click\u203a + more');
      expect(content.description).toBe("```\nreason ''' **now bold** '''\n```");
    });

    it('publishes nothing to a chat topic unless one is set', async () => {
      // Act
      await sns().publish(alert());

      // Assess
      expect(mock.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual([
        TOPIC_ARN,
      ]);
    });
  });

  describe('errors', () => {
    it('retries a throttled Publish and succeeds', async () => {
      // Prepare
      mock
        .on(PublishCommand)
        .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', $metadata }))
        .resolves({ MessageId: 'message-2' });

      // Act
      await sns().publish(alert());

      // Assess
      expect(mock).toHaveReceivedCommandTimes(PublishCommand, 2);
    });

    it('throws ThrottledError after 5 throttled attempts', async () => {
      // Prepare
      const throttled = new ThrottledException({ message: 'Rate exceeded', $metadata });
      mock.on(PublishCommand).rejects(throttled);
      const sleeps: number[] = [];
      const alerts = new SnsAlerts({
        client,
        topicArn: TOPIC_ARN,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });

      // Act
      const result = alerts.publish(alert());

      // Assess
      await expect(result).rejects.toBeInstanceOf(ThrottledError);
      await expect(result).rejects.toMatchObject({ code: 'ThrottledException', cause: throttled });
      expect(mock).toHaveReceivedCommandTimes(PublishCommand, 5);
      expect(sleeps).toHaveLength(4);
    });

    it('maps NotFoundException to TargetNotFoundError without retrying', async () => {
      // Prepare
      mock.on(PublishCommand).rejects(new NotFoundException({ message: 'Topic does not exist', $metadata }));

      // Act
      const result = sns().publish(alert());

      // Assess
      await expect(result).rejects.toBeInstanceOf(TargetNotFoundError);
      await expect(result).rejects.toMatchObject({ code: 'NotFoundException', retryable: false });
      expect(mock).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    it('lets other errors through unchanged and unretried', async () => {
      // Prepare
      const denied = new AuthorizationErrorException({
        message: 'not authorized to perform SNS:Publish',
        $metadata,
      });
      mock.on(PublishCommand).rejects(denied);

      // Act
      const result = sns().publish(alert());

      // Assess
      await expect(result).rejects.toBe(denied);
      expect(mock).toHaveReceivedCommandTimes(PublishCommand, 1);
    });
  });
});
