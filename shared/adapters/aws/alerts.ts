import { Buffer } from 'node:buffer';
import {
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { awsErrorCode } from '#adapters/aws/errors';
import type { Alert, AlertAttribute } from '#domain/alert';
import { TargetNotFoundError, ThrottledError } from '#domain/errors';
import type { AlertSink } from '#ports/alerts';
import { sleep as defaultSleep, withRetry } from '#shared/runtime/retry';

/** Options of {@link SnsAlerts}. */
export interface SnsAlertsOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /**
   * The chat topic (AWS Chatbot / Amazon Q Developer in chat applications subscribes to it): each alert is
   * published there too, as a custom notification. A topic of its own because SNS sends message attributes
   * only with a plain message, never with `MessageStructure: 'json'`, and the main topic's filters need them.
   */
  readonly chatTopicArn?: string;
  /** Injected so tests never wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** SNS counts the message and every part of its attributes (name, type, value) against 262,144 bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS needs a subject shorter than 100 characters. */
const SNS_MAX_SUBJECT_LENGTH = 99;

// Filter attributes are short (outcome, severity, kind, source); this cap keeps an oversized one from
// leaving no room for the message itself.
const MAX_ATTRIBUTES_BYTES = 16_384;
const MAX_ATTRIBUTE_NAME_LENGTH = 256;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const RESERVED_ATTRIBUTE_PREFIX = /^(?:aws|amazon)\./i;
// SNS takes numbers within ±10^9 with at most 5 decimal places.
const MAX_NUMBER_ATTRIBUTE = 1e9;
const RETRY = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 } as const;
const THROTTLING_CODES = new Set([
  'ThrottledException',
  'Throttled',
  'Throttling',
  'ThrottlingException',
  'KMSThrottlingException',
]);
const NOT_FOUND_CODES = new Set(['NotFoundException', 'NotFound']);
const EVIDENCE_HEADER = '\n\nEvidence:\n';
// Plain ASCII: SNS documents both "UTF-8" and "ASCII" subjects, and some subscribers rewrite non-ASCII ones.
const ELLIPSIS = '...';

/**
 * Publishes alerts to one SNS topic, shaped to fit SNS: a one-line subject under 100 characters, a message
 * that with its attributes stays within 256 KB (evidence trimmed first, with a notice saying what was cut),
 * attributes that SNS accepts (invalid names dropped). At least once: a retried Publish may deliver twice.
 * Throttling is retried with bounded backoff, then ThrottledError; a missing topic is TargetNotFoundError;
 * other SDK errors (such as `AuthorizationErrorException`) propagate unchanged.
 */
export class SnsAlerts implements AlertSink {
  readonly #client: SNSClient;
  readonly #topicArn: string;
  readonly #chatTopicArn: string | undefined;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: SnsAlertsOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
    this.#chatTopicArn = options.chatTopicArn;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Publishes one alert, then (when a chat topic is set) its custom notification. Throws ThrottledError,
   * TargetNotFoundError.
   */
  async publish(alert: Alert): Promise<void> {
    const attributes = toMessageAttributes(alert.attributes);
    const subject = toSubject(alert.subject);
    const message = toMessage(alert, SNS_MAX_MESSAGE_BYTES - attributesBytes(attributes));
    const filters = Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {};
    await this.#send(this.#topicArn, {
      ...(subject ? { Subject: subject } : {}),
      Message: message,
      ...filters,
    });
    if (this.#chatTopicArn === undefined) return;
    await this.#send(this.#chatTopicArn, { Message: JSON.stringify(toChatNotification(alert)), ...filters });
  }

  async #send(topicArn: string, input: Omit<PublishCommandInput, 'TopicArn'>): Promise<void> {
    const command = new PublishCommand({ TopicArn: topicArn, ...input });
    try {
      await withRetry(() => this.#client.send(command), {
        ...RETRY,
        sleep: this.#sleep,
        isRetryable: (error) => THROTTLING_CODES.has(awsErrorCode(error) ?? ''),
      });
    } catch (error) {
      const code = awsErrorCode(error) ?? '';
      const reason = error instanceof Error ? error.message : String(error);
      if (THROTTLING_CODES.has(code)) {
        throw new ThrottledError(
          `SNS topic ${topicArn}: still throttled after ${RETRY.attempts} attempts: ${reason}`,
          code,
          { cause: error },
        );
      }
      if (NOT_FOUND_CODES.has(code)) {
        throw new TargetNotFoundError(`SNS topic ${topicArn} not found: ${reason}`, code, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * The custom notification format of AWS Chatbot / Amazon Q Developer in chat applications (its "Custom
 * notifications" guide: `version`, `source: "custom"`, `content` with `textType`, `title`, `description`,
 * `nextSteps`, `keywords`).
 */
interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
}

/** How much of the message chat shows; the e-mail has the whole of it. */
const CHAT_MAX_DESCRIPTION = 4_000;
const FENCE = '```';

/**
 * The alert as a chat notification: the subject as title; the message (without its closing next-step lines,
 * which become `nextSteps`) and the evidence in a code block, so that free text from findings and operators
 * is shown as it is, never rendered as markup or links; the outcome, severity and targets as keywords.
 */
function toChatNotification(alert: Alert): ChatNotification {
  const steps = alert.nextSteps ?? [];
  const lines = alert.message.split('\n');
  const first = steps.length > 0 ? lines.indexOf(`  ${steps[0]}`) : -1;
  // The steps close the message after a title line ("To undo it:"); chat lists them on their own.
  const text = compose((first > 0 ? lines.slice(0, first - 1) : lines).join('\n'), alert.evidence ?? []);
  const shown =
    text.length <= CHAT_MAX_DESCRIPTION
      ? text
      : `${text.slice(0, CHAT_MAX_DESCRIPTION)}\n[cut: the e-mail alert has the rest]`;
  const keywords = [
    typeof alert.attributes.outcome === 'string' ? alert.attributes.outcome : '',
    typeof alert.attributes.severity === 'number' ? `severity ${alert.attributes.severity}` : '',
    ...asList(alert.attributes.targets),
  ].filter((keyword) => keyword !== '');
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: plainMarkdown(toSubject(alert.subject)),
      description: `${FENCE}\n${shown.replaceAll(FENCE, "'''")}\n${FENCE}`,
      ...(steps.length > 0 ? { nextSteps: steps.map((step) => `\`${step.replaceAll('`', "'")}\``) } : {}),
      ...(keywords.length > 0 ? { keywords } : {}),
    },
  };
}

/** Angle brackets and `&` make links and mentions in chat markup: shown as look-alikes instead. */
function plainMarkdown(text: string): string {
  return text.replaceAll('<', '\u2039').replaceAll('>', '\u203a').replaceAll('&', '+');
}

function asList(value: AlertAttribute | undefined): readonly string[] {
  return typeof value === 'object' ? value : [];
}

/**
 * A subject SNS accepts: line breaks and control characters become spaces, runs of white space one space, and
 * the result is cut to at most 99 UTF-16 code units (the stricter of the ways to count characters), ending
 * with `...` when cut, never inside a character or an emoji. Empty when nothing printable is left.
 */
function toSubject(subject: string): string {
  const oneLine = subject
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (oneLine.length <= SNS_MAX_SUBJECT_LENGTH) return oneLine;
  let cut = '';
  for (const { segment } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(oneLine)) {
    if (cut.length + segment.length + ELLIPSIS.length > SNS_MAX_SUBJECT_LENGTH) break;
    cut += segment;
  }
  return `${cut.trimEnd()}${ELLIPSIS}`;
}

/**
 * The message body: `alert.message`, then a blank line, `Evidence:` and the evidence lines. When it is over
 * `maxBytes` (UTF-8), evidence lines are dropped from the end first, then the message is cut (on a character
 * boundary), and a last line says how much was removed.
 */
function toMessage(alert: Alert, maxBytes: number): string {
  const evidence = alert.evidence ?? [];
  const full = compose(alert.message, evidence);
  if (utf8Bytes(full) <= maxBytes) return full || '(empty alert)';

  const messageBytes = utf8Bytes(alert.message);
  const lineBytes = evidence.map(utf8Bytes);
  // Bytes of the message plus the first k evidence lines, for every k, without building the strings.
  const withLines: number[] = [messageBytes];
  let running = messageBytes + utf8Bytes(EVIDENCE_HEADER);
  for (const [index, bytes] of lineBytes.entries()) {
    running += bytes + (index > 0 ? 1 : 0);
    withLines.push(running);
  }
  for (let kept = evidence.length - 1; kept >= 0; kept--) {
    const notice = trimNotice(evidence.length - kept, 0);
    if ((withLines[kept] ?? 0) + utf8Bytes(notice) <= maxBytes) {
      return `${compose(alert.message, evidence.slice(0, kept))}${notice}`;
    }
  }

  // No evidence fits: cut the message itself. The notice's length depends on the number it reports, so
  // shrink until message and notice fit together.
  let allowed = maxBytes - utf8Bytes(trimNotice(evidence.length, messageBytes));
  for (;;) {
    const kept = cutUtf8(alert.message, Math.max(0, allowed));
    const notice = trimNotice(evidence.length, messageBytes - utf8Bytes(kept));
    const total = utf8Bytes(kept) + utf8Bytes(notice);
    if (total <= maxBytes || allowed <= 0) return `${kept}${notice}`;
    allowed -= total - maxBytes;
  }
}

function compose(message: string, evidence: readonly string[]): string {
  return evidence.length > 0 ? `${message}${EVIDENCE_HEADER}${evidence.join('\n')}` : message;
}

function trimNotice(droppedLines: number, cutBytes: number): string {
  const parts: string[] = [];
  if (droppedLines > 0) parts.push(`${droppedLines.toLocaleString('en-US')} evidence lines`);
  if (cutBytes > 0) parts.push(`${cutBytes.toLocaleString('en-US')} bytes of the message`);
  return `\n\n[trimmed: ${parts.join(' and ')} removed to fit the 256 KB SNS limit]`;
}

/** The longest prefix of `text` that is at most `maxBytes` in UTF-8 and ends on a character boundary. */
function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // UTF-8 continuation bytes look like 10xxxxxx: back up to the first byte of the character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Message attributes SNS accepts, from the alert's attributes: finite numbers within ±10^9 as `Number`
 * (rounded to 5 decimals), lists as `String.Array` (a JSON array), anything else as `String`. Dropped, never sent: invalid names (SNS would refuse
 * the whole Publish), empty strings, and whatever would take the attributes past 16 KB.
 */
function toMessageAttributes(
  attributes: Readonly<Record<string, AlertAttribute>>,
): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (!isValidAttributeName(name)) continue;
    const attribute = toAttributeValue(value);
    if (!attribute) continue;
    const bytes = attributeBytes(name, attribute);
    if (total + bytes > MAX_ATTRIBUTES_BYTES) continue;
    total += bytes;
    result[name] = attribute;
  }
  return result;
}

function toAttributeValue(value: AlertAttribute): MessageAttributeValue | undefined {
  // A subscription filter on a String.Array matches when any element matches (SNS filter policies).
  if (typeof value === 'object') {
    return value.length === 0 ? undefined : { DataType: 'String.Array', StringValue: JSON.stringify(value) };
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value) && Math.abs(value) <= MAX_NUMBER_ATTRIBUTE) {
      return { DataType: 'Number', StringValue: String(Number(value.toFixed(5))) };
    }
    return { DataType: 'String', StringValue: String(value) };
  }
  return value === '' ? undefined : { DataType: 'String', StringValue: value };
}

function isValidAttributeName(name: string): boolean {
  return (
    name.length <= MAX_ATTRIBUTE_NAME_LENGTH &&
    ATTRIBUTE_NAME.test(name) &&
    !name.startsWith('.') &&
    !name.endsWith('.') &&
    !name.includes('..') &&
    !RESERVED_ATTRIBUTE_PREFIX.test(name)
  );
}

function attributeBytes(name: string, attribute: MessageAttributeValue): number {
  return utf8Bytes(name) + utf8Bytes(attribute.DataType ?? '') + utf8Bytes(attribute.StringValue ?? '');
}

function attributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, attribute]) => sum + attributeBytes(name, attribute),
    0,
  );
}
