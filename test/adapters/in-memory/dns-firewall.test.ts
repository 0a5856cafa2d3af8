import { describe, expect, it } from 'vitest';
import { InMemoryDnsFirewall } from '#adapters/in-memory/dns-firewall';
import { ThrottledError } from '#domain/errors';
import { describeDnsFirewallContract, manyDomains } from '../../contracts/dns-firewall.contract';

describeDnsFirewallContract('InMemoryDnsFirewall', (state) => new InMemoryDnsFirewall(state));

describe('InMemoryDnsFirewall', () => {
  it('holds the AWS default quota of 100,000 domains when none is given', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall({ domains: manyDomains(99_999) });

    // Act
    await list.updateDomains('ADD', ['last.example.net']);
    const overflow = list.updateDomains('ADD', ['one-too-many.example.net']);

    // Assess
    await expect(overflow).rejects.toMatchObject({ code: 'LimitExceededException' });
    expect(list.snapshot()).toHaveLength(100_000);
  });

  it('counts the write calls that reach the list, not the empty or invalid ones', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall();

    // Act
    await list.updateDomains('ADD', ['evil.example.com']);
    await list.updateDomains('REMOVE', ['evil.example.com']);
    await list.updateDomains('ADD', []);
    await list.updateDomains('ADD', ['bad name']).catch(() => undefined);

    // Assess
    expect(list.calls).toBe(2);
  });

  it('throws an injected failure once, changes nothing for it, then works again', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall();
    const failure = new ThrottledError('slow down', 'ThrottlingException');
    list.injectFailure(failure);

    // Act
    const first = list.updateDomains('ADD', ['evil.example.com']);
    await expect(first).rejects.toBe(failure);
    const afterFailure = list.snapshot();
    await list.updateDomains('ADD', ['evil.example.com']);

    // Assess
    expect(afterFailure).toEqual([]);
    expect(list.snapshot()).toEqual(['evil.example.com']);
    expect(list.calls).toBe(2);
  });

  it('gives a synchronous snapshot that later writes do not change', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall({ domains: ['b.example.com', 'A.example.com.'] });

    // Act
    const snapshot = list.snapshot();
    await list.updateDomains('ADD', ['c.example.com']);

    // Assess
    expect(snapshot).toEqual(['a.example.com', 'b.example.com']);
  });

  it('names the offending entry of a batch in the error field', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall();

    // Act
    const result = list.updateDomains('ADD', ['ok.example.com', 'not ok.example.com']);

    // Assess
    await expect(result).rejects.toMatchObject({ field: 'domains[1]', retryable: false });
  });

  it('stays COMPLETE_IMPORT_FAILED after a write the quota refuses, and is COMPLETE after one that succeeds', async () => {
    // Prepare
    const list = new InMemoryDnsFirewall({ maxDomains: 1, failedImport: 'Import failed' });
    const refused = list.updateDomains('ADD', ['a.example.com', 'b.example.com']);
    await expect(refused).rejects.toMatchObject({ code: 'LimitExceededException' });
    const afterRefusal = await list.status();

    // Act
    await list.updateDomains('ADD', ['a.example.com']);

    // Assess
    expect(afterRefusal).toEqual({ status: 'COMPLETE_IMPORT_FAILED', message: 'Import failed' });
    expect(await list.status()).toEqual({ status: 'COMPLETE' });
  });
});
