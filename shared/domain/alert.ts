/**
 * Alerts: what a person reads (subject and body) plus attributes a subscriber can filter on and the
 * structured record for machines.
 */
export interface Alert {
  /** One line, no line breaks; adapters shorten it to the channel's limit. */
  readonly subject: string;
  /** Readable by a person: what, why, evidence, until when, how to undo. */
  readonly message: string;
  /** For subscription filters: outcome, severity, indicator kind, source. */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** Trimmable evidence lines, kept apart so an adapter can trim them first when over a size limit. */
  readonly evidence?: readonly string[];
}
