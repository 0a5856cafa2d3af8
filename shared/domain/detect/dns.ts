/**
 * The DNS detectors over Route 53 Resolver query logs: threat-intel matches, DNS Firewall ALERT matches,
 * tunnelling and DGA. Pure: a batch of normalised query records goes in; immediate signals, window increments
 * for the detector state store, and (given the store's totals) windowed signals come out.
 *
 * One invocation: `const batch = new DnsBatch(context)`; `batch.add(query)` for every record; publish
 * `batch.immediateSignals()`; pass `batch.tunnel.increments()` with `batch.tunnel.shape` (and the same for
 * `batch.dga`) to `DetectorStateStore.addAndTotal`; publish `batch.tunnelSignals(totals)` and
 * `batch.dgaSignals(totals)`, each through `shadowEstablished` (dns-baseline.ts) first, against the domain
 * baselines `batch.baselineDeltas()` was added to.
 */
import { parseIndicator } from '#domain/indicator';
import { clipText } from '#domain/record-budget';
import { BaselineRecorder, type DomainBaseline } from './dns-baseline';
import { type ExclusionReason, NameScreen, prefixOf } from './dns-names';
import type { DnsSettings } from './dns-settings';
import type { DomainSuffixSet } from './domain-feeds';
import { bucketOf, WindowBatch, type WindowShape, type WindowTotal } from './window';

/** One query-log record, normalised by the log parser. */
export interface DnsQuery {
  /** Event time (`query_timestamp`), epoch milliseconds. */
  readonly at: number;
  /** The query name: lowercase, punycode, no trailing dot. */
  readonly name: string;
  /** `A`, `AAAA`, `TXT`, `NULL`, …, as the log writes it. */
  readonly type: string;
  /** `NOERROR`, `NXDOMAIN`, … */
  readonly rcode: string;
  /** The client's address. */
  readonly srcAddr: string;
  readonly instanceId?: string;
  readonly vpcId?: string;
  readonly account?: string;
  readonly region?: string;
  /** Set only when a DNS Firewall rule with an ALERT, BLOCK or ALLOW action matched. */
  readonly firewallAction?: 'ALERT' | 'BLOCK' | 'ALLOW';
  readonly firewallRuleGroupId?: string;
  readonly firewallDomainListId?: string;
  /** The original log line, quoted as evidence. */
  readonly raw: string;
}

/** Where the queries came from, as a Threat Signal's `workload` writes it. */
export interface DnsWorkload {
  account?: string;
  region?: string;
  vpcId?: string;
  instanceId?: string;
}

/**
 * A Threat Signal detail as the DNS detectors write it (the `ThreatSignalSchema` of shared/intake, which
 * the domain may not import; the tests check every signal against it).
 */
export interface DnsSignal {
  source: 'dns-log';
  indicator: string;
  severity: number;
  detector: DnsDetector;
  observedAt: string;
  evidence: { key: string; summary: string; details: string[] };
  workload?: DnsWorkload;
}

/** The detector names signals carry. */
export type DnsDetector = 'dns-intel' | 'dns-firewall-alert' | 'dns-tunnel' | 'dns-dga';

/** The policy's thresholds for detector signals (`policy.detectors`). */
export interface SeverityThresholds {
  /** At or above: enforced. */
  readonly minSeverity: number;
  /** At or above (and below minSeverity): alerted, not enforced. */
  readonly alertMinSeverity: number;
}

/** Everything a batch needs besides its records. */
export interface DnsContext {
  readonly settings: DnsSettings;
  /** The policy's allowlist domains and protected domains: never counted, never matched. */
  readonly allowlist: readonly string[];
  readonly protectedDomains: readonly string[];
  /** The loaded domain feeds (domainFeedMatcher); absent when no feed is loaded. */
  readonly feeds?: DomainSuffixSet;
  readonly thresholds: SeverityThresholds;
}

/** Query types that carry data back to a tunnel client (detection.md §4.3 B); 65399 is iodine's private type. */
const DATA_TYPES = new Set(['TXT', 'NULL', 'CNAME', 'MX', 'TYPE65399', '65399', 'TYPE10', 'PRIVATE']);

/** Query lines quoted per signal, each cut to 1 KiB: well inside a signal's 50 lines and 16 KiB. */
const SAMPLES = 5;
const SAMPLE_BYTES = 1024;
const MINUTE = 60_000;

interface Origin {
  readonly srcAddr: string;
  readonly workload: DnsWorkload;
}

interface KeyState {
  readonly origin: Origin;
  readonly subject: string;
  count: number;
  dataTypes: number;
  lastAt: number;
  readonly samples: string[];
  readonly tags: string[];
  readonly names: Set<string>;
  readonly extra: string[];
}

/** A window being filled: its shape and this batch's increments for the detector state store. */
export interface DnsWindow {
  readonly shape: WindowShape;
  /** This batch's increments, at most one per key and bucket. */
  increments(): ReturnType<WindowBatch['increments']>;
}

/** Counts of what a batch looked at and left out. */
export interface DnsBatchStats {
  records: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  /** Counted names under the built-in or configured benign domains. */
  benign: number;
}

/** One batch of query records through every DNS detector. */
export class DnsBatch {
  readonly #context: DnsContext;
  readonly #screen: NameScreen;
  readonly #feedFilter: ReadonlySet<string> | undefined;
  readonly #tunnelBatch: WindowBatch;
  readonly #dgaBatch: WindowBatch;
  readonly #tunnelKeys = new Map<string, KeyState>();
  readonly #dgaKeys = new Map<string, KeyState>();
  readonly #intel = new Map<string, KeyState>();
  readonly #alerts = new Map<string, KeyState>();
  readonly #stats: DnsBatchStats = { records: 0, excluded: {}, benign: 0 };
  readonly #baseline = new BaselineRecorder();
  /** The tunnel window; increments keyed `dns-tunnel <source> <registered domain>`, members = query names. */
  readonly tunnel: DnsWindow;
  /** The DGA window; increments keyed `dns-dga <source>`, members = NXDOMAIN registered domains. */
  readonly dga: DnsWindow;

  constructor(context: DnsContext) {
    const { settings } = context;
    this.#context = context;
    this.#screen = new NameScreen({
      allowlist: context.allowlist,
      protectedDomains: context.protectedDomains,
      benignDomains: settings.benignDomains,
    });
    this.#feedFilter = settings.intel.feeds.length > 0 ? new Set(settings.intel.feeds) : undefined;
    const tunnelShape = shapeOf(settings.tunnel, settings.tunnel.minDistinctNames);
    const dgaShape = shapeOf(settings.dga, settings.dga.minDistinctDomains);
    this.#tunnelBatch = new WindowBatch(tunnelShape);
    this.#dgaBatch = new WindowBatch(dgaShape);
    this.tunnel = { shape: tunnelShape, increments: () => this.#tunnelBatch.increments() };
    this.dga = { shape: dgaShape, increments: () => this.#dgaBatch.increments() };
  }

  /** What the batch has looked at so far. */
  get stats(): DnsBatchStats {
    return this.#stats;
  }

  /** Adds one record to every detector. */
  add(query: DnsQuery): void {
    this.#stats.records++;
    const screened = this.#screen.screen(query.name, query.rcode);
    if (screened.excluded !== undefined) {
      this.#stats.excluded[screened.excluded] = (this.#stats.excluded[screened.excluded] ?? 0) + 1;
      return;
    }
    this.#baseline.add(query, screened.registeredDomain);
    const { settings, feeds } = this.#context;
    if (query.firewallAction === 'ALERT' && settings.firewallAlerts.promote) this.#addAlert(query);
    if (feeds && settings.intel.enabled) this.#addIntel(query, feeds);
    if (screened.benign) {
      this.#stats.benign++;
      return;
    }
    const domain = screened.registeredDomain;
    if (settings.tunnel.enabled) {
      const key = `dns-tunnel ${query.srcAddr} ${domain}`;
      this.#tunnelBatch.add(key, query.at, { member: query.name });
      const state = this.#state(this.#tunnelKeys, key, query, domain);
      if (DATA_TYPES.has(query.type)) state.dataTypes++;
    }
    if (settings.dga.enabled && query.rcode === 'NXDOMAIN') {
      const key = `dns-dga ${query.srcAddr}`;
      this.#dgaBatch.add(key, query.at, { member: domain });
      this.#state(this.#dgaKeys, key, query, query.srcAddr);
    }
  }

  /**
   * What this batch adds to each VPC's baseline (`baselineDeltas` of its records, screened once), for the
   * domain baseline store.
   */
  baselineDeltas(): Map<string, DomainBaseline> {
    return this.#baseline.deltas();
  }

  /** Threat-intel hits and promoted DNS Firewall ALERT matches: signals that need no window. */
  immediateSignals(): DnsSignal[] {
    const { settings } = this.#context;
    const intel = [...this.#intel.entries()].map(([key, state]) =>
      this.#signal('dns-intel', state.subject, settings.intel.severity, key, state, {
        summary: `${state.origin.srcAddr} queried ${state.subject}, listed by ${state.tags.join(', ')}`,
        counts: `${state.count} quer${state.count === 1 ? 'y' : 'ies'} for ${state.names.size} name(s) under ${state.subject}: ${[...state.names].sort().slice(0, SAMPLES).join(', ')}`,
        windowMs: settings.intel.windowMinutes * MINUTE,
      }),
    );
    const alerts = [...this.#alerts.entries()].map(([key, state]) =>
      this.#signal('dns-firewall-alert', state.subject, settings.firewallAlerts.severity, key, state, {
        summary: `DNS Firewall ALERT rule matched ${state.subject} queried by ${state.origin.srcAddr}`,
        counts: `${state.count} matching quer${state.count === 1 ? 'y' : 'ies'}; ${state.extra.join('; ')}`,
        windowMs: settings.firewallAlerts.windowMinutes * MINUTE,
      }),
    );
    return [...intel, ...alerts].sort(byKey);
  }

  /**
   * Tunnel signals from the store's totals for this batch's tunnel keys: a key fires when its window holds at
   * least `minDistinctNames` unique names and the names or this batch's queries have a tunnel's shape. The
   * signal names the registered domain.
   */
  tunnelSignals(totals: readonly WindowTotal[]): DnsSignal[] {
    const settings = this.#context.settings.tunnel;
    const signals: DnsSignal[] = [];
    for (const total of totals) {
      const state = this.#tunnelKeys.get(total.key);
      if (!state || total.distinct < settings.minDistinctNames) continue;
      const shape = tunnelShape(total, state, settings);
      if (shape.length === 0) continue;
      const domain = state.subject;
      signals.push(
        this.#signal('dns-tunnel', domain, settings.severity, windowKey(total), state, {
          summary: `possible DNS tunnel: ${state.origin.srcAddr} queried ${total.distinct} unique names under ${domain} (${shape[0]})`,
          counts: `${total.distinct} unique names, ${total.count} queries in the window; shape: ${shape.join('; ')}`,
          window: total,
          windowMs: settings.bucketMinutes * MINUTE,
          members: total.members,
        }),
      );
    }
    return signals.sort(byKey);
  }

  /**
   * DGA signals from the store's totals for this batch's DGA keys. The random names are not worth blocking
   * one by one, and the client is what is infected, so the signal is about the client: its indicator is the
   * client's address and its severity the policy's alertMinSeverity. decide then never blocks it (below
   * minSeverity; a VPC address is also behind the private-range and VPC-CIDR guard rails) but alerts, with
   * the instance id in the workload and the NXDOMAIN lines in the evidence, for a person to isolate the
   * instance.
   */
  dgaSignals(totals: readonly WindowTotal[]): DnsSignal[] {
    const settings = this.#context.settings.dga;
    const signals: DnsSignal[] = [];
    for (const total of totals) {
      const state = this.#dgaKeys.get(total.key);
      if (!state || total.distinct < settings.minDistinctDomains) continue;
      const random = total.members.filter((domain) => looksRandom(registeredLabel(domain))).length;
      const randomShare = total.members.length === 0 ? 0 : random / total.members.length;
      if (randomShare < settings.minRandomShare) continue;
      const client = clientIndicator(state.origin.srcAddr);
      if (client === undefined) continue;
      const who = state.origin.workload.instanceId
        ? `${state.origin.srcAddr} (${state.origin.workload.instanceId})`
        : state.origin.srcAddr;
      signals.push(
        this.#signal('dns-dga', client, this.#context.thresholds.alertMinSeverity, windowKey(total), state, {
          summary: `possible DGA malware on ${who}: NXDOMAIN for ${total.distinct} distinct domains, ${Math.round(randomShare * 100)}% random-looking; alert only, isolate the client`,
          counts: `${total.distinct} distinct NXDOMAIN registered domains, ${total.count} NXDOMAIN queries in the window`,
          window: total,
          windowMs: settings.bucketMinutes * MINUTE,
          members: total.members,
        }),
      );
    }
    return signals.sort(byKey);
  }

  #addIntel(query: DnsQuery, feeds: DomainSuffixSet): void {
    const hit = feeds.match(query.name);
    if (!hit) return;
    const tags = this.#feedFilter ? hit.tags.filter((tag) => this.#feedFilter?.has(tag)) : hit.tags;
    if (tags.length === 0) return;
    const bucket = bucketOf(query.at, this.#context.settings.intel.windowMinutes * MINUTE);
    const key = `dns-intel ${hit.domain} ${query.srcAddr} @${new Date(bucket).toISOString()}`;
    const state = this.#state(this.#intel, key, query, hit.domain);
    state.names.add(query.name);
    for (const tag of tags) if (!state.tags.includes(tag)) state.tags.push(tag);
    state.tags.sort();
  }

  #addAlert(query: DnsQuery): void {
    const subject = blockableName(query.name);
    if (subject === undefined) return;
    const bucket = bucketOf(query.at, this.#context.settings.firewallAlerts.windowMinutes * MINUTE);
    const key = `dns-firewall-alert ${subject} ${query.srcAddr} @${new Date(bucket).toISOString()}`;
    const state = this.#state(this.#alerts, key, query, subject);
    const rule = `rule group ${query.firewallRuleGroupId ?? '-'}, domain list ${query.firewallDomainListId ?? '-'}`;
    if (!state.extra.includes(rule)) state.extra.push(rule);
  }

  #state(map: Map<string, KeyState>, key: string, query: DnsQuery, subject: string): KeyState {
    let state = map.get(key);
    if (!state) {
      state = {
        origin: originOf(query),
        subject,
        count: 0,
        dataTypes: 0,
        lastAt: query.at,
        samples: [],
        tags: [],
        names: new Set(),
        extra: [],
      };
      map.set(key, state);
    }
    state.count++;
    if (query.at > state.lastAt) state.lastAt = query.at;
    if (state.samples.length < SAMPLES) state.samples.push(clipText(query.raw, SAMPLE_BYTES));
    return state;
  }

  #signal(
    detector: DnsDetector,
    indicator: string,
    severity: number,
    key: string,
    state: KeyState,
    text: {
      summary: string;
      counts: string;
      windowMs: number;
      window?: WindowTotal;
      members?: readonly string[];
    },
  ): DnsSignal {
    const { origin } = state;
    const { workload } = origin;
    const from = text.window ? text.window.from : bucketOf(state.lastAt, text.windowMs);
    const to = (text.window ? text.window.to : from) + text.windowMs;
    const host = [
      `source host ${origin.srcAddr}`,
      workload.instanceId ? `instance ${workload.instanceId}` : undefined,
      workload.vpcId ? `VPC ${workload.vpcId}` : undefined,
      workload.account ? `account ${workload.account}` : undefined,
      workload.region ? `region ${workload.region}` : undefined,
    ].filter((part) => part !== undefined);
    const members = text.members
      ? [`examples: ${clipText([...text.members].sort().slice(0, 10).join(', '), SAMPLE_BYTES)}`]
      : [];
    const details = [
      host.join(', '),
      `window ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`,
      clipText(text.counts, SAMPLE_BYTES),
      ...members,
      ...state.samples.map((line) => `query: ${line}`),
    ];
    const hasWorkload = Object.keys(workload).length > 0;
    return {
      source: 'dns-log',
      indicator,
      severity,
      detector,
      observedAt: new Date(state.lastAt).toISOString(),
      evidence: { key, summary: clipText(text.summary, SAMPLE_BYTES), details },
      ...(hasWorkload ? { workload: { ...workload } } : {}),
    };
  }
}

function shapeOf(window: { windowMinutes: number; bucketMinutes: number }, maxMembers: number): WindowShape {
  return {
    bucketMs: window.bucketMinutes * MINUTE,
    buckets: window.windowMinutes / window.bucketMinutes,
    // Enough members to see the threshold crossed in one bucket, no more: the store's items stay small.
    maxMembers,
  };
}

/** `<key> @<newest bucket start>`: the same detection in the same window always gets the same key. */
function windowKey(total: WindowTotal): string {
  return `${total.key} @${new Date(total.to).toISOString()}`;
}

function byKey(a: DnsSignal, b: DnsSignal): number {
  return a.evidence.key < b.evidence.key ? -1 : a.evidence.key > b.evidence.key ? 1 : 0;
}

function originOf(query: DnsQuery): Origin {
  const workload: DnsWorkload = {};
  // The contract wants a 12-digit account; anything else is left out rather than failing the signal.
  if (query.account && /^\d{12}$/.test(query.account)) workload.account = query.account;
  if (query.region) workload.region = query.region;
  if (query.vpcId) workload.vpcId = query.vpcId;
  if (query.instanceId) workload.instanceId = query.instanceId;
  return { srcAddr: query.srcAddr, workload };
}

function blockableName(name: string): string | undefined {
  try {
    const indicator = parseIndicator(name);
    return indicator.kind === 'domain' && indicator.registeredDomain !== null ? indicator.value : undefined;
  } catch {
    return undefined;
  }
}

function clientIndicator(address: string): string | undefined {
  try {
    const indicator = parseIndicator(address);
    return indicator.kind === 'ip' ? indicator.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which tunnel shapes the window shows (detection.md §4.3 B), each as a phrase for the evidence; empty when
 * none. Name shapes come from the window's members (the stored unique names); the record-type share from
 * this batch's queries for the key, which the store does not keep.
 */
export function tunnelShape(
  total: WindowTotal,
  state: { readonly subject: string; readonly count: number; readonly dataTypes: number },
  settings: DnsSettings['tunnel'],
): string[] {
  const shapes: string[] = [];
  const names = total.members;
  if (names.length === 0) return shapes;
  const prefixes = names.map((name) => prefixOf(name, state.subject));
  const lengths = prefixes.map((prefix) => prefix.length).sort((a, b) => a - b);
  const median = lengths[Math.floor((lengths.length - 1) / 2)] ?? 0;
  if (median >= settings.medianPrefixLength) {
    shapes.push(`median prefix ${median} characters (≥ ${settings.medianPrefixLength})`);
  }
  let longest = 0;
  for (const prefix of prefixes)
    for (const label of prefix.split('.')) longest = Math.max(longest, label.length);
  if (longest >= settings.maxLabelLength) {
    shapes.push(`a label of ${longest} characters (≥ ${settings.maxLabelLength})`);
  }
  const long = names.filter((name) => name.length > settings.longNameLength).length / names.length;
  if (long >= settings.longNameShare && long > 0) {
    shapes.push(
      `${Math.round(long * 100)}% of names longer than ${settings.longNameLength} characters (≥ ${Math.round(settings.longNameShare * 100)}%)`,
    );
  }
  const dataShare = state.count === 0 ? 0 : state.dataTypes / state.count;
  if (dataShare >= settings.recordTypeShare && dataShare > 0) {
    shapes.push(
      `${Math.round(dataShare * 100)}% TXT/NULL/CNAME/MX queries (≥ ${Math.round(settings.recordTypeShare * 100)}%)`,
    );
  }
  const information = Math.round(informationBytes(prefixes) * (total.distinct / names.length));
  if (information >= settings.informationBytes) {
    shapes.push(`about ${information} bytes of information in unique names (≥ ${settings.informationBytes})`);
  }
  return shapes;
}

/**
 * The size an order-0 entropy coder would shrink the unique prefixes to, in bytes: the total number of
 * characters times the Shannon entropy of their pooled character distribution. A compressed-size estimate,
 * as detection.md §4.2 suggests; it does not use the per-prefix length × unique-character count estimator
 * that §4.2 says a patent claims. Hex or base32 data scores 4-5 bits a character, repeated words far less.
 */
export function informationBytes(prefixes: readonly string[]): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const prefix of prefixes) {
    for (const char of prefix) {
      if (char === '.') continue;
      counts.set(char, (counts.get(char) ?? 0) + 1);
      total++;
    }
  }
  if (total === 0) return 0;
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / total);
  return bits / 8;
}

/** The label the registrant chose: `evil` in `evil.co.uk`, `x1y2` in `x1y2.example.com`'s `example`… */
function registeredLabel(domain: string): string {
  const dot = domain.indexOf('.');
  return dot === -1 ? domain : domain.slice(0, dot);
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/**
 * A cheap, length-aware "random-looking" test for a registered label (detection.md §5.1-5.2: fixed entropy
 * thresholds misfire on short labels): at least 8 characters and either 4+ consonants in a row, digits mixed
 * with letters (3+ digits), or fewer than 1 vowel in 4 letters. It only decides the share of random-looking
 * NXDOMAINs of a client; one name never makes a signal.
 */
export function looksRandom(label: string): boolean {
  if (label.length < 8 || label.startsWith('xn--')) return false;
  let run = 0;
  let longestRun = 0;
  let digits = 0;
  let letters = 0;
  let vowels = 0;
  for (const char of label) {
    if (char >= 'a' && char <= 'z') {
      letters++;
      if (VOWELS.has(char)) {
        vowels++;
        run = 0;
      } else {
        run++;
        longestRun = Math.max(longestRun, run);
      }
    } else {
      if (char >= '0' && char <= '9') digits++;
      run = 0;
    }
  }
  return longestRun >= 4 || (digits >= 3 && letters >= 3) || (letters > 0 && vowels / letters < 0.25);
}
