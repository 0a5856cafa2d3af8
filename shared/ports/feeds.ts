import type { CidrMatcher } from '#domain/detect/cidr-matcher';
import type { DomainSuffixSet } from '#domain/detect/domain-feeds';
import type { IpFeedMatch } from '#domain/detect/ip-feeds';

/** The threat-intel feeds the log detectors match against, parsed and indexed. */
export interface LoadedFeeds {
  /** Every domain feed's names, tagged with the feeds listing them (domainFeedMatcher); empty when none. */
  readonly domains: DomainSuffixSet;
  /** Every IP feed's networks (indexIpFeeds); an empty index turns the flow threat-intel detection off. */
  readonly ips: CidrMatcher<IpFeedMatch>;
}

/** Where the detectors get their feeds from. */
export interface ThreatFeeds {
  /**
   * The current feeds. May answer from a cache: the same object until the feeds are read again, so a caller
   * can keep what it built from them. A bad feed line never fails the load (it is left out and reported by
   * the adapter); throws when the feeds cannot be read at all and nothing was loaded before.
   */
  load(): Promise<LoadedFeeds>;
}
