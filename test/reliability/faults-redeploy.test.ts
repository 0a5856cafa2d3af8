/**
 * Redeploys with active blocks, and deploys that change the targets' configuration: the enforce runs the
 * schedule makes (one a minute) against the same store and targets, with the new configuration and, for a
 * redeploy, freshly loaded code. No block is absent from a target that should hold it for longer than one run.
 * That CloudFormation leaves the entries alone on a redeploy is proven by the stack's own tests
 * (test/infra/containers.test.ts, "the stack owns containers, never entries").
 */
import { describe, expect, it, vi } from 'vitest';
import { parsePolicy } from '#domain/policy';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import { decideSignal } from '#shared/use-cases/decide-signal';
import type { ReconcileReport } from '#shared/use-cases/enforce/reconcile';
import {
  createWarden,
  MINUTE,
  manualSignal,
  policyWith,
  reservedDenies,
  sampleSignal,
  targetState,
  type Warden,
  withPolicy,
} from '../support/warden';

const DOMAIN = 'guarddutyc2activityb.com';
const IP = '198.51.100.77/32';
const MANUAL_IP = '203.0.113.45/32';
/** Every block on every target, as the targets hold them. */
const ALL_HELD = {
  domains: [`*.${DOMAIN}`, DOMAIN],
  denies: [IP, MANUAL_IP],
  firewall: { ips: [IP, MANUAL_IP], domains: [DOMAIN] },
};

/** The blocks each target holds now. */
function held(warden: Warden) {
  const state = targetState(warden);
  return { domains: state.domains, denies: reservedDenies(warden), firewall: blockedByRules(state.rules) };
}

/**
 * One scheduled enforce run a minute after the last, on `reconcile` as the deployed code loaded it (a redeploy
 * loads it again, with nothing kept from the old container).
 */
async function enforceRun(
  warden: Warden,
  code: { reconcile: typeof import('#shared/use-cases/enforce/reconcile').reconcile },
) {
  warden.clock.advance(MINUTE);
  return code.reconcile(warden.deps);
}

/** The enforce code as a new deployment loads it: a fresh module, no state from earlier runs. */
async function deployCode() {
  vi.resetModules();
  return import('#shared/use-cases/enforce/reconcile');
}

/** A warden with a domain and two IPs blocked and enforced on every target. */
async function wardenWithBlocks() {
  const warden = createWarden();
  await decideSignal(sampleSignal('guardduty/c2-domain.json', warden), warden.deps);
  await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
  await decideSignal(manualSignal(MANUAL_IP, warden), warden.deps);
  const code = await deployCode();
  await enforceRun(warden, code);
  return { warden, code };
}

function statuses(report: ReconcileReport): Record<string, string> {
  return Object.fromEntries(report.targets.map((target) => [target.target, target.status]));
}

describe('enforce across redeploys and configuration changes', () => {
  it('keeps every block through a redeploy of the same configuration, writing nothing', async () => {
    // Prepare
    const { warden } = await wardenWithBlocks();
    const before = targetState(warden);

    // Act: the stack is deployed again; the new code runs against the same store and targets.
    const code = await deployCode();
    withPolicy(warden, policyWith());
    const report = await enforceRun(warden, code);

    // Assess
    expect(held(warden)).toEqual(ALL_HELD);
    expect(targetState(warden)).toEqual(before);
    expect(statuses(report)).toEqual({
      dnsFirewall: 'unchanged',
      networkAcls: 'unchanged',
      networkFirewall: 'unchanged',
    });
  });

  it('puts every block back on a target switched off and on again in its first run, leaving the others alone', async () => {
    // Prepare
    const { warden, code } = await wardenWithBlocks();
    const off = policyWith({
      targets: {
        dnsFirewall: { mode: 'enforce' },
        networkAcls: { mode: 'enforce' },
        networkFirewall: { mode: 'off' },
      },
    });

    // Act
    withPolicy(warden, off);
    await enforceRun(warden, await deployCode());
    const whileOff = held(warden);
    const domainWrites = warden.dnsFirewall.calls;
    withPolicy(warden, policyWith());
    const back = await enforceRun(warden, code);

    // Assess
    expect(whileOff).toEqual({ ...ALL_HELD, firewall: { ips: [], domains: [] } });
    expect(held(warden)).toEqual(ALL_HELD);
    expect(statuses(back)).toMatchObject({ networkFirewall: 'applied', dnsFirewall: 'unchanged' });
    expect(warden.dnsFirewall.calls).toBe(domainWrites);
  });

  it('holds every block through a switch to alert mode and back, on every run', async () => {
    // Prepare
    const { warden, code } = await wardenWithBlocks();
    const alert = policyWith({
      targets: {
        dnsFirewall: { mode: 'alert' },
        networkAcls: { mode: 'alert' },
        networkFirewall: { mode: 'alert' },
      },
    });

    // Act
    const seen: ReturnType<typeof held>[] = [];
    for (const policy of [alert, alert, policyWith(), policyWith()]) {
      withPolicy(warden, policy);
      await enforceRun(warden, code);
      seen.push(held(warden));
    }

    // Assess
    expect(seen).toEqual([ALL_HELD, ALL_HELD, ALL_HELD, ALL_HELD]);
  });

  it('keeps every block when a VPC is added to the configuration, and lifts only one the new VPC protects', async () => {
    // Prepare
    const { warden, code } = await wardenWithBlocks();
    const input = { targets: policyWith().targets };
    const withVpc = (cidrs: string[]) => parsePolicy(input, { vpcCidrs: cidrs });

    // Act
    withPolicy(warden, withVpc(['10.20.0.0/16', '10.30.0.0/16']));
    await enforceRun(warden, await deployCode());
    const afterAdd = held(warden);
    withPolicy(warden, withVpc(['10.20.0.0/16', '10.30.0.0/16', '203.0.113.0/24']));
    await enforceRun(warden, code);

    // Assess
    expect(afterAdd).toEqual(ALL_HELD);
    expect(held(warden)).toEqual({
      ...ALL_HELD,
      denies: [IP],
      firewall: { ips: [IP], domains: [DOMAIN] },
    });
    expect((await warden.store.get(MANUAL_IP))?.status).toBe('lifted');
  });
});
