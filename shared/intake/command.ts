import type { Signal, SignalSource } from '#domain/signal';

/**
 * What one inbound event asks for: a signal to decide, an input deliberately ignored (with why), an
 * operator's breaker reset, or the emergency brake (pause, resume).
 */
export type Command =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | {
      readonly kind: 'ignored';
      readonly label: string;
      readonly reason: string;
      readonly source: SignalSource;
    }
  | { readonly kind: 'reset-breaker'; readonly requestedBy: string; readonly reason: string }
  | { readonly kind: 'pause'; readonly requestedBy: string; readonly reason: string }
  | { readonly kind: 'resume'; readonly requestedBy: string; readonly reason: string };
