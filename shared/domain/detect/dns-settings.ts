/**
 * The DNS detector's settings: one schema, every threshold with its default and where the default comes from
 * (`shared/reference/detection.md`, section numbers below). Parse once at the edge with parseDnsSettings.
 */
import * as v from 'valibot';
import { InvalidIndicatorError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { parseWith } from '#domain/validate';

const count = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)), fallback);
const share = (fallback: number) => v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), fallback);
const severity = (fallback: number) =>
  v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10)), fallback);

/** A domain the operator names in the settings: it must be one DNS Firewall could hold. */
const DomainSchema = v.pipe(
  v.string(),
  v.check((raw) => {
    try {
      return parseIndicator(raw).kind === 'domain';
    } catch (error) {
      if (error instanceof InvalidIndicatorError) return false;
      throw error;
    }
  }, 'must be a domain name such as "corp.example"'),
  v.transform((raw) => raw.trim().toLowerCase().replace(/\.$/, '')),
);

/** A window made of whole buckets: `windowMinutes` must be a multiple of `bucketMinutes`. */
const WHOLE_BUCKETS = 'must be a multiple of bucketMinutes (a window is whole buckets)';
const isWholeBuckets = (input: { windowMinutes: number; bucketMinutes: number }) =>
  input.windowMinutes % input.bucketMinutes === 0;

const TunnelSchema = v.pipe(
  v.strictObject({
    enabled: v.optional(v.boolean(), true),
    /** 15 minutes per (source, registered domain): Sigma net_dns_high_subdomain_rate (§4.1, §4.3 A). */
    windowMinutes: count(1, 1440, 15),
    /** 5-minute buckets: the window slides in 5-minute steps; 3 buckets keep the stored item small. */
    bucketMinutes: count(1, 60, 5),
    /** Unique names under one registered domain from one source: > 200 in 15 min (Sigma, §4.3 A). */
    minDistinctNames: count(2, 1000, 200),
    /** Shape, any one of (§4.3 B): median prefix length ≥ 30 characters… */
    medianPrefixLength: count(1, 253, 30),
    /** …or a label of ≥ 40 characters (§4.3 B)… */
    maxLabelLength: count(1, 63, 40),
    /** …or names longer than 70 characters (Sigma net_dns_large_domain_name, §4.1)… */
    longNameLength: count(1, 253, 70),
    /** …on at least 20 % of the names (§4.3 B)… */
    longNameShare: share(0.2),
    /** …or TXT, NULL, CNAME, MX and iodine's 65399 at least 50 % of the queries (§4.3 B)… */
    recordTypeShare: share(0.5),
    /**
     * …or an estimated ≥ 4,096 bytes of information carried by the unique names in one window. Paxson
     * (USENIX Security 2013, §4.1) bounds a day at ~4 kB; applied to one window it is 96× more lenient, so it
     * only catches fast exfiltration.
     */
    informationBytes: count(1, 10_000_000, 4096),
    /** High: a tunnel is C2 or exfiltration (§0 row 2 blocks the registered domain). */
    severity: severity(8),
  }),
  v.forward(
    v.check((input) => isWholeBuckets(input), WHOLE_BUCKETS),
    ['windowMinutes'],
  ),
);

const DgaSchema = v.pipe(
  v.strictObject({
    enabled: v.optional(v.boolean(), true),
    /** One hour per client (§5.3 proposed rule). */
    windowMinutes: count(1, 1440, 60),
    bucketMinutes: count(1, 60, 5),
    /** Distinct NXDOMAIN registered domains per client: ≥ 25 per hour (§5.3 proposed rule). */
    minDistinctDomains: count(2, 1000, 25),
    /** Share of those whose registered label looks random: ≥ 50 % (§5.3 proposed rule). */
    minRandomShare: share(0.5),
  }),
  v.forward(
    v.check((input) => isWholeBuckets(input), WHOLE_BUCKETS),
    ['windowMinutes'],
  ),
);

const IntelSchema = v.strictObject({
  enabled: v.optional(v.boolean(), true),
  /** Names of the loaded feeds to match against; empty means every loaded feed. */
  feeds: v.optional(v.array(v.pipe(v.string(), v.minLength(1))), []),
  /** High: a feed hit is blocked on first sight (§0 row 1; RITA `threat_intel_impact: high`, §2.6). */
  severity: severity(8),
  /** Hits of one name from one source within this many minutes are one signal (one evidence key). */
  windowMinutes: count(1, 1440, 60),
});

const FirewallAlertSchema = v.strictObject({
  /** Off by default: AWS advises ALERT first, then BLOCK (§7.2); promoting is the operator's choice. */
  promote: v.optional(v.boolean(), false),
  /** At the policy's default detector threshold (7): the rule's own list already judged the name. */
  severity: severity(7),
  windowMinutes: count(1, 1440, 60),
});

const BaselineSchema = v.strictObject({
  /**
   * Distinct hosts (instance ids, else source addresses) that queried the registered domain. Proposed: 5,
   * so that one or two compromised hosts cannot make their own C2 domain look established.
   */
  minHosts: count(1, 32, 5),
  /**
   * Distinct UTC days on which it was queried. 7 follows RITA's first-seen modifier (§0 row 4: a domain
   * first seen within 7 days is the suspicious kind), so a week of use is what "established" means.
   */
  minDays: count(1, 32, 7),
});

/** The DNS detector's settings, as the configuration writes them; every field is optional. */
export const DnsSettingsSchema = v.strictObject({
  tunnel: v.optional(TunnelSchema, {}),
  dga: v.optional(DgaSchema, {}),
  intel: v.optional(IntelSchema, {}),
  firewallAlerts: v.optional(FirewallAlertSchema, {}),
  baseline: v.optional(BaselineSchema, {}),
  /**
   * Domains whose names are never counted by the tunnel and DGA detectors, on top of the built-in list
   * (AWS, CDNs, registries): the VPC's DHCP search domains, in-house platforms.
   */
  benignDomains: v.optional(v.array(DomainSchema), []),
});

/** The DNS detector's settings with every default filled in. */
export type DnsSettings = v.InferOutput<typeof DnsSettingsSchema>;

/** What the configuration may write (every field optional). */
export type DnsSettingsInput = v.InferInput<typeof DnsSettingsSchema>;

/**
 * Parses the settings, filling in the defaults. Throws InvalidInputError naming the field (prefixed with
 * `root`), such as `detectors.dns.tunnel.windowMinutes`.
 */
export function parseDnsSettings(input: unknown, root = ''): DnsSettings {
  return parseWith(DnsSettingsSchema, input ?? {}, root);
}
