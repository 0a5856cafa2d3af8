/** What invoked `enforce`, read from the event at the edge. */
import type { DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { InvalidInputError } from '#domain/errors';

/** The two invocations the stack wires: decision-store changes and the schedule. */
export type EnforceTrigger =
  | { readonly kind: 'stream'; readonly records: number }
  | { readonly kind: 'schedule'; readonly time: string };

/** The events `enforce` accepts. */
export type EnforceEvent = DynamoDBStreamEvent | ScheduledEvent;

/**
 * A DynamoDB stream batch (`Records` from `aws:dynamodb`) or an EventBridge schedule (`Scheduled Event` from
 * `aws.events`); anything else is InvalidInputError naming the field that did not match.
 */
export function triggerOf(event: unknown): EnforceTrigger {
  if (typeof event !== 'object' || event === null) throw new InvalidInputError('is not an object', 'event');
  const candidate = event as Record<string, unknown>;
  if (Array.isArray(candidate.Records)) {
    const records = candidate.Records as { eventSource?: unknown }[];
    const other = records.findIndex((record) => record?.eventSource !== 'aws:dynamodb');
    if (other >= 0) throw new InvalidInputError('is not a DynamoDB stream record', `Records[${other}]`);
    return { kind: 'stream', records: records.length };
  }
  if (candidate['detail-type'] !== 'Scheduled Event' || candidate.source !== 'aws.events') {
    throw new InvalidInputError(
      'is neither a DynamoDB stream batch nor a scheduled event (detail-type "Scheduled Event", source "aws.events")',
      'event',
    );
  }
  return { kind: 'schedule', time: typeof candidate.time === 'string' ? candidate.time : '' };
}
