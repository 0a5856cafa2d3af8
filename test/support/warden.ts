/**
 * Egress Warden wired on the in-memory adapters, for use-case tests: one ACL, one rule group, one domain list,
 * a store, an alert sink and a clock that moves only when told to.
 */
import { type Policy, type PolicyInput, parsePolicy } from '#domain/policy';
import type { Signal } from '#domain/signal';
import type { NetworkAclEntry } from '#domain/target';
import { createInMemoryWarden, type InMemoryWarden, USUAL_EGRESS } from '#shared/composition/in-memory';
import { toCommands } from '#shared/intake/event';
import { loadEvent, type ManualEvent, onlySignal, type SampleEvent, type ThreatSignalEvent } from './events';
import { VPC_CONTEXT } from './signals';

/** Where the warden's clock starts. */
export const START = new Date('2026-11-28T10:00:00.000Z');
/** The ACL and VPC of the samples, also those of the simulation's default configuration. */
export const ACL_ID = 'acl-0123456789abcdef0';
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export { USUAL_EGRESS };

const ENFORCE_ALL = {
  dnsFirewall: { mode: 'enforce' },
  networkAcls: { mode: 'enforce' },
  networkFirewall: { mode: 'enforce' },
} as const;

/** A policy with every target enforcing in the VPC 10.20.0.0/16; `input` replaces top-level sections. */
export function policyWith(input: PolicyInput = {}): Policy {
  return parsePolicy({ targets: ENFORCE_ALL, ...input }, VPC_CONTEXT);
}

/** Egress Warden on the in-memory adapters. */
export type Warden = InMemoryWarden;

export interface WardenOptions {
  readonly policy?: Policy;
  /** The ACL's egress entries besides the default rules; {@link USUAL_EGRESS} when omitted. */
  readonly egress?: readonly NetworkAclEntry[];
}

/** A fresh Egress Warden on empty in-memory targets, the clock at {@link START}. */
export function createWarden(options: WardenOptions = {}): Warden {
  return createInMemoryWarden({
    policy: options.policy ?? policyWith(),
    now: START,
    acls: [{ aclId: ACL_ID, vpcId: VPC_ID, egress: options.egress ?? USUAL_EGRESS }],
    networkFirewallCapacity: 1000,
  });
}

/** Switches the warden to another policy, as a redeploy with a new configuration does. */
export function withPolicy(warden: Warden, policy: Policy): void {
  warden.deps = { ...warden.deps, policy };
}

/** Everything the targets hold, in a form that compares with toEqual. */
export function targetState(warden: Warden): {
  domains: string[];
  acl: NetworkAclEntry[];
  rules: string;
} {
  return {
    domains: warden.dnsFirewall.snapshot(),
    acl: warden.networkAcls.snapshot().flatMap((acl) => acl.egress),
    rules: warden.networkFirewall.snapshot().rules,
  };
}

/** The sorted CIDRs of the deny entries in the default reserved range [1, 18], those Egress Warden owns. */
export function reservedDenyCidrs(
  entries: readonly { readonly ruleNumber: number; readonly action: string; readonly cidr: string }[],
): string[] {
  return entries
    .filter((entry) => entry.ruleNumber <= 18 && entry.action === 'deny')
    .map((entry) => entry.cidr)
    .sort();
}

/** The CIDRs of the deny entries in the reserved range [1, 18] of the warden's ACL. */
export function reservedDenies(warden: Warden): string[] {
  return reservedDenyCidrs(targetState(warden).acl);
}

/** The one signal an event becomes, through the same intake as production; throws otherwise. */
export function signalFrom(event: SampleEvent<unknown>, warden: Warden): Signal {
  return onlySignal(toCommands(event, warden.deps.policy, warden.clock.now()));
}

/** A sample event's signal: `guardduty/c2-domain.json` and so on. */
export function sampleSignal(path: string, warden: Warden): Signal {
  return signalFrom(loadEvent(path), warden);
}

/** A flow-log detector signal for `indicator`, observed now, with its own evidence key. */
export function flowSignal(indicator: string, severity: number, warden: Warden): Signal {
  const event = loadEvent<ThreatSignalEvent>('detectors/dns-tunnel-signal.json');
  const observedAt = warden.clock.now().toISOString();
  event.id = `flow-${indicator}-${observedAt}`;
  event.detail = {
    ...event.detail,
    source: 'flow-log',
    detector: 'beaconing',
    indicator,
    severity,
    observedAt,
    evidence: { summary: `beaconing to ${indicator}` },
  };
  return signalFrom(event, warden);
}

/** A manual Block Request (or Unblock Request) for `indicator`, with a fresh event id. */
export function manualSignal(
  indicator: string,
  warden: Warden,
  type: 'Block Request' | 'Unblock Request' = 'Block Request',
): Signal {
  const event = loadEvent<ManualEvent>(
    type === 'Block Request' ? 'manual/block-request.json' : 'manual/unblock-request.json',
  );
  event.id = `${type}-${indicator}-${warden.clock.now().toISOString()}`;
  event.time = warden.clock.now().toISOString();
  event.detail = { ...event.detail, indicator };
  return signalFrom(event, warden);
}
