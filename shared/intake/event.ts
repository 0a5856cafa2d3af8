/**
 * The one entry point for inbound EventBridge events: checks the envelope and routes by source and
 * detail-type. Anything it does not know is an InvalidInputError that names the field.
 */
import * as v from 'valibot';
import { InvalidInputError, quotedExcerpt } from '#domain/errors';
import { fnv1a32 } from '#domain/hash';
import type { Policy } from '#domain/policy';
import { parseWith, TimestampSchema } from '#domain/validate';
import type { Command } from './command';
import { guardDutyCommands } from './guardduty';
import { MANUAL_DETAIL_TYPES, MANUAL_SOURCE, manualCommand } from './manual';
import { DETECTOR_SOURCE, threatSignalCommand } from './threat-signal';

const EnvelopeSchema = v.looseObject({
  id: v.optional(v.string()),
  source: v.pipe(v.string(), v.minLength(1)),
  'detail-type': v.pipe(v.string(), v.minLength(1)),
  time: v.optional(TimestampSchema),
  detail: v.looseObject({}),
});

/** The sources and detail types Egress Warden accepts. */
export const ACCEPTED_EVENTS: readonly { source: string; detailType: string }[] = [
  { source: 'aws.guardduty', detailType: 'GuardDuty Finding' },
  ...MANUAL_DETAIL_TYPES.map((detailType) => ({ source: MANUAL_SOURCE, detailType })),
  { source: DETECTOR_SOURCE, detailType: 'Threat Signal' },
];

/**
 * Turns one EventBridge event into commands. `now` stands in for a missing event time. Throws
 * InvalidInputError naming the field that was wrong; nothing is half-processed.
 */
export function toCommands(event: unknown, policy: Policy, now: Date): Command[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidInputError('an event must be a JSON object with source, detail-type and detail');
  }
  const envelope = parseWith(EnvelopeSchema, event);
  const source = envelope.source;
  const detailType = envelope['detail-type'];
  const time = envelope.time ?? now.toISOString();
  // An idempotency key for an event without an id (a hand-written sample): the same event gives the same key.
  const id =
    envelope.id ??
    `${source}:${time}:${fnv1a32(JSON.stringify(envelope.detail)).toString(16).padStart(8, '0')}`;
  if (source === 'aws.guardduty' && detailType === 'GuardDuty Finding')
    return guardDutyCommands(envelope.detail, policy);
  if (source === MANUAL_SOURCE && (MANUAL_DETAIL_TYPES as readonly string[]).includes(detailType))
    return [manualCommand(detailType, envelope.detail, id, time)];
  if (source === DETECTOR_SOURCE && detailType === 'Threat Signal')
    return [threatSignalCommand(envelope.detail, id)];
  const known = ACCEPTED_EVENTS.map((e) => `${e.source} / ${e.detailType}`).join('; ');
  throw new InvalidInputError(
    `${quotedExcerpt(source, MAX_REPORTED)} / ${quotedExcerpt(detailType, MAX_REPORTED)} is not an event Egress Warden handles (expected one of: ${known})`,
    'source',
  );
}

/** How much of an unknown source or detail type an error repeats: a huge one must not flood a log line. */
const MAX_REPORTED = 64;
