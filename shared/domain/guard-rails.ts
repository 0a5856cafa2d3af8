/**
 * The guard rails: what Egress Warden never blocks, whatever a finding, a detector or an operator asks, and
 * the allowlist. Built in: the VPC's own addresses (metadata, DNS, time sync, link-local, loopback), the
 * private ranges, AWS's published service space, AWS's own domains and the managed VPCs' CIDRs; IPv4
 * addresses embedded in IPv6 (NAT64, 6to4, Teredo) get the IPv4 rails. Checked at decision time and again
 * at enforcement time, and by aggregation so that two blockable networks never merge into one that is not.
 */
import { type CidrRange, formatRange, rangeContains, rangesOverlap, toRange } from './cidr';
import { type DomainIndicator, type Indicator, isSubdomainOrSame } from './indicator';
import type { Policy } from './policy';

/** Why an indicator may not be blocked, or null when it may. */
export interface Protection {
  readonly reason: 'guard-rail' | 'allowlisted';
  readonly detail: string;
}

interface Listed {
  readonly cidr: string;
  readonly range: CidrRange;
}

const listed = (cidr: string): Listed => ({ cidr, range: toRange(cidr) });

/** Addresses that must always stay reachable from a VPC, parsed once: every check runs against them all. */
const ALWAYS_PROTECTED: readonly (Listed & { what: string })[] = [
  { cidr: '169.254.169.253/32', what: 'the Amazon-provided DNS server' },
  { cidr: '169.254.169.254/32', what: 'the instance metadata service' },
  { cidr: '169.254.169.123/32', what: 'the Amazon Time Sync Service' },
  { cidr: 'fd00:ec2::253/128', what: 'the Amazon-provided DNS server (IPv6)' },
  { cidr: 'fd00:ec2::254/128', what: 'the instance metadata service (IPv6)' },
  { cidr: 'fd00:ec2::123/128', what: 'the Amazon Time Sync Service (IPv6)' },
  { cidr: '169.254.0.0/16', what: 'link-local addresses' },
  { cidr: 'fe80::/10', what: 'link-local addresses' },
  { cidr: '127.0.0.0/8', what: 'loopback addresses' },
  { cidr: '::1/128', what: 'the loopback address' },
  { cidr: '0.0.0.0/8', what: '"this network" addresses' },
  { cidr: '::/128', what: 'the unspecified address' },
].map((entry) => ({ ...entry, ...listed(entry.cidr) }));

const PRIVATE_RANGES: readonly Listed[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
].map(listed);

/**
 * IPv6 prefixes that carry an IPv4 address in fixed bits. Traffic to them reaches (or, for NAT64, is
 * translated to) that IPv4 address, so the IPv4 rails apply to it. `fields` give the bit offset of each
 * embedded IPv4 address and the mask it is XORed with. A network wider than a whole prefix is every IPv4
 * address at once and is refused.
 */
const EMBEDDINGS: readonly (Listed & { name: string; fields: readonly { offset: number; xor: bigint }[] })[] =
  [
    // RFC 6052 well-known prefix: AWS NAT gateways translate it (DNS64), so it is all IPv4 egress of
    // IPv6-only subnets.
    { cidr: '64:ff9b::/96', name: 'the NAT64 prefix (RFC 6052)', fields: [{ offset: 96, xor: 0n }] },
    // RFC 8215 local-use block: operators pick /96 sub-prefixes, so every /96 inside carries IPv4 in its
    // last 32 bits; anything wider than a /96 there spans all of IPv4.
    {
      cidr: '64:ff9b:1::/48',
      name: 'the local-use NAT64 block (RFC 8215)',
      fields: [{ offset: 96, xor: 0n }],
    },
    // RFC 3056 6to4: the site's IPv4 address in bits 16-47.
    { cidr: '2002::/16', name: '6to4 (RFC 3056)', fields: [{ offset: 16, xor: 0n }] },
    // RFC 4380 Teredo: the server in bits 32-63 and the client, inverted, in bits 96-127.
    {
      cidr: '2001::/32',
      name: 'Teredo (RFC 4380)',
      fields: [
        { offset: 32, xor: 0n },
        { offset: 96, xor: 0xffff_ffffn },
      ],
    },
  ].map((entry) => ({ ...entry, ...listed(entry.cidr) }));

/**
 * AWS's own names. Blocking them breaks the workloads and Egress Warden itself: the service endpoints
 * (`amazonaws.com`, `amazonaws.com.cn`, the dual-stack `api.aws`), the console and sign-in (`amazon.com`),
 * certificate checks (`amazontrust.com`), package repositories (`amazonlinux.com`), time (`time.aws.com`),
 * and the names the VPC resolver answers (`*.internal`: `ec2.internal`, `<region>.compute.internal`,
 * `instance-data.ec2.internal`). Customer-owned names under them stay blockable (see customerOwned).
 */
const AWS_DOMAINS: readonly string[] = [
  'amazonaws.com',
  'amazonaws.com.cn',
  'api.aws',
  'amazon.com',
  'amazontrust.com',
  'amazonlinux.com',
  'aws.com',
  'internal',
];

/** `<region>.amazonaws.com`: the Public Suffix List lists some, yet the names right under are AWS endpoints. */
const REGION_SUFFIX = /^[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?$/;

/**
 * Checks the built-in guard rails, the protected lists and the allowlist. An indicator is protected when it
 * overlaps a protected network or when it and a protected domain cover one another (blocking `example.com`
 * would also block an allowlisted `partner.example.com`). Run at decision time and again at enforcement time.
 */
export function protectionOf(indicator: Indicator, policy: Policy): Protection | null {
  if (indicator.kind === 'domain') return domainProtection(indicator, policy);
  return networkProtection(toRange(indicator.value), policy);
}

/**
 * A veto for aggregateCidrs and the network ACL planner: two halves merge only when the guard rails would let
 * their parent be blocked (two single EC2 addresses never become a /31, two NAT64 /97s never the /96).
 */
export function mayMergeUnder(policy: Policy): (parent: CidrRange) => boolean {
  return (parent) => networkProtection(parent, policy) === null;
}

function domainProtection(indicator: DomainIndicator, policy: Policy): Protection | null {
  const { guardRails, allowlist } = policy;
  const name = indicator.value.replace(/^\*\./, '');
  if (indicator.registeredDomain === null) {
    return {
      reason: 'guard-rail',
      detail: `${indicator.value} is a public suffix: blocking it would block every site under it`,
    };
  }
  const related = (other: string) => isSubdomainOrSame(name, other) || isSubdomainOrSame(other, name);
  const aws = AWS_DOMAINS.find(related);
  if (aws && !customerOwned(indicator, aws))
    return { reason: 'guard-rail', detail: `${indicator.value} overlaps the AWS service domain ${aws}` };
  const own = guardRails.protectedDomains.find(related);
  if (own) return { reason: 'guard-rail', detail: `${indicator.value} overlaps the protected domain ${own}` };
  const allowed = allowlist.domains.find(related);
  if (allowed)
    return { reason: 'allowlisted', detail: `${indicator.value} overlaps the allowlisted domain ${allowed}` };
  return null;
}

/**
 * A name under an AWS domain that belongs to a customer: its registered domain (Public Suffix List, private
 * section) is longer than an AWS suffix, as in `<bucket>.s3.amazonaws.com`,
 * `<id>.execute-api.<region>.amazonaws.com` or `<name>.<region>.elb.amazonaws.com`. Not the endpoints right
 * under a Region (`ec2.us-east-1.amazonaws.com`), which the list also treats as registered domains.
 */
function customerOwned(indicator: DomainIndicator, aws: string): boolean {
  const registered = indicator.registeredDomain ?? '';
  if (registered === aws || !isSubdomainOrSame(registered, aws)) return false;
  const suffix = registered.slice(registered.indexOf('.') + 1);
  return suffix !== aws && !REGION_SUFFIX.test(suffix);
}

/** The configured CIDR lists, parsed once per list: decide and enforce check them on every indicator. */
const parsedLists = new WeakMap<readonly string[], readonly Listed[]>();

function parsed(cidrs: readonly string[]): readonly Listed[] {
  let list = parsedLists.get(cidrs);
  if (!list) {
    list = cidrs.map(listed);
    parsedLists.set(cidrs, list);
  }
  return list;
}

function networkProtection(range: CidrRange, policy: Policy): Protection | null {
  const own = guardRailOf(range, policy);
  if (own) return own;
  if (range.family === 6) {
    const embedded = embeddedProtection(range, policy);
    if (embedded) return embedded;
  }
  const allowed = parsed(policy.allowlist.cidrs).find((p) => rangesOverlap(p.range, range));
  if (allowed)
    return {
      reason: 'allowlisted',
      detail: `${formatRange(range)} overlaps the allowlisted network ${allowed.cidr}`,
    };
  return null;
}

function guardRailOf(range: CidrRange, policy: Policy): Protection | null {
  const { guardRails } = policy;
  const refuse = (detail: string): Protection => ({
    reason: 'guard-rail',
    detail: `${formatRange(range)} ${detail}`,
  });
  const minimum = range.family === 4 ? guardRails.minPrefixLengthV4 : guardRails.minPrefixLengthV6;
  if (range.prefixLength < minimum)
    return refuse(`is wider than /${minimum}, the widest network Egress Warden will block`);
  const embedding = EMBEDDINGS.find((e) => rangeContains(range, e.range));
  if (embedding) return refuse(`covers ${embedding.name} ${embedding.cidr}: every IPv4 address behind it`);
  const builtIn = ALWAYS_PROTECTED.find((p) => rangesOverlap(p.range, range));
  if (builtIn) return refuse(`covers ${builtIn.what} (${builtIn.cidr})`);
  if (!guardRails.allowPrivateRanges) {
    const privateRange = PRIVATE_RANGES.find((p) => rangesOverlap(p.range, range));
    if (privateRange)
      return refuse(
        `is in the private range ${privateRange.cidr}; set guardRails.allowPrivateRanges to block it`,
      );
  }
  const vpc = parsed(guardRails.vpcCidrs).find((p) => rangesOverlap(p.range, range));
  if (vpc) return refuse(`overlaps the VPC network ${vpc.cidr}`);
  const aws = guardRails.awsIpRanges.lookup(range);
  const single = range.prefixLength === (range.family === 4 ? 32 : 128);
  if (aws && !(single && aws.rentable)) {
    const what = `${aws.cidr}, published by AWS for ${aws.services.join(' and ')} (${aws.region})`;
    return refuse(
      aws.rentable
        ? `overlaps ${what}: only single addresses there may be blocked`
        : `overlaps ${what}: AWS's own service space`,
    );
  }
  const protectedCidr = parsed(guardRails.protectedCidrs).find((p) => rangesOverlap(p.range, range));
  if (protectedCidr) return refuse(`overlaps the protected network ${protectedCidr.cidr}`);
  return null;
}

/** The IPv4 rails, applied to the IPv4 address or network an IPv6 network carries. */
function embeddedProtection(range: CidrRange, policy: Policy): Protection | null {
  const embedding = EMBEDDINGS.find((e) => rangeContains(e.range, range));
  if (!embedding) return null;
  for (const { offset, xor } of embedding.fields) {
    const fixed = Math.min(32, Math.max(0, range.prefixLength - offset));
    const shift = BigInt(128 - offset - 32);
    const hostBits = BigInt(32 - fixed);
    const bits = ((range.network >> shift) & 0xffff_ffffn) ^ xor;
    const ipv4: CidrRange = { family: 4, network: (bits >> hostBits) << hostBits, prefixLength: fixed };
    const inner = networkProtection(ipv4, policy);
    if (inner)
      return {
        reason: inner.reason,
        detail: `${formatRange(range)} carries ${formatRange(ipv4)} (${embedding.name}): ${inner.detail}`,
      };
  }
  return null;
}
