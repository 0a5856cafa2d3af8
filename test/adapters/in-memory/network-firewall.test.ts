import { describe, expect, it } from 'vitest';
import { InMemoryNetworkFirewall } from '#adapters/in-memory/network-firewall';
import { suricataRules } from '#adapters/service-rules/network-firewall';
import { InvalidInputError, TargetCapacityError, ThrottledError } from '#domain/errors';
import {
  denyRule,
  denyRules,
  describeNetworkFirewallContract,
} from '../../contracts/network-firewall.contract';

describeNetworkFirewallContract('InMemoryNetworkFirewall', (options) => {
  const ruleGroup = new InMemoryNetworkFirewall(options);
  return {
    ruleGroup,
    writeAsSomeoneElse: (rules) => ruleGroup.writeAsSomeoneElse(rules),
    storedRules: () => ruleGroup.snapshot().rules,
    storedSettings: () => ruleGroup.settings,
  };
});

describe('InMemoryNetworkFirewall', () => {
  it('reports its state synchronously in a snapshot', async () => {
    // Prepare
    const ruleGroup = new InMemoryNetworkFirewall({ capacity: 5, rules: denyRules(1) });
    const { updateToken } = await ruleGroup.describe();

    // Act
    const token = await ruleGroup.update(denyRules(2), updateToken);

    // Assess
    expect(ruleGroup.snapshot()).toEqual({ rules: denyRules(2), updateToken: token, capacity: 5 });
  });

  it('counts every update call, refused ones included, and never a describe', async () => {
    // Prepare
    const ruleGroup = new InMemoryNetworkFirewall({ capacity: 1 });
    const { updateToken } = await ruleGroup.describe();

    // Act
    await ruleGroup.update(denyRules(1), updateToken);
    await expect(ruleGroup.update(denyRules(2), updateToken)).rejects.toThrow(TargetCapacityError);
    await ruleGroup.describe();

    // Assess
    expect(ruleGroup.calls).toBe(2);
  });

  it('throws an injected failure once, before changing anything', async () => {
    // Prepare
    const ruleGroup = new InMemoryNetworkFirewall({ capacity: 5 });
    const { updateToken } = await ruleGroup.describe();
    const failure = new ThrottledError('slow down', 'ThrottlingException');
    ruleGroup.injectFailure(failure);

    // Act
    const first = ruleGroup.update(denyRules(1), updateToken);

    // Assess
    await expect(first).rejects.toBe(failure);
    expect(ruleGroup.snapshot()).toMatchObject({ rules: '', updateToken });
    await expect(ruleGroup.update(denyRules(1), updateToken)).resolves.not.toBe(updateToken);
    expect(ruleGroup.snapshot().rules).toBe(denyRules(1));
  });

  it('gives another writer a new token', () => {
    // Prepare
    const ruleGroup = new InMemoryNetworkFirewall({ capacity: 5 });
    const before = ruleGroup.snapshot().updateToken;

    // Act
    ruleGroup.writeAsSomeoneElse(denyRule(9));

    // Assess
    expect(ruleGroup.snapshot().updateToken).not.toBe(before);
    expect(ruleGroup.snapshot().rules).toBe(denyRule(9));
  });

  it('never accepts the token of another rule group', async () => {
    // Prepare
    const first = new InMemoryNetworkFirewall({ capacity: 5 });
    const second = new InMemoryNetworkFirewall({ capacity: 5 });

    // Act
    const attempt = second.update(denyRules(1), first.snapshot().updateToken);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'InvalidTokenException' });
  });

  it.each([0, -1, 1.5, 30_001])('refuses a capacity of %s', (capacity) => {
    // Prepare
    const options = { capacity };

    // Act
    const build = () => new InMemoryNetworkFirewall(options);

    // Assess
    expect(build).toThrow(InvalidInputError);
  });

  it('refuses starting rules over its capacity with TargetCapacityError', () => {
    // Prepare
    const options = { capacity: 2, rules: denyRules(3) };

    // Act
    const build = () => new InMemoryNetworkFirewall(options);

    // Assess
    expect(build).toThrow(TargetCapacityError);
  });

  it('refuses starting rules that AWS would refuse', () => {
    // Prepare
    const options = { capacity: 5, rules: 'drop ip any any -> 192.0.2.1 any (msg:"no sid";)' };

    // Act
    const build = () => new InMemoryNetworkFirewall(options);

    // Assess
    expect(build).toThrow(/sid/);
  });
});

describe('suricataRules', () => {
  it('keeps one trimmed rule per line and drops blank lines and comments', () => {
    // Prepare
    const rules = `# header\r\n  ${denyRule(1)}  \n\n   # indented comment\n${denyRule(2)}`;

    // Act
    const list = suricataRules(rules);

    // Assess
    expect(list).toEqual([denyRule(1), denyRule(2)]);
  });
});
