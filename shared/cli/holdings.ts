/** What each deployed target holds for an indicator, read with the deployment's own adapters, for `explain`. */

import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { AwsNetworkFirewallRuleGroup } from '#adapters/aws/network-firewall';
import type { Indicator } from '#domain/indicator';
import type { WardenConfig } from '#shared/config/config';
import { type TargetHolding, targetHoldings } from '#shared/use-cases/target-holdings';
import type { CliContext } from './context';

/** Reads the deployed targets; one that cannot be read is reported with its error, never fails the command. */
export async function readHoldings(
  ctx: CliContext,
  indicator: Indicator,
  config: WardenConfig,
): Promise<TargetHolding[]> {
  const deployment = await ctx.deployment();
  const { domainListId, ruleGroupArn } = deployment;
  return targetHoldings(indicator, {
    store: await ctx.store(),
    networkAcls: config.targets.networkAcls.deploy,
    ...(domainListId && {
      dnsFirewall: new Route53ResolverDomainList({
        client: await ctx.clients.route53Resolver(),
        domainListId,
      }),
    }),
    ...(ruleGroupArn && {
      networkFirewall: new AwsNetworkFirewallRuleGroup({
        client: await ctx.clients.networkFirewall(),
        ruleGroupArn,
      }),
    }),
  });
}

/** The holdings as lines for a person. */
export function holdingLines(holdings: readonly TargetHolding[]): string[] {
  if (holdings.length === 0) return ['  no target is deployed'];
  return holdings.map(({ target, entries, readFrom, error }) => {
    const where = readFrom === 'ledger' ? ' (from the ledger of entries Egress Warden wrote)' : '';
    if (error) return `  ${target}: could not be read: ${error}`;
    return entries.length === 0
      ? `  ${target}: holds nothing for it${where}`
      : `  ${target}: ${entries.join(', ')}${where}`;
  });
}
