/**
 * The egress-relevant GuardDuty finding types and what blocking them means. Inbound findings (port probes,
 * brute force against the instance) are not egress and are not listed: the remote side started them.
 * Source: reference/aws-facts.md §4.4 (GuardDuty finding types for EC2, Lambda and Runtime Monitoring).
 */

/**
 * `domain`: block `service.action.dnsRequestAction.domain`. `registered-domain`: block its registered domain,
 * because the queried labels keep changing (DNS exfiltration). `remote-ip`: block
 * `networkConnectionAction.remoteIpDetails` when the instance started the connection (OUTBOUND).
 */
export type FindingAction = 'domain' | 'registered-domain' | 'remote-ip';

const DNS = 'domain' as const;
const ZONE = 'registered-domain' as const;
const IP = 'remote-ip' as const;

/**
 * The built-in mapping; the configuration may add types or override these. A Map, because the key comes from
 * the finding: on a plain object `constructor` or `toString` would find Object.prototype's members.
 */
export const DEFAULT_FINDING_TYPES: ReadonlyMap<string, FindingAction> = new Map(
  Object.entries({
    'Backdoor:EC2/C&CActivity.B': IP,
    'Backdoor:EC2/C&CActivity.B!DNS': DNS,
    'Backdoor:EC2/DenialOfService.Dns': IP,
    'Backdoor:EC2/DenialOfService.Tcp': IP,
    'Backdoor:EC2/DenialOfService.Udp': IP,
    'Backdoor:EC2/DenialOfService.UdpOnTcpPorts': IP,
    'Backdoor:EC2/DenialOfService.UnusualProtocol': IP,
    'Backdoor:EC2/Spambot': IP,
    'Behavior:EC2/NetworkPortUnusual': IP,
    'Behavior:EC2/TrafficVolumeUnusual': IP,
    'CryptoCurrency:EC2/BitcoinTool.B': IP,
    'CryptoCurrency:EC2/BitcoinTool.B!DNS': DNS,
    'DefenseEvasion:EC2/UnusualDNSResolver': IP,
    'DefenseEvasion:EC2/UnusualDoHActivity': IP,
    'DefenseEvasion:EC2/UnusualDoTActivity': IP,
    'Impact:EC2/AbusedDomainRequest.Reputation': DNS,
    'Impact:EC2/BitcoinDomainRequest.Reputation': DNS,
    'Impact:EC2/MaliciousDomainRequest.Reputation': DNS,
    'Impact:EC2/MaliciousDomainRequest.Custom': DNS,
    'Impact:EC2/SuspiciousDomainRequest.Reputation': DNS,
    'Impact:EC2/PortSweep': IP,
    'Impact:EC2/WinRMBruteForce': IP,
    'Recon:EC2/Portscan': IP,
    'Trojan:EC2/BlackholeTraffic': IP,
    'Trojan:EC2/BlackholeTraffic!DNS': DNS,
    'Trojan:EC2/DGADomainRequest.B': DNS,
    'Trojan:EC2/DGADomainRequest.C!DNS': DNS,
    'Trojan:EC2/DNSDataExfiltration': ZONE,
    'Trojan:EC2/DriveBySourceTraffic!DNS': DNS,
    'Trojan:EC2/DropPoint': IP,
    'Trojan:EC2/DropPoint!DNS': DNS,
    'Trojan:EC2/PhishingDomainRequest!DNS': DNS,
    'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom': IP,
    'UnauthorizedAccess:EC2/MetadataDNSRebind': DNS,
    'UnauthorizedAccess:EC2/TorClient': IP,
    'UnauthorizedAccess:EC2/TorRelay': IP,
    // Brute force is egress only when the instance is the actor; the OUTBOUND check sorts that out.
    'UnauthorizedAccess:EC2/SSHBruteForce': IP,
    'UnauthorizedAccess:EC2/RDPBruteForce': IP,
    'Backdoor:Lambda/C&CActivity.B': IP,
    'CryptoCurrency:Lambda/BitcoinTool.B': IP,
    'Trojan:Lambda/BlackholeTraffic': IP,
    'Trojan:Lambda/DropPoint': IP,
    'UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom': IP,
    'UnauthorizedAccess:Lambda/TorClient': IP,
    'UnauthorizedAccess:Lambda/TorRelay': IP,
    'Backdoor:Runtime/C&CActivity.B': IP,
    'Backdoor:Runtime/C&CActivity.B!DNS': DNS,
    'CryptoCurrency:Runtime/BitcoinTool.B': IP,
    'CryptoCurrency:Runtime/BitcoinTool.B!DNS': DNS,
    'Impact:Runtime/AbusedDomainRequest.Reputation': DNS,
    'Impact:Runtime/BitcoinDomainRequest.Reputation': DNS,
    'Impact:Runtime/MaliciousDomainRequest.Reputation': DNS,
    'Impact:Runtime/SuspiciousDomainRequest.Reputation': DNS,
    'Trojan:Runtime/BlackholeTraffic': IP,
    'Trojan:Runtime/BlackholeTraffic!DNS': DNS,
    'Trojan:Runtime/DropPoint': IP,
    'Trojan:Runtime/DropPoint!DNS': DNS,
    'Trojan:Runtime/DGADomainRequest.C!DNS': DNS,
    'Trojan:Runtime/DriveBySourceTraffic!DNS': DNS,
    'Trojan:Runtime/PhishingDomainRequest!DNS': DNS,
    'UnauthorizedAccess:Runtime/MetadataDNSRebind': DNS,
    'UnauthorizedAccess:Runtime/TorClient': IP,
    'UnauthorizedAccess:Runtime/TorRelay': IP,
  } satisfies Record<string, FindingAction>),
);
