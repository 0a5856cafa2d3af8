/**
 * Flow-log detections, pure: a batch of normalised flow records becomes window observations (one increment per
 * key and bucket, see `window.ts`), and the window totals the state store returns become Threat Signal details.
 * Four detections, all on egress traffic only:
 * * `flow-threat-intel`: a destination listed by an IP feed;
 * * `flow-port-scan`: many destination ports of failed attempts from one source to one destination;
 * * `flow-address-scan`: many destination hosts of failed attempts from one source on one port;
 * * `flow-volume`: many bytes from one source to one external destination.
 * Known-bad ports raise the severity of these; they never make a signal on their own.
 */

import { RENTABLE_SERVICES } from '../aws-ip-ranges';
import { type CidrRange, formatRange, toRange } from '../cidr';
import { parseIndicator } from '../indicator';
import { clipText } from '../record-budget';
import { addressValue, buildCidrMatcher, type CidrMatcher } from './cidr-matcher';
import type { FlowDetectorSettings, WindowedDetection } from './flow-settings';
import type { IpFeedMatch } from './ip-feeds';
import { WindowBatch, type WindowIncrement, type WindowShape, type WindowTotal } from './window';

/**
 * One flow-log record, normalised by the log parser: `-` fields left out, times in epoch milliseconds.
 * NODATA and SKIPDATA records carry no traffic and are not FlowRecords.
 */
export interface FlowRecord {
  /** First and last packet of the aggregation interval, epoch milliseconds. */
  readonly start: number;
  readonly end: number;
  readonly srcAddr: string;
  readonly dstAddr: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP). */
  readonly protocol?: number;
  readonly bytes?: number;
  readonly packets?: number;
  readonly action: 'ACCEPT' | 'REJECT';
  /** `flow-direction` (v5): relative to the interface that logged the record. */
  readonly flowDirection?: 'ingress' | 'egress';
  /** `tcp-flags` (v3): OR of the flags in the interval; 2 alone means a SYN that was never followed up. */
  readonly tcpFlags?: number;
  /** `pkt-dst-aws-service` (v5): the AWS service whose published range holds the destination. */
  readonly pktDstAwsService?: string;
  /** `traffic-path` (v5): 7 is a gateway VPC endpoint (S3, DynamoDB). */
  readonly trafficPath?: number;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly instanceId?: string;
  readonly interfaceId?: string;
  readonly account?: string;
  /** The record as it was logged, for evidence. */
  readonly raw: string;
}

/** The detections, also the `detector` of their signals. */
export type FlowDetection = 'flow-threat-intel' | 'flow-port-scan' | 'flow-address-scan' | 'flow-volume';

/** What the detector needs to know about the world; the caller builds it once per invocation or cold start. */
export interface FlowDetectorContext {
  /** The protected VPCs' CIDRs (canonical), IPv4 and IPv6: their own traffic is never "external". */
  readonly vpcCidrs: readonly string[];
  /**
   * True for AWS's own service space (S3, DynamoDB, CloudFront…), never for addresses customers rent (EC2
   * Elastic IPs, Global Accelerator): `awsIpRanges.lookup(range)?.rentable === false` does that. Asked only
   * when the record has no `pkt-dst-aws-service` field.
   */
  readonly isAwsAddress: (address: string) => boolean;
  /** The IP feeds, indexed (`indexIpFeeds`); an empty index turns the threat-intel detection off. */
  readonly intel: CidrMatcher<IpFeedMatch>;
}

/** One detection's share of a batch: the increments for the store, in the shape they must be totalled. */
export interface FlowWindowBatch {
  readonly detection: FlowDetection;
  readonly shape: WindowShape;
  readonly increments: readonly WindowIncrement[];
}

/**
 * A Threat Signal detail as the flow detector writes it, the JSON form of `ThreatSignalSchema`
 * (`shared/intake/threat-signal.ts`, which the domain does not import; the tests check every signal with it).
 */
export interface FlowSignal {
  readonly source: 'flow-log';
  readonly indicator: string;
  readonly severity: number;
  readonly detector: FlowDetection;
  readonly observedAt: string;
  readonly evidence: { readonly key: string; readonly summary: string; readonly details: string[] };
  readonly workload?: {
    readonly account?: string;
    readonly vpcId?: string;
    readonly subnetId?: string;
    readonly instanceId?: string;
    readonly eniId?: string;
  };
}

/** Counts of what a batch left out, for the invocation's report. */
export interface FlowBatchCounts {
  readonly records: number;
  /** Ingress records, and records whose source is outside the VPCs when the direction is not logged. */
  readonly notEgress: number;
  /** Addresses that are no IP address (`-`), and times or byte counts that are no non-negative integer. */
  readonly unreadable: number;
}

/**
 * Networks that are never an external destination: private, shared (CGNAT), loopback, link-local (the
 * Amazon DNS server, metadata service and Time Sync live there), multicast and reserved space.
 */
const NOT_EXTERNAL: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
  '::/127',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

/** `traffic-path` 7: through a gateway VPC endpoint, which only S3 and DynamoDB have. */
const GATEWAY_ENDPOINT_PATH = 7;

/** Longest raw line quoted in evidence: 20 lines of it stay far below the signal's 16 KiB. */
const MAX_EVIDENCE_LINE_BYTES = 600;

/** Evidence members (ports, hosts, sources) kept per key for the threat-intel and volume detections. */
const MEMBERS_KEPT = 20;

/** The flow-log detector: settings and context, read once; a FlowBatch per batch of records. */
export class FlowDetector {
  readonly settings: FlowDetectorSettings;
  readonly #context: FlowDetectorContext;
  /** VPC CIDRs and non-external space: the value says which. */
  readonly #internal: CidrMatcher<'vpc' | 'private'>;
  readonly #vpc: CidrMatcher<true>;

  constructor(settings: FlowDetectorSettings, context: FlowDetectorContext) {
    this.settings = settings;
    this.#context = context;
    const vpcRanges = context.vpcCidrs.map((cidr) => toRange(cidr));
    this.#vpc = buildCidrMatcher(vpcRanges.map((range) => ({ range, value: true as const })));
    this.#internal = buildCidrMatcher<'vpc' | 'private'>([
      ...NOT_EXTERNAL.map((cidr) => ({ range: toRange(cidr), value: 'private' as const })),
      ...vpcRanges.map((range) => ({ range, value: 'vpc' as const })),
    ]);
  }

  /** A new, empty batch. */
  batch(): FlowBatch {
    return new FlowBatch(this, this.#context, this.#vpc, this.#internal);
  }

  /** The window shape of a detection: `maxMembers` is enough to see the threshold crossed, as Zeek keeps. */
  shapeOf(detection: FlowDetection): WindowShape {
    const settings = this.#settingsOf(detection);
    const maxMembers =
      detection === 'flow-port-scan'
        ? this.settings.portScan.ports + 2
        : detection === 'flow-address-scan'
          ? this.settings.addressScan.hosts + 2
          : MEMBERS_KEPT;
    return { bucketMs: settings.bucketMs, buckets: settings.windowMs / settings.bucketMs, maxMembers };
  }

  #settingsOf(detection: FlowDetection): WindowedDetection {
    switch (detection) {
      case 'flow-threat-intel':
        return this.settings.threatIntel;
      case 'flow-port-scan':
        return this.settings.portScan;
      case 'flow-address-scan':
        return this.settings.addressScan;
      case 'flow-volume':
        return this.settings.volume;
    }
  }
}

/** What a batch kept about one key, for the evidence of a signal about it. */
interface KeyEvidence {
  readonly lines: string[];
  readonly workload: NonNullable<FlowSignal['workload']>;
  newest: number;
}

const DETECTIONS: readonly FlowDetection[] = [
  'flow-threat-intel',
  'flow-port-scan',
  'flow-address-scan',
  'flow-volume',
];

/**
 * One batch of flow records: `add` each record, hand `windows()` to the state store, then turn the totals it
 * returns into signals with `signals`. Memory grows with the distinct keys of the batch, not with records.
 */
export class FlowBatch {
  readonly #detector: FlowDetector;
  readonly #context: FlowDetectorContext;
  readonly #vpc: CidrMatcher<true>;
  readonly #internal: CidrMatcher<'vpc' | 'private'>;
  readonly #windows = new Map<FlowDetection, WindowBatch>();
  readonly #evidence = new Map<string, KeyEvidence>();
  readonly #counts = { records: 0, notEgress: 0, unreadable: 0 };
  /** isAwsAddress answers per destination: a batch repeats its destinations many times. */
  readonly #awsAddresses = new Map<string, boolean>();

  /** Use FlowDetector.batch(). */
  constructor(
    detector: FlowDetector,
    context: FlowDetectorContext,
    vpc: CidrMatcher<true>,
    internal: CidrMatcher<'vpc' | 'private'>,
  ) {
    this.#detector = detector;
    this.#context = context;
    this.#vpc = vpc;
    this.#internal = internal;
    const { settings } = detector;
    const enabled = {
      'flow-threat-intel': settings.threatIntel.enabled && context.intel.size > 0,
      'flow-port-scan': settings.portScan.enabled,
      'flow-address-scan': settings.addressScan.enabled,
      'flow-volume': settings.volume.enabled,
    };
    for (const detection of DETECTIONS) {
      if (enabled[detection]) this.#windows.set(detection, new WindowBatch(detector.shapeOf(detection)));
    }
  }

  /** Counts of the records seen and left out. */
  get counts(): FlowBatchCounts {
    return { ...this.#counts };
  }

  /** Adds one record's observations to every detection it concerns. */
  add(record: FlowRecord): void {
    this.#counts.records++;
    const { srcAddr, dstAddr } = record;
    // The store refuses a whole batch with a negative bucket or a fractional count, so such a record is
    // left out here, alone.
    const source = addressValue(srcAddr);
    const destination = addressValue(dstAddr);
    if (
      source === undefined ||
      destination === undefined ||
      !isCount(record.start) ||
      !isCount(record.bytes ?? 0)
    ) {
      this.#counts.unreadable++;
      return;
    }
    const egress =
      record.flowDirection !== undefined
        ? record.flowDirection === 'egress'
        : this.#vpc.lookupValue(source) !== null;
    if (!egress) {
      this.#counts.notEgress++;
      return;
    }
    const at = record.start;
    const port = record.dstPort;
    const portText = port === undefined ? '-' : String(port);

    const intel = this.#windows.get('flow-threat-intel');
    if (intel && this.#context.intel.lookupValue(destination) !== null) {
      const key = `flow-threat-intel ${dstAddr}`;
      intel.add(key, at, { bytes: record.bytes ?? 0, member: `${srcAddr} ${portText}` });
      this.#remember(key, record);
    }

    const external = this.#internal.lookupValue(destination) === null;
    if (!external) return;

    if (isFailedAttempt(record) && !looksLikeResponse(record)) {
      const ports = this.#windows.get('flow-port-scan');
      if (ports && port !== undefined) {
        const key = `flow-port-scan ${srcAddr} ${dstAddr}`;
        ports.add(key, at, { member: portText });
        this.#remember(key, record);
      }
      const hosts = this.#windows.get('flow-address-scan');
      if (hosts && port !== undefined) {
        const key = `flow-address-scan ${srcAddr} ${portText}`;
        hosts.add(key, at, { member: dstAddr });
        this.#remember(key, record);
      }
    }

    const volume = this.#windows.get('flow-volume');
    if (volume && record.action === 'ACCEPT' && !looksLikeResponse(record) && !this.#isAwsService(record)) {
      const key = `flow-volume ${srcAddr} ${dstAddr}`;
      volume.add(key, at, { bytes: record.bytes ?? 0, member: portText });
      this.#remember(key, record);
    }
  }

  /** The batch's increments, per detection, with the shape the store must total them in. */
  windows(): FlowWindowBatch[] {
    return [...this.#windows].map(([detection, batch]) => ({
      detection,
      shape: this.#detector.shapeOf(detection),
      increments: batch.increments(),
    }));
  }

  /**
   * The signals for one detection's totals (as the store returned them for this batch's increments): one for
   * each key over its threshold. Deterministic: the same totals and records give the same signals, and the
   * same key in the same window gives the same `evidence.key`.
   */
  signals(detection: FlowDetection, totals: readonly WindowTotal[]): FlowSignal[] {
    const signals: FlowSignal[] = [];
    for (const total of totals) {
      const signal = this.#signalOf(detection, total);
      if (signal) signals.push(signal);
    }
    return signals;
  }

  #signalOf(detection: FlowDetection, total: WindowTotal): FlowSignal | undefined {
    const { settings } = this.#detector;
    const [name, first = '', second = ''] = total.key.split(' ');
    if (name !== detection) return undefined;
    const window = describeWindow(total, this.#detector.shapeOf(detection));
    switch (detection) {
      case 'flow-threat-intel': {
        const match = this.#context.intel.lookupAddress(first);
        if (!match) return undefined;
        const sources = sortedUnique(total.members.map((member) => member.split(' ')[0] ?? ''));
        const ports = total.members.map((member) => Number(member.split(' ')[1]));
        const listings = match.listings
          .map((listing) => (listing.label ? `${listing.feed} (${listing.label})` : listing.feed))
          .join(', ');
        const modifiers: Modifier[] = [
          {
            when: total.bytes >= settings.threatIntel.largeTransferBytes,
            add: 1,
            why: `${total.bytes} bytes sent, at least ${settings.threatIntel.largeTransferBytes}`,
          },
          this.#badPortModifier(ports),
        ];
        return this.#build(detection, total, first, settings.threatIntel.severity, modifiers, {
          summary: `Egress to ${first}, listed in ${match.cidr} by ${listings}: ${total.count} flow records, ${total.bytes} bytes from ${sources.join(', ')} ${window}`,
          facts: [
            `feed entry: ${match.cidr} (${listings})`,
            `sources and ports: ${total.members.join(', ')}`,
          ],
        });
      }
      case 'flow-port-scan': {
        if (total.distinct < settings.portScan.ports) return undefined;
        const ports = total.members.map(Number).sort((a, b) => a - b);
        return this.#build(
          detection,
          total,
          second,
          settings.portScan.severity,
          [this.#badPortModifier(ports)],
          {
            summary: `Port scan of ${second} by ${first}: failed attempts on ${total.distinct} distinct ports (threshold ${settings.portScan.ports}) ${window}`,
            facts: [`scanning source: ${first}`, `ports: ${ports.join(', ')}`],
          },
        );
      }
      case 'flow-address-scan': {
        if (total.distinct < settings.addressScan.hosts) return undefined;
        const target = scannedNetwork(total.members);
        if (!target) return undefined;
        return this.#build(
          detection,
          total,
          target,
          settings.addressScan.severity,
          [this.#badPortModifier([Number(second)])],
          {
            summary: `Address scan on port ${second} by ${first}: failed attempts to ${total.distinct} distinct hosts (threshold ${settings.addressScan.hosts}) ${window}; ${target} is the network it probed most`,
            facts: [`scanning source: ${first}`, `hosts: ${[...total.members].sort().join(', ')}`],
          },
        );
      }
      case 'flow-volume': {
        if (total.bytes < settings.volume.bytes) return undefined;
        const ports = total.members.map(Number);
        return this.#build(
          detection,
          total,
          second,
          settings.volume.severity,
          [this.#badPortModifier(ports)],
          {
            summary: `${total.bytes} bytes from ${first} to ${second} (threshold ${settings.volume.bytes}) ${window}`,
            facts: [`source: ${first}`, `destination ports: ${total.members.join(', ')}`],
          },
        );
      }
    }
  }

  #badPortModifier(ports: readonly number[]): Modifier {
    const { ports: bad, boost } = this.#detector.settings.badPorts;
    const seen = sortedUnique(ports.filter((port) => bad.has(port)).map(String));
    return { when: seen.length > 0, add: boost, why: `known-bad destination port ${seen.join(', ')}` };
  }

  #build(
    detection: FlowDetection,
    total: WindowTotal,
    indicator: string,
    base: number,
    modifiers: readonly Modifier[],
    text: { summary: string; facts: readonly string[] },
  ): FlowSignal | undefined {
    // Every indicator comes from a parsed address; parse it again so that only a canonical one leaves.
    let canonical: string;
    try {
      canonical = parseIndicator(indicator).value;
    } catch {
      return undefined;
    }
    const applied = modifiers.filter((modifier) => modifier.when);
    const severity = Math.min(
      10,
      applied.reduce((sum, modifier) => sum + modifier.add, base),
    );
    const reason = [`base ${base} for ${detection}`, ...applied.map((m) => `+${m.add}: ${m.why}`)].join('; ');
    const shape = this.#detector.shapeOf(detection);
    const windowMs = shape.bucketMs * shape.buckets;
    // One key per window-length period of the newest bucket: replays and late batches in that period give
    // the same key (intake drops the repeat), a detection that goes on gives one signal per period.
    const period = Math.floor(total.to / windowMs) * windowMs;
    const evidence = this.#evidence.get(total.key);
    const clip = (line: string) => clipText(line, MAX_EVIDENCE_LINE_BYTES);
    return {
      source: 'flow-log',
      indicator: canonical,
      severity,
      detector: detection,
      observedAt: new Date(evidence?.newest ?? total.to).toISOString(),
      evidence: {
        key: `flow-log:${detection}:${total.key.slice(detection.length + 1)}:${new Date(period).toISOString()}`,
        summary: clipText(text.summary, 1000),
        details: [
          clip(`severity ${severity}: ${reason}`),
          ...text.facts.map(clip),
          ...(evidence?.lines ?? []).map(clip),
        ],
      },
      ...(evidence && Object.keys(evidence.workload).length > 0 ? { workload: evidence.workload } : {}),
    };
  }

  #remember(key: string, record: FlowRecord): void {
    let evidence = this.#evidence.get(key);
    if (!evidence) {
      evidence = { lines: [], workload: workloadOf(record), newest: record.end };
      this.#evidence.set(key, evidence);
    }
    if (evidence.lines.length < this.#detector.settings.evidenceLines) evidence.lines.push(record.raw);
    if (record.end > evidence.newest) evidence.newest = record.end;
  }

  #isAwsService(record: FlowRecord): boolean {
    if (record.trafficPath === GATEWAY_ENDPOINT_PATH) return true;
    const service = record.pktDstAwsService;
    // EC2 and Global Accelerator addresses are rented by anyone, an attacker's server included.
    if (service !== undefined) return !RENTABLE_SERVICES.has(service);
    let aws = this.#awsAddresses.get(record.dstAddr);
    if (aws === undefined) {
      aws = this.#context.isAwsAddress(record.dstAddr);
      this.#awsAddresses.set(record.dstAddr, aws);
    }
    return aws;
  }
}

interface Modifier {
  readonly when: boolean;
  readonly add: number;
  readonly why: string;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * A failed connection attempt (detection.md §6.1): rejected, or a TCP record whose only flag is SYN (the
 * handshake never completed from this side in the interval).
 */
function isFailedAttempt(record: FlowRecord): boolean {
  return record.action === 'REJECT' || (record.protocol === 6 && record.tcpFlags === 2);
}

/**
 * True when this side looks like the server answering: its port is the lower one and the remote port is
 * unprivileged. A server's replies go to many client ports, and a web server's downloads are bytes out;
 * neither is a scan or an exfiltration (detection.md §6.2: REJECTs to ephemeral ports are replies a
 * stateless NACL refused).
 */
function looksLikeResponse(record: FlowRecord): boolean {
  const { srcPort, dstPort } = record;
  return srcPort !== undefined && dstPort !== undefined && srcPort < dstPort && dstPort >= 1024;
}

function workloadOf(record: FlowRecord): NonNullable<FlowSignal['workload']> {
  return {
    ...(record.account && /^\d{12}$/.test(record.account) ? { account: record.account } : {}),
    ...(record.vpcId ? { vpcId: record.vpcId } : {}),
    ...(record.subnetId ? { subnetId: record.subnetId } : {}),
    ...(record.instanceId ? { instanceId: record.instanceId } : {}),
    ...(record.interfaceId ? { eniId: record.interfaceId } : {}),
  };
}

function describeWindow(total: WindowTotal, shape: WindowShape): string {
  const from = new Date(total.to - (shape.buckets - 1) * shape.bucketMs).toISOString();
  const to = new Date(total.to + shape.bucketMs).toISOString();
  return `between ${from} and ${to}`;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * What a horizontal scan's signal names. Blocking every probed host is pointless (the scanner moves on) and
 * blocking the covering network of hosts spread across the internet would cut off far too much, so the
 * signal names the network it probed most: the /24 (IPv4) or /64 (IPv6) holding most of the probed hosts,
 * narrowed to the smallest CIDR covering those hosts (a single address when only one was probed there).
 * That is at most one NACL-sized entry (detection.md §6.1 recommends /24 aggregation), and a sweep of one
 * subnet names exactly that subnet. Ties go to the lowest network, so the choice is deterministic.
 */
export function scannedNetwork(hosts: readonly string[]): string | undefined {
  const groups = new Map<string, CidrRange[]>();
  for (const host of hosts) {
    let range: CidrRange;
    try {
      range = toRange(parseIndicator(host).value);
    } catch {
      continue;
    }
    const group = formatRange(widen(range, range.family === 4 ? 24 : 64));
    const members = groups.get(group);
    if (members) members.push(range);
    else groups.set(group, [range]);
  }
  let best: [string, CidrRange[]] | undefined;
  for (const entry of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!best || entry[1].length > best[1].length) best = entry;
  }
  if (!best) return undefined;
  const members = best[1];
  const low = members.reduce((min, range) => (range.network < min.network ? range : min));
  const high = members.reduce((max, range) => (range.network > max.network ? range : max));
  let prefixLength = low.family === 4 ? 32 : 128;
  while (widen(low, prefixLength).network !== widen(high, prefixLength).network) prefixLength--;
  return formatRange(widen(low, prefixLength));
}

/** The network of `prefixLength` bits holding `range`. */
function widen(range: CidrRange, prefixLength: number): CidrRange {
  const hostBits = BigInt((range.family === 4 ? 32 : 128) - prefixLength);
  return { family: range.family, network: (range.network >> hostBits) << hostBits, prefixLength };
}
