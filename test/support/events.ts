/**
 * The sample events under events/, typed for tests, and what intake makes of them. Each call reads the file
 * again, so a test may change the event it gets without affecting any other test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Signal } from '#domain/signal';
import type { Command } from '#shared/intake/command';

const EVENTS_URL = new URL('../../events/', import.meta.url);

/** The absolute path of the events/ folder. */
export const EVENTS_DIR = fileURLToPath(EVENTS_URL);

/** The EventBridge envelope every sample has. */
export interface SampleEvent<Detail = Record<string, unknown>> {
  version: string;
  id?: string;
  'detail-type': string;
  source: string;
  account: string;
  time?: string;
  region: string;
  resources: string[];
  detail: Detail;
}

/** The parts of a GuardDuty finding (EventBridge wire form) that tests read or change. */
export interface GuardDutyFinding {
  id: string;
  arn?: string;
  type: string;
  title?: string;
  severity?: number;
  accountId: string;
  region: string;
  updatedAt?: string;
  resource: {
    instanceDetails?: {
      instanceId: string;
      networkInterfaces: { networkInterfaceId: string; subnetId: string; vpcId: string }[];
    };
    [details: string]: unknown;
  };
  service: {
    count?: number;
    eventLastSeen?: string;
    archived?: boolean;
    additionalInfo: { sample?: unknown; value?: unknown; type?: string };
    action: {
      actionType: string;
      dnsRequestAction?: { domain?: string; domainWithSuffix?: string };
      networkConnectionAction?: {
        connectionDirection?: string;
        remoteIpDetails?: { ipAddressV4?: string; ipAddressV6?: string };
      };
    };
  };
}

/** A Block Request, Unblock Request or Reset Breaker detail, loose enough to be made invalid on purpose. */
export interface ManualDetail {
  indicator?: string;
  reason?: string;
  requestedBy?: string;
  ttl?: string;
  permanent?: boolean;
  targets?: string[];
  severity?: number;
  [field: string]: unknown;
}

/** A Threat Signal detail as the detectors write it. */
export interface ThreatSignalDetail {
  source: string;
  indicator: string;
  severity: number;
  detector: string;
  observedAt: string;
  evidence: { key?: string; summary?: string; details?: string[] };
  workload?: Record<string, string>;
  sample?: boolean;
}

export type GuardDutyEvent = SampleEvent<GuardDutyFinding>;
export type ManualEvent = SampleEvent<ManualDetail>;
export type ThreatSignalEvent = SampleEvent<ThreatSignalDetail>;

/**
 * Reads `events/<path>` (such as `guardduty/c2-domain.json`) as a fresh copy. The type is the caller's claim
 * about the file; nothing is validated here, that is what the code under test does.
 */
export function loadEvent<Event extends SampleEvent<unknown> = SampleEvent>(path: string): Event {
  return JSON.parse(readFileSync(new URL(path, EVENTS_URL), 'utf8')) as Event;
}

/** The signal a command carries; fails the test when the command is anything else. */
export function signalOf(command: Command): Signal {
  if (command.kind !== 'signal') throw new Error(`expected a signal, got ${JSON.stringify(command)}`);
  return command.signal;
}

/** The signals of the commands, failing the test when any command is not a signal. */
export function signalsOf(commands: readonly Command[]): Signal[] {
  return commands.map(signalOf);
}

/** The one signal an event became; fails the test on no command, several, or one that is not a signal. */
export function onlySignal(commands: readonly Command[]): Signal {
  const [command] = commands;
  if (commands.length !== 1 || !command) {
    throw new Error(`expected one signal, got ${JSON.stringify(commands)}`);
  }
  return signalOf(command);
}

/** The error a call throws, such as intake rejecting an input; fails the test when it does not throw. */
export function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
