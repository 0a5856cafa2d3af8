/**
 * Seeded generators of Route 53 Resolver query traffic for the DNS detector tests: tunnels, DGA bursts,
 * threat-intel hits and benign traffic (AWS hostnames, S3 and CloudFront names, package registries, reverse
 * lookups, search-path NXDOMAIN noise). Same seed, same records. Also an in-memory fold of window increments
 * into totals, with the semantics the detector state store promises.
 */
import type { DnsQuery } from '#domain/detect/dns';
import type { WindowIncrement, WindowShape, WindowTotal } from '#domain/detect/window';

export const T0 = Date.parse('2026-11-28T10:00:00.000Z');
export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** A small seeded PRNG (mulberry32): deterministic test data without a dependency. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;
const chars = (random: () => number, alphabet: string, length: number): string =>
  Array.from({ length }, () => pick(random, [...alphabet])).join('');
const HEX = '0123456789abcdef';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** A query record; `raw` is the JSON line AWS would write for it. */
export function query(fields: Partial<DnsQuery> & Pick<DnsQuery, 'name'>): DnsQuery {
  const base = {
    at: T0,
    type: 'A',
    rcode: 'NOERROR',
    srcAddr: '10.0.1.5',
    instanceId: 'i-0123456789abcdef0',
    vpcId: 'vpc-0abc1234',
    account: '123456789012',
    region: 'us-east-1',
    ...fields,
  };
  const raw = JSON.stringify({
    version: '1.100000',
    account_id: base.account,
    region: base.region,
    vpc_id: base.vpcId,
    query_timestamp: new Date(base.at).toISOString(),
    query_name: `${base.name}.`,
    query_type: base.type,
    query_class: 'IN',
    rcode: base.rcode,
    answers: [],
    srcaddr: base.srcAddr,
    srcport: '53001',
    transport: 'UDP',
    srcids: base.instanceId ? { instance: base.instanceId } : {},
    ...(base.firewallAction
      ? {
          firewall_rule_group_id: base.firewallRuleGroupId,
          firewall_rule_action: base.firewallAction,
          firewall_domain_list_id: base.firewallDomainListId,
        }
      : {}),
  });
  return { ...base, raw: fields.raw ?? raw };
}

/** `count` tunnel queries: unique hex-encoded labels under `domain`, spread evenly over `spanMs`. */
export function tunnelQueries(
  seed: number,
  options: {
    domain: string;
    count: number;
    src?: string;
    start?: number;
    spanMs?: number;
    type?: string;
    labelLength?: number;
  },
): DnsQuery[] {
  const random = rng(seed);
  const { domain, count, start = T0, spanMs = 10 * MINUTE, type = 'TXT', labelLength = 50 } = options;
  return Array.from({ length: count }, (_, i) =>
    query({
      name: `${chars(random, HEX, labelLength)}.${i.toString(16)}.${domain}`,
      type,
      at: start + Math.floor((i * spanMs) / count),
      ...(options.src ? { srcAddr: options.src } : {}),
    }),
  );
}

/** `count` NXDOMAIN queries for random-letter domains (a DGA burst) from `src`. */
export function dgaBurst(
  seed: number,
  options: { count: number; src?: string; start?: number; spanMs?: number },
): DnsQuery[] {
  const random = rng(seed);
  const { count, start = T0, spanMs = 30 * MINUTE } = options;
  return Array.from({ length: count }, (_, i) =>
    query({
      name: `${chars(random, LETTERS, 10 + Math.floor(random() * 7))}.${pick(random, ['com', 'net', 'info', 'org'])}`,
      rcode: 'NXDOMAIN',
      at: start + Math.floor((i * spanMs) / count),
      ...(options.src ? { srcAddr: options.src } : {}),
    }),
  );
}

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const SERVICES = ['ec2', 'sts', 's3', 'dynamodb', 'logs', 'monitoring', 'ssm', 'kms', 'sqs', 'events'];
const REGISTRIES = [
  'registry.npmjs.org',
  'files.pythonhosted.org',
  'pypi.org',
  'proxy.golang.org',
  'registry-1.docker.io',
  'index.rubygems.org',
  'repo1.maven.org',
  'deb.debian.org',
  'archive.ubuntu.com',
  'dl-cdn.alpinelinux.org',
  'objects.githubusercontent.com',
  'index.crates.io',
];

/** One benign name of a kind real VPCs resolve all day, with the rcode it gets. */
function benignName(random: () => number): { name: string; rcode: string; type: string } {
  const region = pick(random, REGIONS);
  const ip = () =>
    `${10}-${Math.floor(random() * 256)}-${Math.floor(random() * 256)}-${Math.floor(random() * 256)}`;
  const kinds: (() => { name: string; rcode?: string; type?: string })[] = [
    () => ({ name: `${pick(random, SERVICES)}.${region}.amazonaws.com` }),
    () => ({ name: `${chars(random, LETTERS + HEX, 12)}-logs.s3.${region}.amazonaws.com` }),
    () => ({ name: `bucket-${chars(random, HEX, 8)}.s3.amazonaws.com` }),
    () => ({ name: `d${chars(random, LETTERS + HEX, 13)}.cloudfront.net` }),
    () => ({ name: `ip-${ip()}.ec2.internal` }),
    () => ({ name: `ip-${ip()}.${region}.compute.internal` }),
    () => ({ name: `i-0${chars(random, HEX, 16)}.${region}.compute.internal` }),
    () => ({ name: `ec2-203-0-113-${Math.floor(random() * 256)}.compute-1.amazonaws.com` }),
    () => ({ name: `my-lb-${chars(random, HEX, 10)}.${region}.elb.amazonaws.com` }),
    () => ({ name: `${chars(random, HEX, 32)}.lambda-url.${region}.on.aws` }),
    () => ({ name: `${chars(random, HEX, 10)}.execute-api.${region}.amazonaws.com` }),
    () => ({ name: pick(random, REGISTRIES) }),
    () => ({
      name: `${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.0.10.in-addr.arpa`,
      type: 'PTR',
    }),
    () => ({
      name: `${pick(random, ['db', 'api', 'cache', 'queue', 'auth'])}-${chars(random, LETTERS, 6)}.ec2.internal.corp.example`,
      rcode: 'NXDOMAIN',
    }),
    () => ({
      name: `${pick(random, ['web', 'api'])}-${chars(random, LETTERS, 5)}.default.svc.cluster.local.corp.example`,
      rcode: 'NXDOMAIN',
    }),
    () => ({ name: chars(random, LETTERS, 7 + Math.floor(random() * 9)), rcode: 'NXDOMAIN' }),
    () => ({ name: `rr${Math.floor(random() * 9)}---sn-${chars(random, LETTERS + HEX, 8)}.googlevideo.com` }),
    () => ({ name: `e${Math.floor(random() * 9999)}.a.akamaiedge.net` }),
    () => ({ name: pick(random, ['www.example.com', 'api.example.org', 'example.net']) }),
  ];
  const chosen = pick(random, kinds)();
  return { name: chosen.name, rcode: chosen.rcode ?? 'NOERROR', type: chosen.type ?? 'A' };
}

/** `count` benign queries from a handful of hosts, over `spanMs`. */
export function benignTraffic(
  seed: number,
  options: { count: number; start?: number; spanMs?: number; hosts?: number },
): DnsQuery[] {
  const random = rng(seed);
  const { count, start = T0, spanMs = 60 * MINUTE, hosts = 4 } = options;
  return Array.from({ length: count }, () => {
    const host = Math.floor(random() * hosts);
    return query({
      ...benignName(random),
      srcAddr: `10.0.1.${10 + host}`,
      instanceId: `i-0${host.toString(16).padStart(16, '0')}`,
      at: start + Math.floor(random() * spanMs),
    });
  });
}

/** A deterministic shuffle (Fisher-Yates), for out-of-order delivery. */
export function shuffled<T>(seed: number, items: readonly T[]): T[] {
  const random = rng(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * The detector state store's promise, in memory: add each increment to its key and bucket, then total every
 * touched key over the `buckets` buckets ending at the newest bucket it holds (a late record adds to its own
 * bucket and does not move the window back).
 */
export class WindowFold {
  readonly #keys = new Map<string, Map<number, { count: number; bytes: number; members: Set<string> }>>();

  addAndTotal(increments: readonly WindowIncrement[], shape: WindowShape): WindowTotal[] {
    for (const increment of increments) {
      let buckets = this.#keys.get(increment.key);
      if (!buckets) {
        buckets = new Map();
        this.#keys.set(increment.key, buckets);
      }
      let cell = buckets.get(increment.bucketStart);
      if (!cell) {
        cell = { count: 0, bytes: 0, members: new Set() };
        buckets.set(increment.bucketStart, cell);
      }
      cell.count += increment.count;
      cell.bytes += increment.bytes;
      for (const member of increment.members) {
        if (cell.members.size < shape.maxMembers) cell.members.add(member);
      }
    }
    const touched = [...new Set(increments.map((increment) => increment.key))];
    return touched.map((key) => {
      const buckets = this.#keys.get(key) ?? new Map();
      const to = Math.max(...buckets.keys());
      const from = to - (shape.buckets - 1) * shape.bucketMs;
      let count = 0;
      let bytes = 0;
      const members = new Set<string>();
      for (const [start, cell] of buckets) {
        if (start < from) continue;
        count += cell.count;
        bytes += cell.bytes;
        for (const member of cell.members) members.add(member);
      }
      return {
        key,
        count,
        bytes,
        distinct: members.size,
        members: [...members].slice(0, shape.maxMembers),
        from,
        to,
      };
    });
  }
}
