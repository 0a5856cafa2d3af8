/**
 * The entry of the benchmark bundle: every workload that times Egress Warden's own code, built by `bundled.ts`
 * with the functions' esbuild options so that the benchmark runs what Lambda and the CLI run, not tsx's output.
 */
export { benchAclPlannerScaling, benchBreakerCost, benchDecideReconcile } from './decide-reconcile';
export { benchNetworkFirewallRoom } from './network-firewall-room';
export { benchOverflowScaling } from './reconcile-overflow';
export { MANY_SEEN, measureScale, measureSimulate } from './scale-workload';
