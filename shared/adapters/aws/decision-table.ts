/**
 * The decision table: one DynamoDB table holds every decision, the audit trail and the breaker. This file is
 * its single definition, as plain data: the CDK stack and the tests' CreateTable both build the table from
 * it, and both decision stores (DynamoDB and in-memory) share its key formats, so they cannot drift apart.
 *
 * | item     | `pk`          | `sk`                      | other attributes                                   |
 * |----------|---------------|---------------------------|----------------------------------------------------|
 * | decision | `IND#<key>`   | `DECISION`                | every Decision field (`indicator` as a map, `seen` as a list newest first, …), `version`; while active also `gsi1pk`, `gsi1sk` |
 * | audit    | `IND#<key>`   | `AUDIT#<at>#<hash>`       | every AuditRecord field, `ttl`                     |
 * | breaker  | `BREAKER`     | `STATE`                   | every BreakerState field, `version`                |
 * | ACL ledger | `NACL`      | `LEDGER`                  | `acls` (list of `{aclId, entries}`, each entry `"<rule> <cidr>"`), `version` |
 * | catch-up watermark | `CATCHUP` | `GUARDDUTY`          | `since` (normalised ISO 8601), `version`           |
 * | pause    | `PAUSE`       | `STATE`                   | every PauseState field, `version`                  |
 * | enforce status | `ENFORCE` | `STATUS`               | every EnforceStatus field (`at` normalised); no version |
 * | VPC CIDRs | `CONTEXT`    | `VPC_CIDRS`               | `vpcIds` (sorted), `cidrs` (canonical), `readAt` (normalised ISO 8601); no version |
 * | domain baseline | `BASELINE#<vpcId>` | `<registered domain>` | `hosts` (string set), `days` (string set of days since the epoch); no version |
 * | alert claim | `ALERT`    | `<slot>`                  | `fingerprint` (empty once released), `until` (normalised ISO 8601), `ttl` = `until` + 1 day; no version |
 *
 * * **Active index.** The sparse global secondary index `active` (`gsi1pk`, `gsi1sk`, all attributes
 *   projected) holds active decisions only: `gsi1pk = ACTIVE#<n>` with n = FNV-1a(key) mod 4, so no single
 *   partition takes every write, and `gsi1sk` = `expiresAt` (normalised ISO 8601) or
 *   `9999-12-31T23:59:59.999Z` for a permanent block. Every write replaces the whole item, so a decision
 *   that stops being active loses both attributes and leaves the index. `listActive` queries the 4 shards;
 *   `listDueBefore(t)` queries each with `gsi1sk <= t`. The index is eventually consistent (usually well under
 *   a second), which the every-minute expiry and 15-minute drift check absorb.
 * * **Audit.** `at` is normalised in the sort key so the trail sorts oldest first; `<hash>` is a short
 *   SHA-256 of the whole record, so replaying an identical record writes nothing (`attribute_not_exists(pk)`)
 *   and two different records at the same instant do not collide. Audit items carry `ttl` = `at` + 400 days
 *   (epoch seconds), the table's TTL attribute.
 * * **TTL is for the audit trail only.** Decisions never carry `ttl`: DynamoDB deletes expired items up to
 *   48 hours late, so block expiry is driven by `expiresAt` and the every-minute schedule, never by TTL.
 * * **Optimistic locking.** Decisions and the breaker are written with `attribute_not_exists(pk)` (new) or
 *   `#version = :expected`; `version` goes up by one on every write.
 * * **Offence history** lives on the decision itself (`offences`), so escalation needs one read.
 * * **Item size.** DynamoDB refuses items over 400 KB; both stores measure each item the way DynamoDB does
 *   and refuse it with InvalidInputError before writing.
 * * **ACL ledger.** One item for every managed ACL, entries stored as short strings (`"17 203.0.113.0/24"`,
 *   about 20 bytes each) and bounded to MAX_LEDGER_ENTRIES_PER_ACL_FAMILY per ACL and IP family: at EC2's
 *   default 20-entry quota an ACL takes under 1 KB, so a few hundred ACLs fit in the 400 KB item.
 */
import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { ActiveBlock, AuditRecord, BreakerState, Decision, SeenEvidence } from '#domain/decision';
import { InvalidInputError } from '#domain/errors';
import { fnv1a32 } from '#domain/hash';
import { type PauseState, parseNetwork } from '#domain/policy';
import { entryFamily } from '#domain/reconcile/network-acl-plan';
import type { NetworkAclLedger, OwnedAclEntry } from '#domain/target';
import type { CatchUpWatermark, EnforceStatus, VpcCidrsRecord } from '#ports/decision-store';

/** The table's shape and limits, for CDK and the tests' CreateTable. */
export const DECISION_TABLE = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  activeIndex: {
    indexName: 'active',
    partitionKey: { name: 'gsi1pk', type: 'S' },
    sortKey: { name: 'gsi1sk', type: 'S' },
    projectionType: 'ALL',
  },
  /** The number of `ACTIVE#<n>` partitions of the active index. Changing it needs a backfill. */
  activeShards: 4,
  /** Set on audit items only. */
  timeToLiveAttribute: 'ttl',
  auditRetentionDays: 400,
  /** DynamoDB's item size limit, 400 KB. */
  maxItemBytes: 400 * 1024,
} as const;

/** `gsi1sk` of a permanent block: sorts after every real expiry. */
export const PERMANENT_SORT_KEY = '9999-12-31T23:59:59.999Z';

const DECISION_SORT_KEY = 'DECISION';
const AUDIT_PREFIX = 'AUDIT#';
const BREAKER_KEY = { pk: 'BREAKER', sk: 'STATE' } as const;
const LEDGER_KEY = { pk: 'NACL', sk: 'LEDGER' } as const;
const WATERMARK_KEY = { pk: 'CATCHUP', sk: 'GUARDDUTY' } as const;
const VPC_CIDRS_KEY = { pk: 'CONTEXT', sk: 'VPC_CIDRS' } as const;
const PAUSE_KEY = { pk: 'PAUSE', sk: 'STATE' } as const;
const ENFORCE_STATUS_KEY = { pk: 'ENFORCE', sk: 'STATUS' } as const;

/**
 * The most ledger entries one ACL may hold per IP family: EC2's 40-entry maximum, twice, because an entry
 * and the replacement written over it are both recorded while the replace is in flight.
 */
export const MAX_LEDGER_ENTRIES_PER_ACL_FAMILY = 80;
const DAY_SECONDS = 86_400;
const TABLE_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'ttl']);

/** The CreateTable request for the decision table (PAY_PER_REQUEST, with the active index). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, activeIndex } = DECISION_TABLE;
  return {
    TableName: tableName,
    BillingMode: DECISION_TABLE.billingMode,
    AttributeDefinitions: [partitionKey, sortKey, activeIndex.partitionKey, activeIndex.sortKey].map(
      ({ name, type }) => ({ AttributeName: name, AttributeType: type }),
    ),
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: activeIndex.indexName,
        KeySchema: [
          { AttributeName: activeIndex.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: activeIndex.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: activeIndex.projectionType },
      },
    ],
  };
}

/** The primary key of an indicator's decision record. */
export function decisionKey(key: string): { pk: string; sk: string } {
  return { pk: indicatorPartition(key), sk: DECISION_SORT_KEY };
}

/** The primary key of the breaker. */
export function breakerKey(): { pk: string; sk: string } {
  return { ...BREAKER_KEY };
}

/** The primary key of the network ACL ledger. */
export function networkAclLedgerKey(): { pk: string; sk: string } {
  return { ...LEDGER_KEY };
}

/** The primary key of the GuardDuty catch-up's watermark. */
export function catchUpWatermarkKey(): { pk: string; sk: string } {
  return { ...WATERMARK_KEY };
}

/** The primary key of the VPC CIDRs record. */
export function vpcCidrsKey(): { pk: string; sk: string } {
  return { ...VPC_CIDRS_KEY };
}

/** The partition of the alert claims (one item per slot: few, small, rarely written). */
const ALERT_PARTITION = 'ALERT';

/** The partition holding every alert claim. */
export function alertClaimPartition(): string {
  return ALERT_PARTITION;
}

/** The primary key of the claim on one alert slot. */
export function alertClaimKey(slot: string): { pk: string; sk: string } {
  if (slot === '' || Buffer.byteLength(slot, 'utf8') > 1024) {
    throw new InvalidInputError(
      `must be a non-empty name of at most 1024 bytes, got ${JSON.stringify(slot)}`,
      'slot',
    );
  }
  return { pk: ALERT_PARTITION, sk: slot };
}

/**
 * The item of a claim on an alert slot, its `until` normalised, with a `ttl` a day after it so that DynamoDB
 * removes lapsed claims (late by up to 48 hours, which only costs space: a lapsed claim is overwritten anyway).
 * Throws InvalidInputError when `until` is not a time.
 */
export function toAlertClaimItem(slot: string, fingerprint: string, until: string): Record<string, unknown> {
  const normalised = toSortableTime(until, 'until');
  return {
    ...alertClaimKey(slot),
    fingerprint,
    until: normalised,
    [DECISION_TABLE.timeToLiveAttribute]: Math.floor(Date.parse(normalised) / 1000) + DAY_SECONDS,
  };
}

/** The primary key of the pause state. */
export function pauseKey(): { pk: string; sk: string } {
  return { ...PAUSE_KEY };
}

/** The primary key of the last enforce run's status record. */
export function enforceStatusKey(): { pk: string; sk: string } {
  return { ...ENFORCE_STATUS_KEY };
}

/** The item stored for the pause state; a deep copy. Throws InvalidInputError for a `since` that is not a time. */
export function toPauseItem(state: PauseState): Record<string, unknown> {
  const since = state.since === undefined ? undefined : toSortableTime(state.since, 'since');
  return checkedItem({ ...withoutUndefined({ ...state, since }), ...pauseKey() });
}

/** The pause state read back from its item. */
export function fromPauseItem(item: Record<string, unknown>): PauseState {
  return withoutTableAttributes(item) as unknown as PauseState;
}

/**
 * The item stored for the enforce status record, `at` normalised; a deep copy. Throws InvalidInputError for
 * an `at` that is not a time or an item over 400 KB.
 */
export function toEnforceStatusItem(status: EnforceStatus): Record<string, unknown> {
  const at = toSortableTime(status.at, 'at');
  return checkedItem({ ...withoutUndefined({ ...status, at }), ...enforceStatusKey() });
}

/** The enforce status record read back from its item. */
export function fromEnforceStatusItem(item: Record<string, unknown>): EnforceStatus {
  return withoutTableAttributes(item) as unknown as EnforceStatus;
}

/**
 * The partition holding one VPC's domain baseline (`-` for queries without a VPC): one item per registered
 * domain, the domain as the sort key, so a VPC's baseline pages in domain order.
 */
export function baselinePartition(vpcId: string): string {
  return `BASELINE#${vpcId}`;
}

/**
 * The primary key of one registered domain's entry in a VPC's domain baseline. Throws InvalidInputError naming
 * `vpcId` or `domain` when it is empty or over 1024 bytes (DynamoDB's sort key limit).
 */
export function baselineKey(vpcId: string, domain: string): { pk: string; sk: string } {
  for (const [field, value] of [
    ['vpcId', vpcId],
    ['domain', domain],
  ] as const) {
    if (value.trim() === '' || Buffer.byteLength(value, 'utf8') > 1024) {
      throw new InvalidInputError(
        `must be a non-empty name of at most 1024 bytes, got ${JSON.stringify(value)}`,
        field,
      );
    }
  }
  return { pk: baselinePartition(vpcId), sk: domain };
}

/** The partition holding an indicator's decision and audit trail. */
export function indicatorPartition(key: string): string {
  return `IND#${key}`;
}

/** The sort-key prefix shared by every audit item. */
export function auditPrefix(): string {
  return AUDIT_PREFIX;
}

/** Every `gsi1pk` value, one per shard. */
export function activePartitions(): string[] {
  return Array.from({ length: DECISION_TABLE.activeShards }, (_, shard) => `ACTIVE#${shard}`);
}

/** The shard of the active index an indicator key lands in: FNV-1a (32-bit) of its UTF-8 bytes, mod 4. */
export function activeShard(key: string): number {
  return fnv1a32(key) % DECISION_TABLE.activeShards;
}

/**
 * An ISO 8601 time in the one format that sorts as text (`toISOString`, UTC, milliseconds), so that key
 * comparisons agree with time comparisons. Throws InvalidInputError naming `field` when it is not a time.
 */
export function toSortableTime(value: string, field: string): string {
  const millis = Date.parse(value);
  if (Number.isNaN(millis))
    throw new InvalidInputError(`${JSON.stringify(value)} is not an ISO 8601 time`, field);
  return new Date(millis).toISOString();
}

/** The active-index attributes of a decision; empty unless it is active. */
function activeIndexKeys(decision: Decision): { gsi1pk?: string; gsi1sk?: string } {
  if (decision.status !== 'active') return {};
  return {
    gsi1pk: `ACTIVE#${activeShard(decision.key)}`,
    gsi1sk:
      decision.expiresAt === null ? PERMANENT_SORT_KEY : toSortableTime(decision.expiresAt, 'expiresAt'),
  };
}

/** `AUDIT#<at>#<hash>`: sorts oldest first; identical records get identical keys. */
export function auditSortKey(record: AuditRecord): string {
  const digest = createHash('sha256').update(stableStringify(record)).digest('hex').slice(0, 16);
  return `${AUDIT_PREFIX}${toSortableTime(record.at, 'at')}#${digest}`;
}

/** Epoch seconds when DynamoDB may delete an audit item: `at` + 400 days. */
function auditTimeToLive(at: string): number {
  return (
    Math.floor(Date.parse(toSortableTime(at, 'at')) / 1000) + DECISION_TABLE.auditRetentionDays * DAY_SECONDS
  );
}

/**
 * Throws InvalidInputError unless `version` is `expectedVersion + 1` (1 for a new record): a writer must
 * build the new record from the one it read.
 */
export function assertNextVersion(version: number, expectedVersion: number | undefined, what: string): void {
  const next = (expectedVersion ?? 0) + 1;
  if (version !== next) {
    throw new InvalidInputError(
      `${what} must have version ${next} when written over version ${expectedVersion ?? 'none'}, got ${version}`,
      'version',
    );
  }
}

/**
 * The item stored for a decision: a deep copy without undefined values. Throws InvalidInputError for a bad
 * `expiresAt` or an item over 400 KB.
 */
export function toDecisionItem(decision: Decision): Record<string, unknown> {
  return checkedItem({
    ...withoutUndefined(decision),
    ...decisionKey(decision.key),
    ...activeIndexKeys(decision),
  });
}

/** The item stored for an audit record, with its `ttl`; a deep copy. Throws InvalidInputError like `toDecisionItem`. */
export function toAuditItem(record: AuditRecord): Record<string, unknown> {
  return checkedItem({
    ...withoutUndefined(record),
    pk: indicatorPartition(record.key),
    sk: auditSortKey(record),
    [DECISION_TABLE.timeToLiveAttribute]: auditTimeToLive(record.at),
  });
}

/** The item stored for the breaker; a deep copy. */
export function toBreakerItem(state: BreakerState): Record<string, unknown> {
  return checkedItem({ ...withoutUndefined(state), ...breakerKey() });
}

/**
 * The item stored for the network ACL ledger, entries as `"<rule> <cidr>"` strings. Throws InvalidInputError
 * (naming the ACL and the value) for an ACL listed twice, an empty ACL id, a rule number outside 1–32766, a
 * CIDR that is empty or holds a space, more than MAX_LEDGER_ENTRIES_PER_ACL_FAMILY entries of one family in
 * one ACL, or an item over 400 KB.
 */
export function toNetworkAclLedgerItem(ledger: NetworkAclLedger): Record<string, unknown> {
  const seen = new Set<string>();
  const acls = ledger.acls.map(({ aclId, entries }) => {
    if (aclId.trim() === '' || seen.has(aclId)) {
      throw new InvalidInputError(`ACL id ${JSON.stringify(aclId)} is empty or listed twice`, 'acls.aclId');
    }
    seen.add(aclId);
    const perFamily = { 4: 0, 6: 0 };
    const encoded = entries.map((entry) => {
      if (!Number.isInteger(entry.ruleNumber) || entry.ruleNumber < 1 || entry.ruleNumber > 32766) {
        throw new InvalidInputError(
          `rule number ${entry.ruleNumber} of ${aclId} is outside 1–32766`,
          'acls.entries.ruleNumber',
        );
      }
      if (entry.cidr === '' || /\s/.test(entry.cidr)) {
        throw new InvalidInputError(
          `CIDR ${JSON.stringify(entry.cidr)} of ${aclId} is not a CIDR`,
          'acls.entries.cidr',
        );
      }
      perFamily[entryFamily(entry)]++;
      return `${entry.ruleNumber} ${entry.cidr}`;
    });
    for (const family of [4, 6] as const) {
      if (perFamily[family] > MAX_LEDGER_ENTRIES_PER_ACL_FAMILY) {
        throw new InvalidInputError(
          `${aclId} has ${perFamily[family]} IPv${family} ledger entries, over ${MAX_LEDGER_ENTRIES_PER_ACL_FAMILY}`,
          'acls.entries',
        );
      }
    }
    return { aclId, entries: encoded };
  });
  return checkedItem({ acls, version: ledger.version, ...networkAclLedgerKey() });
}

/** The item stored for the catch-up watermark, `since` normalised. Throws InvalidInputError for a bad `since`. */
export function toCatchUpWatermarkItem(watermark: CatchUpWatermark): Record<string, unknown> {
  return {
    ...(watermark.since === undefined ? {} : { since: toSortableTime(watermark.since, 'since') }),
    version: watermark.version,
    ...catchUpWatermarkKey(),
  };
}

/** The catch-up watermark read back from its item. */
export function fromCatchUpWatermarkItem(item: Record<string, unknown>): CatchUpWatermark {
  return {
    ...(typeof item.since === 'string' ? { since: item.since } : {}),
    version: Number(item.version),
  };
}

/**
 * The item stored for the VPC CIDRs record: `vpcIds` sorted and deduplicated, `readAt` normalised. Throws
 * InvalidInputError (naming the field and the value) for no VPC id or an empty one, a CIDR that is not
 * canonical, or a `readAt` that is not a time.
 */
export function toVpcCidrsItem(record: VpcCidrsRecord): Record<string, unknown> {
  return { ...checkedVpcCidrs(record), ...vpcCidrsKey() };
}

/**
 * The VPC CIDRs record read back from its item, checked as on write: a corrupt item is InvalidInputError
 * naming the item and the field, never a policy built on wrong addresses.
 */
export function fromVpcCidrsItem(item: Record<string, unknown>): VpcCidrsRecord {
  try {
    return checkedVpcCidrs({
      vpcIds: stringList(item.vpcIds, 'vpcIds'),
      cidrs: stringList(item.cidrs, 'cidrs'),
      readAt: typeof item.readAt === 'string' ? item.readAt : String(item.readAt),
    });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const { pk, sk } = VPC_CIDRS_KEY;
    throw new InvalidInputError(`stored VPC CIDRs (${pk} ${sk}) are corrupt: ${error.message}`, '', {
      cause: error,
    });
  }
}

function checkedVpcCidrs(record: VpcCidrsRecord): VpcCidrsRecord {
  if (record.vpcIds.length === 0 || record.vpcIds.some((id) => id.trim() === '')) {
    throw new InvalidInputError(
      `must list at least one VPC id, and no empty one: ${JSON.stringify(record.vpcIds)}`,
      'vpcIds',
    );
  }
  for (const cidr of record.cidrs) {
    let canonical: string | undefined;
    try {
      canonical = parseNetwork(cidr, 'cidrs');
    } catch {
      canonical = undefined;
    }
    if (canonical !== cidr) {
      throw new InvalidInputError(
        `${JSON.stringify(cidr)} is not canonical (${canonical === undefined ? 'nor a CIDR' : `it is ${canonical}`})`,
        'cidrs',
      );
    }
  }
  return {
    vpcIds: [...new Set(record.vpcIds)].sort(),
    cidrs: [...record.cidrs],
    readAt: toSortableTime(record.readAt, 'readAt'),
  };
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((element) => typeof element !== 'string')) {
    throw new InvalidInputError(`must be a list of strings, got ${JSON.stringify(value)}`, field);
  }
  return value;
}

/** The network ACL ledger read back from its item. */
export function fromNetworkAclLedgerItem(item: Record<string, unknown>): NetworkAclLedger {
  const acls = (item.acls as { aclId: string; entries: string[] }[]).map(({ aclId, entries }) => ({
    aclId,
    entries: entries.map((text): OwnedAclEntry => {
      const space = text.indexOf(' ');
      return { ruleNumber: Number(text.slice(0, space)), cidr: text.slice(space + 1) };
    }),
  }));
  return { acls, version: Number(item.version) };
}

/**
 * A decision read back from its item. Items written before `seen` became a list hold it as a map from
 * evidence key to time: it is read as the list, newest first, and the next write stores the list.
 */
export function fromDecisionItem(item: Record<string, unknown>): Decision {
  const decision = withoutTableAttributes(item);
  const { seen } = decision;
  if (seen !== null && typeof seen === 'object' && !Array.isArray(seen)) {
    decision.seen = Object.entries(seen as Record<string, string>)
      .map(([key, at]): SeenEvidence => ({ key, at }))
      .sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : 0));
  }
  return decision as unknown as Decision;
}

/** The fields of an active decision that reconcile needs, from its item or the decision itself. */
export function toActiveBlock(item: Record<string, unknown> | Decision): ActiveBlock {
  // One literal shape (not a loop over ACTIVE_BLOCK_FIELDS): reconcile reads these fields of every block.
  const { key, severity, targets, createdAt, expiresAt, overflow, updatedAt, version } = item as ActiveBlock;
  return overflow === undefined
    ? { key, severity, targets, createdAt, expiresAt, updatedAt, version }
    : { key, severity, targets, createdAt, expiresAt, overflow, updatedAt, version };
}

/** An audit record read back from its item. */
export function fromAuditItem(item: Record<string, unknown>): AuditRecord {
  return withoutTableAttributes(item) as unknown as AuditRecord;
}

/** The breaker read back from its item. */
export function fromBreakerItem(item: Record<string, unknown>): BreakerState {
  return withoutTableAttributes(item) as unknown as BreakerState;
}

/**
 * The size DynamoDB bills and limits an item by: names and string values in UTF-8 bytes, numbers about one
 * byte per two significant digits plus one, null and booleans one byte, lists and maps 3 bytes plus one per
 * element.
 */
function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') {
    const digits = String(Math.abs(value))
      .replace(/e.*$/, '')
      .replace('.', '')
      .replace(/^0+|0+$/g, '');
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value))
    return 3 + value.reduce<number>((sum, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value)) {
      if (element !== undefined) size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(element);
    }
    return size;
  }
  return 0;
}

function checkedItem(item: Record<string, unknown>): Record<string, unknown> {
  const size = itemSize(item);
  if (size > DECISION_TABLE.maxItemBytes) {
    throw new InvalidInputError(
      `item for ${String(item.pk)} ${String(item.sk)} is ${size} bytes, over DynamoDB's ${DECISION_TABLE.maxItemBytes}-byte item limit`,
    );
  }
  return item;
}

function withoutTableAttributes(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !TABLE_ATTRIBUTES.has(name)));
}

/** A deep copy without `undefined` values, which DynamoDB cannot store (absent and undefined read back alike). */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((element) => withoutUndefined(element)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, element]) => element !== undefined)
        .map(([name, element]) => [name, withoutUndefined(element)]),
    ) as T;
  }
  return value;
}

/** JSON with object keys sorted and undefined dropped, so equal records hash alike whatever their key order. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((element) => stableStringify(element ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, element]) => element !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, element]) => `${JSON.stringify(name)}:${stableStringify(element)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
