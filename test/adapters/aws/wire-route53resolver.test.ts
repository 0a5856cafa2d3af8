/**
 * Route53ResolverDomainList with the real Route53ResolverClient against a loopback server speaking AWS JSON 1.1:
 * the requests are serialized and SigV4-signed, and the responses and errors parsed, by the SDK core the bundle
 * ships. Wire format checked against botocore's model, boto/botocore
 * `botocore/data/route53resolver/2018-04-01/service-2.json` (metadata: protocol json, jsonVersion 1.1,
 * targetPrefix Route53Resolver, endpointPrefix route53resolver, sigv4; shapes ListFirewallDomainsRequest/
 * Response, UpdateFirewallDomainsRequest/Response, GetFirewallDomainListResponse, ThrottlingException,
 * ValidationException).
 */
import { createRequire } from 'node:module';
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { afterEach, describe, expect, it } from 'vitest';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import { InvalidInputError, ThrottledError } from '#domain/errors';
import {
  AwsWireError,
  type AwsWireServer,
  sigV4CredentialScope,
  startAwsWireServer,
} from '../../support/aws-wire';
import { bundleExports } from '../../support/bundled-exports';

const LIST_ID = 'rslvr-fdl-0123456789abcdef';
// What client-route53resolver 3.654.0 imports from the SDK core (its dist-es), and what those import in turn.
const CORE_IMPORTS_OF_THE_CLIENT = [
  '@aws-sdk/core',
  '@aws-sdk/credential-provider-node',
  '@smithy/core',
  '@smithy/fetch-http-handler',
  '@smithy/node-http-handler',
  '@smithy/util-utf8',
] as const;
const CORE_IMPORTS_OF_THE_CORE = {
  '@aws-sdk/core': ['@smithy/signature-v4', '@aws-sdk/types'],
  '@aws-sdk/credential-provider-node': [
    '@aws-sdk/credential-provider-env',
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-web-identity',
    '@smithy/credential-provider-imds',
  ],
} as const;
// Smaller than the adapter's MaxResults, as the service may return: the adapter must follow NextToken.
const SERVER_PAGE_SIZE = 3;

/** One domain list as the Resolver keeps it: names with a trailing dot, `UPDATING` for one poll after a write. */
class DomainListState {
  readonly domains = new Set<string>();
  status = 'COMPLETE';
  statusMessage: string | undefined;
  pollsWhileUpdating = 0;
  /** Domains the service refuses with ValidationException. */
  readonly refused = new Set<string>();
  /** Operations answered with ThrottlingException, and how many more times each is. */
  readonly throttled = new Map<string, number>();

  constructor(domains: readonly string[] = []) {
    for (const domain of domains) this.domains.add(`${domain}.`);
  }

  throttleIfAsked(operation: string): void {
    const left = this.throttled.get(operation) ?? 0;
    if (left <= 0) return;
    this.throttled.set(operation, left - 1);
    throw new AwsWireError('ThrottlingException', 'Rate exceeded for this account and region');
  }
}

let server: AwsWireServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startResolver(state: DomainListState): Promise<AwsWireServer> {
  const requireList = (id: unknown) => {
    if (id !== LIST_ID) throw new AwsWireError('ResourceNotFoundException', `list ${String(id)} not found`);
  };
  server = await startAwsWireServer({
    targetPrefix: 'Route53Resolver',
    jsonVersion: '1.1',
    handlers: {
      ListFirewallDomains: (body) => {
        state.throttleIfAsked('ListFirewallDomains');
        requireList(body.FirewallDomainListId);
        const all = [...state.domains];
        const start = Number(body.NextToken ?? 0);
        const end = start + Math.min(body.MaxResults ?? 100, SERVER_PAGE_SIZE);
        return {
          Domains: all.slice(start, end),
          ...(end < all.length ? { NextToken: String(end) } : {}),
        };
      },
      GetFirewallDomainList: (body) => {
        state.throttleIfAsked('GetFirewallDomainList');
        requireList(body.FirewallDomainListId);
        if (state.status === 'UPDATING' && state.pollsWhileUpdating-- <= 0) {
          state.status = 'COMPLETE';
          state.statusMessage = undefined;
        }
        return {
          FirewallDomainList: {
            Id: LIST_ID,
            Arn: `arn:aws:route53resolver:us-east-1:123456789012:firewall-domain-list/${LIST_ID}`,
            Name: 'egress-warden-blocked',
            DomainCount: state.domains.size,
            Status: state.status,
            ...(state.statusMessage ? { StatusMessage: state.statusMessage } : {}),
            CreationTime: '2026-11-28T10:00:00.000000Z',
          },
        };
      },
      UpdateFirewallDomains: (body) => {
        state.throttleIfAsked('UpdateFirewallDomains');
        requireList(body.FirewallDomainListId);
        const domains = body.Domains as string[];
        const refused = domains.find((domain) => state.refused.has(domain));
        if (refused) throw new AwsWireError('ValidationException', `Invalid domain ${refused}`);
        for (const domain of domains) {
          if (body.Operation === 'ADD') state.domains.add(`${domain}.`);
          else state.domains.delete(`${domain}.`);
        }
        state.status = 'UPDATING';
        state.statusMessage = 'Updating the Firewall Domain List';
        state.pollsWhileUpdating = 1;
        return {
          Id: LIST_ID,
          Name: 'egress-warden-blocked',
          Status: 'UPDATING',
          StatusMessage: state.statusMessage,
        };
      },
    },
  });
  return server;
}

/** The real client, as the enforce function builds it, aimed at the loopback server. */
function resolverClient(endpoint: string, extra: { maxAttempts?: number } = {}): Route53ResolverClient {
  return new Route53ResolverClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    ...extra,
  });
}

/** The adapter with time that only moves when it sleeps, so retries and polls never wait. */
function domainList(client: Route53ResolverClient): { list: Route53ResolverDomainList; sleeps: number[] } {
  const sleeps: number[] = [];
  let now = 0;
  const list = new Route53ResolverDomainList({
    client,
    domainListId: LIST_ID,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    now: () => now,
  });
  return { list, sleeps };
}

describe('the SDK core under client-route53resolver', () => {
  // The old client pins an old core; npm overrides point it at the one copy every other client uses, so the
  // bundles carry one core and these wire tests exercise the core that ships.
  it("resolves every core package the client imports to the project's single copy", () => {
    // Prepare
    const fromProject = createRequire(import.meta.url);
    const fromClient = createRequire(fromProject.resolve('@aws-sdk/client-route53resolver'));

    // Act
    const resolved = CORE_IMPORTS_OF_THE_CLIENT.map((name) => [name, fromClient.resolve(name)]);
    const resolvedInTurn = Object.entries(CORE_IMPORTS_OF_THE_CORE).flatMap(([parent, names]) => {
      const fromParent = createRequire(fromClient.resolve(parent));
      return names.map((name) => [name, fromParent.resolve(name)]);
    });

    // Assess
    const expected = (pairs: string[][]) =>
      pairs.map(([name]) => [name, fromProject.resolve(name as string)]);
    expect(resolved).toEqual(expected(resolved));
    expect(resolvedInTurn).toEqual(expected(resolvedInTurn));
  });
});

describe('Route53ResolverDomainList on the wire (AWS JSON 1.1)', () => {
  it('sends signed JSON 1.1 requests to Route53Resolver and follows NextToken across pages', async () => {
    // Prepare
    const state = new DomainListState(['b.example.com', 'a.example.com', 'e.example.net', 'c.example.org']);
    state.domains.add('*.d.example.com.');
    state.domains.add('f.example.com.');
    state.domains.add('g.example.com.');
    const wire = await startResolver(state);
    const { list } = domainList(resolverClient(wire.endpoint));

    // Act
    const domains = await list.listDomains();

    // Assess
    expect(domains).toEqual([
      '*.d.example.com',
      'a.example.com',
      'b.example.com',
      'c.example.org',
      'e.example.net',
      'f.example.com',
      'g.example.com',
    ]);
    expect(wire.operations()).toEqual(['ListFirewallDomains', 'ListFirewallDomains', 'ListFirewallDomains']);
    expect(wire.requests.map((request) => request.body)).toEqual([
      { FirewallDomainListId: LIST_ID, MaxResults: 5000 },
      { FirewallDomainListId: LIST_ID, MaxResults: 5000, NextToken: '3' },
      { FirewallDomainListId: LIST_ID, MaxResults: 5000, NextToken: '6' },
    ]);
    for (const request of wire.requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/');
      expect(request.headers['x-amz-target']).toBe('Route53Resolver.ListFirewallDomains');
      expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(request.headers.authorization).toContain('Credential=AKIDEXAMPLE/');
      expect(sigV4CredentialScope(request.headers.authorization)).toMatch(
        /^\d{8}\/us-east-1\/route53resolver\/aws4_request$/,
      );
      expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    }
  });

  it('adds then removes domains with UpdateFirewallDomains, waiting for the list to leave UPDATING', async () => {
    // Prepare
    const state = new DomainListState(['kept.example.com']);
    const wire = await startResolver(state);
    const { list } = domainList(resolverClient(wire.endpoint));

    // Act
    await list.updateDomains('ADD', ['Bad.Example.com.', '*.evil.example.net']);
    const afterAdd = [...state.domains].sort();
    await list.updateDomains('REMOVE', ['bad.example.com']);

    // Assess
    expect(afterAdd).toEqual(['*.evil.example.net.', 'bad.example.com.', 'kept.example.com.']);
    expect([...state.domains].sort()).toEqual(['*.evil.example.net.', 'kept.example.com.']);
    const updates = wire.requests.filter((request) => request.operation === 'UpdateFirewallDomains');
    expect(updates.map((request) => request.body)).toEqual([
      { FirewallDomainListId: LIST_ID, Operation: 'ADD', Domains: ['bad.example.com', '*.evil.example.net'] },
      { FirewallDomainListId: LIST_ID, Operation: 'REMOVE', Domains: ['bad.example.com'] },
    ]);
    expect(updates[0]?.headers['x-amz-target']).toBe('Route53Resolver.UpdateFirewallDomains');
    // At rest first, then the write, then polls until COMPLETE; the second write trusts the last poll.
    expect(wire.operations()).toEqual([
      'GetFirewallDomainList',
      'UpdateFirewallDomains',
      'GetFirewallDomainList',
      'GetFirewallDomainList',
      'UpdateFirewallDomains',
      'GetFirewallDomainList',
      'GetFirewallDomainList',
    ]);
    expect(state.status).toBe('COMPLETE');
  });

  it('reads Status and StatusMessage with GetFirewallDomainList', async () => {
    // Prepare
    const state = new DomainListState();
    state.status = 'COMPLETE_IMPORT_FAILED';
    state.statusMessage = 'Import failed: s3://example-bucket/domains.txt not found';
    const wire = await startResolver(state);
    const { list } = domainList(resolverClient(wire.endpoint));

    // Act
    const status = await list.status();

    // Assess
    expect(status).toEqual({
      status: 'COMPLETE_IMPORT_FAILED',
      message: 'Import failed: s3://example-bucket/domains.txt not found',
    });
    expect(wire.requests).toHaveLength(1);
    expect(wire.requests[0]?.headers['x-amz-target']).toBe('Route53Resolver.GetFirewallDomainList');
    expect(wire.requests[0]?.body).toEqual({ FirewallDomainListId: LIST_ID });
  });

  it('maps a ThrottlingException that never ends to ThrottledError after its own six attempts', async () => {
    // Prepare
    const state = new DomainListState();
    state.throttled.set('UpdateFirewallDomains', Number.POSITIVE_INFINITY);
    const wire = await startResolver(state);
    // One SDK attempt per call: the adapter's retries are the ones under test, and they never sleep for real.
    const { list, sleeps } = domainList(resolverClient(wire.endpoint, { maxAttempts: 1 }));

    // Act
    const error = await list.updateDomains('ADD', ['bad.example.com']).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ code: 'ThrottlingException', retryable: true });
    expect((error as Error).message).toContain('Rate exceeded for this account and region');
    expect((error as Error).cause).toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400, requestId: expect.stringMatching(/^wire-/) },
    });
    expect(wire.operations().filter((operation) => operation === 'UpdateFirewallDomains')).toHaveLength(6);
    expect(sleeps.length).toBeGreaterThanOrEqual(5);
    expect(state.domains.size).toBe(0);
  });

  it('retries one ThrottlingException in the SDK itself and then writes', async () => {
    // Prepare
    const state = new DomainListState();
    state.throttled.set('UpdateFirewallDomains', 1);
    const wire = await startResolver(state);
    const { list } = domainList(resolverClient(wire.endpoint));

    // Act
    await list.updateDomains('ADD', ['bad.example.com']);

    // Assess
    const updates = wire.requests.filter((request) => request.operation === 'UpdateFirewallDomains');
    expect(updates.map((request) => request.headers['amz-sdk-request'])).toEqual([
      'attempt=1; max=3',
      'attempt=2; max=3',
    ]);
    expect(updates[1]?.body).toEqual(updates[0]?.body);
    expect([...state.domains]).toEqual(['bad.example.com.']);
  });

  it('maps a ValidationException to InvalidInputError on the domains, writing nothing', async () => {
    // Prepare
    const state = new DomainListState();
    state.refused.add('refused.example.com');
    const wire = await startResolver(state);
    const { list } = domainList(resolverClient(wire.endpoint));

    // Act
    const error = await list.updateDomains('ADD', ['refused.example.com']).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'domains', code: 'ValidationException', retryable: false });
    expect((error as Error).message).toContain('Invalid domain refused.example.com');
    expect(wire.operations().filter((operation) => operation === 'UpdateFirewallDomains')).toHaveLength(1);
    expect(state.domains.size).toBe(0);
  });
});

describe('Route53ResolverDomainList bundled as the functions ship it', () => {
  // Node loads the SDK's CommonJS builds in the tests above; the bundles take its ES module builds
  // (mainFields module-first), which pull in the core through different files.
  it('lists and adds domains on the wire from an esbuild bundle of the client and the adapter', async () => {
    // Prepare
    const state = new DomainListState(['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com']);
    const wire = await startResolver(state);
    const {
      module: bundled,
      metafile,
      remove,
    } = await bundleExports<{
      Route53ResolverClient: typeof Route53ResolverClient;
      Route53ResolverDomainList: typeof Route53ResolverDomainList;
    }>('wire-bundle-', [
      "export { Route53ResolverClient } from '@aws-sdk/client-route53resolver';",
      "export { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';",
    ]);
    try {
      const client = new bundled.Route53ResolverClient({
        region: 'us-east-1',
        endpoint: wire.endpoint,
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        },
      });
      const list = new bundled.Route53ResolverDomainList({
        client,
        domainListId: LIST_ID,
        sleep: async () => {},
        minIntervalMs: 0,
      });

      // Act
      const listed = await list.listDomains();
      await list.updateDomains('ADD', ['e.example.com']);

      // Assess
      expect(
        Object.keys(metafile.inputs).some((input) => input.includes('client-route53resolver/dist-es/')),
      ).toBe(true);
      expect(listed).toEqual(['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com']);
      expect(state.domains.has('e.example.com.')).toBe(true);
      expect(wire.operations()).toEqual([
        'ListFirewallDomains',
        'ListFirewallDomains',
        'GetFirewallDomainList',
        'UpdateFirewallDomains',
        'GetFirewallDomainList',
        'GetFirewallDomainList',
      ]);
      for (const request of wire.requests) {
        expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
        expect(sigV4CredentialScope(request.headers.authorization)).toMatch(
          /^\d{8}\/us-east-1\/route53resolver\/aws4_request$/,
        );
      }
    } finally {
      await remove();
    }
  });
});
