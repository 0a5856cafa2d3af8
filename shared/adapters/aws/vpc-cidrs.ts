/**
 * The managed VPCs' own CIDR blocks, read from EC2 (`DescribeVpcs`) for the policy context's required
 * `vpcCidrs`. Absorbs pagination, `RequestLimitExceeded` throttling and the association states.
 */
import { DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '#adapters/aws/errors';
import { InvalidInputError, ThrottledError } from '#domain/errors';
import { parseNetwork } from '#domain/policy';
import { withRetry } from '#shared/runtime/retry';

/** Options of readVpcCidrs. */
export interface ReadVpcCidrsOptions {
  /** Injected so tests never wait between throttled attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per call when throttled, the first one included; 5 by default. */
  readonly maxAttempts?: number;
}

const THROTTLED = 'RequestLimitExceeded';
// DescribeVpcs accepts 5–1000 with a filter; one page covers any realistic deployment.
const PAGE_SIZE = 1000;

/**
 * The IPv4 and IPv6 CIDR blocks associated with the given VPCs (primary and secondary; blocks still being
 * associated, being removed or failed are left out), canonical, deduplicated, IPv4 first. Throws
 * InvalidInputError (`vpcIds`) for an empty list or a VPC that EC2 does not know, ThrottledError when EC2
 * keeps throttling; any other error propagates unchanged.
 */
export async function readVpcCidrs(
  client: EC2Client,
  vpcIds: readonly string[],
  options: ReadVpcCidrsOptions = {},
): Promise<string[]> {
  const wanted = [...new Set(vpcIds)];
  if (wanted.length === 0 || wanted.some((id) => id.trim() === '')) {
    throw new InvalidInputError('must list at least one VPC id, and no empty one', 'vpcIds');
  }
  const attempts = options.maxAttempts ?? 5;
  const found = new Set<string>();
  const v4: string[] = [];
  const v6: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await send(
      () =>
        client.send(
          new DescribeVpcsCommand({
            // A filter rather than VpcIds: a missing VPC is then reported by name instead of failing the call.
            Filters: [{ Name: 'vpc-id', Values: wanted }],
            MaxResults: PAGE_SIZE,
            NextToken: token,
          }),
        ),
      attempts,
      options.sleep,
    );
    for (const vpc of page.Vpcs ?? []) {
      if (vpc.VpcId) found.add(vpc.VpcId);
      for (const association of vpc.CidrBlockAssociationSet ?? []) {
        if (association.CidrBlockState?.State === 'associated' && association.CidrBlock)
          v4.push(parseNetwork(association.CidrBlock, `${vpc.VpcId}.CidrBlockAssociationSet`));
      }
      for (const association of vpc.Ipv6CidrBlockAssociationSet ?? []) {
        if (association.Ipv6CidrBlockState?.State === 'associated' && association.Ipv6CidrBlock)
          v6.push(parseNetwork(association.Ipv6CidrBlock, `${vpc.VpcId}.Ipv6CidrBlockAssociationSet`));
      }
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length > 0) throw new InvalidInputError(`no such VPC: ${missing.join(', ')}`, 'vpcIds');
  return [...new Set([...v4, ...v6])];
}

async function send<T>(
  call: () => Promise<T>,
  attempts: number,
  sleep: ((ms: number) => Promise<void>) | undefined,
): Promise<T> {
  try {
    return await withRetry(call, {
      attempts,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      isRetryable: (error) => awsErrorCode(error) === THROTTLED,
      sleep,
    });
  } catch (error) {
    if (awsErrorCode(error) !== THROTTLED) throw error;
    throw new ThrottledError(`EC2 throttled DescribeVpcs ${attempts} times in a row`, THROTTLED, {
      cause: error,
    });
  }
}
