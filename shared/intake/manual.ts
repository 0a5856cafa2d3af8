/**
 * Manual requests on the warden bus (`source: egress-warden.manual`): Block Request, Unblock Request,
 * Reset Breaker, Pause and Resume. `reason` and `requestedBy` are required so that every change has an owner and a why.
 */
import * as v from 'valibot';
import { parseDuration } from '#domain/duration';
import { InvalidInputError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { TARGET_NAMES } from '#domain/target';
import { parseWith } from '#domain/validate';
import type { Command } from './command';

export const MANUAL_SOURCE = 'egress-warden.manual';

/** The detail types {@link manualCommand} handles. */
export const MANUAL_DETAIL_TYPES = [
  'Block Request',
  'Unblock Request',
  'Reset Breaker',
  'Pause',
  'Resume',
] as const;

/** One of {@link MANUAL_DETAIL_TYPES}. */
export type ManualDetailType = (typeof MANUAL_DETAIL_TYPES)[number];

const required = (what: string) =>
  v.pipe(
    v.string(`must be a string (${what})`),
    v.trim(),
    v.minLength(1, `must not be empty (${what})`),
    v.maxLength(1024),
  );

const BlockSchema = v.strictObject({
  indicator: v.string('must be a string: a domain, IP address or CIDR'),
  reason: required('why this is blocked'),
  requestedBy: required('who asks'),
  ttl: v.optional(v.string()),
  permanent: v.optional(v.boolean()),
  targets: v.optional(v.pipe(v.array(v.picklist(TARGET_NAMES)), v.minLength(1))),
  severity: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10))),
});

const UnblockSchema = v.strictObject({
  indicator: v.string('must be a string: a domain, IP address or CIDR'),
  reason: required('why this is unblocked'),
  requestedBy: required('who asks'),
});

const ResetSchema = v.strictObject({
  reason: required('why the breaker is reset'),
  requestedBy: required('who asks'),
});

const PauseSchema = v.strictObject({
  reason: required('why Egress Warden is paused or resumed'),
  requestedBy: required('who asks'),
});

/** The severity a manual block ranks with when a scarce target (network ACLs) has to choose. */
const MANUAL_SEVERITY = 8;

/** Turns one manual request into a command. `id` and `time` come from the EventBridge envelope. */
export function manualCommand(detailType: string, detail: unknown, id: string, time: string): Command {
  if (detailType === 'Reset Breaker') {
    const request = parseWith(ResetSchema, detail, 'detail');
    return { kind: 'reset-breaker', ...request };
  }
  if (detailType === 'Pause' || detailType === 'Resume') {
    const request = parseWith(PauseSchema, detail, 'detail');
    return detailType === 'Pause' ? { kind: 'pause', ...request } : { kind: 'resume', ...request };
  }
  const block = detailType === 'Block Request';
  const request = block
    ? parseWith(BlockSchema, detail, 'detail')
    : parseWith(UnblockSchema, detail, 'detail');
  const indicator = parseIndicator(request.indicator, 'detail.indicator');
  // Decided by the request type, not by which fields are present: `targets` and `severity` come without a ttl.
  const options = block ? (request as v.InferOutput<typeof BlockSchema>) : undefined;
  if (options?.ttl !== undefined && options.permanent) {
    throw new InvalidInputError('cannot be combined with permanent: true', 'detail.ttl');
  }
  const ttlMs = options?.ttl === undefined ? undefined : parseDuration(options.ttl, 'detail.ttl');
  return {
    kind: 'signal',
    signal: {
      source: 'manual',
      intent: block ? 'block' : 'unblock',
      indicator,
      severity: options?.severity ?? MANUAL_SEVERITY,
      detector: 'manual',
      evidence: { key: `manual:${id}`, summary: `${request.requestedBy}: ${request.reason}` },
      workload: {},
      observedAt: time,
      sample: false,
      request: {
        requestedBy: request.requestedBy,
        reason: request.reason,
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(options?.permanent ? { permanent: true } : {}),
        ...(options?.targets ? { targets: options.targets } : {}),
      },
    },
  };
}
