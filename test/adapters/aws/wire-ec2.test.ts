/**
 * Ec2NetworkAcls and readVpcCidrs with the real EC2Client against a loopback server speaking EC2's query
 * protocol: requests serialized as forms and SigV4-signed, XML responses and errors parsed, by the SDK's
 * schema-based serde. Every scenario runs twice: on the modules as vitest loads them (the SDK's CommonJS
 * build) and on an esbuild bundle built by the functions' own `buildBundle`, whose plugin rewrites the EC2
 * schemas module, so a rewrite that changed a wire name would fail here.
 *
 * Wire format checked against botocore's model, boto/botocore `botocore/data/ec2/2016-11-15/service-2.json`
 * (metadata: protocol ec2, apiVersion 2016-11-15, endpointPrefix ec2, sigv4; shapes DescribeNetworkAclsRequest/
 * Result, NetworkAcl, NetworkAclEntry, PortRange, Filter, CreateNetworkAclEntryRequest,
 * ReplaceNetworkAclEntryRequest, DeleteNetworkAclEntryRequest, DescribeVpcsRequest/Result, Vpc,
 * VpcCidrBlockAssociation, VpcIpv6CidrBlockAssociation) and its examples, boto/botocore @ 0e6e2404
 * `botocore/data/ec2/2016-11-15/examples-1.json` (DescribeNetworkAcls: the default deny at rule 32767 in both
 * directions; CreateNetworkAclEntry: a UDP 53 entry with its PortRange).
 */
import { DescribeNetworkAclsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ec2NetworkAcls } from '#adapters/aws/network-acls';
import { readVpcCidrs } from '#adapters/aws/vpc-cidrs';
import {
  ConcurrentUpdateError,
  InvalidInputError,
  TargetNotFoundError,
  ThrottledError,
} from '#domain/errors';
import { bundledInputs } from '../../../infra/metafile';
import {
  AwsWireError,
  type AwsWireServer,
  EC2_API_VERSION,
  type QueryForm,
  queryFilters,
  queryList,
  sigV4CredentialScope,
  startEc2WireServer,
  type XmlFields,
} from '../../support/aws-wire';
import { type BundledExports, bundleExports } from '../../support/bundled-exports';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const OTHER_VPC = 'vpc-0f0e0d0c0b0a09080';
const APP_ACL = 'acl-0123456789abcdef0';
const DATA_ACL = 'acl-0fedcba9876543210';
const GONE_ACL = 'acl-0000000000000dead';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
// Smaller than the adapters' MaxResults, as EC2 may return: the adapters must follow NextToken.
const SERVER_PAGE_SIZE = 1;
const EC2_SCOPE = /^\d{8}\/us-east-1\/ec2\/aws4_request$/;

/** One network ACL entry as EC2 keeps it. */
interface AclEntry {
  ruleNumber: number;
  egress: boolean;
  protocol: string;
  ruleAction: 'allow' | 'deny';
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
}

/** A VPC's CIDR association as EC2 reports it. */
interface CidrAssociation {
  cidr: string;
  state: 'associating' | 'associated' | 'disassociating' | 'disassociated' | 'failing' | 'failed';
}

/** The EC2 state the server holds: VPCs with their CIDR blocks, and network ACLs with their entries. */
class Ec2State {
  readonly vpcs = new Map<string, { v4: CidrAssociation[]; v6: CidrAssociation[] }>();
  readonly acls = new Map<string, { vpcId: string; entries: AclEntry[] }>();
  /** Operations answered with RequestLimitExceeded, and how many more times each is. */
  readonly throttled = new Map<string, number>();

  /** An ACL with the default denies of both families in both directions, as a new custom ACL has. */
  addAcl(aclId: string, vpcId: string, entries: AclEntry[] = []): void {
    const defaults = [true, false].flatMap((egress): AclEntry[] => [
      { ruleNumber: 32767, egress, protocol: '-1', ruleAction: 'deny', cidrBlock: '0.0.0.0/0' },
      { ruleNumber: 32768, egress, protocol: '-1', ruleAction: 'deny', ipv6CidrBlock: '::/0' },
    ]);
    this.acls.set(aclId, { vpcId, entries: [...entries, ...defaults] });
  }

  entry(aclId: string, ruleNumber: number, egress = true): AclEntry | undefined {
    return this.acls
      .get(aclId)
      ?.entries.find((item) => item.ruleNumber === ruleNumber && item.egress === egress);
  }

  throttleIfAsked(operation: string): void {
    const left = this.throttled.get(operation) ?? 0;
    if (left <= 0) return;
    this.throttled.set(operation, left - 1);
    throw new AwsWireError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  }
}

/** What a scenario runs against: the modules under test, from source or from the bundle. */
interface Ec2Kit {
  readonly EC2Client: typeof EC2Client;
  readonly DescribeNetworkAclsCommand: typeof DescribeNetworkAclsCommand;
  readonly Ec2NetworkAcls: typeof Ec2NetworkAcls;
  readonly readVpcCidrs: typeof readVpcCidrs;
  readonly ConcurrentUpdateError: typeof ConcurrentUpdateError;
  readonly InvalidInputError: typeof InvalidInputError;
  readonly TargetNotFoundError: typeof TargetNotFoundError;
  readonly ThrottledError: typeof ThrottledError;
}

const SOURCE_KIT: Ec2Kit = {
  EC2Client,
  DescribeNetworkAclsCommand,
  Ec2NetworkAcls,
  readVpcCidrs,
  ConcurrentUpdateError,
  InvalidInputError,
  TargetNotFoundError,
  ThrottledError,
};

let server: AwsWireServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The entry's fields as `<item>` of `entrySet`. */
function entryXml(entry: AclEntry): XmlFields {
  return {
    cidrBlock: entry.cidrBlock,
    egress: entry.egress,
    ipv6CidrBlock: entry.ipv6CidrBlock,
    portRange: entry.portRange,
    protocol: entry.protocol,
    ruleAction: entry.ruleAction,
    ruleNumber: entry.ruleNumber,
  };
}

/** An entry from the form of CreateNetworkAclEntry or ReplaceNetworkAclEntry. */
function entryFromForm(form: QueryForm): AclEntry {
  return {
    ruleNumber: Number(form.RuleNumber),
    egress: form.Egress === 'true',
    protocol: form.Protocol as string,
    ruleAction: form.RuleAction as 'allow' | 'deny',
    ...(form.CidrBlock ? { cidrBlock: form.CidrBlock } : {}),
    ...(form.Ipv6CidrBlock ? { ipv6CidrBlock: form.Ipv6CidrBlock } : {}),
    ...(form['PortRange.From']
      ? { portRange: { from: Number(form['PortRange.From']), to: Number(form['PortRange.To']) } }
      : {}),
  };
}

/** One page of `items`, from the NextToken of `form`, as EC2 pages a Describe call. */
function page<T>(items: readonly T[], form: QueryForm): { items: T[]; nextToken: string | undefined } {
  const start = Number(form.NextToken ?? 0);
  const end = start + Math.min(Number(form.MaxResults ?? 1000), SERVER_PAGE_SIZE);
  return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

async function startEc2(state: Ec2State): Promise<AwsWireServer> {
  const requireAcl = (form: QueryForm) => {
    const acl = state.acls.get(form.NetworkAclId ?? '');
    if (!acl) {
      throw new AwsWireError(
        'InvalidNetworkAclID.NotFound',
        `The networkAcl ID '${form.NetworkAclId}' does not exist`,
      );
    }
    return acl;
  };
  server = await startEc2WireServer({
    handlers: {
      DescribeNetworkAcls: (form) => {
        state.throttleIfAsked('DescribeNetworkAcls');
        const filters = queryFilters(form);
        const matching = [...state.acls.entries()].filter(([aclId, acl]) =>
          filters.every(({ name, values }) =>
            values.includes(name === 'vpc-id' ? acl.vpcId : name === 'network-acl-id' ? aclId : ''),
          ),
        );
        const { items, nextToken } = page(matching, form);
        return {
          networkAclSet: items.map(([aclId, acl]) => ({
            networkAclId: aclId,
            vpcId: acl.vpcId,
            default: false,
            entrySet: acl.entries.map(entryXml),
            associationSet: [
              {
                networkAclAssociationId: `aclassoc-${aclId.slice(4, 12)}`,
                networkAclId: aclId,
                subnetId: 'subnet-0a1b2c3d4e5f60718',
              },
            ],
            tagSet: [{ key: 'Name', value: `egress-${aclId}` }],
            ownerId: '123456789012',
          })),
          nextToken,
        };
      },
      CreateNetworkAclEntry: (form) => {
        state.throttleIfAsked('CreateNetworkAclEntry');
        const acl = requireAcl(form);
        const entry = entryFromForm(form);
        if (state.entry(form.NetworkAclId as string, entry.ruleNumber, entry.egress)) {
          throw new AwsWireError(
            'NetworkAclEntryAlreadyExists',
            `The network acl entry identified by ${entry.ruleNumber} already exists.`,
          );
        }
        acl.entries.push(entry);
        return { return: true };
      },
      ReplaceNetworkAclEntry: (form) => {
        const acl = requireAcl(form);
        const entry = entryFromForm(form);
        const index = acl.entries.findIndex(
          (item) => item.ruleNumber === entry.ruleNumber && item.egress === entry.egress,
        );
        if (index < 0) {
          throw new AwsWireError(
            'InvalidNetworkAclEntry.NotFound',
            `The network acl entry identified by ${entry.ruleNumber} does not exist.`,
          );
        }
        acl.entries[index] = entry;
        return { return: true };
      },
      DeleteNetworkAclEntry: (form) => {
        const acl = requireAcl(form);
        const ruleNumber = Number(form.RuleNumber);
        const egress = form.Egress === 'true';
        const index = acl.entries.findIndex(
          (item) => item.ruleNumber === ruleNumber && item.egress === egress,
        );
        if (index < 0) {
          throw new AwsWireError(
            'InvalidNetworkAclEntry.NotFound',
            `The network acl entry identified by ${ruleNumber} does not exist.`,
          );
        }
        acl.entries.splice(index, 1);
        return { return: true };
      },
      DescribeVpcs: (form) => {
        const filters = queryFilters(form);
        const matching = [...state.vpcs.entries()].filter(([vpcId]) =>
          filters.every(({ name, values }) => name === 'vpc-id' && values.includes(vpcId)),
        );
        const { items, nextToken } = page(matching, form);
        return {
          vpcSet: items.map(([vpcId, vpc]) => ({
            vpcId,
            ownerId: '123456789012',
            state: 'available',
            cidrBlock: vpc.v4[0]?.cidr,
            dhcpOptionsId: 'dopt-0a1b2c3d',
            instanceTenancy: 'default',
            isDefault: false,
            cidrBlockAssociationSet: vpc.v4.map((association, index) => ({
              associationId: `vpc-cidr-assoc-${index}`,
              cidrBlock: association.cidr,
              cidrBlockState: { state: association.state },
            })),
            ipv6CidrBlockAssociationSet: vpc.v6.map((association, index) => ({
              associationId: `vpc-cidr-assoc-v6-${index}`,
              ipv6CidrBlock: association.cidr,
              ipv6CidrBlockState: { state: association.state },
              networkBorderGroup: 'us-east-1',
            })),
          })),
          nextToken,
        };
      },
    },
  });
  return server;
}

/** The form fields a request carried, Action and Version left out (expectEc2Requests checks those). */
function formOf(request: { body: unknown } | undefined): Record<string, string> {
  const { Action: _action, Version: _version, ...fields } = (request?.body ?? {}) as Record<string, string>;
  return fields;
}

/** Checks what every EC2 request of a scenario has in common: method, path, content type, action, SigV4. */
function expectEc2Requests(wire: AwsWireServer): void {
  expect(wire.requests.length).toBeGreaterThan(0);
  for (const request of wire.requests) {
    const form = request.body as QueryForm;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.Action).toBe(request.operation);
    expect(form.Version).toBe(EC2_API_VERSION);
    expect(request.headers.authorization).toContain('Credential=AKIDEXAMPLE/');
    expect(sigV4CredentialScope(request.headers.authorization)).toMatch(EC2_SCOPE);
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  }
}

/** The scenarios, run against the modules `kitOf()` gives. */
function ec2Scenarios(kitOf: () => Ec2Kit): void {
  const client = (endpoint: string, extra: { maxAttempts?: number } = {}) => {
    const { EC2Client: Client } = kitOf();
    return new Client({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, ...extra });
  };
  const networkAcls = (
    endpoint: string,
    scope: { aclIds: string[] } | { vpcIds: string[] },
    extra: { maxAttempts?: number } = {},
  ) => {
    const { Ec2NetworkAcls: Adapter } = kitOf();
    return new Adapter({ client: client(endpoint, extra), ...scope, sleep: async () => {} });
  };

  it('lists every ACL of a VPC with DescribeNetworkAcls, following nextToken, egress entries of both families', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(DATA_ACL, VPC, [
      { ruleNumber: 1, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '198.51.100.0/24' },
      { ruleNumber: 2, egress: true, protocol: '-1', ruleAction: 'deny', ipv6CidrBlock: '2001:DB8:1::/48' },
      {
        ruleNumber: 100,
        egress: true,
        protocol: '6',
        ruleAction: 'allow',
        cidrBlock: '0.0.0.0/0',
        portRange: { from: 443, to: 443 },
      },
      {
        ruleNumber: 100,
        egress: false,
        protocol: '17',
        ruleAction: 'allow',
        cidrBlock: '0.0.0.0/0',
        portRange: { from: 53, to: 53 },
      },
    ]);
    state.addAcl(APP_ACL, VPC);
    state.addAcl('acl-0aaaaaaaaaaaaaaaa', OTHER_VPC);
    const wire = await startEc2(state);

    // Act
    const listing = await networkAcls(wire.endpoint, { vpcIds: [VPC] }).list();

    // Assess
    expect(listing).toEqual({
      acls: [
        {
          aclId: APP_ACL,
          vpcId: VPC,
          egress: [
            { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny', protocol: '-1' },
            { ruleNumber: 32768, cidr: '::/0', action: 'deny', protocol: '-1' },
          ],
        },
        {
          aclId: DATA_ACL,
          vpcId: VPC,
          egress: [
            { ruleNumber: 1, cidr: '198.51.100.0/24', action: 'deny', protocol: '-1' },
            { ruleNumber: 2, cidr: '2001:db8:1::/48', action: 'deny', protocol: '-1' },
            { ruleNumber: 100, cidr: '0.0.0.0/0', action: 'allow', protocol: '6' },
            { ruleNumber: 32767, cidr: '0.0.0.0/0', action: 'deny', protocol: '-1' },
            { ruleNumber: 32768, cidr: '::/0', action: 'deny', protocol: '-1' },
          ],
        },
      ],
      missing: [],
    });
    expect(wire.operations()).toEqual(['DescribeNetworkAcls', 'DescribeNetworkAcls']);
    expect(wire.requests.map(formOf)).toEqual([
      { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': VPC, MaxResults: '1000' },
      { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': VPC, MaxResults: '1000', NextToken: '1' },
    ]);
    expectEc2Requests(wire);
  });

  it('parses every field of a NetworkAclEntry, port ranges included, into the SDK shape', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(DATA_ACL, VPC, [
      {
        ruleNumber: 100,
        egress: false,
        protocol: '17',
        ruleAction: 'allow',
        cidrBlock: '0.0.0.0/0',
        portRange: { from: 53, to: 53 },
      },
      {
        ruleNumber: 110,
        egress: true,
        protocol: '6',
        ruleAction: 'allow',
        ipv6CidrBlock: '2001:db8::/32',
        portRange: { from: 1024, to: 65535 },
      },
    ]);
    const wire = await startEc2(state);
    const { DescribeNetworkAclsCommand: Describe } = kitOf();

    // Act
    const output = await client(wire.endpoint).send(
      new Describe({
        NetworkAclIds: [DATA_ACL, APP_ACL],
        Filters: [{ Name: 'vpc-id', Values: [VPC, OTHER_VPC] }],
      }),
    );

    // Assess
    expect(formOf(wire.requests[0])).toEqual({
      'NetworkAclId.1': DATA_ACL,
      'NetworkAclId.2': APP_ACL,
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': VPC,
      'Filter.1.Value.2': OTHER_VPC,
    });
    expect(output.NextToken).toBeUndefined();
    expect(output.NetworkAcls).toEqual([
      {
        NetworkAclId: DATA_ACL,
        VpcId: VPC,
        IsDefault: false,
        OwnerId: '123456789012',
        Associations: [
          {
            NetworkAclAssociationId: 'aclassoc-0fedcba9',
            NetworkAclId: DATA_ACL,
            SubnetId: 'subnet-0a1b2c3d4e5f60718',
          },
        ],
        Tags: [{ Key: 'Name', Value: `egress-${DATA_ACL}` }],
        Entries: [
          {
            RuleNumber: 100,
            Egress: false,
            Protocol: '17',
            RuleAction: 'allow',
            CidrBlock: '0.0.0.0/0',
            PortRange: { From: 53, To: 53 },
          },
          {
            RuleNumber: 110,
            Egress: true,
            Protocol: '6',
            RuleAction: 'allow',
            Ipv6CidrBlock: '2001:db8::/32',
            PortRange: { From: 1024, To: 65535 },
          },
          { RuleNumber: 32767, Egress: true, Protocol: '-1', RuleAction: 'deny', CidrBlock: '0.0.0.0/0' },
          { RuleNumber: 32768, Egress: true, Protocol: '-1', RuleAction: 'deny', Ipv6CidrBlock: '::/0' },
          { RuleNumber: 32767, Egress: false, Protocol: '-1', RuleAction: 'deny', CidrBlock: '0.0.0.0/0' },
          { RuleNumber: 32768, Egress: false, Protocol: '-1', RuleAction: 'deny', Ipv6CidrBlock: '::/0' },
        ],
      },
    ]);
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200 });
  });

  it('lists configured ACLs by network-acl-id and reports the ones EC2 does not have', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC);
    const wire = await startEc2(state);

    // Act
    const listing = await networkAcls(wire.endpoint, { aclIds: [APP_ACL, GONE_ACL] }).list();

    // Assess
    expect(listing.acls.map((acl) => acl.aclId)).toEqual([APP_ACL]);
    expect(listing.missing).toEqual([GONE_ACL]);
    expect(wire.requests.map(formOf)).toEqual([
      {
        'Filter.1.Name': 'network-acl-id',
        'Filter.1.Value.1': APP_ACL,
        'Filter.1.Value.2': GONE_ACL,
        MaxResults: '1000',
      },
    ]);
    expectEc2Requests(wire);
  });

  it('writes IPv4 and IPv6 egress denies with CreateNetworkAclEntry', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC);
    const wire = await startEc2(state);
    const acls = networkAcls(wire.endpoint, { aclIds: [APP_ACL] });

    // Act
    await acls.createEgressDeny(APP_ACL, 3, '203.0.113.7/32');
    await acls.createEgressDeny(APP_ACL, 4, '2001:DB8:0:0::/64');

    // Assess
    expect(wire.operations()).toEqual(['CreateNetworkAclEntry', 'CreateNetworkAclEntry']);
    expect(wire.requests.map(formOf)).toEqual([
      {
        NetworkAclId: APP_ACL,
        RuleNumber: '3',
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: 'true',
        CidrBlock: '203.0.113.7/32',
      },
      {
        NetworkAclId: APP_ACL,
        RuleNumber: '4',
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: 'true',
        Ipv6CidrBlock: '2001:db8::/64',
      },
    ]);
    expect(state.entry(APP_ACL, 3)).toEqual({
      ruleNumber: 3,
      egress: true,
      protocol: '-1',
      ruleAction: 'deny',
      cidrBlock: '203.0.113.7/32',
    });
    expect(state.entry(APP_ACL, 4)?.ipv6CidrBlock).toBe('2001:db8::/64');
    expectEc2Requests(wire);
  });

  it('answers NetworkAclEntryAlreadyExists by reading the ACL back: its own deny is success, another entry a conflict', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC, [
      { ruleNumber: 5, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '203.0.113.0/24' },
      { ruleNumber: 6, egress: true, protocol: '6', ruleAction: 'allow', cidrBlock: '192.0.2.0/24' },
    ]);
    const wire = await startEc2(state);
    const acls = networkAcls(wire.endpoint, { aclIds: [APP_ACL] });
    const kit = kitOf();

    // Act
    const repeat = await acls.createEgressDeny(APP_ACL, 5, '203.0.113.0/24');
    const conflict = await acls
      .createEgressDeny(APP_ACL, 6, '198.51.100.9/32')
      .catch((caught: unknown) => caught);

    // Assess
    expect(repeat).toBeUndefined();
    expect(conflict).toBeInstanceOf(kit.ConcurrentUpdateError);
    expect(conflict).toMatchObject({ code: 'NetworkAclEntryAlreadyExists', retryable: true });
    expect((conflict as Error).message).toBe(
      `rule 6 of ${APP_ACL} already holds allow 192.0.2.0/24 (protocol 6)`,
    );
    expect((conflict as Error).cause).toMatchObject({
      name: 'NetworkAclEntryAlreadyExists',
      message: 'The network acl entry identified by 6 already exists.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(wire.operations()).toEqual([
      'CreateNetworkAclEntry',
      'DescribeNetworkAcls',
      'CreateNetworkAclEntry',
      'DescribeNetworkAcls',
    ]);
    expect(formOf(wire.requests[1])).toEqual({
      'Filter.1.Name': 'network-acl-id',
      'Filter.1.Value.1': APP_ACL,
      MaxResults: '1000',
    });
    expect(state.entry(APP_ACL, 6)?.ruleAction).toBe('allow');
    expectEc2Requests(wire);
  });

  it('replaces an egress deny in place with ReplaceNetworkAclEntry, an entry gone being a conflict', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC, [
      { ruleNumber: 7, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '203.0.113.7/32' },
    ]);
    const wire = await startEc2(state);
    const acls = networkAcls(wire.endpoint, { aclIds: [APP_ACL] });
    const kit = kitOf();

    // Act
    await acls.replaceEgressDeny(APP_ACL, 7, '203.0.113.0/24');
    const gone = await acls.replaceEgressDeny(APP_ACL, 8, '2001:db8::/32').catch((caught: unknown) => caught);

    // Assess
    expect(state.entry(APP_ACL, 7)).toEqual({
      ruleNumber: 7,
      egress: true,
      protocol: '-1',
      ruleAction: 'deny',
      cidrBlock: '203.0.113.0/24',
    });
    expect(gone).toBeInstanceOf(kit.ConcurrentUpdateError);
    expect(gone).toMatchObject({ code: 'InvalidNetworkAclEntry.NotFound' });
    expect((gone as Error).cause).toMatchObject({ name: 'InvalidNetworkAclEntry.NotFound' });
    expect(wire.operations()).toEqual(['ReplaceNetworkAclEntry', 'ReplaceNetworkAclEntry']);
    expect(wire.requests.map(formOf)).toEqual([
      {
        NetworkAclId: APP_ACL,
        RuleNumber: '7',
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: 'true',
        CidrBlock: '203.0.113.0/24',
      },
      {
        NetworkAclId: APP_ACL,
        RuleNumber: '8',
        Protocol: '-1',
        RuleAction: 'deny',
        Egress: 'true',
        Ipv6CidrBlock: '2001:db8::/32',
      },
    ]);
    expect(state.entry(APP_ACL, 8)).toBeUndefined();
    expectEc2Requests(wire);
  });

  it('deletes an egress entry with DeleteNetworkAclEntry, one already gone being success', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC, [
      { ruleNumber: 9, egress: true, protocol: '-1', ruleAction: 'deny', cidrBlock: '203.0.113.7/32' },
      { ruleNumber: 9, egress: false, protocol: '-1', ruleAction: 'allow', cidrBlock: '0.0.0.0/0' },
    ]);
    const wire = await startEc2(state);
    const acls = networkAcls(wire.endpoint, { aclIds: [APP_ACL] });

    // Act
    await acls.deleteEgressEntry(APP_ACL, 9);
    await acls.deleteEgressEntry(APP_ACL, 9);

    // Assess
    expect(state.entry(APP_ACL, 9)).toBeUndefined();
    expect(state.entry(APP_ACL, 9, false)).toBeDefined();
    expect(wire.operations()).toEqual(['DeleteNetworkAclEntry', 'DeleteNetworkAclEntry']);
    expect(wire.requests.map(formOf)).toEqual([
      { NetworkAclId: APP_ACL, RuleNumber: '9', Egress: 'true' },
      { NetworkAclId: APP_ACL, RuleNumber: '9', Egress: 'true' },
    ]);
    expectEc2Requests(wire);
  });

  it('maps InvalidNetworkAclID.NotFound on a write to TargetNotFoundError, the code the ledger release keys on', async () => {
    // Prepare
    const state = new Ec2State();
    const wire = await startEc2(state);
    const acls = networkAcls(wire.endpoint, { aclIds: [GONE_ACL] });
    const kit = kitOf();

    // Act
    const created = await acls
      .createEgressDeny(GONE_ACL, 3, '203.0.113.7/32')
      .catch((caught: unknown) => caught);
    const deleted = await acls.deleteEgressEntry(GONE_ACL, 3).catch((caught: unknown) => caught);

    // Assess
    for (const error of [created, deleted]) {
      expect(error).toBeInstanceOf(kit.TargetNotFoundError);
      expect(error).toMatchObject({ name: 'TargetNotFoundError', code: 'InvalidNetworkAclID.NotFound' });
      expect((error as Error).message).toBe(
        `network ACL ${GONE_ACL} does not exist: The networkAcl ID '${GONE_ACL}' does not exist`,
      );
      expect((error as Error).cause).toMatchObject({
        name: 'InvalidNetworkAclID.NotFound',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(wire.operations()).toEqual(['CreateNetworkAclEntry', 'DeleteNetworkAclEntry']);
    expectEc2Requests(wire);
  });

  it('retries RequestLimitExceeded in the adapter, then gives ThrottledError', async () => {
    // Prepare
    const state = new Ec2State();
    state.addAcl(APP_ACL, VPC);
    state.throttled.set('CreateNetworkAclEntry', Number.POSITIVE_INFINITY);
    const wire = await startEc2(state);
    // One SDK attempt per call: the adapter's retries are the ones under test.
    const acls = networkAcls(wire.endpoint, { aclIds: [APP_ACL] }, { maxAttempts: 1 });
    const kit = kitOf();

    // Act
    const error = await acls
      .createEgressDeny(APP_ACL, 3, '203.0.113.7/32')
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(kit.ThrottledError);
    expect(error).toMatchObject({ code: 'RequestLimitExceeded', retryable: true });
    expect((error as Error).cause).toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
    expect(wire.operations()).toEqual(Array(5).fill('CreateNetworkAclEntry'));
    expect(state.entry(APP_ACL, 3)).toBeUndefined();
  });

  it("reads the VPCs' associated CIDR blocks of both families with DescribeVpcs, following nextToken", async () => {
    // Prepare
    const state = new Ec2State();
    state.vpcs.set(VPC, {
      v4: [
        { cidr: '10.0.0.0/16', state: 'associated' },
        { cidr: '10.1.0.0/16', state: 'disassociated' },
      ],
      v6: [{ cidr: '2001:DB8:1234:1A00::/56', state: 'associated' }],
    });
    state.vpcs.set(OTHER_VPC, {
      v4: [
        { cidr: '172.31.0.0/16', state: 'associated' },
        { cidr: '100.64.0.0/16', state: 'associating' },
      ],
      v6: [],
    });
    const wire = await startEc2(state);
    const { readVpcCidrs: read } = kitOf();

    // Act
    const cidrs = await read(client(wire.endpoint), [VPC, OTHER_VPC], { sleep: async () => {} });

    // Assess
    expect(cidrs).toEqual(['10.0.0.0/16', '172.31.0.0/16', '2001:db8:1234:1a00::/56']);
    expect(wire.operations()).toEqual(['DescribeVpcs', 'DescribeVpcs']);
    expect(wire.requests.map(formOf)).toEqual([
      {
        'Filter.1.Name': 'vpc-id',
        'Filter.1.Value.1': VPC,
        'Filter.1.Value.2': OTHER_VPC,
        MaxResults: '1000',
      },
      {
        'Filter.1.Name': 'vpc-id',
        'Filter.1.Value.1': VPC,
        'Filter.1.Value.2': OTHER_VPC,
        MaxResults: '1000',
        NextToken: '1',
      },
    ]);
    expectEc2Requests(wire);
  });

  it('names a VPC that DescribeVpcs does not return as InvalidInputError on vpcIds', async () => {
    // Prepare
    const state = new Ec2State();
    state.vpcs.set(VPC, { v4: [{ cidr: '10.0.0.0/16', state: 'associated' }], v6: [] });
    const wire = await startEc2(state);
    const kit = kitOf();

    // Act
    const error = await kit
      .readVpcCidrs(client(wire.endpoint), [VPC, OTHER_VPC])
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(kit.InvalidInputError);
    expect(error).toMatchObject({ field: 'vpcIds' });
    expect((error as Error).message).toContain(`no such VPC: ${OTHER_VPC}`);
    expect(queryList(wire.requests[0]?.body as QueryForm, 'Filter.1.Value')).toEqual([VPC, OTHER_VPC]);
  });
}

describe('Ec2NetworkAcls and readVpcCidrs on the wire (EC2 query), from source', () => {
  ec2Scenarios(() => SOURCE_KIT);
});

describe('Ec2NetworkAcls and readVpcCidrs on the wire (EC2 query), bundled as the functions ship them', () => {
  let bundle: BundledExports<Ec2Kit> | undefined;

  beforeAll(async () => {
    bundle = await bundleExports<Ec2Kit>('wire-ec2-bundle-', [
      "export { DescribeNetworkAclsCommand, EC2Client } from '@aws-sdk/client-ec2';",
      "export { Ec2NetworkAcls } from '#adapters/aws/network-acls';",
      "export { readVpcCidrs } from '#adapters/aws/vpc-cidrs';",
      "export { ConcurrentUpdateError, InvalidInputError, TargetNotFoundError, ThrottledError } from '#domain/errors';",
    ]);
  }, 120_000);

  afterAll(async () => {
    await bundle?.remove();
  });

  it("takes EC2's ES module schemas, rewritten so that most of them are dropped", () => {
    // Assess
    const inputs = Object.entries(bundle?.metafile.inputs ?? {});
    const schemas = inputs.find(([path]) => /client-ec2\/dist-es\/schemas\/schemas_0\.js$/.test(path));
    expect(schemas).toBeDefined();
    const [schemasPath, schemasInput] = schemas as [string, { bytes: number }];
    const kept = bundle ? (bundledInputs(bundle.metafile).get(schemasPath) ?? 0) : 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(schemasInput.bytes / 10);
  });

  ec2Scenarios(() => {
    if (!bundle) throw new Error('the bundle was not built');
    return bundle.module;
  });
});
