/**
 * The local simulation: the whole detect → decide → enforce → expire → alert loop on in-memory targets that
 * honour the same limits and errors as AWS. No AWS account, no network.
 */

import { InvalidInputError } from '#domain/errors';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { createInMemoryWarden } from '#shared/composition/in-memory';
import type { BreakerResetReport, DecisionReport } from '#shared/use-cases/decide-signal';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { handleEvent } from '#shared/use-cases/handle-event';
import type { SimulationConfig } from './config';

/** One inbound event and where it came from (`file.json` or `file.json[2]`). */
export interface SimulationInput {
  readonly name: string;
  readonly event: unknown;
}

/** The simulation's result; `--json` prints all of it but `reconciles`. */
export interface SimulationResult {
  readonly decisions: readonly DecisionReport[];
  readonly rejected: readonly { input: string; error: string }[];
  /** Reset Breaker requests, in order. */
  readonly breakerResets: readonly BreakerResetReport[];
  readonly targets: {
    readonly dnsFirewall: { readonly domains: readonly string[] };
    readonly networkAcls: Readonly<
      Record<string, readonly { ruleNumber: number; cidr: string; action: string }[]>
    >;
    readonly networkFirewall: {
      readonly domains: readonly string[];
      readonly ips: readonly string[];
      readonly rules: string;
    };
  };
  readonly alerts: readonly { subject: string; message: string }[];
  /** Each reconcile pass: the first right after the events, the second after `advanceMs`. */
  readonly reconciles: readonly ReconcileReport[];
}

export interface SimulationOptions {
  readonly now: Date;
  /** Moves the clock on after the first reconcile and reconciles again, so blocks can be seen expiring. */
  readonly advanceMs?: number;
}

/** Runs the events in order, reconciles, optionally advances the clock and reconciles again. */
export async function simulate(
  inputs: readonly SimulationInput[],
  config: SimulationConfig,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const warden = createInMemoryWarden({
    policy: config.policy,
    now: options.now,
    acls: config.vpcs.flatMap((vpc) => vpc.networkAcls.map((aclId) => ({ aclId, vpcId: vpc.vpcId }))),
    networkFirewallCapacity: config.config.targets.networkFirewall.capacity,
  });
  const { deps, clock, dnsFirewall, networkAcls, networkFirewall, alerts } = warden;

  const decisions: DecisionReport[] = [];
  const rejected: { input: string; error: string }[] = [];
  const breakerResets: BreakerResetReport[] = [];
  for (const input of inputs) {
    try {
      const report = await handleEvent(input.event, deps);
      decisions.push(...report.decisions);
      breakerResets.push(...report.breakerResets);
    } catch (error) {
      // One input's failure, expected or not, is that input's alone: the rest of the run goes on.
      rejected.push({ input: input.name, error: describeFailure(error) });
    }
  }

  const reconciles = [await reconcile(deps)];
  if (options.advanceMs) {
    clock.advance(options.advanceMs);
    reconciles.push(await reconcile(deps));
  }
  for (const pass of reconciles) for (const ended of pass.ended) decisions.push(ended);

  const rules = networkFirewall.snapshot().rules;
  return {
    decisions,
    rejected,
    breakerResets,
    targets: {
      dnsFirewall: { domains: dnsFirewall.snapshot() },
      networkAcls: Object.fromEntries(
        networkAcls
          .snapshot()
          .map((acl) => [
            acl.aclId,
            acl.egress.map(({ ruleNumber, cidr, action }) => ({ ruleNumber, cidr, action })),
          ]),
      ),
      networkFirewall: { ...blockedByRules(rules), rules },
    },
    alerts: alerts.snapshot().map(({ subject, message }) => ({ subject, message })),
    reconciles,
  };
}

/** An invalid input says what was wrong with it; anything else is named as unexpected, with its type. */
function describeFailure(error: unknown): string {
  if (error instanceof InvalidInputError) return error.message;
  if (error instanceof Error) return `unexpected ${error.name} while handling this input: ${error.message}`;
  return `unexpected failure while handling this input: ${String(error)}`;
}
