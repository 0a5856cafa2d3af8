/** A small stateful Route 53 Resolver DNS Firewall behind aws-sdk-client-mock, with one domain list. */
import {
  ConflictException,
  type FirewallDomainListStatus,
  GetFirewallDomainListCommand,
  type GetFirewallDomainListCommandInput,
  type GetFirewallDomainListCommandOutput,
  LimitExceededException,
  ListFirewallDomainsCommand,
  type ListFirewallDomainsCommandInput,
  type ListFirewallDomainsCommandOutput,
  ResourceNotFoundException,
  type Route53ResolverClient,
  UpdateFirewallDomainsCommand,
  type UpdateFirewallDomainsCommandInput,
  type UpdateFirewallDomainsCommandOutput,
  ValidationException,
} from '@aws-sdk/client-route53resolver';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { FakeAwsService } from './injected-failures';

/** The id of the list the fake holds unless told otherwise. */
export const DOMAIN_LIST_ID = 'rslvr-fdl-0123456789abcdef';

const $metadata = {};

/** The state a fake Route 53 Resolver starts from. */
export interface FakeRoute53ResolverOptions {
  readonly domainListId?: string;
  /** Domains already in the list, in any spelling; stored with the trailing dot the API adds. */
  readonly domains?: readonly string[];
  /** Domains the account-region can hold; 100,000 (the AWS default quota) when absent. */
  readonly maxDomains?: number;
  /** GetFirewallDomainList answers `UPDATING` this many times after each write; 2 when absent. */
  readonly pollsWhileUpdating?: number;
  readonly status?: FirewallDomainListStatus;
  /** Starts the list in `COMPLETE_IMPORT_FAILED` with this `StatusMessage`, as a failed console import leaves it. */
  readonly failedImport?: string;
}

/**
 * One DNS Firewall domain list as the Resolver API keeps it: names stored with a trailing dot, listings paged
 * in the service's own (unsorted) order, `UPDATING` for a while after each write with writes refused
 * meanwhile (`ConflictException`) but taken in `COMPLETE` and in `COMPLETE_IMPORT_FAILED` (the rest after a
 * failed import), the 1,000-domains-per-call limit and a domain grammar (`ValidationException`), and the
 * account quota (`LimitExceededException`).
 */
export class FakeRoute53Resolver extends FakeAwsService {
  readonly domainListId: string;
  /** The stored names, each with its trailing dot, in insertion order. */
  readonly domains: Set<string>;
  status: FirewallDomainListStatus;
  /** Status polls left before an `UPDATING` list turns `COMPLETE`. */
  pollsLeft = 0;
  statusMessage: string | undefined;
  readonly #maxDomains: number;
  readonly #pollsWhileUpdating: number;

  constructor(options: FakeRoute53ResolverOptions = {}) {
    super();
    this.domainListId = options.domainListId ?? DOMAIN_LIST_ID;
    this.domains = new Set((options.domains ?? []).map((domain) => withDot(domain.toLowerCase())));
    this.status =
      options.failedImport === undefined ? (options.status ?? 'COMPLETE') : 'COMPLETE_IMPORT_FAILED';
    this.statusMessage = options.failedImport;
    this.#maxDomains = options.maxDomains ?? 100_000;
    this.#pollsWhileUpdating = options.pollsWhileUpdating ?? 2;
  }

  /** ListFirewallDomains. */
  list(input: ListFirewallDomainsCommandInput): Partial<ListFirewallDomainsCommandOutput> {
    this.throwIfInjected(ListFirewallDomainsCommand);
    this.#requireList(input.FirewallDomainListId);
    // The service's own order is not sorted: newest first here, so the adapter has to sort.
    const all = [...this.domains].reverse();
    const start = Number(input.NextToken ?? 0);
    const end = start + (input.MaxResults ?? 100);
    return { Domains: all.slice(start, end), NextToken: end < all.length ? String(end) : undefined };
  }

  /** GetFirewallDomainList: each poll brings an `UPDATING` list one step closer to `COMPLETE`. */
  get(input: GetFirewallDomainListCommandInput): Partial<GetFirewallDomainListCommandOutput> {
    this.throwIfInjected(GetFirewallDomainListCommand);
    this.#requireList(input.FirewallDomainListId);
    if (this.status === 'UPDATING' && this.pollsLeft-- <= 0) {
      this.status = 'COMPLETE';
      this.statusMessage = undefined;
    }
    return {
      FirewallDomainList: {
        Id: this.domainListId,
        Status: this.status,
        StatusMessage: this.statusMessage,
        DomainCount: this.domains.size,
      },
    };
  }

  /** UpdateFirewallDomains ADD or REMOVE. */
  update(input: UpdateFirewallDomainsCommandInput): Partial<UpdateFirewallDomainsCommandOutput> {
    this.throwIfInjected(UpdateFirewallDomainsCommand);
    this.#requireList(input.FirewallDomainListId);
    // A failed import leaves the list at rest (Terraform's waiter treats it as a target state): it takes writes.
    if (this.status !== 'COMPLETE' && this.status !== 'COMPLETE_IMPORT_FAILED') {
      throw new ConflictException({ message: 'The requested state transition is not valid', $metadata });
    }
    const domains: string[] = input.Domains ?? [];
    const invalid = (domain: string) => domain.length > 255 || !/^(\*|(\*\.)?[A-Za-z0-9.-]+)$/.test(domain);
    if (domains.length > 1000 || domains.some(invalid)) {
      throw new ValidationException({ message: 'Invalid domain', $metadata });
    }
    const dotted = domains.map(withDot);
    if (input.Operation === 'ADD') {
      const added = dotted.filter((domain) => !this.domains.has(domain));
      if (this.domains.size + added.length > this.#maxDomains) {
        throw new LimitExceededException({
          message: 'Domain limit exceeded',
          $metadata,
          ResourceType: 'domain',
        });
      }
      for (const domain of added) this.domains.add(domain);
    } else {
      for (const domain of dotted) this.domains.delete(domain);
    }
    this.status = 'UPDATING';
    this.statusMessage = 'Updating the Firewall Domain List';
    this.pollsLeft = this.#pollsWhileUpdating;
    return { Id: this.domainListId, Status: 'UPDATING', StatusMessage: 'Updating the Firewall Domain List' };
  }

  /** The stored names, sorted, each with its trailing dot as the API returns it. */
  sortedDomains(): string[] {
    return [...this.domains].sort();
  }

  #requireList(id: string | undefined): void {
    if (id !== this.domainListId) {
      throw new ResourceNotFoundException({ message: `list ${id} not found`, $metadata });
    }
  }
}

/** Backs `mock` with a new FakeRoute53Resolver and returns it, so a test can read and change its state. */
export function fakeRoute53Resolver(
  mock: AwsClientStub<Route53ResolverClient>,
  options: FakeRoute53ResolverOptions = {},
): FakeRoute53Resolver {
  const fake = new FakeRoute53Resolver(options);
  mock.on(ListFirewallDomainsCommand).callsFake((input) => fake.list(input));
  mock.on(GetFirewallDomainListCommand).callsFake((input) => fake.get(input));
  mock.on(UpdateFirewallDomainsCommand).callsFake((input) => fake.update(input));
  return fake;
}

function withDot(domain: string): string {
  return `${domain.replace(/\.$/, '')}.`;
}
