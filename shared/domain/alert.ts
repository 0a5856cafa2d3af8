/**
 * Alerts: what a person reads (subject and body), attributes a subscriber can filter on, and evidence lines
 * kept apart so that a channel with a size limit trims them first.
 */
import type { DecideResult } from './decide';
import type { BreakerState, Decision } from './decision';
import type { Indicator } from './indicator';
import type { Signal, Workload } from './signal';
import type { TargetName } from './target';

export interface Alert {
  /** One line; adapters shorten it to the channel's limit. */
  readonly subject: string;
  /** Readable by a person: what, why, evidence, until when, how to undo. */
  readonly message: string;
  /** For subscription filters: outcome, severity, indicator kind, source. */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** Evidence lines, trimmed first when a message is over a size limit. */
  readonly evidence?: readonly string[];
}

const PREFIX = '[Egress Warden]';

/** The alert for a decision on a signal. */
export function decisionAlert(signal: Signal, result: DecideResult): Alert {
  const { indicator } = signal;
  const headline = headlineOf(result);
  const lines = [
    `${headline} ${indicator.kind} ${indicator.value}.`,
    `Why: ${result.reason}.`,
    `Source: ${signal.source}, seen by ${signal.detector}, severity ${signal.severity} (${severityLabel(signal.severity)})${signal.sample ? ', sample finding' : ''}${signal.archived ? ', archived finding' : ''}.`,
    `Observed: ${signal.observedAt}.`,
  ];
  const workload = describeWorkload(signal.workload);
  if (workload) lines.push(`Workload: ${workload}.`);
  if (result.targets.length > 0)
    lines.push(`Targets: ${result.targets.join(', ')}${enforcementNote(result)}.`);
  if (result.outcome === 'blocked' || result.outcome === 'extended') {
    lines.push(`Until: ${result.expiresAt ?? 'permanent, until unblocked'}.`);
    lines.push(undoHint(indicator));
  }
  return {
    subject: oneLine(`${PREFIX} ${headline.toUpperCase()} ${indicator.value} (${signal.detector})`),
    message: body(lines),
    attributes: attributes(result.outcome, signal.severity, indicator, signal.source),
    evidence: [signal.evidence.summary, ...(signal.evidence.details ?? [])].map(printable),
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
  const where = removals.map((r) => {
    if (r.removed) return `removed from ${r.target}`;
    const state = r.unconfirmed ? 'NOT CONFIRMED for' : 'STILL IN';
    return `${state} ${r.target} (${r.note ?? 'not written'}); retried every run`;
  });
  return {
    subject: oneLine(`${PREFIX} ${event === 'expired' ? 'EXPIRED' : 'LIFTED'} ${indicator.value}`),
    message: body([
      `The block on ${indicator.kind} ${indicator.value} ended: ${reason}.`,
      `It was: ${decision.reason}.`,
      `Targets: ${where.join('; ') || 'none'}.`,
      `Offences in the repeat window: ${decision.offences.length}; a new offence blocks for longer.`,
    ]),
    attributes: attributes(event, decision.severity, indicator, decision.source),
    evidence: decision.evidence.map((e) => printable(e.summary)),
  };
}

/** The loud alert when the blast-radius breaker trips. */
export function breakerAlert(state: BreakerState): Alert {
  return {
    subject: `${PREFIX} BREAKER OPEN: new automated blocks shadowed`,
    message: body([
      `The blast-radius breaker opened at ${state.openedAt}: ${state.reason}.`,
      'New automated blocks are shadowed until an operator resets the breaker; blocks already in force, manual ' +
        'blocks, expiries, unblocks and allowlisting still reach the targets.',
      'Review the recent decisions, then reset it with a Reset Breaker request (source egress-warden.manual).',
    ]),
    attributes: { outcome: 'breaker-open', severity: 10, indicatorKind: 'none', source: 'egress-warden' },
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
  };
}

/** The alert when blocks do not fit a target (overflow) or a target could not be written. */
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
    ]),
    attributes: { outcome: problem, severity: 8, indicatorKind: 'none', source: 'egress-warden' },
    evidence: lines.map(printable),
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

function headlineOf(result: DecideResult): string {
  switch (result.outcome) {
    case 'blocked':
      return 'Blocked';
    case 'extended':
      return 'Extended the block on';
    case 'unblocked':
      return 'Unblocked';
    case 'shadow':
      return 'Would block';
    case 'skipped':
      if (result.skipReason === 'not-blocked') return 'Did not unblock';
      return result.skipReason === 'below-threshold' || result.skipReason === 'breaker-open'
        ? 'Would block'
        : 'Did not block';
  }
}

function attributes(
  outcome: string,
  severity: number,
  indicator: Indicator,
  source: string,
): Record<string, string | number> {
  return { outcome, severity, indicatorKind: indicator.kind, source };
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

function undoHint(indicator: Indicator): string {
  const detail = JSON.stringify({ indicator: indicator.value, reason: 'why', requestedBy: 'you' });
  return `Undo: send an Unblock Request (source egress-warden.manual) with detail ${detail}.`;
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
