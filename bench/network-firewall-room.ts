/**
 * Bench 3: the room of one Network Firewall rule group (capacity 30,000, 2,000,000 bytes): how many domains
 * and addresses the planner fits, against the earlier rendering of one rule per address and two per domain
 * (`drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; dotprefix; content:".x"; …)`), whose size is
 * computed from its template. Domains are the benchmark's ~30-character names; addresses alternate IPv4 /32
 * and IPv6 /128.
 */
import type { BlockEntry } from '#domain/block';
import type { Indicator } from '#domain/indicator';
import { EGRESS_WARDEN_SID_RANGE, renderSuricataRules } from '#domain/reconcile/network-firewall-plan';
import { NETWORK_FIREWALL_LIMITS } from '#domain/target';
import { indicatorMix } from './fixtures';

/** What fits in one group, and what it costs, for one way of rendering the rules. */
export interface RoomFigures {
  /** Domains that fit with nothing else in the group. */
  readonly domainsAlone: number;
  /** Addresses that fit with nothing else in the group. */
  readonly addressesAlone: number;
  /** Domains that fit beside 1,000 addresses. */
  readonly domainsBesideAddresses: number;
  /** Bytes per domain and per address, measured on 10,000 domains and 1,000 addresses. */
  readonly bytesPerDomain: number;
  readonly bytesPerAddress: number;
  /** Rules (capacity units) for 10,000 domains and 1,000 addresses. */
  readonly rulesFor10kDomains1kAddresses: number;
}

/** The room before (one rule per indicator) and after (grouped rules), with the group's limits. */
export interface RoomResult {
  readonly limits: { readonly capacity: number; readonly bytes: number };
  readonly before: RoomFigures;
  readonly after: RoomFigures;
}

const SINCE = '2026-11-01T00:00:00.000Z';
const SID = EGRESS_WARDEN_SID_RANGE.last;

/** Measures the room of one rule group, before and after. Pure computation; takes a few seconds. */
export function benchNetworkFirewallRoom(): RoomResult {
  const domains = indicatorMix('room', { domains: 70_000, ipv4: 0, ipv6: 0 });
  const addresses = addressMix(120_000);
  const thousand = addresses.slice(0, 1_000);
  const tenThousand = domains.slice(0, 10_000);
  return {
    limits: { capacity: NETWORK_FIREWALL_LIMITS.maxCapacity, bytes: NETWORK_FIREWALL_LIMITS.maxRulesBytes },
    before: {
      domainsAlone: fitBefore(domains, []),
      addressesAlone: fitBefore([], addresses),
      domainsBesideAddresses: fitBefore(domains, thousand),
      bytesPerDomain: average(tenThousand, legacyDomainBytes),
      bytesPerAddress: average(thousand, legacyAddressBytes),
      rulesFor10kDomains1kAddresses: 2 * tenThousand.length + thousand.length,
    },
    after: {
      domainsAlone: fitAfter(domains, []),
      addressesAlone: fitAfter([], addresses),
      domainsBesideAddresses: fitAfter(domains, thousand),
      bytesPerDomain: bytesOf(tenThousand) / tenThousand.length,
      bytesPerAddress: bytesOf(thousand) / thousand.length,
      rulesFor10kDomains1kAddresses: renderSuricataRules(asBlocks([...tenThousand, ...thousand])).rules
        .length,
    },
  };
}

/** `count` addresses, IPv4 /32 and IPv6 /128 taken in turn. */
function addressMix(count: number): Indicator[] {
  const half = Math.ceil(count / 2);
  const v4 = indicatorMix('room', { domains: 0, ipv4: half, ipv6: 0 });
  const v6 = indicatorMix('room', { domains: 0, ipv4: 0, ipv6: half });
  return v4.flatMap((address, index) => [address, ...v6.slice(index, index + 1)]).slice(0, count);
}

function asBlocks(indicators: readonly Indicator[]): BlockEntry[] {
  return indicators.map((indicator) => ({ indicator, severity: 5, since: SINCE, expiresAt: null }));
}

/** How many of `domains` the planner places beside `addresses` (which rank first), in one group. */
function fitAfter(domains: readonly Indicator[], addresses: readonly Indicator[]): number {
  const blocks = [...asBlocks(addresses).map((entry) => ({ ...entry, severity: 9 })), ...asBlocks(domains)];
  const { overflow } = renderSuricataRules(blocks);
  const left = overflow.filter((entry) => entry.indicator.kind === 'domain').length;
  return domains.length > 0 ? domains.length - left : addresses.length - overflow.length;
}

function bytesOf(indicators: readonly Indicator[]): number {
  return Buffer.byteLength(renderSuricataRules(asBlocks(indicators)).rules.join('\n')) + 1;
}

/** The earlier rendering: the bytes (line included) of one address's rule. */
function legacyAddressBytes(indicator: Indicator): number {
  const cidr = indicator.value;
  return (
    `drop ip $HOME_NET any -> ${cidr} any (msg:"egress-warden block ${cidr}"; sid:${SID}; rev:1;)`.length + 1
  );
}

/** The earlier rendering: the bytes (lines included) of one domain's TLS and HTTP rules. */
function legacyDomainBytes(indicator: Indicator): number {
  const name = indicator.value;
  const tail = `msg:"egress-warden block ${name}"; flow:to_server, established; sid:${SID}; rev:1;)`;
  const tls = `drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; dotprefix; content:".${name}"; nocase; endswith; ${tail}`;
  const http = `drop http $HOME_NET any -> $EXTERNAL_NET any (http.host; dotprefix; content:".${name}"; endswith; ${tail}`;
  return tls.length + http.length + 2;
}

/** How many domains fit beside `addresses` in the earlier rendering: capacity and bytes, whichever binds. */
function fitBefore(domains: readonly Indicator[], addresses: readonly Indicator[]): number {
  let rules = 0;
  let bytes = 0;
  let placed = 0;
  const measured = domains.length > 0 ? 'domains' : 'addresses';
  for (const indicator of [...addresses, ...domains]) {
    const domain = indicator.kind === 'domain';
    const nextRules = rules + (domain ? 2 : 1);
    const nextBytes = bytes + (domain ? legacyDomainBytes(indicator) : legacyAddressBytes(indicator));
    if (nextRules > NETWORK_FIREWALL_LIMITS.maxCapacity || nextBytes > NETWORK_FIREWALL_LIMITS.maxRulesBytes)
      break;
    rules = nextRules;
    bytes = nextBytes;
    if (domain === (measured === 'domains')) placed++;
  }
  return placed;
}

function average(indicators: readonly Indicator[], bytes: (indicator: Indicator) => number): number {
  return indicators.reduce((sum, indicator) => sum + bytes(indicator), 0) / indicators.length;
}
