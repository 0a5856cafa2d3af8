/**
 * The simulation's configuration: the policy plus the little of an AWS account the in-memory targets need
 * (VPCs with their IPv4 and IPv6 CIDRs and network ACLs, the rule group's capacity). The VPCs' CIDRs are the
 * policy context's `vpcCidrs`, as in a deployment.
 */
import * as v from 'valibot';
import { type Policy, parseNetwork, parsePolicy } from '#domain/policy';
import { parseWith } from '#domain/validate';

const ConfigSchema = v.strictObject({
  policy: v.optional(v.unknown()),
  vpcs: v.optional(
    v.pipe(
      v.array(
        v.strictObject({
          vpcId: v.pipe(v.string(), v.regex(/^vpc-[0-9a-f]{8,17}$/, 'must look like vpc-0123456789abcdef0')),
          cidrs: v.pipe(v.array(v.string()), v.minLength(1)),
          networkAcls: v.pipe(
            v.array(
              v.pipe(v.string(), v.regex(/^acl-[0-9a-f]{8,17}$/, 'must look like acl-0123456789abcdef0')),
            ),
            v.minLength(1),
          ),
        }),
      ),
      v.minLength(1),
    ),
  ),
  networkFirewall: v.optional(
    v.strictObject({ capacity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30_000)) }),
  ),
});

export interface SimulationConfig {
  readonly policy: Policy;
  readonly vpcs: readonly { vpcId: string; cidrs: readonly string[]; networkAcls: readonly string[] }[];
  readonly networkFirewallCapacity: number;
}

/** The embedded default: every target enforcing, one VPC with one ACL, a partner domain allowlisted. */
export const DEFAULT_SIMULATION_CONFIG = {
  policy: {
    allowlist: { domains: ['partner-cdn.example.net'], cidrs: ['192.0.2.0/28'] },
    guardRails: { protectedDomains: ['corp.example.com'] },
    targets: {
      dnsFirewall: { mode: 'enforce' },
      networkAcls: { mode: 'enforce' },
      networkFirewall: { mode: 'enforce', domainRules: true },
    },
  },
  vpcs: [{ vpcId: 'vpc-0a1b2c3d4e5f60718', cidrs: ['10.20.0.0/16'], networkAcls: ['acl-0123456789abcdef0'] }],
  networkFirewall: { capacity: 1000 },
} as const;

/** Validates a simulation configuration (the default when none is given). Throws InvalidInputError naming the field. */
export function parseSimulationConfig(input: unknown = DEFAULT_SIMULATION_CONFIG): SimulationConfig {
  const raw = parseWith(ConfigSchema, input);
  const vpcs = raw.vpcs ?? DEFAULT_SIMULATION_CONFIG.vpcs;
  const vpcCidrs = vpcs.flatMap((vpc, i) =>
    vpc.cidrs.map((cidr, j) => parseNetwork(cidr, `vpcs[${i}].cidrs[${j}]`)),
  );
  return {
    policy: parsePolicy(raw.policy, { vpcCidrs }),
    vpcs,
    networkFirewallCapacity: raw.networkFirewall?.capacity ?? 1000,
  };
}
