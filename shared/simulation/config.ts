/**
 * The simulation's configuration: the same file as a deployment's (`shared/config/config.ts`), of which the
 * in-memory targets need every VPC's CIDRs and network ACLs listed, since there is no EC2 to read them from.
 */
import { InvalidInputError } from '#domain/errors';
import type { Policy } from '#domain/policy';
import { listedCidrs, parseConfig, policyOf, type WardenConfig } from '#shared/config/config';

/** A validated configuration whose VPCs list their CIDRs and ACLs, and its policy. */
export interface SimulationConfig {
  readonly config: WardenConfig;
  readonly policy: Policy;
  readonly vpcs: readonly { vpcId: string; cidrs: readonly string[]; networkAcls: readonly string[] }[];
}

/** The embedded default: every target enforcing, one VPC with one ACL, a partner domain allowlisted. */
export const DEFAULT_SIMULATION_CONFIG = {
  vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'], networkAcls: ['acl-0123456789abcdef0'] }],
  targets: { networkFirewall: { capacity: 1000 } },
  policy: {
    allowlist: { domains: ['partner-cdn.example.net'], cidrs: ['192.0.2.0/28'] },
    guardRails: { protectedDomains: ['corp.example.com'] },
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce', domainRules: true },
    },
  },
} as const;

/**
 * Validates a simulation configuration (the default when none is given); without `vpcs`, the default VPC is
 * used. Throws InvalidInputError naming the field.
 */
export function parseSimulationConfig(input: unknown = DEFAULT_SIMULATION_CONFIG): SimulationConfig {
  const withVpcs =
    typeof input === 'object' && input !== null && !Array.isArray(input) && !('vpcs' in input)
      ? { vpcs: DEFAULT_SIMULATION_CONFIG.vpcs, ...input }
      : input;
  const config = parseConfig(withVpcs);
  const vpcs = config.vpcs.map(({ vpcId, cidrs, networkAcls }, i) => {
    if (!cidrs) throw new InvalidInputError('the simulation needs the VPC CIDRs listed', `vpcs[${i}].cidrs`);
    if (!networkAcls) {
      throw new InvalidInputError('the simulation needs the network ACLs listed', `vpcs[${i}].networkAcls`);
    }
    return { vpcId, cidrs, networkAcls };
  });
  return { config, policy: policyOf(config, { vpcCidrs: listedCidrs(config) }), vpcs };
}
