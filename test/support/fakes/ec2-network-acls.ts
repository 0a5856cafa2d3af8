/** A small stateful EC2 for network ACLs behind aws-sdk-client-mock. */
import {
  CreateNetworkAclEntryCommand,
  type CreateNetworkAclEntryCommandInput,
  DeleteNetworkAclEntryCommand,
  type DeleteNetworkAclEntryCommandInput,
  DescribeNetworkAclsCommand,
  type DescribeNetworkAclsCommandInput,
  type DescribeNetworkAclsCommandOutput,
  type EC2Client,
  EC2ServiceException,
  type NetworkAclEntry as Ec2NetworkAclEntry,
  ReplaceNetworkAclEntryCommand,
  type ReplaceNetworkAclEntryCommandInput,
} from '@aws-sdk/client-ec2';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { InMemoryNetworkAclSeed } from '#adapters/in-memory/network-acls';
import { canonicalAclCidr, DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY } from '#adapters/service-rules/network-acls';
import { FakeAwsService } from './injected-failures';

/** An EC2 error as the SDK raises it: the EC2 `Code` in `name`, no modelled class. */
export function ec2Error(code: string, message = code): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: 'client', $metadata: {}, message });
}

/** Options of FakeEc2NetworkAcls. */
export interface FakeEc2NetworkAclsOptions {
  /** Entries per direction and IP family, default rules included; EC2's default quota when absent. */
  readonly maxEntriesPerFamily?: number;
  /** ACLs per DescribeNetworkAcls page; 1 when absent, so every list walks NextToken. */
  readonly pageSize?: number;
}

interface StoredAcl {
  readonly vpcId: string;
  readonly entries: Ec2NetworkAclEntry[];
  /** The egress entries after each successful write, as `"<rule> <action> <cidr>"` lines sorted by rule. */
  readonly history: string[][];
}

/**
 * Network ACLs as EC2 keeps them: both directions, the default `*` rules (32767 and 32768) and an ingress
 * allow, a per-family quota (`NetworkAclEntryLimitExceeded`), EC2's canonicalisation and error codes
 * (`NetworkAclEntryAlreadyExists`, `InvalidNetworkAclEntry.NotFound`, `InvalidNetworkAclID.NotFound`,
 * `InvalidParameterValue`), ReplaceNetworkAclEntry in place, pages of `pageSize` ACLs, and the history of
 * each ACL's egress entries after every write.
 */
export class FakeEc2NetworkAcls extends FakeAwsService {
  readonly #acls = new Map<string, StoredAcl>();
  readonly #maxEntriesPerFamily: number;
  readonly #pageSize: number;

  constructor(seeds: readonly InMemoryNetworkAclSeed[], options: FakeEc2NetworkAclsOptions = {}) {
    super();
    this.#maxEntriesPerFamily = options.maxEntriesPerFamily ?? DEFAULT_MAX_ACL_ENTRIES_PER_FAMILY;
    this.#pageSize = options.pageSize ?? 1;
    for (const seed of seeds) {
      const entries: Ec2NetworkAclEntry[] = (seed.egress ?? []).map((entry) => ({
        Egress: true,
        RuleNumber: entry.ruleNumber,
        RuleAction: entry.action,
        Protocol: entry.protocol,
        ...(entry.cidr.includes(':') ? { Ipv6CidrBlock: entry.cidr } : { CidrBlock: entry.cidr }),
      }));
      for (const Egress of [true, false]) {
        entries.push(
          { Egress, RuleNumber: 32767, RuleAction: 'deny', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
          { Egress, RuleNumber: 32768, RuleAction: 'deny', Protocol: '-1', Ipv6CidrBlock: '::/0' },
        );
      }
      // EC2 also holds ingress rules; the adapter must never report them.
      entries.push({
        Egress: false,
        RuleNumber: 100,
        RuleAction: 'allow',
        Protocol: '6',
        CidrBlock: '10.0.0.0/16',
      });
      this.#acls.set(seed.aclId, { vpcId: seed.vpcId, entries, history: [] });
    }
  }

  /** DescribeNetworkAcls with `network-acl-id` and `vpc-id` filters. */
  async describe(input: DescribeNetworkAclsCommandInput): Promise<DescribeNetworkAclsCommandOutput> {
    this.throwIfInjected(DescribeNetworkAclsCommand);
    const matching = [...this.#acls.entries()].filter(([aclId, acl]) =>
      (input.Filters ?? []).every((filter) => {
        const value =
          filter.Name === 'network-acl-id' ? aclId : filter.Name === 'vpc-id' ? acl.vpcId : undefined;
        return value !== undefined && (filter.Values ?? []).includes(value);
      }),
    );
    const start = Number(input.NextToken ?? '0');
    const end = start + Math.min(this.#pageSize, input.MaxResults ?? 1000);
    return {
      $metadata: {},
      NetworkAcls: matching.slice(start, end).map(([aclId, acl]) => ({
        NetworkAclId: aclId,
        VpcId: acl.vpcId,
        IsDefault: false,
        Entries: acl.entries.map((entry) => ({ ...entry })),
      })),
      NextToken: end < matching.length ? String(end) : undefined,
    };
  }

  /** CreateNetworkAclEntry. */
  async create(input: CreateNetworkAclEntryCommandInput): Promise<{ $metadata: object }> {
    this.throwIfInjected(CreateNetworkAclEntryCommand);
    const acl = this.#find(input.NetworkAclId);
    const ruleNumber = input.RuleNumber ?? 0;
    if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > 32766) {
      throw ec2Error('InvalidParameterValue', `Value (${ruleNumber}) for parameter ruleNumber is invalid.`);
    }
    const raw = input.CidrBlock ?? input.Ipv6CidrBlock ?? '';
    const { cidr, family } = canonicalAclCidr(raw);
    if ((family === 6) !== (input.Ipv6CidrBlock !== undefined)) throw ec2Error('InvalidParameterValue');
    const sameDirection = acl.entries.filter((entry) => entry.Egress === input.Egress);
    if (sameDirection.some((entry) => entry.RuleNumber === ruleNumber)) {
      throw ec2Error(
        'NetworkAclEntryAlreadyExists',
        'The specified rule number already exists in this network ACL.',
      );
    }
    const sameFamily = sameDirection.filter(
      (entry) => (family === 6) === (entry.Ipv6CidrBlock !== undefined),
    );
    if (sameFamily.length >= this.#maxEntriesPerFamily) throw ec2Error('NetworkAclEntryLimitExceeded');
    acl.entries.push({
      Egress: input.Egress,
      RuleNumber: ruleNumber,
      RuleAction: input.RuleAction,
      Protocol: input.Protocol,
      ...(family === 6 ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
    });
    this.#record(acl);
    return { $metadata: {} };
  }

  /** ReplaceNetworkAclEntry: swaps the entry at the number in one step; `Egress` absent means ingress. */
  async replace(input: ReplaceNetworkAclEntryCommandInput): Promise<{ $metadata: object }> {
    this.throwIfInjected(ReplaceNetworkAclEntryCommand);
    const acl = this.#find(input.NetworkAclId);
    const egress = input.Egress ?? false;
    const { cidr, family } = canonicalAclCidr(input.CidrBlock ?? input.Ipv6CidrBlock ?? '');
    if ((family === 6) !== (input.Ipv6CidrBlock !== undefined)) throw ec2Error('InvalidParameterValue');
    const index = acl.entries.findIndex(
      (entry) => entry.Egress === egress && entry.RuleNumber === input.RuleNumber,
    );
    if (index < 0) throw ec2Error('InvalidNetworkAclEntry.NotFound');
    acl.entries[index] = {
      Egress: egress,
      RuleNumber: input.RuleNumber,
      RuleAction: input.RuleAction,
      Protocol: input.Protocol,
      ...(family === 6 ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
    };
    this.#record(acl);
    return { $metadata: {} };
  }

  /** DeleteNetworkAclEntry. */
  async delete(input: DeleteNetworkAclEntryCommandInput): Promise<{ $metadata: object }> {
    this.throwIfInjected(DeleteNetworkAclEntryCommand);
    const acl = this.#find(input.NetworkAclId);
    const index = acl.entries.findIndex(
      (entry) => entry.Egress === input.Egress && entry.RuleNumber === input.RuleNumber,
    );
    if (index < 0) throw ec2Error('InvalidNetworkAclEntry.NotFound');
    acl.entries.splice(index, 1);
    this.#record(acl);
    return { $metadata: {} };
  }

  /** Deletes a whole ACL (DeleteNetworkAcl): Describe leaves it out, writes to it are `InvalidNetworkAclID.NotFound`. */
  deleteAcl(aclId: string): void {
    this.#acls.delete(aclId);
  }

  /** The egress entries of `aclId` after each successful write, oldest first (copies). */
  history(aclId: string): string[][] {
    return this.#find(aclId).history.map((state) => [...state]);
  }

  /** The egress entries of `aclId` as EC2 holds them, sorted by rule number (copies). */
  egress(aclId: string): Ec2NetworkAclEntry[] {
    return this.#find(aclId)
      .entries.filter((entry) => entry.Egress)
      .map((entry) => ({ ...entry }))
      .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
  }

  #record(acl: StoredAcl): void {
    acl.history.push(
      acl.entries
        .filter((entry) => entry.Egress)
        .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0))
        .map((entry) => `${entry.RuleNumber} ${entry.RuleAction} ${entry.CidrBlock ?? entry.Ipv6CidrBlock}`),
    );
  }

  #find(aclId: string | undefined): StoredAcl {
    const acl = this.#acls.get(aclId ?? '');
    if (!acl) throw ec2Error('InvalidNetworkAclID.NotFound', `The networkAcl ID '${aclId}' does not exist`);
    return acl;
  }
}

/** Backs `mock` with a new FakeEc2NetworkAcls over `seeds` and returns it. */
export function fakeEc2NetworkAcls(
  mock: AwsClientStub<EC2Client>,
  seeds: readonly InMemoryNetworkAclSeed[],
  options: FakeEc2NetworkAclsOptions = {},
): FakeEc2NetworkAcls {
  const fake = new FakeEc2NetworkAcls(seeds, options);
  mock
    .on(DescribeNetworkAclsCommand)
    .callsFake((input: DescribeNetworkAclsCommandInput) => fake.describe(input));
  mock
    .on(CreateNetworkAclEntryCommand)
    .callsFake((input: CreateNetworkAclEntryCommandInput) => fake.create(input));
  mock
    .on(ReplaceNetworkAclEntryCommand)
    .callsFake((input: ReplaceNetworkAclEntryCommandInput) => fake.replace(input));
  mock
    .on(DeleteNetworkAclEntryCommand)
    .callsFake((input: DeleteNetworkAclEntryCommandInput) => fake.delete(input));
  return fake;
}
