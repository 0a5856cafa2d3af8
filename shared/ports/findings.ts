/**
 * A GuardDuty finding in the shape of an EventBridge `GuardDuty Finding` event's `detail` (camelCase JSON
 * names), whatever the source read it from.
 */
export type FindingDetail = Readonly<Record<string, unknown>> & {
  readonly id: string;
  /** ISO 8601, as GuardDuty writes it. */
  readonly updatedAt: string;
};

/** Where the GuardDuty catch-up reads findings from (the Region's detector in AWS). */
export interface FindingsSource {
  /**
   * Every finding updated at or after `since` with a severity at or above `minSeverity` (GuardDuty compares
   * whole numbers: the value is rounded down), oldest update first, read lazily page by page so that a caller
   * can stop part-way. Archived findings are included. Throws ThrottledError or ServiceUnavailableError when
   * GuardDuty keeps failing, TargetNotFoundError when the Region has no detector.
   */
  listUpdatedSince(since: Date, minSeverity: number): AsyncIterable<FindingDetail>;
}
