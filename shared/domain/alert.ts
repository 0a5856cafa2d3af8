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
    `Source: ${signal.source}, seen by ${signal.detector}, severity ${signal.severity} (${severityLabel(signal.severity)})${signal.sample ? ', sample finding' : ''}.`,
    `Observed: ${signal.observedAt}.`,
  ];
  const workload = describeWorkload(signal.workload);
  if (workload) lines.push(`Workload: ${workload}.`);
  if (result.targets.length > 0) lines.push(`Targets: ${result.targets.join(', ')}.`);
  if (result.outcome === 'blocked' || result.outcome === 'extended') {
    lines.push(`Until: ${result.expiresAt ?? 'permanent, until unblocked'}.`);
    lines.push(undoHint(indicator));
  }
  return {
    subject: oneLine(`${PREFIX} ${headline.toUpperCase()} ${indicator.value} (${signal.detector})`),
    message: lines.join('\n'),
    attributes: attributes(result.outcome, signal.severity, indicator, signal.source),
    evidence: [signal.evidence.summary, ...(signal.evidence.details ?? [])],
  };
}

/** The alert when a block ends by itself (`expired`) or is lifted because the indicator is now protected. */
export function lifecycleAlert(decision: Decision, event: 'expired' | 'lifted', reason: string): Alert {
  const { indicator } = decision;
  return {
    subject: `${PREFIX} ${event === 'expired' ? 'EXPIRED' : 'LIFTED'} ${indicator.value}`,
    message: [
      `The block on ${indicator.kind} ${indicator.value} ended: ${reason}.`,
      `It was: ${decision.reason}.`,
      `Targets: ${decision.targets.join(', ') || 'none'}.`,
      `Offences in the repeat window: ${decision.offences.length}; a new offence blocks for longer.`,
    ].join('\n'),
    attributes: attributes(event, decision.severity, indicator, decision.source),
    evidence: decision.evidence.map((e) => e.summary),
  };
}

/** The loud alert when the blast-radius breaker trips. */
export function breakerAlert(state: BreakerState): Alert {
  return {
    subject: `${PREFIX} BREAKER OPEN: new blocks suspended, targets held`,
    message: [
      `The blast-radius breaker opened at ${state.openedAt}: ${state.reason}.`,
      'New automated blocks are skipped and no target is written until an operator resets the breaker.',
      'Review the recent decisions, then reset it with a Reset Breaker request (source egress-warden.manual).',
    ].join('\n'),
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
    message: [
      `The blast-radius breaker was closed at ${at} by ${requestedBy}: ${reason}.`,
      `It had opened at ${previous.openedAt ?? 'an unknown time'}: ${previous.reason ?? 'no reason recorded'}.`,
      'New automated blocks are decided again; signals skipped while it was open are not replayed, but a ' +
        're-published finding blocks as usual.',
    ].join('\n'),
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
    subject,
    message:
      problem === 'overflow'
        ? `${detail}\nThese blocks stay recorded and are enforced where they fit elsewhere; free room or raise the limit.`
        : `${detail}\nThe other targets were updated; the next reconcile retries this one.`,
    attributes: { outcome: problem, severity: 8, indicatorKind: 'none', source: 'egress-warden' },
    evidence: lines,
  };
}

/** Detector names come from events; a line break in one must not break a subject that has to be one line. */
function oneLine(text: string): string {
  return text.replace(/[\s\p{C}]+/gu, ' ').trim();
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
