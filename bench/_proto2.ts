import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import { planNetworkFirewall } from '#domain/reconcile/network-firewall-plan';
import { planDnsFirewall } from '#domain/reconcile/dns-firewall-plan';
import { protectionOf } from '#domain/policy';
import { benchPolicy, indicatorMix } from './fixtures';
const policy = benchPolicy();
for (const n of [300, 600, 900]) {
  const inds = indicatorMix('a', { domains: 0, ipv4: Math.round(n * 2/3), ipv6: Math.round(n/3) });
  const desired = inds.map((indicator) => ({ indicator, severity: 8, since: '2026-11-28T10:00:00.000Z', expiresAt: null }));
  let t = performance.now();
  planNetworkAcl({ aclId: 'acl-1', vpcId: 'vpc-1', egress: [] }, desired, {});
  console.log(n, 'nacl', performance.now() - t);
  t = performance.now();
  planNetworkFirewall(desired, { rules: '', updateToken: 'x', capacity: 30000 });
  console.log(n, 'nfw', performance.now() - t);
  t = performance.now();
  for (const i of inds) protectionOf(i, policy);
  console.log(n, 'protection', performance.now() - t);
}
