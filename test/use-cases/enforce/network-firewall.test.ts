import { describe, expect, it } from 'vitest';
import { InMemoryNetworkFirewall } from '#adapters/in-memory/network-firewall';
import type { BlockEntry } from '#domain/block';
import { parseIndicator } from '#domain/indicator';
import { enforceNetworkFirewall } from '#shared/use-cases/enforce/network-firewall';
import { START } from '../../support/warden';

function blocks(...values: string[]): BlockEntry[] {
  return values.map((value) => ({
    indicator: parseIndicator(value),
    severity: 8,
    since: START.toISOString(),
    expiresAt: null,
  }));
}

describe('enforceNetworkFirewall', () => {
  it('reports what each write added and removed against the group as read, one run after another', async () => {
    // Prepare
    const group = new InMemoryNetworkFirewall({ capacity: 100 });
    const options = { hold: false };

    // Act
    const first = await enforceNetworkFirewall(group, blocks('evil.example.com', '198.51.100.7'), options);
    const second = await enforceNetworkFirewall(
      group,
      blocks('evil.example.com', 'bad.example.net'),
      options,
    );

    // Assess
    expect(first).toMatchObject({ changes: 1, added: ['198.51.100.7/32', 'evil.example.com'] });
    expect(first).not.toHaveProperty('removed');
    expect(second).toMatchObject({
      changes: 1,
      added: ['bad.example.net'],
      removed: ['198.51.100.7/32'],
    });
  });

  it('reports against the rules someone else wrote since its last write, not the rules it wrote', async () => {
    // Prepare
    const group = new InMemoryNetworkFirewall({ capacity: 100 });
    const options = { hold: false };
    await enforceNetworkFirewall(group, blocks('evil.example.com', 'bad.example.net'), options);
    group.writeAsSomeoneElse('');

    // Act
    const again = await enforceNetworkFirewall(group, blocks('evil.example.com', 'bad.example.net'), options);

    // Assess
    expect(again).toMatchObject({ changes: 1, added: ['bad.example.net', 'evil.example.com'] });
    expect(again).not.toHaveProperty('removed');
  });

  it('held, reports the removals it wrote and none of the blocks it held back', async () => {
    // Prepare
    const group = new InMemoryNetworkFirewall({ capacity: 100 });
    await enforceNetworkFirewall(group, blocks('evil.example.com', 'bad.example.net'), { hold: false });

    // Act
    const held = await enforceNetworkFirewall(group, blocks('evil.example.com', '198.51.100.7'), {
      hold: true,
    });

    // Assess
    expect(held).toMatchObject({ changes: 1, held: 1, removed: ['bad.example.net'] });
    expect(held).not.toHaveProperty('added');
  });
});
