import { describe, expect, it } from 'vitest';
import { TargetNotFoundError } from '#domain/errors';
import { parseIndicator } from '#domain/indicator';
import { decideSignal } from '#shared/use-cases/decide-signal';
import { reconcile } from '#shared/use-cases/enforce/reconcile';
import { type HoldingSources, targetHoldings } from '#shared/use-cases/target-holdings';
import { ACL_ID, createWarden, HOUR, manualSignal, type Warden } from '../support/warden';

/** Blocks each indicator by a manual request, then runs reconcile so that the targets hold them. */
async function enforced(...indicators: string[]): Promise<Warden> {
  const warden = createWarden();
  for (const indicator of indicators) {
    const signal = manualSignal(indicator, warden);
    const request = { requestedBy: 'alice', reason: 'test', ...signal.request, ttlMs: 4 * HOUR };
    await decideSignal({ ...signal, request }, warden.deps);
  }
  await reconcile(warden.deps);
  return warden;
}

function sourcesOf(warden: Warden): HoldingSources {
  const { store, dnsFirewall, networkFirewall } = warden.deps;
  return {
    store,
    ...(dnsFirewall && { dnsFirewall }),
    ...(networkFirewall && { networkFirewall }),
    networkAcls: true,
  };
}

describe('targetHoldings', () => {
  it('finds a blocked domain in the domain list and the rule group, and nothing in the ACLs', async () => {
    // Prepare
    const warden = await enforced('evil.example.com');

    // Act
    const holdings = await targetHoldings(parseIndicator('evil.example.com'), sourcesOf(warden));

    // Assess
    expect(holdings).toEqual([
      { target: 'dnsFirewall', readFrom: 'target', entries: ['*.evil.example.com', 'evil.example.com'] },
      { target: 'networkAcls', readFrom: 'ledger', entries: [] },
      { target: 'networkFirewall', readFrom: 'target', entries: ['evil.example.com'] },
    ]);
  });

  it('shows the wider block that covers a subdomain, and not a sibling', async () => {
    // Prepare
    const warden = await enforced('evil.example.com');

    // Act
    const covered = await targetHoldings(parseIndicator('cdn.evil.example.com'), sourcesOf(warden));
    const sibling = await targetHoldings(parseIndicator('good.example.com'), sourcesOf(warden));

    // Assess
    expect(covered.map((h) => [h.target, h.entries])).toEqual([
      ['dnsFirewall', ['*.evil.example.com']],
      ['networkAcls', []],
      ['networkFirewall', ['evil.example.com']],
    ]);
    expect(sibling.flatMap((h) => h.entries)).toEqual([]);
  });

  it('finds an address in the ACL deny and the rule that cover it', async () => {
    // Prepare
    const warden = await enforced('203.0.113.0/24');

    // Act
    const holdings = await targetHoldings(parseIndicator('203.0.113.45'), sourcesOf(warden));

    // Assess
    expect(holdings).toEqual([
      { target: 'dnsFirewall', readFrom: 'target', entries: [] },
      {
        target: 'networkAcls',
        readFrom: 'ledger',
        entries: [expect.stringMatching(new RegExp(`^${ACL_ID} rule \\d+ deny 203\\.0\\.113\\.0/24$`))],
      },
      { target: 'networkFirewall', readFrom: 'target', entries: ['203.0.113.0/24'] },
    ]);
  });

  it('never shows a deny of one IP family for an address of the other', async () => {
    // Prepare
    const warden = await enforced('203.0.113.0/24');

    // Act
    const holdings = await targetHoldings(parseIndicator('2001:db8::1'), sourcesOf(warden));

    // Assess
    expect(holdings.map((h) => [h.target, h.entries])).toEqual([
      ['dnsFirewall', []],
      ['networkAcls', []],
      ['networkFirewall', []],
    ]);
  });

  it('reports a target it cannot read with the error, and still reads the others', async () => {
    // Prepare
    const warden = await enforced('evil.example.com');
    const sources: HoldingSources = {
      ...sourcesOf(warden),
      dnsFirewall: {
        listDomains: () =>
          Promise.reject(
            new TargetNotFoundError('domain list rslvr-fdl-1 not found', 'ResourceNotFoundException'),
          ),
      },
    };

    // Act
    const holdings = await targetHoldings(parseIndicator('evil.example.com'), sources);

    // Assess
    expect(holdings[0]).toEqual({
      target: 'dnsFirewall',
      readFrom: 'target',
      entries: [],
      error: 'TargetNotFoundError: domain list rslvr-fdl-1 not found',
    });
    expect(holdings[2]?.entries).toEqual(['evil.example.com']);
  });

  it('leaves out the targets that are not deployed', async () => {
    // Prepare
    const warden = await enforced('evil.example.com');

    // Act
    const holdings = await targetHoldings(parseIndicator('evil.example.com'), {
      store: warden.store,
      networkAcls: false,
    });

    // Assess
    expect(holdings).toEqual([]);
  });
});
