import { describe, expect, it } from 'vitest';
import { RULE_GROUP_LIMIT_EXCEEDED } from '#adapters/service-rules/network-firewall';
import { ConcurrentUpdateError, InvalidInputError, TargetCapacityError } from '#domain/errors';
import { NETWORK_FIREWALL_LIMITS } from '#domain/target';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';

/** A rule group under test plus two ways around it: another writer, and a read of what the service holds. */
export interface NetworkFirewallHarness {
  readonly ruleGroup: NetworkFirewallRuleGroup;
  /** Another writer replaces the rules, so every token read before is stale. */
  writeAsSomeoneElse(rules: string): void;
  /** The rules string the service holds now, read without the adapter. */
  storedRules(): string;
  /** The group's description and customer-managed KMS key as the service holds them now. */
  storedSettings(): GroupSettings;
}

/** The members of a rule group that an update must leave as they are. */
export interface GroupSettings {
  readonly description?: string;
  readonly kmsKeyId?: string;
}

/** Builds a fresh rule group of `capacity` holding `rules` (empty when omitted), with `settings`. */
export type NetworkFirewallSetup = (options: {
  capacity: number;
  rules?: string;
  settings?: GroupSettings;
}) => NetworkFirewallHarness | Promise<NetworkFirewallHarness>;

const UUID = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/;

/** A valid Suricata deny rule for `domain`, with `sid`. */
export function denyRule(sid: number, domain = `blocked-${sid}.example.com`, msg = 'egress-warden'): string {
  return `drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:"${domain}"; nocase; endswith; msg:"${msg}"; sid:${sid}; rev:1;)`;
}

/** `count` valid rules, one per line, sids from `firstSid`. */
export function denyRules(count: number, firstSid = 1): string {
  return Array.from({ length: count }, (_, index) => denyRule(firstSid + index)).join('\n');
}

/** Pads `rules` with comment lines (which are not rules) to exactly `bytes` bytes. */
function padToBytes(rules: string, bytes: number): string {
  const lines = [rules];
  let size = Buffer.byteLength(rules);
  while (size < bytes) {
    const room = bytes - size - 1;
    const line = `#${'x'.repeat(Math.max(0, Math.min(8000, room - 1)))}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/**
 * The behaviour every NetworkFirewallRuleGroup must show, run against the in-memory adapter and against the
 * AWS adapter on a fake service, so that the simulation and production refuse and accept the same things.
 */
export function describeNetworkFirewallContract(label: string, setup: NetworkFirewallSetup): void {
  describe(`${label} › the network firewall rule group contract`, () => {
    it('describes the rules, the capacity and a UUID-shaped update token', async () => {
      // Prepare
      const existing = `# hand-written\n${denyRule(900_001, 'keep.example.com')}`;
      const { ruleGroup } = await setup({ capacity: 100, rules: existing });

      // Act
      const snapshot = await ruleGroup.describe();

      // Assess
      expect(snapshot.rules).toBe(existing);
      expect(snapshot.capacity).toBe(100);
      expect(snapshot.updateToken).toMatch(UUID);
    });

    it('writes the rules and returns the token the next describe reports', async () => {
      // Prepare
      const harness = await setup({ capacity: 100 });
      const before = await harness.ruleGroup.describe();

      // Act
      const token = await harness.ruleGroup.update(denyRules(3), before.updateToken);

      // Assess
      const after = await harness.ruleGroup.describe();
      expect(after.rules).toBe(denyRules(3));
      expect(harness.storedRules()).toBe(denyRules(3));
      expect(token).toMatch(UUID);
      expect(token).not.toBe(before.updateToken);
      expect(after.updateToken).toBe(token);
    });

    it('keeps the description and the customer-managed KMS key over every update', async () => {
      // Prepare
      const settings = {
        description: 'Egress Warden blocks',
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0',
      };
      const harness = await setup({ capacity: 100, settings });
      const first = await harness.ruleGroup.update(
        denyRules(1),
        (await harness.ruleGroup.describe()).updateToken,
      );

      // Act
      await harness.ruleGroup.update(denyRules(2), first);

      // Assess
      expect(harness.storedRules()).toBe(denyRules(2));
      expect(harness.storedSettings()).toEqual(settings);
    });

    it('takes the returned token for the next update without describing again', async () => {
      // Prepare
      const harness = await setup({ capacity: 100 });
      const first = await harness.ruleGroup.update(
        denyRules(1),
        (await harness.ruleGroup.describe()).updateToken,
      );

      // Act
      await harness.ruleGroup.update(denyRules(2), first);

      // Assess
      expect(harness.storedRules()).toBe(denyRules(2));
    });

    it('accepts the same rules again, with a new token', async () => {
      // Prepare
      const harness = await setup({ capacity: 10, rules: denyRules(2) });
      const before = await harness.ruleGroup.describe();

      // Act
      const token = await harness.ruleGroup.update(before.rules, before.updateToken);

      // Assess
      expect(harness.storedRules()).toBe(denyRules(2));
      expect(token).not.toBe(before.updateToken);
    });

    it('refuses a token made stale by another writer and keeps what that writer wrote', async () => {
      // Prepare
      const harness = await setup({ capacity: 10, rules: denyRules(1) });
      const { updateToken } = await harness.ruleGroup.describe();
      harness.writeAsSomeoneElse(denyRule(42, 'theirs.example.com'));

      // Act
      const attempt = harness.ruleGroup.update(denyRules(2), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await expect(attempt).rejects.toMatchObject({ code: 'InvalidTokenException', retryable: true });
      expect(harness.storedRules()).toBe(denyRule(42, 'theirs.example.com'));
    });

    it('refuses a token already used by its own update', async () => {
      // Prepare
      const harness = await setup({ capacity: 10 });
      const { updateToken } = await harness.ruleGroup.describe();
      await harness.ruleGroup.update(denyRules(1), updateToken);

      // Act
      const attempt = harness.ruleGroup.update(denyRules(2), updateToken);

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: 'ConcurrentUpdateError',
        code: 'InvalidTokenException',
      });
      expect(harness.storedRules()).toBe(denyRules(1));
    });

    it('accepts exactly as many rules as the capacity, not counting comments and blank lines', async () => {
      // Prepare
      const harness = await setup({ capacity: 3 });
      const rules = `# egress warden\n\n${denyRules(3)}\n`;
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      await harness.ruleGroup.update(rules, updateToken);

      // Assess
      expect(harness.storedRules()).toBe(rules);
    });

    it('refuses more rules than the capacity and writes nothing', async () => {
      // Prepare
      const harness = await setup({ capacity: 3, rules: denyRules(1) });
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      const attempt = harness.ruleGroup.update(denyRules(4), updateToken);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TargetCapacityError);
      await expect(attempt).rejects.toMatchObject({
        code: RULE_GROUP_LIMIT_EXCEEDED,
        retryable: false,
      });
      expect(harness.storedRules()).toBe(denyRules(1));
    });

    it('accepts a rule of exactly 8,192 characters and refuses one of 8,193', async () => {
      // Prepare
      const harness = await setup({ capacity: 10 });
      const fitting = denyRule(1, 'long.example.com', 'm');
      const padded = (length: number) =>
        denyRule(1, 'long.example.com', 'm'.repeat(1 + length - fitting.length));
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      const token = await harness.ruleGroup.update(
        padded(NETWORK_FIREWALL_LIMITS.maxRuleLength),
        updateToken,
      );
      const attempt = harness.ruleGroup.update(padded(NETWORK_FIREWALL_LIMITS.maxRuleLength + 1), token);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TargetCapacityError);
      await expect(attempt).rejects.toMatchObject({ code: RULE_GROUP_LIMIT_EXCEEDED });
      expect(harness.storedRules()).toHaveLength(NETWORK_FIREWALL_LIMITS.maxRuleLength);
    });

    it('accepts a rules string of exactly 2,000,000 bytes', async () => {
      // Prepare
      const harness = await setup({ capacity: 10 });
      const rules = padToBytes(denyRules(2), NETWORK_FIREWALL_LIMITS.maxRulesBytes);
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      await harness.ruleGroup.update(rules, updateToken);

      // Assess
      expect(Buffer.byteLength(harness.storedRules())).toBe(NETWORK_FIREWALL_LIMITS.maxRulesBytes);
    });

    it('counts the size limit in bytes, not characters, and writes nothing over it', async () => {
      // Prepare
      const harness = await setup({ capacity: 300, rules: denyRules(1) });
      const wide = Array.from({ length: 250 }, (_, index) =>
        denyRule(index + 1, `wide-${index}.example.com`, 'é'.repeat(4000)),
      ).join('\n');
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      const attempt = harness.ruleGroup.update(wide, updateToken);

      // Assess
      expect(wide.length).toBeLessThan(NETWORK_FIREWALL_LIMITS.maxRulesBytes);
      expect(Buffer.byteLength(wide)).toBeGreaterThan(NETWORK_FIREWALL_LIMITS.maxRulesBytes);
      await expect(attempt).rejects.toMatchObject({
        name: 'TargetCapacityError',
        code: RULE_GROUP_LIMIT_EXCEEDED,
      });
      expect(harness.storedRules()).toBe(denyRules(1));
    });

    it('refuses a rule without a sid and writes nothing', async () => {
      // Prepare
      const harness = await setup({ capacity: 10, rules: denyRules(1) });
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      const attempt = harness.ruleGroup.update(
        `${denyRule(1)}\ndrop ip any any -> 192.0.2.1 any (msg:"x";)`,
        updateToken,
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toMatchObject({ retryable: false });
      expect(harness.storedRules()).toBe(denyRules(1));
    });

    it('refuses two rules with the same sid and writes nothing', async () => {
      // Prepare
      const harness = await setup({ capacity: 10, rules: denyRules(1) });
      const { updateToken } = await harness.ruleGroup.describe();

      // Act
      const attempt = harness.ruleGroup.update(
        `${denyRule(7, 'a.example.com')}\n${denyRule(7, 'b.example.com')}`,
        updateToken,
      );

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt).rejects.toThrow(/sid/);
      expect(harness.storedRules()).toBe(denyRules(1));
    });

    it('still takes the current token after refusing a write', async () => {
      // Prepare
      const harness = await setup({ capacity: 2 });
      const { updateToken } = await harness.ruleGroup.describe();
      await expect(harness.ruleGroup.update(denyRules(3), updateToken)).rejects.toThrow(TargetCapacityError);

      // Act
      await harness.ruleGroup.update(denyRules(2), updateToken);

      // Assess
      expect(harness.storedRules()).toBe(denyRules(2));
    });
  });
}
