import type { Signal, SignalSource } from '#domain/signal';

/**
 * What one inbound event asks for: a signal to decide, an input deliberately ignored (with why), or an
 * operator's breaker reset.
 */
export type Command =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | {
      readonly kind: 'ignored';
      readonly label: string;
      readonly reason: string;
      readonly source: SignalSource;
    }
  | { readonly kind: 'reset-breaker'; readonly requestedBy: string; readonly reason: string };
