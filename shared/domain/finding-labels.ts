/**
 * Short labels a person reads in an alert subject ("C2 domain", "DNS tunnel domain") for what saw an
 * indicator: a GuardDuty finding type (`ThreatPurpose:ResourceType/ThreatFamilyName.Mechanism!Artifact`,
 * reference/aws-facts.md §4.4) or one of the log detectors' names.
 */
import type { IndicatorKind } from './indicator';

/** GuardDuty threat family names (the part after `/`, before `.` or `!`) → label. */
const THREAT_FAMILIES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'C&CActivity': 'C2',
    DenialOfService: 'DoS',
    Spambot: 'spam bot',
    NetworkPortUnusual: 'unusual port',
    TrafficVolumeUnusual: 'unusual traffic volume',
    BitcoinTool: 'crypto mining',
    UnusualDNSResolver: 'unusual DNS resolver',
    UnusualDoHActivity: 'unusual DNS over HTTPS',
    UnusualDoTActivity: 'unusual DNS over TLS',
    AbusedDomainRequest: 'abused',
    BitcoinDomainRequest: 'crypto mining',
    MaliciousDomainRequest: 'malicious',
    SuspiciousDomainRequest: 'suspicious',
    PortSweep: 'port sweep',
    WinRMBruteForce: 'WinRM brute force',
    Portscan: 'port scan',
    BlackholeTraffic: 'black hole',
    DGADomainRequest: 'DGA',
    DNSDataExfiltration: 'DNS exfiltration',
    DriveBySourceTraffic: 'drive-by download',
    DropPoint: 'drop point',
    PhishingDomainRequest: 'phishing',
    MaliciousIPCaller: 'known malicious',
    MetadataDNSRebind: 'metadata DNS rebinding',
    TorClient: 'Tor',
    TorRelay: 'Tor relay',
    SSHBruteForce: 'SSH brute force',
    RDPBruteForce: 'RDP brute force',
  }),
);

/** The log detectors' names (`DnsDetector`, `FlowDetection`) → label. */
const LOG_DETECTORS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'dns-intel': 'threat intel',
    'dns-firewall-alert': 'DNS Firewall alert',
    'dns-tunnel': 'DNS tunnel',
    'dns-dga': 'DGA',
    'flow-threat-intel': 'threat intel',
    'flow-port-scan': 'port scan',
    'flow-address-scan': 'address scan',
    'flow-volume': 'unusual traffic volume',
  }),
);

const NOUNS: Readonly<Record<IndicatorKind, string>> = { domain: 'domain', ip: 'IP', cidr: 'network' };

/**
 * The label for `detector` seen on an indicator of `kind`: `C2 domain`, `Tor IP`, `port scan IP`, `manual`.
 * A detector this table does not know (a new finding type, a custom detector) is shown by its own name.
 */
export function detectorLabel(detector: string, kind: IndicatorKind): string {
  if (detector === 'manual') return 'manual';
  const family = LOG_DETECTORS.get(detector) ?? THREAT_FAMILIES.get(threatFamilyOf(detector));
  return family === undefined ? detector : `${family} ${NOUNS[kind]}`;
}

function threatFamilyOf(findingType: string): string {
  const slash = findingType.indexOf('/');
  return findingType.slice(slash + 1).split(/[.!]/)[0] ?? '';
}
