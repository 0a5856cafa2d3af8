import { assertWithinRuleGroupLimits, suricataRules } from '#adapters/service-rules/network-firewall';
import { ConcurrentUpdateError, InvalidInputError } from '#domain/errors';
import { NETWORK_FIREWALL_LIMITS, type RuleGroupSnapshot } from '#domain/target';
import type { NetworkFirewallRuleGroup } from '#ports/network-firewall';

let instances = 0;

const SID = /(?:^|[(;\s])sid\s*:\s*(\d+)\s*;/;

/** Suricata refuses a rule without a numeric `sid` and two rules with the same one. */
function assertValidSids(rules: string): void {
  const seen = new Set<string>();
  for (const rule of suricataRules(rules)) {
    const sid = SID.exec(rule)?.[1];
    if (sid === undefined) {
      throw new InvalidInputError(
        `InvalidRequestException: a rule has no sid:<n>: ${rule.slice(0, 80)}`,
        'rules',
        { code: 'InvalidRequestException' },
      );
    }
    if (seen.has(sid)) {
      throw new InvalidInputError(
        `InvalidRequestException: sid ${sid} is used by more than one rule`,
        'rules',
        { code: 'InvalidRequestException' },
      );
    }
    seen.add(sid);
  }
}

/** Options of InMemoryNetworkFirewall. */
export interface InMemoryNetworkFirewallOptions {
  /** The group's fixed capacity: 1 to 30,000 rules. */
  readonly capacity: number;
  /** The rules the group starts with; empty when omitted. */
  readonly rules?: string;
  /** The group's description and customer-managed KMS key, which updates leave as they are. */
  readonly settings?: { readonly description?: string; readonly kmsKeyId?: string };
}

/**
 * A stateful Suricata rule group held in memory, for the local simulation and use-case tests. Enforces the
 * same rules as AWS and the AWS adapter: optimistic locking with an update token (a new UUID-shaped token
 * after every write, numbered rather than random so runs are reproducible), the size limits, the capacity and sid checks,
 * with the same typed errors and codes. The constructor refuses an impossible capacity or starting rules
 * without valid sids (InvalidInputError) and starting rules over the size limits or the capacity
 * (TargetCapacityError).
 */
export class InMemoryNetworkFirewall implements NetworkFirewallRuleGroup {
  /** update() calls made, refused ones included. */
  calls = 0;
  /** The group's description and KMS key: only the rules change on update, as the AWS adapter ensures. */
  readonly settings: { readonly description?: string; readonly kmsKeyId?: string };
  readonly #capacity: number;
  readonly #instance = ++instances;
  #rules: string;
  #token: string;
  #version = 0;
  #failure: Error | undefined;

  constructor(options: InMemoryNetworkFirewallOptions) {
    const { capacity, rules = '', settings = {} } = options;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > NETWORK_FIREWALL_LIMITS.maxCapacity) {
      throw new InvalidInputError(
        `${capacity} is not a rule group capacity: use an integer from 1 to ${NETWORK_FIREWALL_LIMITS.maxCapacity}`,
        'capacity',
      );
    }
    this.#capacity = capacity;
    this.settings = { ...settings };
    this.#check(rules);
    this.#rules = rules;
    this.#token = this.#nextToken();
  }

  /** The current rules, token and capacity. Never throws. */
  async describe(): Promise<RuleGroupSnapshot> {
    return this.snapshot();
  }

  /**
   * Replaces the rules when `updateToken` is the current token and returns the new one. Checks in the order
   * the AWS adapter does: size limits and capacity (TargetCapacityError), then the token (ConcurrentUpdateError
   * `InvalidTokenException`), then the sids (InvalidInputError). A refused update changes nothing. Writing the
   * same rules again is accepted and only changes the token, as on AWS.
   */
  async update(rules: string, updateToken: string): Promise<string> {
    this.calls++;
    const failure = this.#failure;
    if (failure) {
      this.#failure = undefined;
      throw failure;
    }
    assertWithinRuleGroupLimits(rules, this.#capacity);
    if (updateToken !== this.#token) {
      throw new ConcurrentUpdateError(
        'the update token is stale or not valid: describe the rule group again',
        'InvalidTokenException',
      );
    }
    assertValidSids(rules);
    this.#rules = rules;
    this.#token = this.#nextToken();
    return this.#token;
  }

  /** The state right now, synchronously, for assertions and the simulation report. */
  snapshot(): RuleGroupSnapshot {
    return { rules: this.#rules, updateToken: this.#token, capacity: this.#capacity };
  }

  /** Makes the next update() throw `error`, once, before it changes anything. */
  injectFailure(error: Error): void {
    this.#failure = error;
  }

  /**
   * Simulates another writer (a person in the console, another tool): replaces the rules and the token, so
   * a token read before is now stale. Refuses rules AWS would refuse, with the same errors as update().
   */
  writeAsSomeoneElse(rules: string): void {
    this.#check(rules);
    this.#rules = rules;
    this.#token = this.#nextToken();
  }

  #check(rules: string): void {
    assertWithinRuleGroupLimits(rules, this.#capacity);
    assertValidSids(rules);
  }

  #nextToken(): string {
    this.#version++;
    // Numbered per instance so that a token never works on another group, yet runs stay reproducible.
    const instance = this.#instance.toString(16).padStart(8, '0');
    return `${instance}-0000-4000-8000-${this.#version.toString(16).padStart(12, '0')}`;
  }
}
