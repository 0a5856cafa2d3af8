/**
 * The local simulation: the whole detect → decide → enforce → expire → alert loop on in-memory targets that
 * honour the same limits and errors as AWS. No AWS account, no network.
 */

import { InMemoryDetectorStateStore } from '#adapters/in-memory/detector-state';
import { InMemoryDomainBaselineStore } from '#adapters/in-memory/domain-baseline';
import { InMemoryThreatSignalPublisher } from '#adapters/in-memory/signal-publisher';
import { InvalidInputError } from '#domain/errors';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { buildLogDetectors } from '#shared/composition/detectors';
import { createInMemoryWarden } from '#shared/composition/in-memory';
import { DETECTOR_SOURCE } from '#shared/intake/threat-signal';
import { decodeSubscriptionEvent } from '#shared/logs/cloudwatch-subscription';
import { readLogObject } from '#shared/logs/lines';
import { AlertBatch } from '#shared/use-cases/alerting';
import type { BreakerResetReport, DecisionReport, PauseReport } from '#shared/use-cases/decide-signal';
import { type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { handleEvent } from '#shared/use-cases/handle-event';
import type { SimulationConfig } from './config';
import { type LogDetectors, type LogInput, type LogReplay, replayLogLines, replaySubscription } from './logs';

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
  /** Pause and Resume requests, in order. */
  readonly pauses: readonly PauseReport[];
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
  /** What the log detectors made of each raw log and CloudWatch Logs subscription event. */
  readonly logs: readonly LogReplay[];
  /** The simulated time the decisions were taken at. */
  readonly now: string;
  /** Each reconcile pass: the first right after the events, the second after `advanceMs`. */
  readonly reconciles: readonly ReconcileReport[];
}

export interface SimulationOptions {
  /** The simulated time; by default the newest event time or detection. */
  readonly now?: Date;
  /** Raw log files, run through the log detectors before the events. */
  readonly logs?: readonly LogInput[];
  /** Moves the clock on after the first reconcile and reconciles again, so blocks can be seen expiring. */
  readonly advanceMs?: number;
}

/**
 * Runs the raw logs and CloudWatch Logs subscription events through the log detectors, then the events and
 * what the detectors published, in order; reconciles, optionally advances the clock and reconciles again.
 */
export async function simulate(
  inputs: readonly SimulationInput[],
  config: SimulationConfig,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const rejected: { input: string; error: string }[] = [];
  const detectors = logDetectors(config);
  const logs: LogReplay[] = [];
  const detect = async (name: string, run: () => Promise<LogReplay>) => {
    try {
      const replay = await run();
      logs.push(replay);
      for (const problem of replay.malformed.first) {
        rejected.push({ input: `${name}:${problem.position}`, error: problem.reason });
      }
    } catch (error) {
      rejected.push({ input: name, error: describeFailure(error) });
    }
  };
  for (const log of options.logs ?? []) {
    await detect(log.name, () => replayLogLines(log.name, readLogObject(log.open(), log.name), detectors));
  }
  const events: SimulationInput[] = [];
  for (const input of inputs) {
    if (isSubscriptionEvent(input.event)) {
      const { event } = input;
      await detect(input.name, () =>
        replaySubscription(input.name, decodeSubscriptionEvent(event), detectors),
      );
    } else events.push(input);
  }
  const signals = detectors.publisher.published.map((detail, i) => ({
    name: `detector signal ${i + 1} (${detail.detector} ${detail.indicator})`,
    event: { source: DETECTOR_SOURCE, 'detail-type': 'Threat Signal', time: detail.observedAt, detail },
  }));
  const now = options.now ?? newestTime([...events, ...signals].map((input) => input.event)) ?? new Date();

  const warden = createInMemoryWarden({
    policy: config.policy,
    now,
    acls: config.vpcs.flatMap((vpc) => vpc.networkAcls.map((aclId) => ({ aclId, vpcId: vpc.vpcId }))),
    networkFirewallCapacity: config.config.targets.networkFirewall.capacity,
  });
  const { deps, clock, dnsFirewall, networkAcls, networkFirewall, alerts } = warden;

  const decisions: DecisionReport[] = [];
  const breakerResets: BreakerResetReport[] = [];
  // The run's decisions alert like one decide batch: each, or one digest for a burst.
  const alerting = new AlertBatch(deps);
  const pauses: PauseReport[] = [];
  for (const input of [...events, ...signals]) {
    try {
      const report = await handleEvent(input.event, { ...deps, alerts: alerting });
      decisions.push(...report.decisions);
      breakerResets.push(...report.breakerResets);
      pauses.push(...report.pauses);
    } catch (error) {
      // One input's failure, expected or not, is that input's alone: the rest of the run goes on.
      rejected.push({ input: input.name, error: describeFailure(error) });
    }
  }

  await alerting.flush();
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
    pauses,
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
    logs,
    now: now.toISOString(),
    reconciles,
  };
}

/** The log detectors of a run, on in-memory state: the configuration's settings and the policy's lists. */
function logDetectors(config: SimulationConfig): LogDetectors & { publisher: InMemoryThreatSignalPublisher } {
  return {
    ...buildLogDetectors(config.config, config.policy),
    state: new InMemoryDetectorStateStore(),
    publisher: new InMemoryThreatSignalPublisher(),
    baseline: new InMemoryDomainBaselineStore(),
  };
}

/** A CloudWatch Logs subscription event, as Lambda receives it: `{ awslogs: { data } }`. */
function isSubscriptionEvent(event: unknown): event is { awslogs: unknown } {
  return typeof event === 'object' && event !== null && 'awslogs' in event;
}

/** The newest `time` among the events, so that a run on the same files is reproducible. */
function newestTime(events: readonly unknown[]): Date | undefined {
  // A loop, not Math.max(...times): spreading 190,000 arguments overflows the stack.
  let newest = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    const time = (event as { time?: unknown })?.time;
    const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
    if (at > newest) newest = at;
  }
  return newest === Number.NEGATIVE_INFINITY ? undefined : new Date(newest);
}

/** An invalid input says what was wrong with it; anything else is named as unexpected, with its type. */
function describeFailure(error: unknown): string {
  if (error instanceof InvalidInputError) return error.message;
  if (error instanceof Error) return `unexpected ${error.name} while handling this input: ${error.message}`;
  return `unexpected failure while handling this input: ${String(error)}`;
}
