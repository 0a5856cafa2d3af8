/**
 * What every log parser returns for a record it cannot use: where it was and why. A malformed record is
 * counted and reported; the rest of its file or batch goes on (invariant 5).
 */
export interface MalformedRecord {
  readonly kind: 'malformed';
  /** The 1-based line number in a file, or the CloudWatch Logs event id in a subscription batch. */
  readonly position: number | string;
  /** What was wrong, naming the field and the value where there is one. */
  readonly reason: string;
}

/** A malformed record at `position`. */
export function malformed(position: number | string, reason: string): MalformedRecord {
  return { kind: 'malformed', position, reason };
}

/**
 * A value for a message: a string in JSON quotes, anything else as JSON (`undefined` for a missing field), cut
 * at `max` characters so that a huge or binary field cannot flood a report.
 */
export function quoted(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return typeof value === 'string' ? JSON.stringify(cut) : cut;
}
