/**
 * AWS's published IP ranges (`ip-ranges.json`) as the guard rails need them: which networks are AWS's own
 * service space, and which single addresses anyone can rent (EC2, Global Accelerator) and so stay blockable.
 * Parsed once into a sorted array of disjoint segments, so that a check is one binary search, not a scan of
 * some 11,000 prefixes.
 */
import * as v from 'valibot';
import { AWS_IP_RANGES_SNAPSHOT } from './aws-ip-ranges-snapshot';
import { type CidrRange, fromCanonicalCidr, toRange } from './cidr';
import { buildCidrMatcher, type CidrEntry } from './detect/cidr-matcher';
import { InvalidInputError } from './errors';
import { type Indicator, parseIndicator } from './indicator';
import { parseWith } from './validate';

/**
 * Services whose addresses customers rent one at a time: an attacker can run a host on an EC2 Elastic IP or
 * behind an accelerator's two static addresses, so a single such address may be blocked. Every other service
 * (S3, DynamoDB, CloudFront's shared edges, API Gateway, Route 53, the `AMAZON` space not listed under EC2…)
 * is AWS's own or shared by many customers, and stays reachable.
 */
export const RENTABLE_SERVICES: ReadonlySet<string> = new Set(['EC2', 'GLOBALACCELERATOR']);

/** `AMAZON` lists every prefix again; it says nothing about a prefix that another service also lists. */
const SUPERSET_SERVICE = 'AMAZON';

/** One published prefix: `ip_prefix` or `ipv6_prefix` with its `service` and `region`. */
export interface AwsIpPrefix {
  readonly cidr: string;
  readonly service: string;
  readonly region: string;
}

/** The published prefix that decides about a network, as lookup finds it. */
export interface AwsIpMatch {
  /** The canonical CIDR as published. */
  readonly cidr: string;
  /** The services that list it, `AMAZON` left out unless it is the only one. */
  readonly services: readonly string[];
  readonly region: string;
  /** True when only EC2 or Global Accelerator (and `AMAZON`) list it: one address there may be blocked. */
  readonly rentable: boolean;
}

/** AWS's ranges, indexed. */
export interface AwsIpRanges {
  /** Where the data came from (`snapshot …` or a file path) and its `syncToken` and `createDate`. */
  readonly source: string;
  readonly syncToken: string;
  readonly createDate: string;
  /** Distinct published prefixes. */
  readonly size: number;
  /**
   * For a single address, the most specific published prefix that contains it; for a wider network, a
   * published prefix that overlaps it (the most specific one at the overlap); null when none does.
   */
  lookup(range: CidrRange): AwsIpMatch | null;
}

/** The compact form shipped with the package: space-separated CIDRs per `SERVICE region`. */
export interface AwsIpRangesSnapshot {
  readonly source: string;
  readonly syncToken: string;
  readonly createDate: string;
  readonly groups: Readonly<Record<string, string>>;
}

const IpRangesSchema = v.object({
  syncToken: v.string(),
  createDate: v.string(),
  prefixes: v.pipe(
    v.array(v.object({ ip_prefix: v.string(), region: v.string(), service: v.string() })),
    v.minLength(1, 'must list at least one prefix: an empty file would lift every AWS guard rail'),
  ),
  ipv6_prefixes: v.array(v.object({ ipv6_prefix: v.string(), region: v.string(), service: v.string() })),
});

/**
 * Parses the content of AWS's `ip-ranges.json` (already read and JSON-decoded) and indexes it. `source` says
 * where it came from, for messages. Throws InvalidInputError naming the field and the value that is wrong.
 */
export function parseAwsIpRanges(json: unknown, source: string): AwsIpRanges {
  const raw = parseWith(IpRangesSchema, json, 'ip-ranges');
  const prefixes: AwsIpPrefix[] = [
    ...raw.prefixes.map((p, i) => ({
      cidr: canonicalCidr(p.ip_prefix, `ip-ranges.prefixes[${i}].ip_prefix`, 4),
      service: p.service,
      region: p.region,
    })),
    ...raw.ipv6_prefixes.map((p, i) => ({
      cidr: canonicalCidr(p.ipv6_prefix, `ip-ranges.ipv6_prefixes[${i}].ipv6_prefix`, 6),
      service: p.service,
      region: p.region,
    })),
  ];
  return indexAwsIpRanges(
    `${source} (syncToken ${raw.syncToken}, createDate ${raw.createDate})`,
    raw.syncToken,
    raw.createDate,
    prefixes,
  );
}

let snapshot: AwsIpRanges | undefined;

/** The ranges shipped with the package, indexed on first use and then shared. */
export function awsIpRangesSnapshot(): AwsIpRanges {
  if (!snapshot) {
    const { source, syncToken, createDate, groups } = AWS_IP_RANGES_SNAPSHOT;
    const prefixes = Object.entries(groups).flatMap(([key, cidrs]) => {
      const [service = '', region = ''] = key.split(' ');
      return cidrs.split(' ').map((cidr) => ({ cidr, service, region }));
    });
    snapshot = indexAwsIpRanges(
      `the snapshot shipped with the package (syncToken ${syncToken}, createDate ${createDate}, ${source})`,
      syncToken,
      createDate,
      prefixes,
    );
  }
  return snapshot;
}

function canonicalCidr(value: string, field: string, family: 4 | 6): string {
  const indicator = parseIndicator(value, field);
  if (indicator.kind === 'domain' || indicator.family !== family) {
    throw new InvalidInputError(`${JSON.stringify(value)} is not an IPv${family} CIDR`, field);
  }
  return indicator.value;
}

/** Builds the index: one entry per distinct published prefix, its services and regions merged. */
function indexAwsIpRanges(
  source: string,
  syncToken: string,
  createDate: string,
  prefixes: readonly AwsIpPrefix[],
): AwsIpRanges {
  const byCidr = new Map<string, { services: Set<string>; regions: Set<string> }>();
  for (const { cidr, service, region } of prefixes) {
    const entry = byCidr.get(cidr) ?? { services: new Set(), regions: new Set() };
    entry.services.add(service);
    entry.regions.add(region);
    byCidr.set(cidr, entry);
  }
  const published: CidrEntry<AwsIpMatch>[] = [...byCidr].map(([cidr, { services, regions }]) => {
    const named = [...services].filter((service) => service !== SUPERSET_SERVICE).sort();
    return {
      // Every CIDR here is canonical: parseAwsIpRanges checks a file, a test checks the snapshot.
      range: fromCanonicalCidr(cidr),
      value: {
        cidr,
        services: named.length > 0 ? named : [SUPERSET_SERVICE],
        region: [...regions].sort().join(', '),
        rentable: named.length > 0 && named.every((service) => RENTABLE_SERVICES.has(service)),
      },
    };
  });
  const matcher = buildCidrMatcher(published);
  return {
    source,
    syncToken,
    createDate,
    size: published.length,
    lookup: (range) => matcher.lookup(range),
  };
}

/**
 * Whether an address (as a log writes it) is AWS's own service space (S3, DynamoDB, CloudFront…): never an
 * address customers rent (EC2 Elastic IPs, Global Accelerator), and false for anything that is no address.
 */
export function isAwsServiceAddress(ranges: AwsIpRanges, address: string): boolean {
  let indicator: Indicator;
  try {
    indicator = parseIndicator(address, 'address');
  } catch {
    return false;
  }
  return indicator.kind !== 'domain' && ranges.lookup(toRange(indicator.value))?.rentable === false;
}
