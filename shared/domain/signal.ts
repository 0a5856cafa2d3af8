/**
 * Signals: normalised facts that an indicator was seen doing something. GuardDuty findings, detector output
 * and manual requests all become signals before anything is decided.
 */
import type { Indicator } from './indicator';
import type { TargetName } from './target';

export const SIGNAL_SOURCES = ['guardduty', 'dns-log', 'flow-log', 'manual', 'feed'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

/** Where the traffic came from. Every field is optional: a manual request may know none of them. */
export interface Workload {
  readonly account?: string;
  readonly region?: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly instanceId?: string;
  readonly eniId?: string;
  /** A Lambda function (GuardDuty Lambda findings). */
  readonly functionName?: string;
  readonly functionArn?: string;
  /** The ECS or EKS cluster, the container and its image (Runtime Monitoring findings). */
  readonly cluster?: string;
  readonly container?: string;
  readonly image?: string;
}

/** What backs a signal up. */
export interface Evidence {
  /**
   * Identity of the observation for idempotency, such as `guardduty:<finding id>` or the EventBridge event
   * id. The same key with the same `observedAt` is a replay.
   */
  readonly key: string;
  /** One line a person can read: the finding title, the detector's verdict, the operator's reason. */
  readonly summary: string;
  /** The finding ARN, log lines, or other references, kept verbatim. */
  readonly details?: readonly string[];
}

/** What an operator asked for in a manual request. */
export interface ManualRequest {
  readonly requestedBy: string;
  readonly reason: string;
  /** Block duration in milliseconds; absent means the policy default. */
  readonly ttlMs?: number;
  readonly permanent?: boolean;
  /** Restricts the block to these targets; absent means every target for the indicator's kind. */
  readonly targets?: readonly TargetName[];
}

export interface Signal {
  readonly source: SignalSource;
  /** `block` for threats and block requests, `unblock` for unblock requests. */
  readonly intent: 'block' | 'unblock';
  readonly indicator: Indicator;
  /** 0–10, GuardDuty's scale. */
  readonly severity: number;
  /** What saw it: a GuardDuty finding type, a detector name, or `manual`. */
  readonly detector: string;
  readonly evidence: Evidence;
  readonly workload: Workload;
  /** ISO 8601 time the activity was last observed. */
  readonly observedAt: string;
  /** GuardDuty sample findings ("Generate sample findings") go the whole way in shadow mode. */
  readonly sample: boolean;
  /** A GuardDuty finding an analyst archived (`service.archived`): decided in shadow mode only. */
  readonly archived?: boolean;
  readonly request?: ManualRequest;
}
