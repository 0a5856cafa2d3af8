/**
 * The flow every indicator request of the command line shares (block, unblock): check locally, say what will
 * happen, send with the caller's identity, and with `--wait` follow it to the decision and the targets.
 */
import type { DecideResult } from '#domain/decide';
import { decide } from '#domain/decide';
import type { AuditRecord } from '#domain/decision';
import { modeOf } from '#domain/policy';
import type { CliContext } from './context';
import { toJson } from './format';
import {
  CLOSED_BREAKER,
  callerIdentity,
  evidenceKeyOf,
  type ManualDetailType,
  type Preview,
  parseRequest,
  previewSignal,
  refuseUnlessActionable,
  sendRequest,
  signalOf,
  waitForDecision,
  waitForEnforce,
} from './manual';
import { configuredPolicy } from './policy';

/** What the command line asks for. */
export interface IndicatorRequest {
  readonly detailType: Extract<ManualDetailType, 'Block Request' | 'Unblock Request'>;
  /** The request's detail without `requestedBy`, which is the caller's identity. */
  readonly detail: Record<string, unknown>;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/**
 * Validates, previews, sends and (with `wait`) follows one request. Refusals throw CliError before anything
 * is sent: the intake's parse error or a guard rail (exit 3), nothing to unblock (exit 4).
 */
export async function submitIndicatorRequest(ctx: CliContext, request: IndicatorRequest): Promise<void> {
  const { detailType, detail } = request;
  // The intake's parser and, for a block, the guard rails and allowlist of the file: no AWS call yet.
  const draft = signalOf(parseRequest(detailType, detail, ctx.now()));
  if (draft.intent === 'block') {
    const { policy } = await configuredPolicy(ctx);
    refuseUnlessActionable(decide(draft, undefined, { policy, now: ctx.now(), breaker: CLOSED_BREAKER }));
  }
  const requestedBy = await callerIdentity(ctx);
  const full = { ...detail, requestedBy };
  const signal = signalOf(parseRequest(detailType, full, ctx.now()));
  const preview = await previewSignal(ctx, signal);
  refuseUnlessActionable(preview.result);
  if (!request.json)
    for (const line of planLines(signal.indicator.value, preview, requestedBy)) ctx.out(line);

  const started = ctx.now().getTime();
  const eventId = await sendRequest(ctx, detailType, full);
  const { busName } = await ctx.deployment();
  if (!request.json) ctx.out(`Sent ${detailType} ${eventId} on ${busName}.`);
  const sent = { eventId, busName, request: { detailType, detail: full }, preview: summary(preview.result) };
  if (!request.wait) {
    if (request.json) ctx.out(toJson(sent));
    return;
  }

  const deadline = started + request.timeoutMs;
  const key = signal.indicator.value;
  const recorded = await waitForDecision(ctx, key, evidenceKeyOf(eventId), deadline);
  if (!request.json) ctx.out(decidedLine(recorded));
  const appliedAt = await waitForEnforce(ctx, recorded.at, deadline);
  const decision = await (await ctx.store()).get(key);
  if (request.json) {
    ctx.out(toJson({ ...sent, recorded, targetsAppliedAt: appliedAt, decision: decision ?? null }));
    return;
  }
  ctx.out(`Targets applied by the enforce run at ${appliedAt}: ${decision?.targets.join(', ') || 'none'}.`);
}

/** What will happen, for a person: the outcome the service would reach, the targets with their modes. */
function planLines(indicator: string, { result, deployed, current }: Preview, requestedBy: string): string[] {
  const modes = result.targets.map((target) => `${target} (${modeOf(target, deployed.policy)})`);
  const until = result.expiresAt === null ? 'permanently' : `until ${result.expiresAt}`;
  const lines: string[] = [];
  switch (result.outcome) {
    case 'blocked':
      lines.push(`Will block ${indicator} ${until} on ${modes.join(', ')}.`);
      break;
    case 'extended':
      lines.push(
        `${indicator} is already blocked${current?.expiresAt ? ` until ${current.expiresAt}` : ''}: this extends it (${until}) on ${modes.join(', ')}.`,
      );
      break;
    case 'unblocked':
      lines.push(`Will unblock ${indicator} on ${modes.join(', ') || 'no target'}.`);
      break;
    case 'shadow':
      lines.push(`Will record a shadow decision (nothing blocked): ${modes.join(', ')}.`);
      break;
    default:
      lines.push(`The service will skip it (${result.skipReason}).`);
  }
  lines.push(`  ${result.reason}`, `  requested by ${requestedBy}`);
  if (deployed.unknownVpcs.length > 0) {
    lines.push(
      `  note: the CIDRs of ${deployed.unknownVpcs.join(', ')} are not recorded yet, so the service will hold the request until enforce records them`,
    );
  }
  return lines;
}

function decidedLine(record: AuditRecord): string {
  const until =
    record.expiresAt === undefined
      ? ''
      : record.expiresAt === null
        ? ', permanent'
        : `, until ${record.expiresAt}`;
  return `Decided at ${record.at}: ${record.event}${until}: ${record.reason}`;
}

function summary(result: DecideResult) {
  return {
    outcome: result.outcome,
    ...(result.skipReason ? { skipReason: result.skipReason } : {}),
    reason: result.reason,
    targets: result.targets,
    expiresAt: result.expiresAt,
  };
}
