import { refusalError, toSignalEntries } from '#adapters/service-rules/signal-publisher';
import type { ThreatSignalPublisher } from '#ports/signal-publisher';
import type { ThreatSignalDetail } from '#shared/intake/threat-signal';

/**
 * Threat Signals kept in memory, for the local simulation and the use-case tests. Checks every signal as the
 * EventBridge publisher does (the contract, the indicator, the 256 KB entry limit): a bad one is refused with
 * InvalidInputError listing it, the others are recorded as the event's detail would carry them (validated,
 * text trimmed).
 */
export class InMemoryThreatSignalPublisher implements ThreatSignalPublisher {
  /** Every signal published so far, oldest first. */
  readonly published: ThreatSignalDetail[] = [];

  async publish(signals: readonly ThreatSignalDetail[]): Promise<void> {
    const { entries, refused } = toSignalEntries(signals);
    for (const { entry } of entries)
      this.published.push(JSON.parse(entry.Detail ?? '{}') as ThreatSignalDetail);
    const error = refusalError(refused, signals.length);
    if (error) throw error;
  }
}
