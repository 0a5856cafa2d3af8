/**
 * Alerts: what a person reads (subject and body), attributes a subscriber can filter on, and evidence lines
 * kept apart so that a channel with a size limit trims them first. Each alert also says which indicators it is
 * about (for the audit trail), its row in a digest, and, for a failure that repeats, what identifies it.
 */
import type { DecideResult } from './decide';
import type { BreakerState, Decision } from './decision';
import { detectorLabel } from './finding-labels';
import type { Indicator } from './indicator';
import type { Signal, Workload } from './signal';
import type { TargetName } from './target';

/** A filter attribute: a string, a number, or a list of strings (SNS `String.Array`). */
export type AlertAttribute = string | number | readonly string[];

export interface Alert {
  /** One line; adapters shorten it to the channel's limit. */
  readonly subject: string;
  /** Readable by a person: what, why, evidence, until when, how to undo. */
  readonly message: string;
  /** For subscription filters: outcome, severity, targets, indicator kind, source. */
  readonly attributes: Readonly<Record<string, AlertAttribute>>;
  /** Evidence lines, trimmed first when a message is over a size limit. */
  readonly evidence?: readonly string[];
  /** The indicators it is about: each gets an `alerted` audit record once it is published. */
  readonly indicators?: readonly string[];
  /** Its row in a digest; absent for an alert that always goes on its own (the breaker). */
  readonly row?: DigestRow;
  /** Set on a failure that may repeat every run: identical ones are sent once per interval. */
  readonly repeat?: RepeatKey;
  /**
   * The exact commands that undo it or look further, for chat's next steps. When the message lists them, they
   * close it, each indented by two spaces, after a title line ("To undo it:").
   */
  readonly nextSteps?: readonly string[];
}

/** One row of a digest: outcome, indicator (or target), reason, until. */
export interface DigestRow {
  readonly outcome: string;
  readonly indicator: string;
  readonly reason: string;
  readonly until: string;
}

/**
 * What identifies a repeated failure: `slot` names what fails (`failure:dnsFirewall`), `fingerprint` how
 * (the normalised error). The same fingerprint in the same slot is the same failure.
 */
export interface RepeatKey {
  readonly slot: string;
  readonly fingerprint: string;
}

/** What every decision alert needs besides the decision: the time, and the bus undo requests go to. */
export interface AlertContext {
  /** ISO 8601: durations are counted from here. */
  readonly now: string;
  /** The warden bus name; a placeholder where there is none (the simulation). */
  readonly busName?: string;
}

const PREFIX = '[Egress Warden]';
/** Written where the bus is not known (the local simulation): the reader fills in theirs. */
const BUS_PLACEHOLDER = '<warden-bus-name>';

/** The alert for a decision on a signal. */
export function decisionAlert(signal: Signal, result: DecideResult, context: AlertContext): Alert {
  const { indicator } = signal;
  const label = detectorLabel(signal.detector, indicator.kind);
  const verdict = verdictOf(result);
  const at = result.decision?.updatedAt ?? context.now;
  const span = spanOf(result, at);
  const what = `${label}, severity ${signal.severity}`;
  const subject =
    signal.intent === 'unblock'
      ? `${verdict} ${indicator.value} by ${signal.request?.requestedBy ?? signal.source}`
      : `${verdict} ${indicator.value} (${what})${span ? ` ${span}` : ''}`;
  const lines = [
    `${verdict} ${indicator.kind} ${indicator.value}${span ? ` ${span}` : ''}.`,
    `Why: ${result.reason}.`,
    `${seenBy(signal, label)}, severity ${signal.severity} (${severityLabel(signal.severity)})` +
      `${signal.sample ? ', sample finding' : ''}${signal.archived ? ', archived finding' : ''}, ` +
      `observed ${signal.observedAt}.`,
  ];
  const workload = describeWorkload(signal.workload);
  if (workload) lines.push(`Workload: ${workload}.`);
  if (result.targets.length > 0)
    lines.push(`Targets: ${result.targets.join(', ')}${enforcementNote(result)}.`);
  const until = untilOf(result);
  if (until) lines.push(`Until: ${until}.`);
  const steps = nextStepsOf(indicator, result, context.busName ?? BUS_PLACEHOLDER);
  if (steps.commands.length > 0) lines.push(steps.title, ...steps.commands.map((command) => `  ${command}`));
  return {
    subject: oneLine(`${PREFIX} ${subject}`),
    message: body(lines),
    attributes: attributes(result.outcome, signal.severity, indicator, signal.source, result.targets),
    evidence: [signal.evidence.summary, ...(signal.evidence.details ?? [])].map(printable),
    indicators: [indicator.value],
    // What saw it says most about a block; for the rest (not blocked, unblocked) the reason does.
    row: row(verdict, indicator.value, lastsFor(result) ? what : result.reason, until ?? '-'),
    nextSteps: steps.commands,
  };
}

/** What became of an ended block on one target: gone, or still there (and why). */
export interface Removal {
  readonly target: TargetName;
  readonly removed: boolean;
  /** Why it is (or may be) still there: the target's error, or `not deployed`. */
  readonly note?: string;
  /** Part of the target was written and part failed: whether the block is gone there is not known. */
  readonly unconfirmed?: boolean;
}

/**
 * The alert when a block ends by itself (`expired`) or is lifted because the indicator is now protected. Sent
 * after the targets were written, so it says per target whether the block is gone or still in force.
 */
export function lifecycleAlert(
  decision: Decision,
  event: 'expired' | 'lifted',
  reason: string,
  removals: readonly Removal[],
): Alert {
  const { indicator } = decision;
  const verdict = event === 'expired' ? 'EXPIRED' : 'LIFTED';
  const label = detectorLabel(decision.detector, indicator.kind);
  const where = removals.map((r) => {
    if (r.removed) return `removed from ${r.target}`;
    const state = r.unconfirmed ? 'NOT CONFIRMED for' : 'STILL IN';
    return `${state} ${r.target} (${r.note ?? 'not written'}); retried every run`;
  });
  return {
    subject: oneLine(`${PREFIX} ${verdict} ${indicator.value} (${label}, severity ${decision.severity})`),
    message: body([
      `The block on ${indicator.kind} ${indicator.value} ended: ${reason}.`,
      `It was: ${decision.reason}.`,
      `Targets: ${where.join('; ') || 'none'}.`,
      `Offences in the repeat window: ${decision.offences.length}; a new offence blocks for longer.`,
    ]),
    attributes: attributes(event, decision.severity, indicator, decision.source, decision.targets),
    evidence: decision.evidence.map((e) => printable(e.summary)),
    indicators: [indicator.value],
    row: row(verdict, indicator.value, reason, '-'),
    nextSteps: [`egress-warden explain ${shellQuote(indicator.value)}`],
  };
}

/** The loud alert when the blast-radius breaker trips; never part of a digest. */
export function breakerAlert(state: BreakerState, busName: string = BUS_PLACEHOLDER): Alert {
  const detail = { reason: 'reviewed the recent blocks', requestedBy: 'your name' };
  const commands = [
    `egress-warden reset-breaker --reason ${shellQuote(detail.reason)}`,
    putEventsCommand(busName, 'Reset Breaker', detail),
  ];
  return {
    subject: `${PREFIX} BREAKER OPEN: new automated blocks shadowed`,
    message: body([
      `The blast-radius breaker opened at ${state.openedAt}: ${state.reason}.`,
      'New automated blocks are shadowed until an operator resets the breaker; blocks already in force, manual ' +
        'blocks, expiries, unblocks and allowlisting still reach the targets.',
      'Review the recent decisions (egress-warden list), then reset it:',
      ...commands.map((command) => `  ${command}`),
    ]),
    attributes: { outcome: 'breaker-open', severity: 10, indicatorKind: 'none', source: 'egress-warden' },
    nextSteps: commands,
  };
}

/** The alert when an operator closes the breaker: who, when, why, and what it had held back. */
export function breakerClosedAlert(
  previous: BreakerState,
  requestedBy: string,
  reason: string,
  at: string,
): Alert {
  return {
    subject: `${PREFIX} BREAKER CLOSED by ${oneLine(requestedBy)}: new automated blocks resume`,
    message: body([
      `The blast-radius breaker was closed at ${at} by ${requestedBy}: ${reason}.`,
      `It had opened at ${previous.openedAt ?? 'an unknown time'}: ${previous.reason ?? 'no reason recorded'}.`,
      'New automated blocks are decided again; signals skipped while it was open are not replayed, but a ' +
        're-published finding blocks as usual.',
    ]),
    attributes: { outcome: 'breaker-closed', severity: 5, indicatorKind: 'none', source: 'egress-warden' },
    row: row('BREAKER CLOSED', '-', `by ${requestedBy}: ${reason}`, '-'),
  };
}

/**
 * The alert when blocks do not fit a target (overflow) or a target could not be written. Both may repeat
 * every run while the cause lasts, so each carries a {@link RepeatKey}: the target and the detail with its
 * numbers, ids and times taken out.
 */
export function targetAlert(
  target: TargetName,
  problem: 'overflow' | 'failure',
  detail: string,
  lines: readonly string[] = [],
): Alert {
  const subject =
    problem === 'overflow'
      ? `${PREFIX} OVERFLOW on ${target}: blocks that do not fit`
      : `${PREFIX} FAILED to update ${target}`;
  return {
    subject: oneLine(subject),
    message: body([
      detail,
      problem === 'overflow'
        ? 'These blocks stay recorded and are enforced where they fit elsewhere; free room or raise the limit.'
        : 'The other targets were updated; the next reconcile retries this one.',
      'Identical alerts are sent again only after the repeat interval, or after the problem cleared.',
      'Look further: egress-warden status',
    ]),
    attributes: {
      outcome: problem,
      severity: 8,
      indicatorKind: 'none',
      source: 'egress-warden',
      targets: [target],
    },
    evidence: lines.map(printable),
    row: row(problem === 'overflow' ? 'OVERFLOW' : 'FAILED', target, detail, '-'),
    repeat: { slot: repeatSlot(target, problem), fingerprint: normaliseError(detail) },
    nextSteps: ['egress-warden status'],
  };
}

/** The slot a target's repeated overflow or failure alerts share; cleared when the target is healthy again. */
export function repeatSlot(target: TargetName, problem: 'overflow' | 'failure'): string {
  return `${problem}:${target}`;
}

/**
 * One message for a burst: a table of every alert's row (outcome, indicator, reason, until), the counts per
 * outcome in the subject, the highest severity and every target in the attributes.
 */
export function digestAlert(alerts: readonly Alert[]): Alert {
  const rows = alerts.flatMap((alert) => (alert.row ? [alert.row] : []));
  const counts = new Map<string, number>();
  for (const { outcome } of rows) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const summary = [...counts].map(([outcome, count]) => `${count} ${outcome}`).join(', ');
  const header: DigestRow = { outcome: 'OUTCOME', indicator: 'INDICATOR', reason: 'REASON', until: 'UNTIL' };
  const cells = [header, ...rows].map((r) => [r.outcome, r.indicator, clip(r.reason, 60), r.until]);
  const widths = [0, 1, 2].map((column) => Math.max(...cells.map((cell) => (cell[column] ?? '').length)));
  const table = cells.map((cell) =>
    cell
      .map((text, column) => text.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const severities = alerts.map((alert) => alert.attributes.severity).filter((s) => typeof s === 'number');
  const targets = new Set(alerts.flatMap((alert) => asList(alert.attributes.targets)));
  return {
    subject: oneLine(`${PREFIX} DIGEST of ${rows.length} alerts: ${summary}`),
    message: body([
      `${rows.length} alerts in one run, sent as one message. Each is in the audit trail: egress-warden explain <indicator>.`,
      '',
      ...table,
    ]),
    attributes: {
      outcome: 'digest',
      severity: Math.max(0, ...severities),
      indicatorKind: 'mixed',
      source: 'egress-warden',
      targets: [...targets].sort(),
    },
    indicators: alerts.flatMap((alert) => alert.indicators ?? []),
    nextSteps: ['egress-warden list'],
  };
}

/**
 * Line breaks (`\n`, `\r`, U+0085, U+2028, U+2029…), other control characters, NUL and format characters
 * (bidirectional overrides and isolates, U+200E/F, zero-width ones) in free text, written as `\uXXXX` escapes.
 * Reasons, names and evidence come from events and operators: without this one of them could add lines of
 * its own to an alert ("Until: …", "UNBLOCKED …") or reorder what a reader sees. Escaped rather than
 * dropped, so that nothing is lost silently.
 */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The message: the template's lines, each made printable, so that it has exactly those lines. */
function body(lines: readonly string[]): string {
  return lines.map(printable).join('\n');
}

/** A subject is one line: free text in it made printable, runs of white space one space. */
function oneLine(text: string): string {
  return printable(text).replace(/\s+/g, ' ').trim();
}

/** Decide only records; the enforcer writes the targets on its next run, so the alert says when. */
function enforcementNote(result: DecideResult): string {
  if (result.outcome === 'blocked' || result.outcome === 'extended')
    return ' (written at the next enforce run)';
  if (result.outcome === 'unblocked') return ' (removed at the next enforce run)';
  return '';
}

/** The word a reader scans for, in capitals. */
function verdictOf(result: DecideResult): string {
  switch (result.outcome) {
    case 'blocked':
      return 'BLOCKED';
    case 'extended':
      return 'EXTENDED';
    case 'unblocked':
      return 'UNBLOCKED';
    case 'shadow':
      return 'WOULD BLOCK';
    case 'skipped':
      if (result.skipReason === 'not-blocked') return 'NOT UNBLOCKED';
      return result.skipReason === 'below-threshold' || result.skipReason === 'breaker-open'
        ? 'WOULD BLOCK'
        : 'NOT BLOCKED';
  }
}

/** Whether the result leaves a block in force, or would have had it been enforced. */
function lastsFor(result: DecideResult): boolean {
  return (
    result.outcome === 'blocked' ||
    result.outcome === 'extended' ||
    result.outcome === 'shadow' ||
    result.skipReason === 'below-threshold' ||
    result.skipReason === 'breaker-open'
  );
}

/** `for 4h`, `permanently`, or nothing: how long the block lasts (or would have) from `at`. */
function spanOf(result: DecideResult, at: string): string {
  if (!lastsFor(result)) return '';
  if (result.expiresAt === null) return 'permanently';
  return `for ${humanDuration(Date.parse(result.expiresAt) - Date.parse(at))}`;
}

/** When the block ends, for the results that leave (or would leave) one in force. */
function untilOf(result: DecideResult): string | undefined {
  if (!lastsFor(result)) return undefined;
  return result.expiresAt ?? 'permanent, until unblocked';
}

/**
 * The duration in its largest sensible units, at most two of them and to the minute: `4h`, `7d`, `1d 12h`,
 * `1h 30m`; under a minute, `1m`.
 */
function humanDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const parts: string[] = [];
  let rest = minutes;
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.slice(0, 2).join(' ');
}

/** The commands that undo a decision (or, for one that only watched, that would make it real). */
function nextStepsOf(
  indicator: Indicator,
  result: DecideResult,
  busName: string,
): { title: string; commands: string[] } {
  const value = shellQuote(indicator.value);
  if (result.outcome === 'blocked' || result.outcome === 'extended') {
    const detail = { indicator: indicator.value, reason: 'why it is safe', requestedBy: 'your name' };
    return {
      title: 'To undo it:',
      commands: [
        `egress-warden unblock ${value} --reason ${shellQuote(detail.reason)}`,
        putEventsCommand(busName, 'Unblock Request', detail),
      ],
    };
  }
  if (lastsFor(result)) {
    return {
      title: 'Nothing was blocked. To block it now, or to see why:',
      commands: [
        `egress-warden block ${value} --reason ${shellQuote('why it must be blocked')}`,
        `egress-warden explain ${value}`,
      ],
    };
  }
  return { title: 'To see its history:', commands: [`egress-warden explain ${value}`] };
}

/** The AWS CLI command that puts one manual request on the warden bus, quoted for a POSIX shell. */
function putEventsCommand(busName: string, detailType: string, detail: Record<string, string>): string {
  const entries = [
    {
      Source: 'egress-warden.manual',
      DetailType: detailType,
      EventBusName: busName,
      Detail: JSON.stringify(detail),
    },
  ];
  return `aws events put-events --entries ${shellQuote(JSON.stringify(entries))}`;
}

/**
 * A word a POSIX shell passes on unchanged: left as it is when it holds only characters no shell treats
 * specially, otherwise in single quotes (inside which nothing is special) with each `'` written `'\''`.
 */
function shellQuote(text: string): string {
  if (/^[\w@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * An error message with what changes between two occurrences of the same failure taken out: request ids,
 * ARNs' and resources' ids, times and numbers. Two failures with the same result are the same failure.
 */
function normaliseError(message: string): string {
  return message
    .toLowerCase()
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>')
    .replace(/\d{4}-\d{2}-\d{2}t[\d:.]+z?/g, '<time>')
    .replace(/\b[0-9a-f]{16,}\b/g, '<id>')
    .replace(/\d+/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

function row(outcome: string, indicator: string, reason: string, until: string): DigestRow {
  return { outcome, indicator: oneLine(indicator), reason: oneLine(reason), until };
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 3)}...`;
}

function asList(value: AlertAttribute | undefined): readonly string[] {
  return Array.isArray(value) ? value : [];
}

function attributes(
  outcome: string,
  severity: number,
  indicator: Indicator,
  source: string,
  targets: readonly TargetName[],
): Record<string, AlertAttribute> {
  return { outcome, severity, indicatorKind: indicator.kind, source, targets: [...targets] };
}

/** Who asked, for a manual request; what saw it and where from, for the rest. */
function seenBy(signal: Signal, label: string): string {
  if (signal.request) return `Requested by: ${signal.request.requestedBy} (manual request)`;
  return `Seen by: ${label} (${signal.detector}), source ${signal.source}`;
}

function severityLabel(severity: number): string {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

function describeWorkload(workload: Workload): string {
  return Object.entries(workload)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

/**
 * The alert when an operator pauses Egress Warden: who, when, why, and what a pause does not do (it opens
 * nothing that is already blocked; an unblock does).
 */
export function pauseAlert(requestedBy: string, reason: string, at: string): Alert {
  return {
    subject: oneLine(`${PREFIX} PAUSED by ${requestedBy}: new blocks are shadowed`),
    message: body([
      `Egress Warden was paused at ${at} by ${requestedBy}: ${reason}.`,
      'Every target now runs as in alert mode: new blocks, manual ones included, are recorded as shadow ' +
        '("would block") and nothing that blocks more is written.',
      'Pausing does not open what is already blocked: blocks in force stay until they expire or are ' +
        'unblocked (Unblock Request). Expiries, unblocks and allowlisting still reach the targets.',
      'Resume with a Resume request (source egress-warden.manual) or `egress-warden resume --reason …`.',
    ]),
    attributes: { outcome: 'paused', severity: 8, indicatorKind: 'none', source: 'egress-warden' },
  };
}

/** The alert when an operator resumes Egress Warden: who, when, why, and since when it had been paused. */
export function resumeAlert(requestedBy: string, reason: string, at: string, pausedSince?: string): Alert {
  return {
    subject: oneLine(`${PREFIX} RESUMED by ${requestedBy}: new blocks are enforced again`),
    message: body([
      `Egress Warden was resumed at ${at} by ${requestedBy}: ${reason}.`,
      `It had been paused since ${pausedSince ?? 'an unknown time'}.`,
      'Targets run in their configured modes again. Signals shadowed while paused are not replayed, but a ' +
        're-published finding or a new request blocks as usual.',
    ]),
    attributes: { outcome: 'resumed', severity: 5, indicatorKind: 'none', source: 'egress-warden' },
  };
}

/** What one enforce run repaired on one target: entries put back, or entries removed that no decision wants. */
export interface DriftRepair {
  readonly target: TargetName;
  readonly restored: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The alert when a reconcile repaired drift: entries for blocks already enforced that had gone from a target
 * (someone deleted them by hand), or entries of ours that appeared without an active decision.
 */
export function driftAlert(repairs: readonly DriftRepair[], at: string): Alert {
  const count = repairs.reduce((sum, r) => sum + r.restored.length + r.removed.length, 0);
  const lines = repairs.flatMap((r) => [
    ...r.restored.map((value) => `${r.target}: restored ${value} (its entry had gone)`),
    ...r.removed.map((value) => `${r.target}: removed ${value} (no active decision wants it)`),
  ]);
  return {
    subject: oneLine(
      `${PREFIX} DRIFT REPAIRED: ${count} entr${count === 1 ? 'y' : 'ies'} on ${repairs.map((r) => r.target).join(', ')}`,
    ),
    message: body([
      `The enforce run at ${at} found targets that no longer matched the decision store, and repaired them.`,
      'Someone or something changed these entries outside Egress Warden; the decision store is the source of ' +
        'truth, so change blocks with Block / Unblock requests instead.',
    ]),
    attributes: { outcome: 'drift-repaired', severity: 6, indicatorKind: 'none', source: 'egress-warden' },
    evidence: lines.map(printable),
  };
}
