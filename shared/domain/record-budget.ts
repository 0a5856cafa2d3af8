/**
 * Byte budgets for what decide writes. DynamoDB refuses an item over 400 KB (409,600 bytes, names and
 * string values counted in UTF-8), and a record that reaches it can never be written again: not extended,
 * not even unblocked. So every growing part of a decision record and of an audit entry is kept within a
 * budget here, newest first, and the whole record stays far below the limit whatever the input.
 *
 * Sizes are measured as the UTF-8 length of the JSON text, which is never smaller than DynamoDB's own count
 * (JSON adds quotes, separators and escapes; DynamoDB adds at most 3 bytes per list or map, 1 per element).
 *
 * | part                        | budget  | why                                                         |
 * |-----------------------------|---------|-------------------------------------------------------------|
 * | one evidence entry          | 16 KiB  | a signal's details are capped at 16 KiB by its contract       |
 * | evidence (≤ 20 entries)     | 64 KiB  | at least four maximal entries, many ordinary ones           |
 * | seen keys (≤ 100)           | 24 KiB  | at least fifteen keys of 512 characters of any script        |
 * | suppressions (≤ 20)         | 12 KiB  | at least seven maximal keys                                  |
 * | workloads (≤ 20)            | 8 KiB   | one field is at most 512 bytes; a real workload is ~150      |
 * | reason                      | 2 KiB   | one sentence; the operator's full reason stays in the audit  |
 * | detector, requestedBy, …    | 512 B   | names, not prose                                             |
 * | the whole record            | 128 KiB | the sum above plus fixed fields; a third of DynamoDB's limit |
 * | one audit entry             | 32 KiB  | one evidence entry plus a reason of up to 8 KiB              |
 */
import type { AuditRecord, Decision, Suppression } from './decision';
import type { Evidence, Workload } from './signal';

/** The most a decision record may take, as UTF-8 JSON. */
export const RECORD_BUDGET_BYTES = 128 * 1024;
/** The most one audit entry may take, as UTF-8 JSON. */
export const AUDIT_BUDGET_BYTES = 32 * 1024;
/** The most a record's evidence list may take. */
export const EVIDENCE_BUDGET_BYTES = 64 * 1024;
/** The most one evidence entry may take; details beyond it are cut with a notice. */
export const EVIDENCE_ENTRY_BYTES = 16 * 1024;
/** The most a record's `seen` list may take. */
export const SEEN_BUDGET_BYTES = 24 * 1024;
/** The most a record's suppressions may take. */
export const SUPPRESSION_BUDGET_BYTES = 12 * 1024;
/** The most a record's workloads may take. */
export const WORKLOAD_BUDGET_BYTES = 8 * 1024;
/** The most a record's reason may take. */
export const REASON_BYTES = 2 * 1024;
/** The most an audit entry's reason may take: it keeps more of the operator's words than the record. */
export const AUDIT_REASON_BYTES = 8 * 1024;
/** The most a name (detector, requester, workload field) may take. */
export const NAME_BYTES = 512;

const KEY_BYTES = 1536;
const SUMMARY_BYTES = 3072;
/** Room kept for the notice line that says what was dropped. */
const NOTICE_BYTES = 64;
const ELLIPSIS = '…';

/** The UTF-8 length of `text`, as DynamoDB counts it (a lone surrogate counts as the 3-byte U+FFFD). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The UTF-8 length of a value's JSON text: an upper bound of its DynamoDB size. */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? '');
}

/**
 * `text` cut on a character boundary so that it takes at most `maxBytes` as a JSON string's content (UTF-8,
 * escapes included, so never less than its DynamoDB size), ending in `…` when cut.
 */
export function clipText(text: string, maxBytes: number): string {
  if (jsonBytes(text) - 2 <= maxBytes) return text;
  const room = maxBytes - utf8Length(ELLIPSIS);
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = jsonBytes(char) - 2;
    if (bytes + size > room) break;
    bytes += size;
    end += char.length;
  }
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * One evidence entry within {@link EVIDENCE_ENTRY_BYTES}: the key and summary clipped (only beyond any
 * contract), then the detail lines kept from the first while they fit, and a last line saying how many
 * lines and bytes were dropped. Idempotent.
 */
export function boundEvidence(evidence: Evidence): Evidence {
  if (jsonBytes(evidence) <= EVIDENCE_ENTRY_BYTES) return evidence;
  const key = clipText(evidence.key, KEY_BYTES);
  const summary = clipText(evidence.summary, SUMMARY_BYTES);
  const details = evidence.details ?? [];
  let room = EVIDENCE_ENTRY_BYTES - jsonBytes({ key, summary, details: [] }) - NOTICE_BYTES;
  const kept: string[] = [];
  for (const line of details) {
    const size = jsonBytes(line) + 1;
    if (size > room) break;
    kept.push(line);
    room -= size;
  }
  // A first line too long to keep whole is kept in part, so that the entry never loses all its details.
  if (kept.length === 0 && details.length > 0 && room > NOTICE_BYTES) {
    kept.push(clipText(details[0] ?? '', room - 3));
  }
  const droppedLines = details.length - kept.length;
  const droppedBytes =
    details.reduce((sum, line) => sum + utf8Length(line), 0) -
    kept.reduce((sum, line) => sum + utf8Length(line.endsWith(ELLIPSIS) ? line.slice(0, -1) : line), 0);
  const notice =
    droppedBytes > 0
      ? [
          `… ${droppedLines} more line${droppedLines === 1 ? '' : 's'} / ${withThousands(droppedBytes)} bytes dropped`,
        ]
      : [];
  return { key, summary, details: [...kept, ...notice] };
}

/**
 * A decision record within {@link RECORD_BUDGET_BYTES}: each growing list keeps its newest entries within its
 * own budget (`seen` is ordered newest first, every other list newest last) and the free text is clipped.
 */
export function boundDecision(decision: Decision): Decision {
  const { requestedBy, suppressions } = decision;
  return {
    ...decision,
    detector: clipText(decision.detector, NAME_BYTES),
    reason: clipText(decision.reason, REASON_BYTES),
    evidence: newestWithin(decision.evidence.map(boundEvidence), EVIDENCE_BUDGET_BYTES),
    // `seen` is newest first, the other lists newest last.
    seen: newestWithin([...decision.seen].reverse(), SEEN_BUDGET_BYTES).reverse(),
    workloads: newestWithin(decision.workloads.map(boundWorkload), WORKLOAD_BUDGET_BYTES),
    ...(requestedBy === undefined ? {} : { requestedBy: clipText(requestedBy, NAME_BYTES) }),
    ...(suppressions === undefined
      ? {}
      : { suppressions: newestWithin(suppressions.map(boundSuppression), SUPPRESSION_BUDGET_BYTES) }),
  };
}

/** An audit entry within {@link AUDIT_BUDGET_BYTES}. */
export function boundAudit(record: AuditRecord): AuditRecord {
  return {
    ...record,
    actor: clipText(record.actor, NAME_BYTES),
    reason: clipText(record.reason, AUDIT_REASON_BYTES),
    ...(record.evidence ? { evidence: boundEvidence(record.evidence) } : {}),
  };
}

/**
 * The items that fit `budget` together as JSON, taken from the newest (the last) back, in their order; one
 * that does not fit is left out and older, smaller ones may still fit.
 */
function newestWithin<T>(items: readonly T[], budget: number): T[] {
  let room = budget - 2;
  const kept: T[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    const size = jsonBytes(item) + 1;
    if (size > room) continue;
    room -= size;
    kept.push(item);
  }
  return kept.reverse();
}

function boundWorkload(workload: Workload): Workload {
  return Object.fromEntries(
    Object.entries(workload).map(([name, value]) => [
      name,
      typeof value === 'string' ? clipText(value, NAME_BYTES) : value,
    ]),
  ) as Workload;
}

function boundSuppression(suppression: Suppression): Suppression {
  return { ...suppression, by: clipText(suppression.by, NAME_BYTES) };
}

function withThousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, ',');
}
