import { InMemoryAlerts } from '#adapters/in-memory/alerts';
import { ManualClock } from '#adapters/in-memory/clock';
import { InMemoryDecisionStore } from '#adapters/in-memory/decision-store';
import { InMemoryDnsFirewall } from '#adapters/in-memory/dns-firewall';
import { InMemoryNetworkAcls } from '#adapters/in-memory/network-acls';
import { InMemoryNetworkFirewall } from '#adapters/in-memory/network-firewall';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { reconcile } from '#shared/use-cases/reconcile';
import { benchPolicy, feedSignal, indicatorMix } from './fixtures';

const policy = benchPolicy();
const clock = new ManualClock(new Date('2026-11-28T10:00:00Z'));
const deps = {
  policy, clock, store: new InMemoryDecisionStore(), alerts: new InMemoryAlerts(),
  dnsFirewall: new InMemoryDnsFirewall(),
  networkAcls: new InMemoryNetworkAcls([{ aclId: 'acl-0123456789abcdef0', vpcId: 'vpc-0123456789abcdef0' }], { maxEntriesPerFamily: 20 }),
  networkFirewall: new InMemoryNetworkFirewall({ capacity: 30000 }),
};
const n = Number(process.argv[2] ?? 1000);
let t = performance.now();
const inds = indicatorMix('a', { domains: Math.round(n * 0.7), ipv4: Math.round(n * 0.2), ipv6: Math.round(n * 0.1) });
console.log('gen', performance.now() - t);
t = performance.now();
let i = 0;
for (const ind of inds) { const r = await decideSignal(feedSignal(ind, clock.now(), `k${i++}`), deps); if (r.outcome !== 'blocked') { console.log(r); break; } }
console.log('decide', performance.now() - t);
t = performance.now();
const rep = await reconcile(deps);
console.log('reconcile', performance.now() - t, rep.targets.map(x => [x.target, x.status, x.changes, x.overflow.length, x.error]));
t = performance.now();
const rep2 = await reconcile(deps);
console.log('reconcile2', performance.now() - t, rep2.targets.map(x => [x.target, x.status, x.changes, x.overflow.length]));
