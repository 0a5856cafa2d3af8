/**
 * decide: applies the policy to one signal, given the indicator's current record and the breaker, and says
 * what changes. Pure: the caller reads the store, calls decide, and writes what comes back.
 */
import { formatRange, toRange } from './cidr';
import type {
  AuditRecord,
  BreakerState,
  Decision,
  Outcome,
  SeenEvidence,
  SkipReason,
  Suppression,
} from './decision';
import { formatDuration } from './duration';
import { protectionOf } from './guard-rails';
import type { Indicator } from './indicator';
import {
  effectiveModeOf,
  escalatedDurationMs,
  type PauseState,
  type Policy,
  targetsFor,
  thresholdsFor,
} from './policy';
import { boundAudit, boundDecision } from './record-budget';
import type { Signal, Workload } from './signal';
import type { TargetName } from './target';

/**
 * How many evidence entries, seen keys, workloads, offences and suppressions a record keeps (newest win);
 * `record-budget.ts` also keeps each list within a byte budget.
 */
const KEEP_EVIDENCE = 20;
const KEEP_OFFENCES = 20;
const KEEP_SEEN = 100;
const KEEP_WORKLOADS = 20;
const KEEP_SUPPRESSIONS = 20;
const MINUTE = 60_000;
/**
 * How far ahead of our clock an event time may be. Beyond it the time is not believed: a signal dated 2099
 * would otherwise make every later signal with its evidence key a duplicate.
 */
const CLOCK_SKEW_MS = 5 * MINUTE;
/** How many suppressed evidence keys an unblock's reason names. */
const NAMED_KEYS = 3;

export interface DecideContext {
  readonly policy: Policy;
  readonly now: Date;
  readonly breaker: BreakerState;
  /**
   * For an unblock of an indicator that is not blocked itself: the records of the indicators that would
   * cover it (those of {@link coveringKeys} that exist), in any status.
   */
  readonly covering?: readonly Decision[];
  /** The emergency brake: while paused, every target decides as in `alert` mode. */
  readonly pause?: PauseState;
}

export interface DecideResult {
  readonly outcome: Outcome;
  /** Set when the outcome is `skipped`. */
  readonly skipReason?: SkipReason;
  /** One sentence a person can read. */
  readonly reason: string;
  /** The targets the block applies to (or would apply to, for `shadow` and alert-worthy skips). */
  readonly targets: readonly TargetName[];
  readonly expiresAt: string | null;
  /** The record to write, conditional on the version read; absent when nothing changes. */
  readonly decision?: Decision;
  /** The breaker to write, conditional on the version read; absent when it does not change. */
  readonly breaker?: BreakerState;
  readonly audit: readonly AuditRecord[];
  /** Whether this result is worth an alert. */
  readonly notify: boolean;
}

/**
 * Decides one signal. An event time more than 5 minutes ahead of `now` is replaced by `now` (the reason and
 * the audit say so), and whatever the record accumulates is kept within its byte budget.
 */
export function decide(input: Signal, current: Decision | undefined, context: DecideContext): DecideResult {
  const { signal, note } = withBelievableTime(input, context.now);
  const result =
    signal.intent === 'unblock'
      ? decideUnblock(signal, current, context)
      : decideBlock(signal, current, context);
  return withinBudget(note === undefined ? result : annotated(result, note), context.now.toISOString());
}

/**
 * The indicators whose active block would also block `indicator`, narrowest first: for a name, its parents
 * up to the registered domain and their `*.` forms (and, for `*.x`, `x` itself, whose block writes `*.x`
 * too); for an address or network, every wider prefix down to the widest the guard rails allow.
 */
export function coveringKeys(indicator: Indicator, policy: Policy): string[] {
  if (indicator.kind === 'domain') {
    const bare = indicator.value.replace(/^\*\./, '');
    const keys = indicator.wildcard ? [bare] : [];
    const registered = indicator.registeredDomain;
    if (registered === null || !bare.endsWith(`.${registered}`)) return keys;
    for (let name = bare; name !== registered; ) {
      name = name.slice(name.indexOf('.') + 1);
      keys.push(name, `*.${name}`);
    }
    return keys;
  }
  const { family, network, prefixLength } = toRange(indicator.value);
  const bits = family === 4 ? 32 : 128;
  const widest = family === 4 ? policy.guardRails.minPrefixLengthV4 : policy.guardRails.minPrefixLengthV6;
  const keys: string[] = [];
  for (let length = prefixLength - 1; length >= widest; length--) {
    const hostBits = (1n << BigInt(bits - length)) - 1n;
    keys.push(formatRange({ family, network: network & ~hostBits, prefixLength: length }));
  }
  return keys;
}

function decideUnblock(signal: Signal, current: Decision | undefined, context: DecideContext): DecideResult {
  const { now, policy } = context;
  const at = now.toISOString();
  const actor = signal.request?.requestedBy ?? signal.source;
  // A replayed unblock request (an archive replay) must not lift a block made after it.
  if (current && isReplay(signal, current, now)) {
    return skip('duplicate', `already decided on ${signal.evidence.key}; nothing new observed`, [], false);
  }
  if (!current || !isActive(current, at)) return notBlocked(signal, current, context);
  // Every evidence key already seen may not block again for a while: GuardDuty re-publishes a finding every
  // 6 hours while the activity goes on, and the operator has just said it is not a threat. New evidence may.
  const until = new Date(now.getTime() + policy.durations.unblockSuppressionMs).toISOString();
  // Oldest first, as suppressions are kept (newest last).
  const keys = current.seen.map((entry) => entry.key).reverse();
  const renewed = new Set(keys);
  const suppressions: Suppression[] = keepNewest(
    [
      ...(current.suppressions ?? []).filter((s) => s.until > at && !renewed.has(s.key)),
      ...keys.map((key) => ({ key, by: actor, at, until })),
    ],
    KEEP_SUPPRESSIONS,
  );
  const reason = `unblocked by ${actor}: ${signal.request?.reason ?? signal.evidence.summary}${suppressionNote(keys, until)}`;
  const decision: Decision = {
    ...current,
    status: 'unblocked',
    reason,
    updatedAt: at,
    // An unblocked block is not an offence: the operator says it should not have happened.
    offences: current.offences.slice(0, -1),
    evidence: keepNewest([...current.evidence, signal.evidence], KEEP_EVIDENCE),
    seen: remember(current.seen, signal, now),
    suppressions,
    version: current.version + 1,
  };
  return {
    outcome: 'unblocked',
    reason,
    targets: current.targets,
    expiresAt: current.expiresAt,
    decision,
    audit: [audit(decision, at, 'unblocked', actor, reason, signal)],
    notify: true,
  };
}

/** Statuses of a block that is over: an unblock request finding one is recorded (see {@link notBlocked}). */
const ENDED: ReadonlySet<Decision['status']> = new Set(['expired', 'unblocked', 'lifted']);

/**
 * Nothing to unblock: said plainly, or, when a wider active block covers the indicator, naming that block. The
 * plain case is still recorded on a new or ended record (status `unblocked`, the request in `seen`): SQS may
 * deliver an earlier block request after this one, and {@link unblockedAt} lets that block see it is stale.
 */
function notBlocked(signal: Signal, current: Decision | undefined, context: DecideContext): DecideResult {
  const { covering = [], now } = context;
  const { value } = signal.indicator;
  const at = now.toISOString();
  const covers = covering.filter((decision) => isActive(decision, at));
  if (covers.length === 0) {
    const reason = `${value} is not blocked; nothing to unblock`;
    // A shadow record, or an active one past its expiry that enforce has yet to end, is left as it is.
    if (current && !ENDED.has(current.status)) return skip('not-blocked', reason, [], false);
    const fields = { status: 'unblocked', reason, updatedAt: at } as const;
    const decision: Decision = current
      ? {
          ...current,
          ...fields,
          evidence: keepNewest([...current.evidence, signal.evidence], KEEP_EVIDENCE),
          seen: remember(current.seen, signal, now),
          version: current.version + 1,
        }
      : record(signal, undefined, context, { ...fields, targets: [], expiresAt: null });
    return {
      ...skip('not-blocked', reason, [], false),
      decision,
      audit: [audit(decision, at, 'skipped', actorOf(signal), reason, signal)],
    };
  }
  const blocks = covers.map(
    (d) => `${d.key} (${d.expiresAt === null ? 'permanent' : `until ${d.expiresAt}`})`,
  );
  const many = covers.length > 1;
  return skip(
    'not-blocked',
    `${value} is not blocked itself, but the active block${many ? 's' : ''} on ${blocks.join(' and ')} ` +
      `cover${many ? '' : 's'} it; unblock ${covers.map((d) => d.key).join(' and ')} instead`,
    covers.reduce<TargetName[]>((targets, d) => union(targets, d.targets), []),
    true,
  );
}

function suppressionNote(keys: readonly string[], until: string): string {
  if (keys.length === 0) return '';
  const named = [...keys].reverse().slice(0, NAMED_KEYS);
  const more = keys.length > NAMED_KEYS ? ` and ${keys.length - NAMED_KEYS} more` : '';
  return `; re-blocking from the evidence already seen (${named.join(', ')}${more}) is suppressed until ${until}`;
}

function decideBlock(signal: Signal, current: Decision | undefined, context: DecideContext): DecideResult {
  const { policy, now } = context;
  const { indicator } = signal;
  const at = now.toISOString();
  const manual = signal.source === 'manual';

  if (current && isReplay(signal, current, now)) {
    return skip(
      'duplicate',
      `already decided on ${signal.evidence.key}; nothing new observed`,
      current.targets,
      false,
    );
  }

  // Requests may arrive out of order (SQS): a block requested before the operator's latest unblock is stale.
  const unblocked = manual ? unblockedAt(current) : undefined;
  if (unblocked !== undefined && signal.observedAt < unblocked) {
    return skip(
      'suppressed',
      `superseded: ${indicator.value} was unblocked by a request made at ${unblocked}, after this block request (${signal.observedAt})`,
      [],
      true,
    );
  }

  // An operator's own block is never held back by an earlier unblock.
  const suppression = manual ? undefined : suppressionOf(signal.evidence.key, current, at);
  if (suppression) {
    return skip(
      'suppressed',
      `suppressed: ${suppression.key} was unblocked by ${suppression.by} at ${suppression.at}; ` +
        `it may not block ${indicator.value} again until ${suppression.until}`,
      [],
      false,
    );
  }

  const protection = protectionOf(indicator, policy);
  if (protection) return skip(protection.reason, `not blocked: ${protection.detail}`, [], true);

  const applicable = targetsFor(indicator, policy).filter(
    (target) => !signal.request?.targets || signal.request.targets.includes(target),
  );
  if (applicable.length === 0) {
    return skip('no-target', `no target that can block a ${indicator.kind} is switched on`, [], manual);
  }

  const active = current !== undefined && isActive(current, at);
  const prior = active ? [] : priorOffences(current, context);
  const duration = durationFor(signal, active ? current : undefined, prior.length, context);
  const expiresAt = duration === null ? null : new Date(now.getTime() + duration).toISOString();
  const thresholds = thresholdsFor(signal.source, policy);
  if (signal.severity < thresholds.enforce) {
    return skip(
      'below-threshold',
      `severity ${signal.severity} is below the enforcement threshold ${thresholds.enforce}; ` +
        `would have blocked ${indicator.value} for ${describe(duration)}`,
      applicable,
      signal.severity >= thresholds.alert,
      expiresAt,
    );
  }

  const enforcing = applicable.filter(
    (target) => effectiveModeOf(target, policy, context.pause) === 'enforce',
  );
  if (signal.sample || signal.archived === true || enforcing.length === 0) {
    const why = signal.archived
      ? 'an archived GuardDuty finding'
      : signal.sample
        ? signal.source === 'guardduty'
          ? 'a GuardDuty sample finding'
          : 'a sample signal'
        : context.pause?.paused
          ? `Egress Warden is paused (by ${context.pause.by ?? 'an operator'}: ${context.pause.reason ?? 'no reason'})`
          : `${applicable.join(', ')} in alert mode`;
    const reason = `shadow: ${why}; would have blocked ${indicator.value} for ${describe(duration)}`;
    // Already blocked for real: a shadow decision must not overwrite the active record.
    if (active) return { outcome: 'shadow', reason, targets: applicable, expiresAt, audit: [], notify: true };
    const decision = record(signal, current, context, {
      status: 'shadow',
      reason,
      targets: applicable,
      expiresAt,
    });
    return {
      outcome: 'shadow',
      reason,
      targets: applicable,
      expiresAt,
      decision,
      audit: [audit(decision, at, 'shadow', actorOf(signal), reason, signal)],
      notify: true,
    };
  }

  if (active) {
    const later = laterOf(current.expiresAt, expiresAt);
    const reason = `extended: ${signal.detector} seen again${later === current.expiresAt ? '' : `; now until ${later ?? 'revoked'}`}`;
    const decision: Decision = {
      ...current,
      severity: Math.max(current.severity, signal.severity),
      reason,
      targets: union(current.targets, enforcing),
      updatedAt: at,
      expiresAt: later,
      evidence: keepNewest([...current.evidence, signal.evidence], KEEP_EVIDENCE),
      seen: remember(current.seen, signal, now),
      workloads: withWorkload(current.workloads, signal.workload),
      version: current.version + 1,
    };
    return {
      outcome: 'extended',
      reason,
      targets: decision.targets,
      expiresAt: later,
      decision,
      audit: [audit(decision, at, 'extended', actorOf(signal), reason, signal)],
      notify: false,
    };
  }

  const counted = manual ? undefined : countBlock(context);
  if (counted?.open) {
    const reason = `breaker open (${counted.state.reason}); would have blocked ${indicator.value} for ${describe(duration)}`;
    return {
      ...skip('breaker-open', reason, enforcing, true, expiresAt),
      breaker: counted.changed ? counted.state : undefined,
    };
  }
  const reason = blockReason(signal, prior.length, duration);
  const decision = record(signal, current, context, {
    status: 'active',
    reason,
    targets: enforcing,
    expiresAt,
    offences: keepNewest([...prior, at], KEEP_OFFENCES),
  });
  return {
    outcome: 'blocked',
    reason,
    targets: enforcing,
    expiresAt,
    decision,
    breaker: counted?.state,
    audit: [audit(decision, at, 'blocked', actorOf(signal), reason, signal)],
    notify: true,
  };
}

/**
 * The block duration in ms, or null for permanent. A repeat while active keeps the current tier; a new block
 * climbs one tier for each prior offence.
 */
function durationFor(
  signal: Signal,
  active: Decision | undefined,
  prior: number,
  { policy }: DecideContext,
): number | null {
  const request = signal.request;
  if (request) {
    if (request.permanent) return null;
    return request.ttlMs ?? policy.durations.manualDefaultMs;
  }
  if (active) return escalatedDurationMs(Math.max(0, active.offences.length - 1), policy);
  return escalatedDurationMs(prior, policy);
}

/** True when the record is blocking now: the enforcer may not have marked a past expiry yet. */
function isActive(decision: Decision, at: string): boolean {
  return decision.status === 'active' && (decision.expiresAt === null || decision.expiresAt > at);
}

/**
 * True when this evidence was already acted on at this time or later. A seen time beyond the clock skew (a
 * record written before event times were clamped) is not believed, so it cannot block later signals for ever.
 */
function isReplay(signal: Signal, current: Decision, now: Date): boolean {
  const seen = current.seen.find((entry) => entry.key === signal.evidence.key)?.at;
  return seen !== undefined && seen >= signal.observedAt && !isBeyondSkew(seen, now);
}

/**
 * When the request that unblocked `current` was made, if an unblock is the last thing that happened to it: an
 * unblock appends its request's evidence last, and `seen` holds that evidence's time.
 */
function unblockedAt(current: Decision | undefined): string | undefined {
  if (current?.status !== 'unblocked') return undefined;
  const request = current.evidence.at(-1)?.key;
  return current.seen.find((entry) => entry.key === request)?.at;
}

/** The unblock that still keeps this evidence key from blocking, if any. */
function suppressionOf(key: string, current: Decision | undefined, at: string): Suppression | undefined {
  return current?.suppressions?.find((s) => s.key === key && s.until > at);
}

function isBeyondSkew(time: string, now: Date): boolean {
  return Date.parse(time) > now.getTime() + CLOCK_SKEW_MS;
}

/** The signal with an unbelievable (future) event time replaced by `now`, and a note saying so. */
function withBelievableTime(signal: Signal, now: Date): { signal: Signal; note?: string } {
  if (!isBeyondSkew(signal.observedAt, now)) return { signal };
  const used = now.toISOString();
  return {
    signal: { ...signal, observedAt: used },
    note: `observed time ${signal.observedAt} is in the future; used ${used}`,
  };
}

/** The result with `note` added to its reason, to the reason of the record it writes, and to its audit. */
function annotated(result: DecideResult, note: string): DecideResult {
  const { decision } = result;
  return {
    ...result,
    reason: `${result.reason}; ${note}`,
    ...(decision ? { decision: { ...decision, reason: `${decision.reason}; ${note}` } } : {}),
    audit: result.audit.map((entry) => ({ ...entry, reason: `${entry.reason}; ${note}` })),
  };
}

/** The result with its record and audit within their byte budgets, and suppressions that ended dropped. */
function withinBudget(result: DecideResult, at: string): DecideResult {
  const { decision } = result;
  if (!decision) return { ...result, audit: result.audit.map(boundAudit) };
  const { suppressions, ...rest } = decision;
  const live = suppressions?.filter((s) => s.until > at) ?? [];
  return {
    ...result,
    decision: boundDecision(live.length > 0 ? { ...rest, suppressions: live } : rest),
    audit: result.audit.map(boundAudit),
  };
}

/**
 * The offences a new block follows: the whole run of blocks when the previous one ended within the repeat
 * window, none when it ended longer ago (the run is over and the next block starts at the bottom again).
 */
function priorOffences(current: Decision | undefined, { policy, now }: DecideContext): string[] {
  const offences = current?.offences ?? [];
  const ended = current && offences.length > 0 ? previousBlockEnd(current) : undefined;
  if (ended === undefined) return [];
  const since = new Date(now.getTime() - policy.durations.repeatWindowMs).toISOString();
  return ended >= since ? [...offences] : [];
}

/**
 * When the last block ended: its expiry, or the time it was unblocked or lifted if that came first. A shadow
 * record replaced the ended block and kept only its start, so that start stands in for the end.
 */
function previousBlockEnd(decision: Decision): string | undefined {
  if (decision.status === 'shadow') return decision.offences.at(-1);
  if (decision.status === 'active') return decision.expiresAt ?? undefined;
  const { expiresAt, updatedAt } = decision;
  return expiresAt !== null && expiresAt < updatedAt ? expiresAt : updatedAt;
}

function blockReason(signal: Signal, prior: number, duration: number | null): string {
  const by = signal.request ? `${signal.request.requestedBy}: ${signal.request.reason}` : signal.detector;
  const repeat = prior > 0 ? `; repeat offence #${prior + 1} within the window` : '';
  return `blocked for ${describe(duration)} (${by}${repeat})`;
}

/** Counts one new automated block against the breaker; trips it when the window overflows. */
function countBlock({ policy, now, breaker }: DecideContext): {
  open: boolean;
  changed: boolean;
  state: BreakerState;
} {
  if (breaker.open) return { open: true, changed: false, state: breaker };
  // A bucket counts while any part of its minute is inside the window, which errs towards tripping.
  const since = new Date(now.getTime() - policy.breaker.windowMs - MINUTE).toISOString();
  const recent = breaker.recentBlocks.filter((bucket) => bucket.minute > since);
  const total = recent.reduce((sum, bucket) => sum + bucket.count, 0);
  const at = now.toISOString();
  if (total + 1 > policy.breaker.maxNewBlocks) {
    const reason = `more than ${policy.breaker.maxNewBlocks} new blocks within ${formatDuration(policy.breaker.windowMs)}`;
    return {
      open: true,
      changed: true,
      state: { open: true, openedAt: at, reason, recentBlocks: recent, version: breaker.version + 1 },
    };
  }
  const minute = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE).toISOString();
  const last = recent.at(-1);
  const counted =
    last?.minute === minute
      ? [...recent.slice(0, -1), { minute, count: last.count + 1 }]
      : [...recent, { minute, count: 1 }];
  return {
    open: false,
    changed: true,
    state: { open: false, recentBlocks: counted, version: breaker.version + 1 },
  };
}

function record(
  signal: Signal,
  current: Decision | undefined,
  context: DecideContext,
  fields: Pick<Decision, 'status' | 'reason' | 'targets' | 'expiresAt'> & { offences?: readonly string[] },
): Decision {
  const at = context.now.toISOString();
  return {
    key: signal.indicator.value,
    indicator: signal.indicator,
    severity: signal.severity,
    source: signal.source,
    detector: signal.detector,
    createdAt: at,
    updatedAt: at,
    offences: fields.offences ?? priorOffences(current, context),
    evidence: keepNewest([...(current?.evidence ?? []), signal.evidence], KEEP_EVIDENCE),
    seen: remember(current?.seen ?? [], signal, context.now),
    workloads: withWorkload([], signal.workload),
    ...(signal.request ? { requestedBy: signal.request.requestedBy } : {}),
    ...(current?.suppressions ? { suppressions: current.suppressions } : {}),
    version: (current?.version ?? 0) + 1,
    status: fields.status,
    reason: fields.reason,
    targets: fields.targets,
    expiresAt: fields.expiresAt,
  };
}

function skip(
  skipReason: SkipReason,
  reason: string,
  targets: readonly TargetName[],
  notify: boolean,
  expiresAt: string | null = null,
): DecideResult {
  return { outcome: 'skipped', skipReason, reason, targets, expiresAt, audit: [], notify };
}

function audit(
  decision: Decision,
  at: string,
  event: string,
  actor: string,
  reason: string,
  signal: Signal,
): AuditRecord {
  return {
    key: decision.key,
    at,
    event,
    actor,
    reason,
    source: signal.source,
    expiresAt: decision.expiresAt,
    evidence: signal.evidence,
  };
}

function actorOf(signal: Signal): string {
  return signal.request?.requestedBy ?? `${signal.source}:${signal.detector}`;
}

/**
 * `seen` with this signal's key at its time, newest first, the newest {@link KEEP_SEEN} kept. Times beyond the
 * clock skew (from before event times were clamped) become `now`, so that they neither block nor outlive real
 * ones.
 */
function remember(seen: readonly SeenEvidence[], signal: Signal, now: Date): SeenEvidence[] {
  // Seen times are canonical ISO strings (UTC, four-digit years), so they compare as text.
  const limit = new Date(now.getTime() + CLOCK_SKEW_MS).toISOString();
  const at = now.toISOString();
  const entries: SeenEvidence[] = [{ key: signal.evidence.key, at: signal.observedAt }];
  for (const entry of seen) {
    if (entry.key === signal.evidence.key) continue;
    entries.push(entry.at > limit ? { key: entry.key, at } : entry);
  }
  // Stable, and nearly sorted already: the stored list is newest first.
  entries.sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : 0));
  return entries.slice(0, KEEP_SEEN);
}

function withWorkload(workloads: readonly Workload[], workload: Workload): Workload[] {
  if (Object.keys(workload).length === 0) return [...workloads];
  const same = (w: Workload) => JSON.stringify(w) === JSON.stringify(workload);
  return keepNewest([...workloads.filter((w) => !same(w)), workload], KEEP_WORKLOADS);
}

function keepNewest<T>(items: readonly T[], count: number): T[] {
  return items.slice(Math.max(0, items.length - count));
}

function union(a: readonly TargetName[], b: readonly TargetName[]): TargetName[] {
  return [...new Set([...a, ...b])];
}

/** The later of two expiry times, where null (permanent) is the latest. */
function laterOf(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return a > b ? a : b;
}

function describe(duration: number | null): string {
  return duration === null ? 'good (permanent)' : formatDuration(duration);
}
