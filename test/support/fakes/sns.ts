/** A small stateful SNS behind aws-sdk-client-mock: topics that keep what was published to them. */
import { Buffer } from 'node:buffer';
import {
  InvalidParameterException,
  InvalidParameterValueException,
  type MessageAttributeValue,
  NotFoundException,
  PublishCommand,
  type PublishCommandInput,
  type PublishResponse,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { FakeAwsService } from './injected-failures';

/** The topic the fake holds unless told otherwise. */
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:egress-warden-alerts';

const $metadata = {};
const MAX_MESSAGE_BYTES = 262_144;
const DATA_TYPES = /^(String|String\.Array|Number|Binary)(\..+)?$/;

/** One message SNS accepted. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
}

/**
 * SNS Publish as the service checks it: an existing topic (`NotFoundException`), a subject with no line
 * breaks or control characters and under 100 characters, a message within 256 KB counting every part of
 * its attributes, and valid attribute names and types (`InvalidParameterException`,
 * `InvalidParameterValueException`). Accepted messages are kept in order.
 */
export class FakeSns extends FakeAwsService {
  /** Every message accepted, oldest first. */
  readonly published: PublishedMessage[] = [];
  readonly #topics: ReadonlySet<string>;

  constructor(topicArns: readonly string[] = [TOPIC_ARN]) {
    super();
    this.#topics = new Set(topicArns);
  }

  /** Publish. */
  publish(input: PublishCommandInput): PublishResponse {
    this.throwIfInjected(PublishCommand);
    const topicArn = input.TopicArn ?? '';
    if (!this.#topics.has(topicArn))
      throw new NotFoundException({ $metadata, message: 'Topic does not exist' });
    const { Subject: subject, Message: message } = input;
    if (
      subject !== undefined &&
      (subject === '' || subject.length >= 100 || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(subject))
    ) {
      throw new InvalidParameterException({ $metadata, message: 'Invalid parameter: Subject' });
    }
    if (!message)
      throw new InvalidParameterException({ $metadata, message: 'Invalid parameter: Empty message' });
    const attributes = input.MessageAttributes ?? {};
    let bytes = Buffer.byteLength(message);
    for (const [name, value] of Object.entries(attributes)) {
      const validName =
        name.length <= 256 &&
        /^[A-Za-z0-9_.-]+$/.test(name) &&
        !/^\.|\.$|\.\./.test(name) &&
        !/^(aws|amazon)\./i.test(name);
      if (!validName || !DATA_TYPES.test(value.DataType ?? '')) {
        throw new InvalidParameterValueException({
          $metadata,
          message: `The message attribute '${name}' has an invalid message attribute name or type.`,
        });
      }
      if (value.DataType === 'Number' && !Number.isFinite(Number(value.StringValue))) {
        throw new InvalidParameterValueException({
          $metadata,
          message: `The message attribute '${name}' with type 'Number' must be a number.`,
        });
      }
      bytes +=
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType ?? '') +
        Buffer.byteLength(value.StringValue ?? '') +
        (value.BinaryValue?.byteLength ?? 0);
    }
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new InvalidParameterException({ $metadata, message: 'Invalid parameter: Message too long' });
    }
    const messageId = `message-${this.published.length + 1}`;
    this.published.push({
      messageId,
      topicArn,
      ...(subject === undefined ? {} : { subject }),
      message,
      attributes: structuredClone(attributes),
    });
    return { MessageId: messageId };
  }
}

/** Backs `mock` with a new FakeSns holding `topicArns` and returns it. */
export function fakeSns(mock: AwsClientStub<SNSClient>, topicArns: readonly string[] = [TOPIC_ARN]): FakeSns {
  const fake = new FakeSns(topicArns);
  mock.on(PublishCommand).callsFake((input: PublishCommandInput) => fake.publish(input));
  return fake;
}
