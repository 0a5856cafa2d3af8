import { type DomainFeed, domainFeedMatcher } from '#domain/detect/domain-feeds';
import { type IpFeed, indexIpFeeds } from '#domain/detect/ip-feeds';
import type { LoadedFeeds, ThreatFeeds } from '#ports/feeds';

/** Feeds held in memory, for the simulation and the use-case tests: parsed once, the same object every load. */
export class InMemoryThreatFeeds implements ThreatFeeds {
  readonly #loaded: LoadedFeeds;

  constructor(feeds: { readonly domains?: readonly DomainFeed[]; readonly ips?: readonly IpFeed[] } = {}) {
    this.#loaded = { domains: domainFeedMatcher(feeds.domains ?? []), ips: indexIpFeeds(feeds.ips ?? []) };
  }

  async load(): Promise<LoadedFeeds> {
    return this.#loaded;
  }
}
