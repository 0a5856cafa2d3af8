import { ListFirewallDomainsCommand, Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Route53ResolverDomainList } from '#adapters/aws/dns-firewall';
import type { BlockEntry } from '#domain/block';
import { parseIndicator } from '#domain/indicator';
import { enforceDnsFirewall } from '#shared/use-cases/enforce/dns-firewall';
import { fakeRoute53Resolver } from '../../support/fakes/route53-resolver';
import { policyWith, START } from '../../support/warden';

const client = new Route53ResolverClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const mock = mockClient(client);
const noWait = async () => {};

/** `count` domain blocks: each is two list entries, the name and its `*.` wildcard. */
function domainBlocks(count: number): BlockEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    indicator: parseIndicator(`host-${index}.example.com`),
    severity: 8,
    since: START.toISOString(),
    expiresAt: null,
  }));
}

beforeEach(() => {
  mock.reset();
});

describe('enforceDnsFirewall on Route 53 Resolver', () => {
  it('reads a converged list of 20,000 entries in 4 pages and writes nothing', async () => {
    // Prepare
    const desired = domainBlocks(10_000);
    const entries = desired.flatMap((block) => [`*.${block.indicator.value}`, block.indicator.value]);
    fakeRoute53Resolver(mock, { domains: entries });
    const port = new Route53ResolverDomainList({
      client,
      domainListId: 'rslvr-fdl-0123456789abcdef',
      sleep: noWait,
      minIntervalMs: 0,
    });

    // Act
    const outcome = await enforceDnsFirewall(port, { policy: policyWith() }, desired, { hold: false });

    // Assess
    expect(entries).toHaveLength(20_000);
    expect(outcome).toMatchObject({ status: 'unchanged', changes: 0 });
    expect(mock).toHaveReceivedCommandTimes(ListFirewallDomainsCommand, 4);
  });
});
