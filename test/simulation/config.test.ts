import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#domain/errors';
import { parseSimulationConfig } from '#shared/simulation/config';

const VPC = { vpcId: 'vpc-0a1b2c3d4e5f60718', networkAcls: ['acl-0123456789abcdef0'] };

/** The message parseSimulationConfig throws for `input`, or 'accepted'. */
function errorOf(input: unknown): string {
  try {
    parseSimulationConfig(input);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
}

describe('parseSimulationConfig', () => {
  it('gives the VPC CIDRs, IPv6 included, to the policy as its VPC context, beside the protected CIDRs', () => {
    // Prepare
    const input = {
      policy: { guardRails: { protectedCidrs: ['198.51.100.0/24'] } },
      vpcs: [{ ...VPC, cidrs: ['10.30.0.0/16', '2600:1f18:5:a00::/56'] }],
    };

    // Act
    const config = parseSimulationConfig(input);

    // Assess
    expect(config.policy.guardRails.vpcCidrs).toEqual(['10.30.0.0/16', '2600:1f18:5:a00::/56']);
    expect(config.policy.guardRails.protectedCidrs).toEqual(['198.51.100.0/24']);
  });

  it('names the VPC CIDR that is not a CIDR', () => {
    // Act
    const message = errorOf({ vpcs: [{ ...VPC, cidrs: ['10.30.0.0/16', 'corp.example.com'] }] });

    // Assess
    expect(message).toMatch(/^vpcs\[0\]\.cidrs\[1\]: /);
  });

  it('refuses a policy that is not an object', () => {
    // Act
    const message = errorOf({ policy: 5 });

    // Assess
    expect(message).toMatch(/^policy: /);
  });

  it('refuses protected CIDRs that are not a list, naming the field', () => {
    // Act
    const message = errorOf({ policy: { guardRails: { protectedCidrs: '10.0.0.0/8' } } });

    // Assess
    expect(message).toMatch(/^policy\.guardRails\.protectedCidrs: /);
  });
});
