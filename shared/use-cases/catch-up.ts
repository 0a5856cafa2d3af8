/**
 * Use case: the GuardDuty catch-up. Reads the findings GuardDuty updated since the watermark and takes each
 * one through the same intake as an EventBridge delivery, so a lost delivery, or a finding from before the
 * deploy, is still decided. A finding already decided from its EventBridge event is a duplicate: intake keys
 * GuardDuty evidence on the finding id (`guardduty:<id>`) and its last-seen time, never on the event id.
 */
import { ConcurrentUpdateError, InvalidInputError } from '#domain/errors';
import type { CatchUpWatermark } from '#ports/decision-store';
import type { FindingDetail, FindingsSource } from '#ports/findings';
import type { ConflictRetryOverrides } from './decide-signal';
import type { Dependencies } from './dependencies';
import { handleEvent } from './handle-event';

/**
 * How far before the watermark each run reads again. GuardDuty's index of a finding may lag its `updatedAt`
 * by a moment, so a finding could turn up after a later one was read; reading it again costs a duplicate.
 */
export const CATCH_UP_OVERLAP_MS = 5 * 60_000;

/** What the catch-up needs beside the usual dependencies. */
export interface CatchUpOptions {
  readonly findings: FindingsSource;
  /** How far back the first run reads (configuration `guardDuty.catchUpLookback`). */
  readonly lookbackMs: number;
  readonly retry?: ConflictRetryOverrides;
}

/** What one run did. */
export interface CatchUpReport {
  /** The `updatedAt` this run read from (ISO 8601). */
  readonly from: string;
  /** Findings read from GuardDuty, invalid ones included. */
  readonly read: number;
  /** Findings taken through intake and decided. */
  readonly handled: number;
  /** Decisions made, by outcome (`duplicate` and other skips included). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Findings intake refused (reported, skipped, never retried). */
  readonly invalid: readonly { readonly id: string; readonly reason: string }[];
  /** The watermark after the run; undefined when it could not be written (another run moved it). */
  readonly watermark: string | undefined;
  /** Set when a failure that a later run may get past stopped this one; the next run resumes there. */
  readonly stopped?: { readonly findingId?: string; readonly error: Error };
}

/**
 * Runs the catch-up once. The watermark moves only past findings that were fully handled or refused as
 * invalid: an InvalidInputError is recorded and skipped, any other error stops the run at that finding (the
 * watermark is left at its `updatedAt`, so the next run reads it again) and is returned in `stopped`. The
 * first run reads `lookbackMs` back; later runs read from the watermark less {@link CATCH_UP_OVERLAP_MS}.
 */
export async function catchUp(deps: Dependencies, options: CatchUpOptions): Promise<CatchUpReport> {
  const runStart = deps.clock.now();
  const stored = await deps.store.getCatchUpWatermark();
  const from = stored.since
    ? new Date(Date.parse(stored.since) - CATCH_UP_OVERLAP_MS)
    : new Date(runStart.getTime() - options.lookbackMs);
  const outcomes: Record<string, number> = {};
  const invalid: { id: string; reason: string }[] = [];
  let read = 0;
  let handled = 0;
  let lastDone: string | undefined;
  let stopped: CatchUpReport['stopped'];
  let current: FindingDetail | undefined;
  try {
    for await (const finding of options.findings.listUpdatedSince(
      from,
      deps.policy.guardDuty.alertMinSeverity,
    )) {
      current = finding;
      read++;
      try {
        const report = await handleEvent(toEvent(finding), deps, options.retry);
        for (const decision of report.decisions)
          outcomes[decision.outcome] = (outcomes[decision.outcome] ?? 0) + 1;
        handled++;
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        invalid.push({ id: String(finding.id), reason: error.message });
      }
      lastDone = finding.updatedAt;
      current = undefined;
    }
  } catch (error) {
    stopped = {
      ...(current ? { findingId: String(current.id) } : {}),
      error: error instanceof Error ? error : new Error(String(error)),
    };
  }
  // Complete: everything updated before the run began was read. Stopped: everything before the finding that
  // failed (or after the last one done, when the listing failed), whose updatedAt the next run reads again.
  const reached = stopped ? (current?.updatedAt ?? lastDone) : runStart.toISOString();
  const since = reached ?? stored.since ?? from.toISOString();
  const watermark = await advance(deps, stored, since);
  return {
    from: from.toISOString(),
    read,
    handled,
    outcomes,
    invalid,
    watermark,
    ...(stopped ? { stopped } : {}),
  };
}

/**
 * The finding as the EventBridge event GuardDuty would have sent. The id is fixed by the finding and its
 * update, so reading the same update again gives the same event.
 */
export function toEvent(finding: FindingDetail): Record<string, unknown> {
  return {
    id: `guardduty-catch-up:${finding.id}:${finding.updatedAt}`,
    source: 'aws.guardduty',
    'detail-type': 'GuardDuty Finding',
    time: finding.updatedAt,
    ...(typeof finding.accountId === 'string' ? { account: finding.accountId } : {}),
    ...(typeof finding.region === 'string' ? { region: finding.region } : {}),
    detail: finding,
  };
}

/**
 * Writes `since` unless the stored watermark is already there or later. A run that overlapped this one may
 * have moved it: then re-read and keep the later of the two. Returns the watermark that stands.
 */
async function advance(
  deps: Dependencies,
  read: CatchUpWatermark,
  since: string,
): Promise<string | undefined> {
  let stored = read;
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (stored.since !== undefined && Date.parse(stored.since) >= Date.parse(since)) return stored.since;
    try {
      await deps.store.putCatchUpWatermark({ since, version: stored.version + 1 }, stored.version);
      return new Date(Date.parse(since)).toISOString();
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      stored = await deps.store.getCatchUpWatermark();
    }
  }
  return undefined;
}
