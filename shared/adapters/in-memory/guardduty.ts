import type { FindingDetail, FindingsSource } from '#ports/findings';

/**
 * GuardDuty findings held in memory, for the use-case tests and the simulation. Filters and orders as the
 * GuardDuty adapter's query does (updatedAt at or after, severity at or above the whole number, oldest first).
 */
export class InMemoryFindings implements FindingsSource {
  readonly #findings = new Map<string, FindingDetail>();
  #failure: { error: Error; afterFindings: number } | undefined;

  constructor(findings: readonly FindingDetail[] = []) {
    for (const finding of findings) this.put(finding);
  }

  /** Adds a finding, or replaces the one with the same id (GuardDuty updates a finding in place). */
  put(finding: FindingDetail): void {
    this.#findings.set(finding.id, structuredClone(finding));
  }

  /** The next listing throws `error` once, after yielding `afterFindings` findings. */
  injectFailure(error: Error, afterFindings = 0): void {
    this.#failure = { error, afterFindings };
  }

  async *listUpdatedSince(since: Date, minSeverity: number): AsyncIterable<FindingDetail> {
    const failure = this.#failure;
    this.#failure = undefined;
    const floor = Math.floor(minSeverity);
    const matching = [...this.#findings.values()]
      .filter((finding) => Date.parse(finding.updatedAt) >= since.getTime())
      .filter((finding) => typeof finding.severity !== 'number' || finding.severity >= floor)
      .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
    let yielded = 0;
    for (const finding of matching) {
      if (failure && yielded === failure.afterFindings) throw failure.error;
      yield structuredClone(finding);
      yielded++;
    }
    if (failure && yielded === failure.afterFindings) throw failure.error;
  }
}
