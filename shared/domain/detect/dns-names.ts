/**
 * Which query names the DNS detectors look at, and under which registered domain they count. Exclusion
 * comes before counting, so that AWS hostnames, CDN hashes, instance names, reverse lookups and search-path
 * noise never add up to a block.
 */
import { InvalidIndicatorError } from '#domain/errors';
import { parseIndicator, registeredDomainOf } from '#domain/indicator';
import { DomainSuffixSet } from './domain-feeds';

/** Why a name was left out. */
export type ExclusionReason =
  | 'single-label'
  | 'internal'
  | 'reverse-lookup'
  | 'search-path'
  | 'allowlisted'
  | 'protected'
  | 'not-blockable';

/** A name the detectors look at: its registered domain, and whether it is a known-benign platform name. */
export interface ScreenedName {
  readonly excluded?: undefined;
  /** eTLD+1 by the Public Suffix List with its private section (`x.cloudfront.net` stays itself). */
  readonly registeredDomain: string;
  /**
   * True for AWS's own names, CDNs, package registries and other sources of unique names that no one
   * outside the platform controls (detection.md §4.1, §5.4): matched against intel feeds, never counted.
   */
  readonly benign: boolean;
}

/** A name left out, and why. */
export interface ExcludedName {
  readonly excluded: ExclusionReason;
}

/**
 * Special-use and VPC-internal suffixes (detection.md §9): the VPC resolver answers `*.internal`
 * (`ec2.internal`, `<region>.compute.internal`), `.local` is mDNS and Kubernetes (`cluster.local`); none of
 * them is on the Public Suffix List, so tldts would fold every instance name into one registered domain.
 */
const INTERNAL = DomainSuffixSet.of(['internal', 'local', 'localhost', 'localdomain', 'test', 'invalid']);

/**
 * Names that produce many unique subdomains and NXDOMAINs for benign reasons (detection.md §4.1 Sigma's
 * well-known list, §5.4): AWS, CDNs, OS and SaaS vendors, package registries, reputation lookups. Platforms
 * where anyone can host a name (`workers.dev`, `pages.dev`, `trycloudflare.com`, dynamic DNS) are left out
 * on purpose: with private suffixes each tenant is its own registered domain, and it is counted.
 */
export const BENIGN_DOMAINS: readonly string[] = [
  // AWS (detection.md §5.4): endpoints, instance and ELB names, Lambda function URLs, CloudFront ids.
  'amazonaws.com',
  'amazonaws.com.cn',
  'api.aws',
  'on.aws',
  'aws',
  'aws.com',
  'aws.dev',
  'amazon.com',
  'amazontrust.com',
  'amazonlinux.com',
  'awsstatic.com',
  'cloudfront.net',
  // CDNs (§5.4, all on the PSL's private section except akadns.net and fastly.net).
  'akadns.net',
  'akamai.net',
  'akamaiedge.net',
  'akamaihd.net',
  'akamaized.net',
  'edgekey.net',
  'edgesuite.net',
  'fastly.net',
  'fastlylb.net',
  'googlevideo.com',
  'gvt1.com',
  '1e100.net',
  'azureedge.net',
  'trafficmanager.net',
  'blob.core.windows.net',
  // Vendors on Sigma's list (net_dns_high_subdomain_rate.yml).
  'apple.com',
  'apple-dns.net',
  'icloud.com',
  'google.com',
  'yahoo.com',
  'dropbox.com',
  'windowsupdate.com',
  'microsoftonline.com',
  's-microsoft.com',
  'office365.com',
  'linkedin.com',
  // Package registries and OS mirrors: builds resolve many unique names under them.
  'npmjs.org',
  'npmjs.com',
  'yarnpkg.com',
  'pypi.org',
  'pythonhosted.org',
  'rubygems.org',
  'crates.io',
  'golang.org',
  'docker.io',
  'docker.com',
  'maven.org',
  'gradle.org',
  'nuget.org',
  'debian.org',
  'ubuntu.com',
  'alpinelinux.org',
  'fedoraproject.org',
  'centos.org',
  'github.com',
  'githubusercontent.com',
  // Reputation lookups encode an address or hash in each name (§5.4 "disposable domains").
  'spamhaus.org',
  'sophosxl.net',
  'mcafee.com',
];

/** How many registered domains' blockability is remembered; the cache is cleared when it fills. */
const CACHE_LIMIT = 10_000;

/** The lists a screen needs; every list holds domains and covers their subdomains. */
export interface NameLists {
  /** The policy's allowlist: never counted, never matched. */
  readonly allowlist: readonly string[];
  /** The operator's own domains (the policy's protected domains). */
  readonly protectedDomains: readonly string[];
  /** Extra benign domains from the detector settings (the VPC's search domains, in-house platforms). */
  readonly benignDomains: readonly string[];
}

/** Screens query names: internal and special-use names, the allowlist, protected and benign domains. */
export class NameScreen {
  readonly #allowlist: DomainSuffixSet;
  readonly #protected: DomainSuffixSet;
  readonly #benign: DomainSuffixSet;
  readonly #blockable = new Map<string, boolean>();

  constructor(lists: NameLists) {
    this.#allowlist = DomainSuffixSet.of(lists.allowlist);
    this.#protected = DomainSuffixSet.of(lists.protectedDomains);
    this.#benign = DomainSuffixSet.of([...BENIGN_DOMAINS, ...lists.benignDomains]);
  }

  /**
   * Screens one normalised name (lowercase, no trailing dot) with the query's rcode. Search-path expansions
   * (`db.ec2.internal.corp.example`, `api.svc.cluster.local.corp.example`) are left out only when they got
   * NXDOMAIN: a domain that answers them is someone's server, and may be a tunnel hiding behind the pattern.
   */
  screen(name: string, rcode: string): ScreenedName | ExcludedName {
    if (!name.includes('.')) return { excluded: 'single-label' };
    if (name.endsWith('.arpa')) return { excluded: 'reverse-lookup' };
    if (INTERNAL.has(name)) return { excluded: 'internal' };
    if (rcode === 'NXDOMAIN' && (name.includes('.internal.') || name.includes('.local.'))) {
      return { excluded: 'search-path' };
    }
    if (this.#allowlist.has(name)) return { excluded: 'allowlisted' };
    if (this.#protected.has(name)) return { excluded: 'protected' };
    const registeredDomain = registeredDomainOf(name);
    if (registeredDomain === null || !this.#isBlockable(registeredDomain))
      return { excluded: 'not-blockable' };
    return { registeredDomain, benign: this.#benign.has(name) };
  }

  /** True when `domain` or a parent is in the benign list (built-in plus configured). */
  isBenign(domain: string): boolean {
    return this.#benign.has(domain);
  }

  /**
   * The registered domain is what a tunnel signal names, so it must be something DNS Firewall accepts. The
   * full name is not required to parse: an underscore in a label (`_dmarc`, or a tunnel's own encoding)
   * must not let a name escape counting.
   */
  #isBlockable(registeredDomain: string): boolean {
    let blockable = this.#blockable.get(registeredDomain);
    if (blockable === undefined) {
      blockable = parsesAsDomain(registeredDomain);
      if (this.#blockable.size >= CACHE_LIMIT) this.#blockable.clear();
      this.#blockable.set(registeredDomain, blockable);
    }
    return blockable;
  }
}

function parsesAsDomain(name: string): boolean {
  try {
    const indicator = parseIndicator(name);
    return indicator.kind === 'domain' && indicator.registeredDomain !== null;
  } catch (error) {
    if (error instanceof InvalidIndicatorError) return false;
    throw error;
  }
}

/** The labels left of the registered domain (`a.b` for `a.b.evil.example` under `evil.example`). */
export function prefixOf(name: string, registeredDomain: string): string {
  return name.length > registeredDomain.length
    ? name.slice(0, name.length - registeredDomain.length - 1)
    : '';
}
