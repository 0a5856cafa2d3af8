/**
 * The flow-log detector's settings: one schema, documented defaults, and errors that name the field. Every
 * default comes from a published detector (detection.md §§2.6, 6.1, 6.3, 6.4) or says that it is ours.
 */
import * as v from 'valibot';
import { parseDuration } from '../duration';
import { InvalidInputError } from '../errors';
import { parseWith } from '../validate';

/** One windowed detection's settings, resolved. */
export interface WindowedDetection {
  readonly enabled: boolean;
  /** The window, a whole number of buckets (event time). */
  readonly windowMs: number;
  readonly bucketMs: number;
  /** The signal's severity before modifiers (0–10; the policy enforces from 7 and alerts from 4 by default). */
  readonly severity: number;
}

/** The flow detector's settings, resolved, with every default filled in. */
export interface FlowDetectorSettings {
  /** Egress to an address listed by an IP feed: one record is enough (RITA blocks on the first hit). */
  readonly threatIntel: WindowedDetection & {
    /** Bytes to the listed address in the window from which severity rises by one (RITA's +15 %: 25 MB). */
    readonly largeTransferBytes: number;
  };
  /** Vertical scan: distinct destination ports of failed attempts per (source, destination). */
  readonly portScan: WindowedDetection & { readonly ports: number };
  /** Horizontal scan: distinct destination hosts of failed attempts per (source, destination port). */
  readonly addressScan: WindowedDetection & { readonly hosts: number };
  /** Bytes from one source to one external destination in the window. */
  readonly volume: WindowedDetection & { readonly bytes: number };
  /** Ports that raise the severity of another detection by `boost`; never a signal on their own. */
  readonly badPorts: { readonly ports: ReadonlySet<number>; readonly boost: number };
  /** Raw log lines kept per signal as evidence (1–20). */
  readonly evidenceLines: number;
}

/**
 * Known-bad destination ports (detection.md §6.4): Tor ORPort/DirPort and SOCKS, IRC, common stratum
 * mining-pool ports, SMTP from hosts that are not mail servers.
 */
export const DEFAULT_BAD_PORTS: readonly string[] = [
  '9001',
  '9030',
  '9050',
  '9150',
  '6660-6669',
  '6697',
  '3333',
  '4444',
  '5555',
  '7777',
  '14433',
  '14444',
  '45700',
  '25',
];

/**
 * The defaults, in the form the schema reads:
 * * threatIntel: window 1h of 5m buckets, severity 8, +1 from 25 MB (RITA `threat_intel_impact: high`, TI
 *   data-size modifier ≥ 25,000,000 bytes, detection.md §2.6-2.7);
 * * portScan: 15 distinct ports in 5m of 1m buckets (Zeek `port_scan_threshold`, `port_scan_interval`,
 *   §6.1), severity 5: an alert, since the scanned host is usually a victim rather than a threat;
 * * addressScan: 25 distinct hosts in 5m of 1m buckets (Zeek `addr_scan_threshold`, `addr_scan_interval`,
 *   §6.1), severity 4: an alert;
 * * volume: 1 GB in 1h of 5m buckets (§6.3's proposed per-hour floor; Turbot alerts at 500 MB in a single
 *   record), severity 6: an alert, blocking needs corroboration (§6.3);
 * * badPorts: DEFAULT_BAD_PORTS, +1 (§6.4: score, never block alone);
 * * evidenceLines: 5.
 */
export const FLOW_DETECTOR_DEFAULTS = {
  threatIntel: { enabled: true, window: '1h', bucket: '5m', severity: 8, largeTransferBytes: 25_000_000 },
  portScan: { enabled: true, window: '5m', bucket: '1m', severity: 5, ports: 15 },
  addressScan: { enabled: true, window: '5m', bucket: '1m', severity: 4, hosts: 25 },
  volume: { enabled: true, window: '1h', bucket: '5m', severity: 6, bytes: 1_000_000_000 },
  badPorts: { ports: DEFAULT_BAD_PORTS, boost: 1 },
  evidenceLines: 5,
} as const;

/** Buckets per window at most: each key's window is read and written bucket by bucket. */
export const MAX_BUCKETS = 60;

const severity = v.pipe(v.number(), v.minValue(0), v.maxValue(10));
const count = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));
const windowed = {
  enabled: v.optional(v.boolean()),
  window: v.optional(v.string()),
  bucket: v.optional(v.string()),
  severity: v.optional(severity),
};
const portRange = v.union(
  [
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)),
    v.pipe(v.string(), v.regex(/^\d{1,5}(-\d{1,5})?$/)),
  ],
  'must be a port (0-65535) or a range such as "6660-6669"',
);

/** The schema of the flow detector's settings as a user writes them (all optional). */
export const FlowDetectorSettingsSchema = v.strictObject({
  threatIntel: v.optional(v.strictObject({ ...windowed, largeTransferBytes: v.optional(count(1)) })),
  portScan: v.optional(v.strictObject({ ...windowed, ports: v.optional(count(2)) })),
  addressScan: v.optional(v.strictObject({ ...windowed, hosts: v.optional(count(2)) })),
  volume: v.optional(v.strictObject({ ...windowed, bytes: v.optional(count(1)) })),
  badPorts: v.optional(
    v.strictObject({
      ports: v.optional(v.array(portRange)),
      boost: v.optional(v.pipe(v.number(), v.minValue(0))),
    }),
  ),
  evidenceLines: v.optional(v.pipe(count(1), v.maxValue(20))),
});

/** The settings as a user writes them. */
export type FlowDetectorSettingsInput = v.InferInput<typeof FlowDetectorSettingsSchema>;

/**
 * Parses and resolves the settings; `root` prefixes field names in errors (`detectors.flow`). Throws
 * InvalidInputError naming the field and the value.
 */
export function parseFlowDetectorSettings(input: unknown = {}, root = 'flow'): FlowDetectorSettings {
  const raw = parseWith(FlowDetectorSettingsSchema, input ?? {}, root);
  const defaults = FLOW_DETECTOR_DEFAULTS;
  const resolve = <K extends 'threatIntel' | 'portScan' | 'addressScan' | 'volume'>(name: K) => {
    const given: { enabled?: boolean; window?: string; bucket?: string; severity?: number } = raw[name] ?? {};
    const fallback = defaults[name];
    const windowMs = parseDuration(given.window ?? fallback.window, `${root}.${name}.window`);
    const bucketMs = parseDuration(given.bucket ?? fallback.bucket, `${root}.${name}.bucket`);
    if (windowMs % bucketMs !== 0 || windowMs / bucketMs > MAX_BUCKETS) {
      throw new InvalidInputError(
        `${JSON.stringify(given.window ?? fallback.window)} must be a whole number of buckets of ${JSON.stringify(given.bucket ?? fallback.bucket)}, at most ${MAX_BUCKETS}`,
        `${root}.${name}.window`,
      );
    }
    return {
      enabled: given.enabled ?? fallback.enabled,
      windowMs,
      bucketMs,
      severity: given.severity ?? fallback.severity,
    };
  };
  return {
    threatIntel: {
      ...resolve('threatIntel'),
      largeTransferBytes: raw.threatIntel?.largeTransferBytes ?? defaults.threatIntel.largeTransferBytes,
    },
    portScan: { ...resolve('portScan'), ports: raw.portScan?.ports ?? defaults.portScan.ports },
    addressScan: { ...resolve('addressScan'), hosts: raw.addressScan?.hosts ?? defaults.addressScan.hosts },
    volume: { ...resolve('volume'), bytes: raw.volume?.bytes ?? defaults.volume.bytes },
    badPorts: {
      ports: portSet(raw.badPorts?.ports ?? defaults.badPorts.ports, `${root}.badPorts.ports`),
      boost: raw.badPorts?.boost ?? defaults.badPorts.boost,
    },
    evidenceLines: raw.evidenceLines ?? defaults.evidenceLines,
  };
}

function portSet(specs: readonly (number | string)[], field: string): ReadonlySet<number> {
  const ports = new Set<number>();
  specs.forEach((spec, index) => {
    const [low, high = low] = String(spec).split('-').map(Number) as [number, number?];
    if (low > 65535 || high > 65535 || high < low) {
      throw new InvalidInputError(
        `${JSON.stringify(spec)} is not a port range within 0-65535`,
        `${field}[${index}]`,
      );
    }
    for (let port = low; port <= high; port++) ports.add(port);
  });
  return ports;
}
