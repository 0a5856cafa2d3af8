/**
 * Test data for the decision core: signals, records, breakers and policies built from readable defaults.
 * Indicators go through parseIndicator, so every value is the canonical one production code would see.
 */
import type { BlockCount, BreakerState, Decision } from '#domain/decision';
import { parseIndicator } from '#domain/indicator';
import { type Policy, type PolicyContext, type PolicyInput, parsePolicy } from '#domain/policy';
import type { ManualRequest, Signal } from '#domain/signal';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The fixed "now" of every decision test. */
export const NOW = new Date('2026-11-28T10:00:00.000Z');

/** `from` moved by `ms` (negative for the past). */
export function shifted(ms: number, from: Date = NOW): Date {
  return new Date(from.getTime() + ms);
}

/** ISO 8601 of `from` moved by `ms`. */
export function isoAt(ms: number, from: Date = NOW): string {
  return shifted(ms, from).toISOString();
}

export const C2_FINDING = 'Backdoor:EC2/C&CActivity.B';

/** A High GuardDuty finding about `indicator`, observed now; `overrides` replace any field. */
export function guardDutySignal(
  indicator: string,
  overrides: Partial<Omit<Signal, 'indicator'>> = {},
): Signal {
  return {
    source: 'guardduty',
    intent: 'block',
    indicator: parseIndicator(indicator),
    severity: 8,
    detector: C2_FINDING,
    evidence: {
      key: 'guardduty:4ec6a1b2c3d4e5f6a7b8c9d0e1f2a3b4',
      summary: 'EC2 instance i-0abc1234def567890 is communicating with a known command and control server.',
      details: [
        'arn:aws:guardduty:eu-west-1:123456789012:detector/12abc/finding/4ec6a1b2c3d4e5f6a7b8c9d0e1f2a3b4',
      ],
    },
    workload: {
      account: '123456789012',
      region: 'eu-west-1',
      vpcId: 'vpc-0abc1234def567890',
      instanceId: 'i-0abc1234def567890',
    },
    observedAt: NOW.toISOString(),
    sample: false,
    ...overrides,
  };
}

/** A Threat Signal from a log detector. */
export function detectorSignal(
  indicator: string,
  overrides: Partial<Omit<Signal, 'indicator'>> = {},
): Signal {
  return guardDutySignal(indicator, {
    source: 'dns-log',
    detector: 'dns-tunnel',
    evidence: { key: 'dns-log:dns-tunnel:event-1', summary: 'High-entropy labels under one zone' },
    ...overrides,
  });
}

/** An operator's Block Request; `request` adds ttl, permanent or targets. */
export function manualBlock(
  indicator: string,
  request: Partial<ManualRequest> = {},
  overrides: Partial<Omit<Signal, 'indicator'>> = {},
): Signal {
  return {
    source: 'manual',
    intent: 'block',
    indicator: parseIndicator(indicator),
    severity: 8,
    detector: 'manual',
    evidence: { key: 'manual:event-block-1', summary: 'alice@example.com: incident IR-42' },
    workload: {},
    observedAt: NOW.toISOString(),
    sample: false,
    request: { requestedBy: 'alice@example.com', reason: 'incident IR-42', ...request },
    ...overrides,
  };
}

/** An operator's Unblock Request. */
export function manualUnblock(indicator: string, overrides: Partial<Omit<Signal, 'indicator'>> = {}): Signal {
  return {
    ...manualBlock(indicator),
    intent: 'unblock',
    evidence: { key: 'manual:event-unblock-1', summary: 'bob@example.com: false positive' },
    request: { requestedBy: 'bob@example.com', reason: 'false positive' },
    ...overrides,
  };
}

/** A closed breaker that has counted `recentBlocks` (per-minute counts). */
export function closedBreaker(recentBlocks: readonly BlockCount[] = [], version = 3): BreakerState {
  return { open: false, recentBlocks, version };
}

/** A breaker that tripped an hour ago. */
export function openBreaker(version = 7): BreakerState {
  return {
    open: true,
    openedAt: isoAt(-HOUR),
    reason: 'more than 50 new blocks within 1h',
    recentBlocks: [],
    version,
  };
}

/** What the tests' deployment knows: one VPC, 10.20.0.0/16, whose addresses the guard rails protect. */
export const VPC_CONTEXT: PolicyContext = { vpcCidrs: ['10.20.0.0/16'] };

/** The policy with every target enforcing, plus `input` (whose target settings win). */
export function enforcingPolicy(input: PolicyInput = {}): Policy {
  const targets = input.targets ?? {};
  return parsePolicy(
    {
      ...input,
      targets: {
        dnsFirewall: { mode: 'enforce', ...targets.dnsFirewall },
        networkAcls: { mode: 'enforce', ...targets.networkAcls },
        networkFirewall: { mode: 'enforce', ...targets.networkFirewall },
      },
    },
    VPC_CONTEXT,
  );
}

/** The record as the enforcer leaves it when a block runs out: `expired`, a minute after its expiry. */
export function expired(decision: Decision): Decision {
  const end = decision.expiresAt ?? decision.updatedAt;
  return {
    ...decision,
    status: 'expired',
    reason: `expired at ${end}`,
    updatedAt: isoAt(MINUTE, new Date(end)),
    version: decision.version + 1,
  };
}

/** An active block on `indicator` that started an hour ago and runs for three more. */
export function activeDecision(indicator: string, overrides: Partial<Decision> = {}): Decision {
  const parsed = parseIndicator(indicator);
  const start = isoAt(-HOUR);
  return {
    key: parsed.value,
    indicator: parsed,
    status: 'active',
    severity: 8,
    source: 'guardduty',
    detector: C2_FINDING,
    reason: `blocked for 4h (${C2_FINDING})`,
    targets: ['networkAcls', 'networkFirewall'],
    createdAt: start,
    updatedAt: start,
    expiresAt: isoAt(3 * HOUR),
    offences: [start],
    evidence: [{ key: 'guardduty:earlier-finding', summary: 'An earlier finding' }],
    seen: [{ key: 'guardduty:earlier-finding', at: start }],
    workloads: [],
    version: 1,
    ...overrides,
  };
}

/** Characters of every UTF-8 width: one byte, two, three, and four (a surrogate pair in JavaScript). */
export const WIDE_CHARACTERS = ['x', 'é', '€', '𝄞'] as const;

/**
 * A detector signal as large as the Threat Signal contract once allowed, and larger: a 512-character key,
 * a 1,024-character summary, 50 detail lines of 4,096 characters and long workload fields, all made of
 * `char`. `n` keeps the key unique, so every such signal is new evidence.
 */
export function maximalSignal(
  indicator: string,
  n: number,
  char: string = 'x',
  overrides: Partial<Omit<Signal, 'indicator'>> = {},
): Signal {
  const line = (length: number) => char.repeat(Math.ceil(length / char.length)).slice(0, length);
  return detectorSignal(indicator, {
    detector: `detector-${line(100)}`,
    evidence: {
      key: `${n}:${line(500)}`,
      summary: line(1024),
      details: Array.from({ length: 50 }, (_, i) => `${i}:${line(4090)}`),
    },
    workload: {
      account: '123456789012',
      region: line(256),
      vpcId: `vpc-${n}-${line(256)}`,
      instanceId: `i-${n}-${line(256)}`,
    },
    ...overrides,
  });
}
