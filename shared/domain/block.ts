import type { Indicator } from './indicator';

/** One active block as the reconciliation planners see it: the projection of an active decision. */
export interface BlockEntry {
  readonly indicator: Indicator;
  /** 0–10; higher severity wins a scarce slot. */
  readonly severity: number;
  /** When the block started (ISO 8601); newer wins a scarce slot among equal severities. */
  readonly since: string;
  /** null = permanent. */
  readonly expiresAt: string | null;
}
