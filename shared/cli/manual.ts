/**
 * Manual requests from the command line: validated locally with the service's own parser, guard rails and
 * decide (so a bad or protected indicator is refused with the service's message before anything is sent),
 * put on the warden bus with the caller's identity, and optionally waited for in the decision store.
 */
import { coveringKeys, type DecideResult, decide } from '#domain/decide';
import type { AuditRecord, Decision } from '#domain/decision';
import { InvalidInputError } from '#domain/errors';
import type { Signal } from '#domain/signal';
import type { DecisionStore, EnforceStatus } from '#ports/decision-store';
import type { Command } from '#shared/intake/command';
import { MANUAL_SOURCE, type ManualDetailType, manualCommand } from '#shared/intake/manual';
import type { CliContext } from './context';
import { CliError, EXIT, fromAwsError, fromRefusedEvent } from './errors';
import { toJson } from './format';
import { type DeployedPolicy, deployedPolicy } from './policy';

export type { ManualDetailType } from '#shared/intake/manual';

/** Stands in for the caller's identity while a request is validated before STS is asked. */
const PENDING_IDENTITY = 'egress-warden-cli';

/** The evidence key of a manual request, as the intake builds it from the EventBridge event id. */
export function evidenceKeyOf(eventId: string): string {
  return `manual:${eventId}`;
}

/**
 * Parses a request exactly as the intake will. Throws CliError (exit 3, nothing sent) with the intake's
 * message, which names the field (`detail.indicator`, `detail.ttl`…).
 */
export function parseRequest(
  detailType: ManualDetailType,
  detail: Record<string, unknown>,
  now: Date,
): Command {
  try {
    return manualCommand(
      detailType,
      { requestedBy: PENDING_IDENTITY, ...detail },
      'egress-warden-cli-preview',
      now.toISOString(),
    );
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new CliError(`refused: ${error.message}`, EXIT.refused, {
      hint: 'nothing was sent; fix the value and run the command again',
      cause: error,
    });
  }
}

/** The signal of a parsed block or unblock request. */
export function signalOf(command: Command): Signal {
  if (command.kind !== 'signal') throw new Error(`expected a signal, got ${command.kind}`);
  return command.signal;
}

/** What the service would decide for a signal now, from the stored record of its indicator. */
export interface Preview {
  readonly result: DecideResult;
  readonly current?: Decision;
  readonly deployed: DeployedPolicy;
}

/**
 * Decides `signal` as the `decide` function would right now: the deployed policy, the stored record, the
 * breaker, the pause and, for an unblock of an indicator that is not blocked, the records that cover it. Writes nothing.
 */
export async function previewSignal(ctx: CliContext, signal: Signal): Promise<Preview> {
  const deployed = await deployedPolicy(ctx);
  const store = await ctx.store();
  const { policy } = deployed;
  try {
    const [current, breaker, pause] = await Promise.all([
      store.get(signal.indicator.value),
      store.getBreaker(),
      store.getPause(),
    ]);
    const context = { policy, now: ctx.now(), breaker, pause };
    let result = decide(signal, current, context);
    if (signal.intent === 'unblock' && result.skipReason === 'not-blocked') {
      const found = await Promise.all(coveringKeys(signal.indicator, policy).map((key) => store.get(key)));
      const covering = found.filter((d): d is Decision => d !== undefined);
      if (covering.length > 0) result = decide(signal, current, { ...context, covering });
    }
    return { result, deployed, ...(current ? { current } : {}) };
  } catch (error) {
    throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
  }
}

/** A closed breaker with no recent blocks: a local what-if shows what the policy allows, not what the breaker holds back. */
export const CLOSED_BREAKER = { open: false, recentBlocks: [], version: 0 } as const;

/** Whether the service would refuse the request outright: a protected or allowlisted indicator, or no target. */
export function isRefused({ skipReason }: DecideResult): boolean {
  return skipReason === 'allowlisted' || skipReason === 'guard-rail' || skipReason === 'no-target';
}

/**
 * Throws CliError when the service would not act on the request: a protected or allowlisted indicator, or
 * no target for its kind (exit 3), or nothing to unblock (exit 4). The message is the service's reason.
 */
export function refuseUnlessActionable(result: DecideResult): void {
  const { skipReason, reason } = result;
  if (isRefused(result)) {
    throw new CliError(`refused: ${reason}`, EXIT.refused, {
      hint:
        skipReason === 'no-target'
          ? 'nothing was sent; switch a target that can block it on in the configuration (policy.targets), or pick --targets'
          : 'nothing was sent; the guard rails and the allowlist are in the configuration (policy.guardRails, policy.allowlist)',
    });
  }
  if (skipReason === 'not-blocked') {
    throw new CliError(reason, EXIT.notFound, {
      hint: 'nothing was sent; `egress-warden list` shows the active blocks',
    });
  }
}

/** The caller's identity (its ARN) from STS GetCallerIdentity, for `requestedBy`. */
export async function callerIdentity(ctx: CliContext): Promise<string> {
  try {
    const [{ GetCallerIdentityCommand }, sts] = await Promise.all([
      import('@aws-sdk/client-sts'),
      ctx.clients.sts(),
    ]);
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new Error('STS returned no ARN');
    return Arn;
  } catch (error) {
    throw fromAwsError(error, 'read your identity (sts:GetCallerIdentity)');
  }
}

/**
 * Puts one manual request on the deployment's warden bus and returns its EventBridge event id (the intake's
 * evidence key is `manual:<id>`). Throws CliError when the bus refuses the event or the call fails.
 */
export async function sendRequest(
  ctx: CliContext,
  detailType: ManualDetailType,
  detail: Record<string, unknown>,
): Promise<string> {
  const { busName } = await ctx.deployment();
  const action = `put events on the warden bus ${busName} (events:PutEvents)`;
  let answer: {
    FailedEntryCount?: number;
    Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
  };
  try {
    const [{ PutEventsCommand }, eventBridge] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      ctx.clients.eventBridge(),
    ]);
    answer = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: MANUAL_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
  } catch (error) {
    throw fromAwsError(error, action);
  }
  const entry = answer.Entries?.[0];
  // Partial failures do not throw: the answer says which entries the bus refused.
  if ((answer.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode || !entry?.EventId) {
    throw fromRefusedEvent(entry ?? { ErrorCode: 'NoEventId' }, busName);
  }
  return entry.EventId;
}

/** How often `--wait` reads the store. */
const POLL_MS = 2000;

/**
 * Calls `read` every POLL_MS until it returns a value, and returns that value. Once `deadline` (ms since the
 * epoch) has passed without one, throws the CliError `timedOut` makes.
 */
export async function pollUntil<T>(
  ctx: CliContext,
  read: () => Promise<T | undefined>,
  deadline: number,
  timedOut: () => CliError | Promise<CliError>,
): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (ctx.now().getTime() >= deadline) throw await timedOut();
    await ctx.sleep(POLL_MS);
  }
}

/**
 * Waits until the audit trail of `key` holds the decision on the request whose evidence key is `evidenceKey`,
 * and returns that audit record. Throws CliError (exit 6) at `deadline` (ms since the epoch), saying where it
 * stopped.
 */
export async function waitForDecision(
  ctx: CliContext,
  key: string,
  evidenceKey: string,
  deadline: number,
): Promise<AuditRecord> {
  const store = await ctx.store();
  return pollUntil(
    ctx,
    async () => {
      const trail = await store.listAudit(key).catch((error: unknown) => {
        throw fromAwsError(error, 'read the decision table (dynamodb:Query)');
      });
      return trail.find((record) => record.evidence?.key === evidenceKey);
    },
    deadline,
    async () => {
      const { deadLetterQueueUrl } = await ctx.deployment();
      return new CliError(
        `timed out waiting for the decision on ${key}: the request ${evidenceKey} is not in its audit trail yet (hop: bus → decide)`,
        EXIT.timeout,
        {
          hint: `the request was sent; check the decide function's logs and the dead-letter queue ${deadLetterQueueUrl}, then \`egress-warden explain ${key}\``,
        },
      );
    },
  );
}

/**
 * Waits until an `enforce` run started after `decidedAt` (so the targets hold the decision), as its status
 * record says, and returns when it started. Throws CliError (exit 6) at `deadline`.
 */
export async function waitForEnforce(ctx: CliContext, decidedAt: string, deadline: number): Promise<string> {
  const store = await ctx.store();
  let status: EnforceStatus | undefined;
  return pollUntil(
    ctx,
    async () => {
      status = await store.getEnforceStatus().catch((error: unknown) => {
        throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
      });
      return status && status.at > decidedAt ? status.at : undefined;
    },
    deadline,
    () =>
      new CliError(
        `timed out waiting for the targets: the decision was recorded at ${decidedAt}, but enforce has not run since${status ? ` (last run ${status.at})` : ''} (hop: decide → enforce)`,
        EXIT.timeout,
        { hint: "the decision stands; check the enforce function's logs and `egress-warden status`" },
      ),
  );
}

/**
 * A request that moves one piece of the service's state (the pause, the breaker): `pause`, `resume` and
 * `reset-breaker` differ only in these.
 */
export interface StateRequest<S> {
  readonly detailType: Extract<ManualDetailType, 'Pause' | 'Resume' | 'Reset Breaker'>;
  /** The state's name in `--json` output. */
  readonly name: 'pause' | 'breaker';
  readonly read: (store: DecisionStore) => Promise<S>;
  /** Whether the state is what the request asks for: then nothing is sent, and `--wait` stops. */
  readonly reached: (state: S) => boolean;
  /** Said when the state is reached already. */
  readonly already: (state: S) => string;
  /** Said before sending. */
  readonly will: (state: S) => string;
  /** What `--wait` waits for, in its timeout message ("the breaker to close"). */
  readonly waitingFor: string;
  /** Said once `--wait` sees the state reached. */
  readonly done: string;
}

/** The options of a state request command. */
export interface StateRequestOptions {
  readonly reason: string;
  readonly wait?: boolean;
  /** How long `--wait` waits, in ms. */
  readonly timeout: number;
  readonly json?: boolean;
}

/**
 * Validates, sends and (with `wait`) follows one state request; sends nothing when the state is reached
 * already. Throws CliError: the intake's parse error (exit 3), `--wait` timed out (exit 6).
 */
export async function submitStateRequest<S>(
  ctx: CliContext,
  request: StateRequest<S>,
  options: StateRequestOptions,
): Promise<void> {
  const { detailType, name } = request;
  parseRequest(detailType, { reason: options.reason }, ctx.now());
  const store = await ctx.store();
  const read = () =>
    request.read(store).catch((error: unknown) => {
      throw fromAwsError(error, 'read the decision table (dynamodb:GetItem)');
    });
  const state = await read();
  if (request.reached(state)) {
    ctx.out(options.json ? toJson({ sent: false, [name]: state }) : request.already(state));
    return;
  }
  const requestedBy = await callerIdentity(ctx);
  if (!options.json) ctx.out(request.will(state), `  requested by ${requestedBy}`);
  const started = ctx.now().getTime();
  const eventId = await sendRequest(ctx, detailType, { reason: options.reason, requestedBy });
  if (!options.json) ctx.out(`Sent ${detailType} ${eventId}.`);
  if (!options.wait) {
    if (options.json) ctx.out(toJson({ sent: true, eventId, [name]: state }));
    return;
  }
  const reached = await pollUntil(
    ctx,
    async () => {
      const now = await read();
      return request.reached(now) ? now : undefined;
    },
    started + options.timeout,
    () =>
      new CliError(`timed out waiting for ${request.waitingFor} (hop: bus → decide)`, EXIT.timeout, {
        hint: "the request was sent; check the decide function's logs and the dead-letter queue",
      }),
  );
  ctx.out(options.json ? toJson({ sent: true, eventId, [name]: reached }) : request.done);
}
