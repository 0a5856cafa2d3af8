/**
 * The NetworkAcls port on EC2. Absorbs EC2's quirks: error codes that arrive only as the error `name`,
 * `NetworkAclEntryAlreadyExists` for a retried write of the same entry, `RequestLimitExceeded` throttling,
 * DescribeNetworkAcls pagination and CIDR spelling.
 */
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  type NetworkAclEntry as Ec2NetworkAclEntry,
  type Filter,
  ReplaceNetworkAclEntryCommand,
} from '@aws-sdk/client-ec2';
import { awsErrorCode } from '#adapters/aws/errors';
import {
  assertWritableRuleNumber,
  canonicalAclCidr,
  invalidAclParameter,
  isWardenDeny,
} from '#adapters/service-rules/network-acls';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetCapacityError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import type { NetworkAcl, NetworkAclEntry } from '#domain/target';
import type { NetworkAclListing, NetworkAcls } from '#ports/network-acls';
import { withRetry } from '#shared/runtime/retry';

/** Options of the EC2 adapter. Give exactly one of `aclIds` and `vpcIds`. */
export interface Ec2NetworkAclsOptions {
  readonly client: EC2Client;
  /** Manage exactly these ACLs. */
  readonly aclIds?: readonly string[];
  /** Manage every ACL of these VPCs. */
  readonly vpcIds?: readonly string[];
  /** Injected so tests never wait between throttled attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per EC2 call when throttled, the first one included; 5 by default. */
  readonly maxAttempts?: number;
}

const THROTTLED = 'RequestLimitExceeded';
// DescribeNetworkAcls accepts 5–1000; the largest page keeps a list() to as few rate-limited calls as possible.
const PAGE_SIZE = 1000;

/**
 * NetworkAcls on EC2. Writes only egress denies for all protocols, and deletes only egress entries.
 *
 * Guarantees: createEgressDeny is idempotent (EC2's `NetworkAclEntryAlreadyExists` is answered by reading the
 * ACL back: the same deny at that number is success, anything else ConcurrentUpdateError); replaceEgressDeny
 * swaps the entry in place (ReplaceNetworkAclEntry), an entry gone being ConcurrentUpdateError
 * (`InvalidNetworkAclEntry.NotFound`); deleteEgressEntry is idempotent (`InvalidNetworkAclEntry.NotFound` is success). Rule numbers and CIDRs are checked before any
 * call (InvalidInputError, `InvalidParameterValue`). `RequestLimitExceeded` is retried with bounded backoff,
 * then ThrottledError. `NetworkAclEntryLimitExceeded` is TargetCapacityError, `InvalidNetworkAclID.NotFound`
 * TargetNotFoundError; any other error propagates unchanged.
 */
export class Ec2NetworkAcls implements NetworkAcls {
  readonly #client: EC2Client;
  readonly #scope: Filter;
  readonly #sleep: ((ms: number) => Promise<void>) | undefined;
  readonly #maxAttempts: number;

  constructor(options: Ec2NetworkAclsOptions) {
    const { aclIds, vpcIds } = options;
    if ((aclIds === undefined) === (vpcIds === undefined)) {
      throw new InvalidInputError('give exactly one of aclIds and vpcIds', 'aclIds');
    }
    const field = aclIds ? 'aclIds' : 'vpcIds';
    const ids = [...new Set(aclIds ?? vpcIds ?? [])];
    if (ids.length === 0 || ids.some((id) => id.trim() === '')) {
      throw new InvalidInputError('must list at least one id, and no empty one', field);
    }
    const maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidInputError(`must be a positive integer, got ${maxAttempts}`, 'maxAttempts');
    }
    this.#client = options.client;
    this.#scope = { Name: aclIds ? 'network-acl-id' : 'vpc-id', Values: ids };
    this.#sleep = options.sleep;
    this.#maxAttempts = maxAttempts;
  }

  /**
   * The managed ACLs with their egress entries, sorted by ACL id then rule number, and the configured ACLs or
   * VPCs that have none. Throws TargetNotFoundError when not one configured ACL (`InvalidNetworkAclID.NotFound`)
   * or VPC (`InvalidVpcID.NotFound`) is found.
   */
  async list(): Promise<NetworkAclListing> {
    const acls = await this.#describe(this.#scope);
    const wanted = this.#scope.Values ?? [];
    const found = new Set(acls.map((acl) => (this.#scope.Name === 'vpc-id' ? acl.vpcId : acl.aclId)));
    const missing = wanted.filter((id) => !found.has(id));
    if (acls.length === 0 && missing.length > 0) {
      const [what, code] =
        this.#scope.Name === 'vpc-id'
          ? ['no network ACL found in VPC', 'InvalidVpcID.NotFound']
          : ['network ACL not found:', 'InvalidNetworkAclID.NotFound'];
      throw new TargetNotFoundError(`${what} ${missing.join(', ')}`, code);
    }
    return { acls, missing };
  }

  /** See NetworkAcls.createEgressDeny. */
  async createEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    const wanted = canonicalAclCidr(cidr);
    try {
      await this.#send('CreateNetworkAclEntry', () =>
        this.#client.send(new CreateNetworkAclEntryCommand(egressDeny(aclId, ruleNumber, wanted))),
      );
    } catch (error) {
      if (awsErrorCode(error) !== 'NetworkAclEntryAlreadyExists') throw mapError(error, aclId);
      // EC2 says this for any entry at the number, including the one a lost response or a racing run of
      // ours already wrote; only reading it back tells a repeat from a real conflict.
      const [acl] = await this.#describe({ Name: 'network-acl-id', Values: [aclId] });
      const holder = acl?.egress.find((entry) => entry.ruleNumber === ruleNumber);
      if (holder && isWardenDeny(holder, wanted.cidr)) return;
      const held = holder ? `${holder.action} ${holder.cidr} (protocol ${holder.protocol})` : 'an entry';
      throw new ConcurrentUpdateError(
        `rule ${ruleNumber} of ${aclId} already holds ${held}`,
        'NetworkAclEntryAlreadyExists',
        { cause: error },
      );
    }
  }

  /** See NetworkAcls.replaceEgressDeny. */
  async replaceEgressDeny(aclId: string, ruleNumber: number, cidr: string): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    const wanted = canonicalAclCidr(cidr);
    try {
      await this.#send('ReplaceNetworkAclEntry', () =>
        this.#client.send(new ReplaceNetworkAclEntryCommand(egressDeny(aclId, ruleNumber, wanted))),
      );
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidNetworkAclEntry.NotFound') throw mapError(error, aclId);
      throw new ConcurrentUpdateError(
        `rule ${ruleNumber} of ${aclId} no longer exists, so it cannot be replaced`,
        'InvalidNetworkAclEntry.NotFound',
        { cause: error },
      );
    }
  }

  /** See NetworkAcls.deleteEgressEntry. */
  async deleteEgressEntry(aclId: string, ruleNumber: number): Promise<void> {
    assertWritableRuleNumber(ruleNumber);
    try {
      await this.#send('DeleteNetworkAclEntry', () =>
        this.#client.send(
          new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: ruleNumber, Egress: true }),
        ),
      );
    } catch (error) {
      if (awsErrorCode(error) === 'InvalidNetworkAclEntry.NotFound') return;
      throw mapError(error, aclId);
    }
  }

  /** Every ACL matching `filter`, all pages, sorted by id, egress entries only. */
  async #describe(filter: Filter): Promise<NetworkAcl[]> {
    const acls = new Map<string, NetworkAcl>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#send('DescribeNetworkAcls', () =>
        this.#client.send(
          new DescribeNetworkAclsCommand({ Filters: [filter], MaxResults: PAGE_SIZE, NextToken: token }),
        ),
      );
      for (const acl of page.NetworkAcls ?? []) {
        if (!acl.NetworkAclId) continue;
        acls.set(acl.NetworkAclId, {
          aclId: acl.NetworkAclId,
          vpcId: acl.VpcId ?? '',
          egress: toEgressEntries(acl.Entries ?? []),
        });
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    return [...acls.values()].sort((a, b) => (a.aclId < b.aclId ? -1 : a.aclId > b.aclId ? 1 : 0));
  }

  /** Runs one EC2 call, retrying throttling with bounded backoff; then ThrottledError. */
  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(call, {
        attempts: this.#maxAttempts,
        baseDelayMs: 200,
        maxDelayMs: 5000,
        isRetryable: (error) => awsErrorCode(error) === THROTTLED,
        sleep: this.#sleep,
      });
    } catch (error) {
      if (awsErrorCode(error) !== THROTTLED) throw error;
      throw new ThrottledError(`EC2 throttled ${operation} ${this.#maxAttempts} times in a row`, THROTTLED, {
        cause: error,
      });
    }
  }
}

/** Maps the EC2 error codes that have a typed meaning; anything else is returned unchanged. */
function mapError(error: unknown, aclId: string): unknown {
  const code = awsErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'NetworkAclEntryLimitExceeded':
      return new TargetCapacityError(`${aclId} has no room for another egress entry: ${message}`, code, {
        cause: error,
      });
    case 'InvalidNetworkAclID.NotFound':
      return new TargetNotFoundError(`network ACL ${aclId} does not exist: ${message}`, code, {
        cause: error,
      });
    case 'InvalidParameterValue':
      return invalidAclParameter(`EC2 refused the request for ${aclId}: ${message}`, '', error);
    default:
      return error;
  }
}

function toEgressEntries(entries: readonly Ec2NetworkAclEntry[]): NetworkAclEntry[] {
  const egress: NetworkAclEntry[] = [];
  for (const entry of entries) {
    const raw = entry.CidrBlock ?? entry.Ipv6CidrBlock;
    if (entry.Egress !== true || raw === undefined || entry.RuleNumber === undefined) continue;
    egress.push({
      ruleNumber: entry.RuleNumber,
      cidr: canonicalOrLowercase(raw),
      action: entry.RuleAction === 'allow' ? 'allow' : 'deny',
      protocol: entry.Protocol ?? '-1',
    });
  }
  return egress.sort((a, b) => a.ruleNumber - b.ruleNumber);
}

// EC2 already returns canonical CIDRs; an odd spelling is still reported rather than failing the whole list.
function canonicalOrLowercase(raw: string): string {
  try {
    return canonicalAclCidr(raw).cidr;
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * The request of CreateNetworkAclEntry and ReplaceNetworkAclEntry for an egress deny of all protocols. `Egress`
 * is always set: without it EC2 writes (or replaces) the ingress entry.
 */
function egressDeny(aclId: string, ruleNumber: number, wanted: { family: 4 | 6; cidr: string }) {
  return {
    NetworkAclId: aclId,
    RuleNumber: ruleNumber,
    Protocol: '-1',
    RuleAction: 'deny' as const,
    Egress: true,
    ...(wanted.family === 4 ? { CidrBlock: wanted.cidr } : { Ipv6CidrBlock: wanted.cidr }),
  };
}
