import {
  alertClaimKey,
  assertNextVersion,
  fromAuditItem,
  fromBreakerItem,
  fromCatchUpWatermarkItem,
  fromDecisionItem,
  fromEnforceStatusItem,
  fromNetworkAclLedgerItem,
  fromPauseItem,
  fromVpcCidrsItem,
  toActiveBlock,
  toAlertClaimItem,
  toAuditItem,
  toBreakerItem,
  toCatchUpWatermarkItem,
  toDecisionItem,
  toEnforceStatusItem,
  toNetworkAclLedgerItem,
  toPauseItem,
  toSortableTime,
  toVpcCidrsItem,
} from '#adapters/aws/decision-table';
import type { ActiveBlock, AuditRecord, BreakerState, Decision } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import type { PauseState } from '#domain/policy';
import type { NetworkAclLedger } from '#domain/target';
import type { CatchUpWatermark, DecisionStore, EnforceStatus, VpcCidrsRecord } from '#ports/decision-store';

/** The whole state of an InMemoryDecisionStore, as copies. */
export interface DecisionStoreSnapshot {
  /** Every decision record in any status, by key. */
  readonly decisions: Decision[];
  /** Every audit record, oldest first (ties by key, then content). */
  readonly audit: AuditRecord[];
  readonly breaker: BreakerState;
}

/** The DynamoDB error code for a failed conditional write, which this store reports the same way. */
const CONDITION_FAILED = 'ConditionalCheckFailedException';

/**
 * The decision store in memory, for the local simulation and use-case tests. It keeps the rules of the
 * DynamoDB store: writes conditional on the version (ConcurrentUpdateError, code
 * `ConditionalCheckFailedException`), `version` must be `expectedVersion + 1` (InvalidInputError), items are
 * checked against the 400 KB limit and times must parse (InvalidInputError), identical audit records are
 * written once. Reads are strongly consistent, where the DynamoDB active index may lag by a moment. Values
 * are copied in (the `to…Item` builders return deep copies, measured once against the item limit); a decision
 * is then frozen, deep, once per write and handed out as it is, so a read costs nothing per item and a caller
 * that mutates what it got fails (TypeError) instead of changing the store.
 */
export class InMemoryDecisionStore implements DecisionStore {
  readonly #items = new Map<string, StoredDecision>();
  readonly #audit = new Map<string, Record<string, unknown>>();
  #breaker: Record<string, unknown> | undefined;
  #ledger: Record<string, unknown> | undefined;
  #watermark: Record<string, unknown> | undefined;
  #vpcCidrs: Record<string, unknown> | undefined;
  readonly #alertClaims = new Map<string, Record<string, unknown>>();
  #pause: Record<string, unknown> | undefined;
  #enforceStatus: Record<string, unknown> | undefined;
  #failure: Error | undefined;
  #calls = 0;

  /**
   * Write calls made (`put`, `appendAudit`, `putBreaker`, `putNetworkAclLedger`, `putCatchUpWatermark`,
   * `putVpcCidrs`, `claimAlert`, `releaseAlerts`, `putPause`, `putEnforceStatus`), failed ones included.
   */
  get calls(): number {
    return this.#calls;
  }

  /** The next write call throws `error` once, before changing anything. */
  injectFailure(error: Error): void {
    this.#failure = error;
  }

  /** A synchronous copy of every decision, the audit trail and the breaker. */
  snapshot(): DecisionStoreSnapshot {
    const audit = [...this.#audit.values()]
      .map((item) => ({
        item,
        order: [toSortableTime(String(item.at), 'at'), String(item.pk), String(item.sk)],
      }))
      .sort((a, b) => a.order.reduce((result, part, i) => result || compare(part, b.order[i] ?? ''), 0))
      .map(({ item }) => fromAuditItem(structuredClone(item)));
    return {
      decisions: [...this.#items.values()]
        .map(({ decision }) => structuredClone(decision) as Decision)
        .sort((a, b) => compare(a.key, b.key)),
      audit,
      breaker: this.#readBreaker(),
    };
  }

  async get(key: string): Promise<Decision | undefined> {
    return this.#items.get(key)?.decision;
  }

  async put(decision: Decision, expectedVersion: number | undefined): Promise<void> {
    this.#beginWrite();
    assertNextVersion(decision.version, expectedVersion, `decision for ${decision.key}`);
    const item = toDecisionItem(decision);
    // Version 0 stands for "no record", as for the breaker and in the DynamoDB store's condition.
    const storedVersion = this.#items.get(decision.key)?.decision.version ?? 0;
    if (storedVersion !== (expectedVersion ?? 0)) {
      throw new ConcurrentUpdateError(
        `decision for ${decision.key} changed since version ${expectedVersion ?? 'none'} was read`,
        CONDITION_FAILED,
      );
    }
    const gsi1sk = typeof item.gsi1sk === 'string' ? item.gsi1sk : undefined;
    this.#items.set(decision.key, { decision: deepFreeze(fromDecisionItem(item)), gsi1sk });
  }

  async listActive(): Promise<Decision[]> {
    return this.#decisionsWhere(({ decision }) => decision.status === 'active');
  }

  async listActiveBlocks(): Promise<ActiveBlock[]> {
    return this.#decisionsWhere(({ decision }) => decision.status === 'active').map(toActiveBlock);
  }

  async listDueBefore(time: string): Promise<Decision[]> {
    const limit = toSortableTime(time, 'time');
    // The stored item carries the `gsi1sk` the DynamoDB index sorts on; only active items have one.
    return this.#decisionsWhere(
      ({ decision, gsi1sk }) => decision.expiresAt !== null && gsi1sk !== undefined && gsi1sk <= limit,
    );
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    this.#beginWrite();
    const items = records.map(toAuditItem);
    for (const item of items) {
      const id = `${String(item.pk)}|${String(item.sk)}`;
      if (!this.#audit.has(id)) this.#audit.set(id, item);
    }
  }

  async listAudit(key: string): Promise<AuditRecord[]> {
    return [...this.#audit.values()]
      .filter((item) => item.key === key)
      .sort((a, b) => compare(String(a.sk), String(b.sk)))
      .map((item) => fromAuditItem(structuredClone(item)));
  }

  async getBreaker(): Promise<BreakerState> {
    return this.#readBreaker();
  }

  async putBreaker(state: BreakerState, expectedVersion: number): Promise<void> {
    this.#beginWrite();
    assertNextVersion(state.version, expectedVersion, 'breaker');
    const item = toBreakerItem(state);
    assertStoredVersion(this.#breaker, expectedVersion, 'breaker');
    this.#breaker = item;
  }

  async getNetworkAclLedger(): Promise<NetworkAclLedger> {
    if (this.#ledger === undefined) return { acls: [], version: 0 };
    return fromNetworkAclLedgerItem(structuredClone(this.#ledger));
  }

  async putNetworkAclLedger(ledger: NetworkAclLedger, expectedVersion: number): Promise<void> {
    this.#beginWrite();
    assertNextVersion(ledger.version, expectedVersion, 'network ACL ledger');
    const item = toNetworkAclLedgerItem(ledger);
    assertStoredVersion(this.#ledger, expectedVersion, 'network ACL ledger');
    this.#ledger = item;
  }

  async getCatchUpWatermark(): Promise<CatchUpWatermark> {
    if (this.#watermark === undefined) return { version: 0 };
    return fromCatchUpWatermarkItem(structuredClone(this.#watermark));
  }

  async putCatchUpWatermark(watermark: CatchUpWatermark, expectedVersion: number): Promise<void> {
    this.#beginWrite();
    assertNextVersion(watermark.version, expectedVersion, 'catch-up watermark');
    const item = toCatchUpWatermarkItem(watermark);
    assertStoredVersion(this.#watermark, expectedVersion, 'catch-up watermark');
    this.#watermark = item;
  }

  async getVpcCidrs(): Promise<VpcCidrsRecord | undefined> {
    return this.#vpcCidrs === undefined ? undefined : fromVpcCidrsItem(structuredClone(this.#vpcCidrs));
  }

  async putVpcCidrs(record: VpcCidrsRecord): Promise<void> {
    this.#beginWrite();
    this.#vpcCidrs = toVpcCidrsItem(record);
  }

  async claimAlert(slot: string, fingerprint: string, at: string, until: string): Promise<boolean> {
    this.#beginWrite();
    const item = toAlertClaimItem(slot, fingerprint, until);
    const now = toSortableTime(at, 'at');
    const held = this.#alertClaims.get(slot);
    if (held && held.fingerprint === fingerprint && String(held.until) > now) return false;
    this.#alertClaims.set(slot, item);
    return true;
  }

  async releaseAlerts(slots: readonly string[], at: string): Promise<void> {
    const held = slots.filter((slot) => this.#alertClaims.get(alertClaimKey(slot).sk)?.fingerprint);
    if (held.length === 0) return;
    this.#beginWrite();
    for (const slot of held) this.#alertClaims.set(slot, toAlertClaimItem(slot, '', at));
  }

  async getPause(): Promise<PauseState> {
    if (this.#pause === undefined) return { paused: false, version: 0 };
    return fromPauseItem(structuredClone(this.#pause));
  }

  async putPause(state: PauseState, expectedVersion: number): Promise<void> {
    this.#beginWrite();
    assertNextVersion(state.version, expectedVersion, 'pause');
    const item = toPauseItem(state);
    assertStoredVersion(this.#pause, expectedVersion, 'pause');
    this.#pause = item;
  }

  async getEnforceStatus(): Promise<EnforceStatus | undefined> {
    return this.#enforceStatus === undefined
      ? undefined
      : fromEnforceStatusItem(structuredClone(this.#enforceStatus));
  }

  async putEnforceStatus(status: EnforceStatus): Promise<void> {
    this.#beginWrite();
    this.#enforceStatus = toEnforceStatusItem(status);
  }

  /** The stored (frozen) decisions that pass `test`. */
  #decisionsWhere(test: (stored: StoredDecision) => boolean): Decision[] {
    const found: Decision[] = [];
    for (const stored of this.#items.values()) if (test(stored)) found.push(stored.decision);
    return found;
  }

  #readBreaker(): BreakerState {
    if (this.#breaker === undefined) return { open: false, recentBlocks: [], version: 0 };
    return fromBreakerItem(structuredClone(this.#breaker));
  }

  #beginWrite(): void {
    this.#calls += 1;
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      throw failure;
    }
  }
}

/**
 * Throws ConcurrentUpdateError unless the stored item (none: version 0) is at `expectedVersion`, as the
 * DynamoDB store's conditional PutItem would.
 */
function assertStoredVersion(
  stored: Record<string, unknown> | undefined,
  expectedVersion: number,
  what: string,
): void {
  if ((stored === undefined ? 0 : stored.version) !== expectedVersion) {
    throw new ConcurrentUpdateError(
      `${what} changed since version ${expectedVersion} was read`,
      CONDITION_FAILED,
    );
  }
}

/** A decision as written, frozen, with the active index's sort key that DynamoDB would hold for it. */
interface StoredDecision {
  readonly decision: Decision;
  /** `expiresAt` normalised (or the permanent marker), set only while the decision is active. */
  readonly gsi1sk: string | undefined;
}

/** Freezes `value` and everything it holds; the item builders return fresh trees, so nothing shared is frozen. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
