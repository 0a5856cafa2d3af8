import { describe, expect, it } from 'vitest';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import { DeadlineReachedError, ThrottledError } from '#domain/errors';
import { blockedByRules } from '#domain/reconcile/network-firewall-plan';
import type { NetworkAclEntry } from '#domain/target';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { MAX_ENDINGS_PER_RUN, type ReconcileReport, reconcile } from '#shared/use-cases/enforce/reconcile';
import { type GuardDutyEvent, loadEvent } from '../support/events';
import {
  ACL_ID,
  createWarden,
  flowSignal,
  HOUR,
  MINUTE,
  manualSignal,
  policyWith,
  reservedDenies,
  reservedDenyCidrs,
  sampleSignal,
  signalFrom,
  targetState,
  USUAL_EGRESS,
  VPC_ID,
  type Warden,
  withPolicy,
} from '../support/warden';

const DOMAIN = 'guarddutyc2activityb.com';
const IP = '198.51.100.77/32';
const OTHER_ACL_ID = 'acl-0fedcba9876543210';

/** A domain and an IP blocked by GuardDuty findings, so that every target has something to hold. */
async function blockDomainAndIp(warden: Warden): Promise<void> {
  await decideSignal(sampleSignal('guardduty/c2-domain.json', warden), warden.deps);
  await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
}

function statusOf(report: ReconcileReport): Record<string, string> {
  return Object.fromEntries(report.targets.map((t) => [t.target, t.status]));
}

function blockedByFirewall(warden: Warden): string[] {
  return warden.networkFirewall
    .snapshot()
    .rules.split('\n')
    .filter((line) => line.startsWith('drop '))
    .flatMap((line) => Object.values(blockedByRules(line)).flat());
}

describe('reconcile', () => {
  it('enforces a new block on the DNS Firewall, the network ACL and the Network Firewall', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(statusOf(report)).toEqual({
      dnsFirewall: 'applied',
      networkAcls: 'applied',
      networkFirewall: 'applied',
    });
    expect(warden.dnsFirewall.snapshot()).toEqual([`*.${DOMAIN}`, DOMAIN]);
    expect(reservedDenies(warden)).toEqual([IP]);
    expect(blockedByFirewall(warden).sort()).toEqual([IP, DOMAIN, DOMAIN]);
  });

  it('keeps a first-offence block for 4 hours, then removes it from every target', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    const empty = targetState(createWarden());

    // Act
    warden.clock.advance(4 * HOUR - MINUTE);
    const before = await reconcile(warden.deps);
    warden.clock.advance(2 * MINUTE);
    const after = await reconcile(warden.deps);

    // Assess
    expect(before.ended).toEqual([]);
    expect(statusOf(before)).toEqual({
      dnsFirewall: 'unchanged',
      networkAcls: 'unchanged',
      networkFirewall: 'unchanged',
    });
    expect(after.ended.map((e) => [e.indicator, e.outcome]).sort()).toEqual([
      [IP, 'unblocked'],
      [DOMAIN, 'unblocked'],
    ]);
    for (const ended of after.ended) expect(ended.reason).toMatch(/^expired at /);
    expect(targetState(warden)).toEqual(empty);
    expect(await warden.store.listActive()).toEqual([]);
    expect((await warden.store.get(DOMAIN))?.status).toBe('expired');
    expect(warden.alerts.published.filter((a) => a.subject.includes('EXPIRED'))).toHaveLength(2);
  });

  it('ends an expired block only once', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    warden.clock.advance(5 * HOUR);
    await reconcile(warden.deps);

    // Act
    const again = await reconcile(warden.deps);

    // Assess
    expect(again.ended).toEqual([]);
    expect(warden.alerts.published.filter((a) => a.subject.includes('EXPIRED'))).toHaveLength(2);
  });

  it('leaves the targets as they are when a finding is re-published or seen again', async () => {
    // Prepare
    const warden = createWarden();
    await decideSignal(sampleSignal('guardduty/c2-ip-outbound.json', warden), warden.deps);
    await reconcile(warden.deps);
    const before = targetState(warden);
    warden.clock.advance(HOUR);
    const later = loadEvent<GuardDutyEvent>('guardduty/c2-ip-republished.json');
    later.detail.service.eventLastSeen = '2026-11-28T10:59:00.000Z';

    // Act
    const duplicate = await decideSignal(
      sampleSignal('guardduty/c2-ip-republished.json', warden),
      warden.deps,
    );
    const extended = await decideSignal(signalFrom(later, warden), warden.deps);
    const report = await reconcile(warden.deps);

    // Assess
    expect([duplicate.skipReason, extended.outcome]).toEqual(['duplicate', 'extended']);
    expect(targetState(warden)).toEqual(before);
    expect(report.targets.every((t) => t.status === 'unchanged' || t.status === 'off')).toBe(true);
  });

  it('changes nothing when it runs a second time', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    const before = targetState(warden);
    const calls = [warden.dnsFirewall.calls, warden.networkAcls.calls, warden.networkFirewall.calls];
    const alerts = warden.alerts.published.length;

    // Act
    const second = await reconcile(warden.deps);

    // Assess
    expect(second.ended).toEqual([]);
    expect(second.targets.map((t) => [t.target, t.status, t.changes])).toEqual([
      ['dnsFirewall', 'unchanged', 0],
      ['networkAcls', 'unchanged', 0],
      ['networkFirewall', 'unchanged', 0],
    ]);
    expect(targetState(warden)).toEqual(before);
    expect([warden.dnsFirewall.calls, warden.networkAcls.calls, warden.networkFirewall.calls]).toEqual(calls);
    expect(warden.alerts.published).toHaveLength(alerts);
  });

  it('lifts a block from every target on an unblock request', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);

    // Act
    await decideSignal(manualSignal(IP, warden, 'Unblock Request'), warden.deps);
    await decideSignal(manualSignal(DOMAIN, warden, 'Unblock Request'), warden.deps);
    const report = await reconcile(warden.deps);

    // Assess
    expect(statusOf(report)).toEqual({
      dnsFirewall: 'applied',
      networkAcls: 'applied',
      networkFirewall: 'applied',
    });
    expect(targetState(warden)).toEqual(targetState(createWarden()));
  });

  it('lifts an existing block when its indicator is allowlisted', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    withPolicy(warden, policyWith({ allowlist: { domains: [DOMAIN] } }));

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(report.ended).toHaveLength(1);
    expect(report.ended[0]).toMatchObject({ indicator: DOMAIN, outcome: 'unblocked' });
    expect(report.ended[0]?.reason).toMatch(/lifted/);
    expect(report.ended[0]?.reason).toMatch(/allowlisted/);
    expect(warden.dnsFirewall.snapshot()).toEqual([]);
    expect(blockedByFirewall(warden)).toEqual([IP]);
    expect(reservedDenies(warden)).toEqual([IP]);
    expect((await warden.store.get(DOMAIN))?.status).toBe('lifted');
  });

  it('changes nothing for a request to block 0.0.0.0/0', async () => {
    // Prepare
    const warden = createWarden();
    const initial = targetState(warden);
    const everything = signalFrom(loadEvent('invalid/manual-block-everything.json'), warden);

    // Act
    await decideSignal(everything, warden.deps);
    const report = await reconcile(warden.deps);

    // Assess
    expect(warden.store.snapshot().decisions).toEqual([]);
    expect(report.targets.map((t) => t.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(targetState(warden)).toEqual(initial);
  });

  it('lifts a stored indicator that got past the parser instead of writing it or failing a target', async () => {
    // Prepare
    const warden = createWarden();
    const genuine = sampleSignal('guardduty/c2-domain.json', warden);
    const value = 'evil.example.org"; sid:1;) pass ip any any -> any any (msg:"x';
    const forged = {
      ...genuine,
      indicator: { kind: 'domain' as const, value, wildcard: false, registeredDomain: 'example.org' },
    };
    await decideSignal(forged, warden.deps);
    await decideSignal(genuine, warden.deps);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(statusOf(report)).toMatchObject({ dnsFirewall: 'applied', networkFirewall: 'applied' });
    expect(report.ended).toEqual([
      expect.objectContaining({
        indicator: value,
        reason: expect.stringContaining('stored indicator is invalid'),
      }),
    ]);
    expect(warden.dnsFirewall.snapshot()).toEqual([`*.${genuine.indicator.value}`, genuine.indicator.value]);
    expect(warden.networkFirewall.snapshot().rules).not.toContain('sid:1;');
    expect((await warden.deps.store.get(value))?.status).toBe('lifted');
  });

  it('reports a failing target while it still applies the others, and repairs it on the next run', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    warden.networkFirewall.injectFailure(new ThrottledError('Rate exceeded', 'ThrottlingException'));

    // Act
    const first = await reconcile(warden.deps);
    const rulesAfterFailure = warden.networkFirewall.snapshot().rules;
    const second = await reconcile(warden.deps);

    // Assess
    expect(first.targets).toContainEqual(
      expect.objectContaining({
        target: 'networkFirewall',
        status: 'failed',
        error: expect.stringContaining('Rate exceeded'),
      }),
    );
    expect(statusOf(first)).toMatchObject({ dnsFirewall: 'applied', networkAcls: 'applied' });
    expect(rulesAfterFailure).toBe('');
    expect(warden.alerts.published.map((a) => a.subject)).toContain(
      '[Egress Warden] FAILED to update networkFirewall',
    );
    expect(statusOf(second)).toEqual({
      dnsFirewall: 'unchanged',
      networkAcls: 'unchanged',
      networkFirewall: 'applied',
    });
    expect(blockedByFirewall(warden).sort()).toEqual([IP, DOMAIN, DOMAIN]);
  });

  it('puts back a deny that someone deleted from the reserved range', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    const ours = targetState(warden).acl.find((e) => e.cidr === IP);
    await warden.networkAcls.deleteEgressEntry(ACL_ID, ours?.ruleNumber ?? 0);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(statusOf(report)).toEqual({
      dnsFirewall: 'unchanged',
      networkAcls: 'applied',
      networkFirewall: 'unchanged',
    });
    expect(reservedDenies(warden)).toEqual([IP]);
  });

  it('keeps an allow that someone wrote in the reserved range, writes no useless deny and fails loudly', async () => {
    // Prepare
    const stray: NetworkAclEntry = { ruleNumber: 1, cidr: '0.0.0.0/0', action: 'allow', protocol: '-1' };
    const warden = createWarden({ egress: [stray, ...USUAL_EGRESS] });
    await blockDomainAndIp(warden);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    const reserved = targetState(warden).acl.filter((e) => e.ruleNumber <= 18);
    expect(reserved).toEqual([stray]);
    expect(report.targets.find((t) => t.target === 'networkAcls')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('allow rule 1 (0.0.0.0/0)'),
    });
  });

  it('never touches entries outside the reserved range', async () => {
    // Prepare
    const outside: NetworkAclEntry[] = [
      { ruleNumber: 19, cidr: '192.0.2.0/24', action: 'allow', protocol: '6' },
      { ruleNumber: 50, cidr: IP, action: 'deny', protocol: '-1' },
      ...USUAL_EGRESS,
    ];
    const warden = createWarden({ egress: outside });
    await blockDomainAndIp(warden);

    // Act
    await reconcile(warden.deps);
    const whileBlocked = targetState(warden).acl.filter((e) => e.ruleNumber > 18);
    warden.clock.advance(5 * HOUR);
    await reconcile(warden.deps);

    // Assess
    const afterExpiry = targetState(warden).acl.filter((e) => e.ruleNumber > 18 && e.ruleNumber < 32767);
    expect(afterExpiry).toEqual(outside.slice().sort((a, b) => a.ruleNumber - b.ruleNumber));
    expect(whileBlocked.filter((e) => e.ruleNumber < 32767)).toEqual(afterExpiry);
  });

  it('overflows the lowest-severity and oldest IP blocks when the ACL is full, and alerts once', async () => {
    // Prepare: 4 entries per family, 2 of them taken by the allow at 100 and the default rule.
    const policy = policyWith({
      targets: {
        dnsFirewall: { mode: 'enforce' },
        networkAcls: { mode: 'enforce', maxEntriesPerFamily: 4 },
        networkFirewall: { mode: 'enforce' },
      },
    });
    const warden = createWarden({ policy });
    for (const [ip, severity] of [
      ['198.51.100.10', 9],
      ['198.51.100.20', 8],
      ['198.51.100.30', 8],
      ['198.51.100.40', 7],
    ] as const) {
      await decideSignal(flowSignal(ip, severity, warden), warden.deps);
      warden.clock.advance(MINUTE);
    }

    // Act
    const first = await reconcile(warden.deps);
    const second = await reconcile(warden.deps);

    // Assess
    const acls = first.targets.find((t) => t.target === 'networkAcls');
    expect(acls?.status).toBe('applied');
    expect([...(acls?.overflow ?? [])].sort()).toEqual(['198.51.100.20/32', '198.51.100.40/32']);
    expect(reservedDenies(warden)).toEqual(['198.51.100.10/32', '198.51.100.30/32']);
    expect(blockedByFirewall(warden)).toHaveLength(4);
    expect((await warden.store.get('198.51.100.20/32'))?.overflow).toEqual(['networkAcls']);
    expect((await warden.store.get('198.51.100.10/32'))?.overflow ?? []).toEqual([]);
    const overflowAlerts = warden.alerts.published.filter((a) => a.subject.includes('OVERFLOW'));
    expect(overflowAlerts).toHaveLength(1);
    expect([...(overflowAlerts[0]?.evidence ?? [])].sort()).toEqual([
      '198.51.100.20/32 (severity 8)',
      '198.51.100.40/32 (severity 7)',
    ]);
    expect(second.targets.find((t) => t.target === 'networkAcls')).toMatchObject({ status: 'unchanged' });
  });

  it('keeps the recorded overflow while a target fails, so the overflow alert is not sent again', async () => {
    // Prepare: 3 entries per family, 2 of them taken by the allow at 100 and the default rule.
    const policy = policyWith({
      targets: {
        dnsFirewall: { mode: 'enforce' },
        networkAcls: { mode: 'enforce', maxEntriesPerFamily: 3 },
        networkFirewall: { mode: 'enforce' },
      },
    });
    const warden = createWarden({ policy });
    await decideSignal(flowSignal('198.51.100.10', 9, warden), warden.deps);
    await decideSignal(flowSignal('198.51.100.20', 7, warden), warden.deps);
    await reconcile(warden.deps);
    const ours = targetState(warden).acl.find((e) => e.cidr === '198.51.100.10/32');
    await warden.networkAcls.deleteEgressEntry(ACL_ID, ours?.ruleNumber ?? 0);
    warden.networkAcls.injectFailure(new ThrottledError('Rate exceeded', 'RequestLimitExceeded'));

    // Act
    const failed = await reconcile(warden.deps);
    const overflowDuringFailure = (await warden.store.get('198.51.100.20/32'))?.overflow;
    await reconcile(warden.deps);

    // Assess
    expect(statusOf(failed).networkAcls).toBe('failed');
    expect(overflowDuringFailure).toEqual(['networkAcls']);
    expect(reservedDenies(warden)).toEqual(['198.51.100.10/32']);
    expect(warden.alerts.published.filter((a) => a.subject.includes('OVERFLOW'))).toHaveLength(1);
  });

  it('holds new blocks in alert mode and writes nothing while nothing ends', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ targets: {} }) });
    const alertMode = warden.deps.policy;
    withPolicy(warden, policyWith());
    await blockDomainAndIp(warden);
    withPolicy(warden, alertMode);
    const before = targetState(warden);

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    expect(report.targets.map((t) => [t.target, t.mode, t.status])).toEqual([
      ['dnsFirewall', 'alert', 'held'],
      ['networkAcls', 'alert', 'held'],
      ['networkFirewall', 'alert', 'held'],
    ]);
    for (const target of report.targets) {
      expect(target.held).toBeGreaterThan(0);
      expect(target.changes).toBe(0);
    }
    expect(targetState(warden)).toEqual(before);
  });

  it('does not say an expired block left the network ACLs when one of them could not be written', async () => {
    // Prepare: two ACLs hold the block; at expiry the first delete fails, the second ACL is still cleaned.
    const warden = createWarden();
    const acls = new InMemoryNetworkAcls(
      [
        { aclId: ACL_ID, vpcId: VPC_ID, egress: USUAL_EGRESS },
        { aclId: OTHER_ACL_ID, vpcId: VPC_ID, egress: USUAL_EGRESS },
      ],
      { maxEntriesPerFamily: 20 },
    );
    warden.deps = { ...warden.deps, networkAcls: acls, dnsFirewall: undefined, networkFirewall: undefined };
    await decideSignal(flowSignal('198.51.100.10', 9, warden), warden.deps);
    await reconcile(warden.deps);
    warden.clock.advance(5 * HOUR);
    acls.injectFailure(new ThrottledError('Rate exceeded', 'RequestLimitExceeded'));

    // Act
    const report = await reconcile(warden.deps);

    // Assess
    const denies = acls.snapshot().map((acl) => reservedDenyCidrs(acl.egress));
    expect(denies).toEqual([['198.51.100.10/32'], []]);
    expect(statusOf(report).networkAcls).toBe('applied');
    const expired = warden.alerts.published.find((a) => a.subject.includes('EXPIRED'));
    expect(expired?.message).not.toContain('removed from networkAcls');
    expect(expired?.message).toContain(`NOT CONFIRMED for networkAcls (${ACL_ID} failed: ThrottledError`);
  });

  it('still removes expired blocks from a target in alert mode, and keeps the rest', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    warden.clock.advance(HOUR);
    await decideSignal(manualSignal('203.0.113.9', warden), warden.deps);
    await reconcile(warden.deps);
    withPolicy(warden, policyWith({ targets: {} }));

    // Act
    warden.clock.advance(3 * HOUR + MINUTE);
    const report = await reconcile(warden.deps);

    // Assess
    expect(report.ended.map((e) => e.indicator).sort()).toEqual([IP, DOMAIN].sort());
    expect(warden.dnsFirewall.snapshot()).toEqual([]);
    expect(reservedDenies(warden)).toEqual(['203.0.113.9/32']);
    expect(blockedByFirewall(warden)).toEqual(['203.0.113.9/32']);
    expect(report.targets.map((t) => t.status)).toEqual(['applied', 'applied', 'applied']);
    const expired = warden.alerts.published.filter((a) => a.subject.includes('EXPIRED'));
    expect(expired).toHaveLength(2);
    for (const alert of expired)
      expect(alert.message).toMatch(/Targets: removed from \w+(; removed from \w+)*\./);
  });

  it('keeps enforcing, expiring and unblocking while the breaker is open', async () => {
    // Prepare
    const warden = createWarden({ policy: policyWith({ breaker: { maxNewBlocksPerHour: 2 } }) });
    await blockDomainAndIp(warden);
    const tripped = await decideSignal(flowSignal('198.51.100.9', 9, warden), warden.deps);
    const manual = await decideSignal(manualSignal('203.0.113.9', warden), warden.deps);

    // Act
    const first = await reconcile(warden.deps);
    const unblock = await decideSignal(manualSignal(IP, warden, 'Unblock Request'), warden.deps);
    const second = await reconcile(warden.deps);

    // Assess
    expect((await warden.store.getBreaker()).open).toBe(true);
    expect(tripped.skipReason).toBe('breaker-open');
    expect(manual.outcome).toBe('blocked');
    expect(first.targets.map((t) => t.status)).toEqual(['applied', 'applied', 'applied']);
    expect(unblock.outcome).toBe('unblocked');
    expect(second.targets.map((t) => t.status)).toEqual(['unchanged', 'applied', 'applied']);
    expect(warden.dnsFirewall.snapshot()).toEqual([`*.${DOMAIN}`, DOMAIN]);
    expect(reservedDenies(warden)).toEqual(['203.0.113.9/32']);
    expect(blockedByFirewall(warden).sort()).toEqual(['203.0.113.9/32', DOMAIN, DOMAIN].sort());
  });

  it('empties a target switched off of every entry of ours', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    withPolicy(
      warden,
      policyWith({
        targets: {
          dnsFirewall: { mode: 'off' },
          networkAcls: { mode: 'off' },
          networkFirewall: { mode: 'off' },
        },
      }),
    );

    // Act
    const report = await reconcile(warden.deps);
    const again = await reconcile(warden.deps);

    // Assess
    expect(report.targets.map((t) => [t.mode, t.status])).toEqual([
      ['off', 'applied'],
      ['off', 'applied'],
      ['off', 'applied'],
    ]);
    expect(targetState(warden)).toEqual(targetState(createWarden()));
    expect(again.targets.map((t) => t.status)).toEqual(['off', 'off', 'off']);
  });

  it('writes the network ACL and the Network Firewall while the DNS Firewall list stays UPDATING', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    const list = warden.dnsFirewall;
    let finishUpdating = (): void => {};
    const updating = new Promise<void>((resolve) => {
      finishUpdating = resolve;
    });
    let writes = 0;
    warden.deps = {
      ...warden.deps,
      dnsFirewall: {
        listDomains: () => list.listDomains(),
        status: () => list.status(),
        // The write is taken, then the list stays UPDATING until the test lets it finish.
        updateDomains: async (operation, domains) => {
          writes++;
          await list.updateDomains(operation, domains);
          await updating;
        },
      },
    };

    // Act
    const running = reconcile(warden.deps);
    await new Promise((resolve) => setImmediate(resolve));
    const whileUpdating = { acl: reservedDenies(warden), firewall: blockedByFirewall(warden).sort() };
    finishUpdating();
    const report = await running;

    // Assess
    expect(writes).toBe(1);
    expect(whileUpdating).toEqual({ acl: [IP], firewall: [IP, DOMAIN, DOMAIN] });
    expect(report.targets.map((t) => [t.target, t.status])).toEqual([
      ['dnsFirewall', 'applied'],
      ['networkAcls', 'applied'],
      ['networkFirewall', 'applied'],
    ]);
  });

  it('stops a run at its deadline between two DNS Firewall writes, and the next run finishes with no gap', async () => {
    // Prepare
    const warden = createWarden();
    await blockDomainAndIp(warden);
    await reconcile(warden.deps);
    const enforced = targetState(warden);
    for (let i = 0; i < 1_200; i++) {
      await decideSignal(manualSignal(`host-${i}.example.net`, warden), warden.deps);
    }
    const list = warden.dnsFirewall;
    const updatingMs = 30_000;
    let updatingUntil = 0;
    warden.deps = {
      ...warden.deps,
      dnsFirewall: {
        listDomains: () => list.listDomains(),
        status: () => list.status(),
        // As the AWS adapter does: no write while the list is UPDATING past the deadline, and the wait after
        // a write ends at the deadline at the latest.
        updateDomains: async (operation, domains, options) => {
          const now = warden.clock.now().getTime();
          const deadline = now + (options?.withinMs ?? Number.POSITIVE_INFINITY);
          if (updatingUntil > deadline) throw new DeadlineReachedError('still UPDATING at the deadline');
          if (updatingUntil > now) warden.clock.advance(updatingUntil - now);
          await list.updateDomains(operation, domains);
          updatingUntil = warden.clock.now().getTime() + updatingMs;
          warden.clock.advance(Math.min(updatingUntil, deadline) - warden.clock.now().getTime());
        },
      },
    };
    const deadlineIn = (ms: number) => new Date(warden.clock.now().getTime() + ms);

    // Act
    const first = await reconcile(warden.deps, { deadline: deadlineIn(45_000) });
    const between = targetState(warden);
    warden.clock.advance(MINUTE);
    const second = await reconcile(warden.deps, { deadline: deadlineIn(45_000) });

    // Assess
    expect(first.cutShort).toBe(true);
    expect(first.targets[0]).toMatchObject({ target: 'dnsFirewall', status: 'partial', changes: 2, left: 1 });
    expect(between.domains).toHaveLength(2 + 2_000);
    expect(between.domains).toEqual(expect.arrayContaining(enforced.domains));
    expect(between.acl).toEqual(enforced.acl);
    expect(second.cutShort).toBe(false);
    expect(second.targets[0]).toMatchObject({ status: 'applied', changes: 1 });
    expect(targetState(warden).domains).toHaveLength(2 + 2_400);
  });

  it('expires 1,001 blocks with a few batched writes per target, and ends the last one in the next run', async () => {
    // Prepare
    const warden = createWarden();
    for (let i = 0; i < 996; i++) {
      await decideSignal(manualSignal(`host-${i}.example.net`, warden), warden.deps);
    }
    for (let i = 0; i < 5; i++) {
      await decideSignal(manualSignal(`198.51.100.${10 + 20 * i}`, warden), warden.deps);
    }
    await reconcile(warden.deps);
    const denies = reservedDenies(warden).length;
    const calls = () => ({
      dnsFirewall: warden.dnsFirewall.calls,
      networkAcls: warden.networkAcls.calls,
      networkFirewall: warden.networkFirewall.calls,
    });
    const before = calls();
    warden.clock.advance(8 * 24 * HOUR);

    // Act
    const expiry = await reconcile(warden.deps);
    const after = calls();
    const next = await reconcile(warden.deps);

    // Assess
    expect(denies).toBeGreaterThan(0);
    expect({
      dnsFirewall: after.dnsFirewall - before.dnsFirewall,
      networkAcls: after.networkAcls - before.networkAcls,
      networkFirewall: after.networkFirewall - before.networkFirewall,
    }).toEqual({ dnsFirewall: 2, networkAcls: denies, networkFirewall: 1 });
    expect(targetState(warden)).toEqual(targetState(createWarden()));
    expect(expiry).toMatchObject({ deferred: 1, cutShort: true });
    expect(expiry.ended).toHaveLength(MAX_ENDINGS_PER_RUN);
    expect(next).toMatchObject({ deferred: 0, cutShort: false });
    expect(next.ended).toHaveLength(1);
    expect(calls()).toEqual(after);
  });

  it('spends at most a third of its time budget marking expired blocks ended, and leaves the rest for later', async () => {
    // Prepare
    const warden = createWarden();
    for (let i = 0; i < 150; i++) {
      await decideSignal(manualSignal(`host-${i}.example.net`, warden), warden.deps);
    }
    await reconcile(warden.deps);
    warden.clock.advance(8 * 24 * HOUR);
    const store = warden.deps.store;
    // Each conditional write takes 100 ms.
    warden.deps = {
      ...warden.deps,
      store: new Proxy(store, {
        get: (target, property) => {
          if (property !== 'put') {
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          }
          return async (...args: Parameters<typeof store.put>) => {
            warden.clock.advance(100);
            return target.put(...args);
          };
        },
      }),
    };
    const started = warden.clock.now().getTime();

    // Act
    const report = await reconcile(warden.deps, { deadline: new Date(started + 30_000) });

    // Assess
    expect(report.ended.length).toBeGreaterThan(0);
    expect(report.ended.length).toBeLessThan(150);
    expect(report).toMatchObject({ deferred: 150 - report.ended.length, cutShort: true });
    expect(warden.clock.now().getTime() - started).toBeLessThanOrEqual(11_000);
    expect(targetState(warden)).toEqual(targetState(createWarden()));
  });
});
