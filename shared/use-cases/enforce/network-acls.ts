/**
 * Converges the egress denies of every managed network ACL, touching only the entries the ledger in the
 * decision store says Egress Warden wrote.
 */
import type { BlockEntry } from '#domain/block';
import { ConcurrentUpdateError, InvalidInputError, TargetNotFoundError } from '#domain/errors';
import { mayMergeUnder } from '#domain/guard-rails';
import {
  changeLedger,
  claimedBy,
  entryFamily,
  type NetworkAclPlan,
  type NetworkAclPlanOptions,
  type NetworkAclStep,
  ownedIn,
  planNetworkAcl,
  releasedBy,
} from '#domain/reconcile/network-acl-plan';
import type { NetworkAcl, NetworkAclEntry, NetworkAclLedger, OwnedAclEntry } from '#domain/target';
import type { DecisionStore, UsageMeter } from '#ports/decision-store';
import type { NetworkAcls } from '#ports/network-acls';
import type { Dependencies } from '../dependencies';
import {
  describeError,
  type EnforceOptions,
  MAX_ATTEMPTS,
  mayStartWrite,
  statusOf,
  type TargetOutcome,
} from './outcome';

/** What one ACL's run gave. */
interface AclResult {
  readonly changes: number;
  readonly held: number;
  /** True when some desired CIDR cannot take effect in this ACL, or the range sits after an allow-all. */
  readonly ineffective: boolean;
  /** The ACL's egress entries per IP family after the run, default rules included. */
  readonly entries: { readonly 4: number; readonly 6: number };
  /** The CIDRs this run created (or replaced into) and deleted. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Plans and applies each ACL on its own. Ownership: a ledger entry is written before the create or replace
 * that it records (an intent), and dropped only after the delete or replace that ends it, so a crash leaves
 * at worst an entry recorded as ours that is absent or someone else's, which the plan's ownership check
 * ignores. Any error on one ACL is reported for that ACL (a warning) and the others still converge; an ACL
 * whose rule number was taken or whose entry vanished is re-read and re-planned. Held (alert mode), only the
 * steps that unblock or narrow are written and the rest are counted in `held`. An IPv6 deny that EC2 refuses
 * (`InvalidParameterValue`, e.g. a VPC without IPv6) is reported and the ACL's other work goes on.
 *
 * Within a time budget, an ACL is started only when the budget leaves room for it: the run stops between two
 * ACLs (`partial`, with the ACLs left), never inside one, so each ACL and its ledger stay consistent.
 *
 * Throws (so the target is `failed` and alerted) only when every ACL failed (the first ACL's error) or is
 * ineffective (InvalidInputError naming the allows to move), or when the ACLs or the ledger cannot be read.
 * An ACL that EC2 says no longer exists (a write answered `InvalidNetworkAclID.NotFound`) is reported; its
 * entries are dropped from the ledger, which would otherwise keep them for good, once a fresh listing no longer
 * shows the ACL (see {@link listedNoMore}).
 */
export async function enforceNetworkAcls(
  port: NetworkAcls,
  deps: Pick<Dependencies, 'policy' | 'store'>,
  desired: readonly BlockEntry[],
  { hold, budget }: EnforceOptions,
): Promise<TargetOutcome> {
  const options = deps.policy.targets.networkAcls;
  const mayMerge = mayMergeUnder(deps.policy);
  const ledger = new LedgerWriter(deps.store, await deps.store.getNetworkAclLedger());
  const overflow = new Set<string>();
  const warnings: string[] = [];
  const failures: { error: unknown; failure: string }[] = [];
  const ineffective: string[] = [];
  let changes = 0;
  let held = 0;
  const usage: UsageMeter[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const { acls, missing } = await port.list();
  for (const id of missing) {
    // One deleted ACL (or VPC) must not stop the others. Its ledger stays: a listing that leaves an ACL out does
    // not prove it gone (only a write refused with InvalidNetworkAclID.NotFound does), and forgetting entries
    // that still exist would leave them there for good.
    const failure = `${id} failed: not found (deleted, or not in this account and Region)`;
    warnings.push(failure);
    failures.push({ error: new TargetNotFoundError(failure, 'InvalidNetworkAclID.NotFound'), failure });
  }
  let left = 0;
  for (const [index, acl] of acls.entries()) {
    if (!mayStartWrite(budget)) {
      left = acls.length - index;
      break;
    }
    try {
      const result = await enforceAcl(port, ledger, acl, desired, {
        ...options,
        mayMerge,
        hold,
        report: (plan) => {
          for (const entry of plan.overflow) overflow.add(entry.indicator.value);
          warnings.push(...describePlan(plan, options.ruleRange));
        },
        warn: (warning) => warnings.push(warning),
      });
      changes += result.changes;
      held += result.held;
      added.push(...result.added);
      removed.push(...result.removed);
      for (const family of [4, 6] as const) {
        usage.push({
          what: `${acl.aclId} IPv${family} egress entries`,
          used: result.entries[family],
          limit: options.maxEntriesPerFamily,
        });
      }
      if (result.ineffective) ineffective.push(acl.aclId);
    } catch (error) {
      const failure = `${acl.aclId} failed: ${describeError(error)}`;
      warnings.push(failure);
      failures.push({ error, failure });
    }
  }
  const managed = acls.length + missing.length;
  if (managed > 0 && left === 0 && failures.length + ineffective.length === managed) {
    // Nothing is enforced anywhere: the target fails, so the operator is alerted, rather than claiming success.
    if (failures[0]) throw failures[0].error;
    throw new InvalidInputError(
      `no managed network ACL can enforce its denies: ${warnings.join('; ')}`,
      'targets.networkAcls.ruleRange',
    );
  }
  return {
    status: left > 0 ? 'partial' : statusOf(changes, held),
    changes,
    held,
    ...(left > 0 && { left }),
    overflow: [...overflow],
    usage,
    ...(added.length > 0 && { added }),
    ...(removed.length > 0 && { removed }),
    ...(warnings.length > 0 && { warnings }),
    ...(failures.length > 0 && { failures: failures.map((f) => f.failure) }),
  };
}

interface AclOptions {
  readonly ruleRange: readonly [number, number];
  readonly maxEntriesPerFamily: number;
  readonly hold: boolean;
  /** Vetoes a merge into a network the guard rails would refuse. */
  readonly mayMerge: NetworkAclPlanOptions['mayMerge'];
  /** Receives the plan that was carried out (the last one, after any re-plan). */
  readonly report: (plan: NetworkAclPlan) => void;
  readonly warn: (warning: string) => void;
}

async function enforceAcl(
  port: NetworkAcls,
  ledger: LedgerWriter,
  initial: NetworkAcl,
  desired: readonly BlockEntry[],
  options: AclOptions,
): Promise<AclResult> {
  const { aclId } = initial;
  let acl = initial;
  let changes = 0;
  for (let attempt = 1; ; attempt++) {
    const plan = planNetworkAcl(acl, desired, { ...options, owned: ownedIn(ledger.current, aclId) });
    await ledger.change(aclId, { add: claimedBy(plan.steps), remove: plan.stale });
    const done: NetworkAclStep[] = [];
    try {
      await runSteps(port, aclId, plan.steps, done, options.warn);
    } catch (error) {
      if (error instanceof TargetNotFoundError && error.code === 'InvalidNetworkAclID.NotFound') {
        // EC2 says the ACL itself is gone, and every entry in it. Forget its ledger only when a fresh listing
        // agrees: an ACL still listed keeps Warden's entries, and forgetting them would leave them for good.
        const gone = await listedNoMore(port, aclId);
        await ledger.changeQuietly(
          aclId,
          gone
            ? { add: [], remove: ownedIn(ledger.current, aclId) }
            : { add: claimedBy(done), remove: releasedBy(done) },
        );
        throw error;
      }
      await ledger.changeQuietly(aclId, { add: claimedBy(done), remove: releasedBy(done) });
      changes += done.length;
      // A rule number taken by someone else, or our entry gone: re-read this ACL and plan again.
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
      const fresh = (await port.list()).acls.find((item) => item.aclId === aclId);
      if (!fresh) throw error;
      acl = fresh;
      continue;
    }
    await ledger.change(aclId, { add: claimedBy(done), remove: releasedBy(done) });
    options.report(plan);
    return {
      changes: changes + done.length,
      held: plan.held,
      ineffective: plan.shadowed.length > 0 || plan.coveringAllows.length > 0,
      entries: entriesAfter(acl, done),
      added: done.filter((step) => step.op !== 'delete').map((step) => step.cidr),
      removed: done.filter((step) => step.op === 'delete').map((step) => step.cidr),
    };
  }
}

/**
 * Whether a fresh listing leaves `aclId` out, after EC2 refused a write to it as `InvalidNetworkAclID.NotFound`:
 * it lists the other ACLs and not this one, or finds none at all (TargetNotFoundError, as when the only managed
 * ACL was deleted). A listing that fails otherwise proves nothing, and neither does the refusal alone: EC2 may
 * answer it for an ACL it has just listed. Keeping the ledger of an ACL that is gone costs nothing (ACL ids
 * are never reused); dropping the ledger of one that exists leaves Warden's denies in it with nobody to remove
 * them.
 */
async function listedNoMore(port: NetworkAcls, aclId: string): Promise<boolean> {
  try {
    return !(await port.list()).acls.some((acl) => acl.aclId === aclId);
  } catch (error) {
    return error instanceof TargetNotFoundError;
  }
}

/** The egress entries per family once `done` was applied to `acl` as read: a create adds one, a delete frees one. */
function entriesAfter(acl: NetworkAcl, done: readonly NetworkAclStep[]): { 4: number; 6: number } {
  const entries = { 4: 0, 6: 0 };
  for (const entry of acl.egress) entries[entryFamily(entry)]++;
  for (const step of done) {
    if (step.op === 'create') entries[entryFamily(step)]++;
    else if (step.op === 'delete') entries[entryFamily(step)]--;
  }
  return entries;
}

/** Runs the steps in order, pushing each one that succeeded onto `done`. */
async function runSteps(
  port: NetworkAcls,
  aclId: string,
  steps: readonly NetworkAclStep[],
  done: NetworkAclStep[],
  warn: (warning: string) => void,
): Promise<void> {
  let ipv6Refused = false;
  for (const step of steps) {
    const family = entryFamily(step);
    // After a refused IPv6 deny, the IPv6 deletes that it was to replace would only open a gap.
    if (ipv6Refused && family === 6) continue;
    try {
      if (step.op === 'create') await port.createEgressDeny(aclId, step.ruleNumber, step.cidr);
      else if (step.op === 'replace') await port.replaceEgressDeny(aclId, step.ruleNumber, step.cidr);
      else await port.deleteEgressEntry(aclId, step.ruleNumber);
      done.push(step);
    } catch (error) {
      const refused =
        error instanceof InvalidInputError && error.code === 'InvalidParameterValue' && family === 6;
      if (!refused || step.op === 'delete') throw error;
      // EC2 refuses IPv6 entries in some ACLs (a VPC without an IPv6 CIDR): the IPv4 work must go on.
      ipv6Refused = true;
      warn(
        `${aclId}: EC2 refused the IPv6 deny for ${step.cidr} (${error.message}); IPv6 blocks are not enforced in this ACL, whose VPC may have no IPv6 CIDR`,
      );
    }
  }
}

/** The ledger as last read or written, and the conditional writes that change it. */
class LedgerWriter {
  readonly #store: DecisionStore;
  #current: NetworkAclLedger;

  constructor(store: DecisionStore, current: NetworkAclLedger) {
    this.#store = store;
    this.#current = current;
  }

  get current(): NetworkAclLedger {
    return this.#current;
  }

  /**
   * Applies the change to one ACL's entries, on the latest ledger: a concurrent writer's version is re-read
   * and the change applied again, so neither loses the other's entries. Writes nothing when nothing changes.
   */
  async change(
    aclId: string,
    change: { readonly add: readonly OwnedAclEntry[]; readonly remove: readonly OwnedAclEntry[] },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const next = changeLedger(this.#current, aclId, change);
      if (sameEntries(ownedIn(next, aclId), ownedIn(this.#current, aclId))) return;
      try {
        await this.#store.putNetworkAclLedger(next, this.#current.version);
        this.#current = next;
        return;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
        this.#current = await this.#store.getNetworkAclLedger();
      }
    }
  }

  /** `change` on a path that is already failing: the error being reported matters more than this one. */
  async changeQuietly(
    aclId: string,
    change: { readonly add: readonly OwnedAclEntry[]; readonly remove: readonly OwnedAclEntry[] },
  ): Promise<void> {
    try {
      await this.change(aclId, change);
    } catch {
      // Entries left recorded are harmless: the ownership check needs the live entry to match exactly.
    }
  }
}

function sameEntries(a: readonly OwnedAclEntry[], b: readonly OwnedAclEntry[]): boolean {
  return (
    a.length === b.length &&
    a.every((entry, index) => entry.ruleNumber === b[index]?.ruleNumber && entry.cidr === b[index]?.cidr)
  );
}

/** The operator-facing warnings of one ACL's plan: foreign entries, a misplaced range, shadowed blocks. */
function describePlan(plan: NetworkAclPlan, [low, high]: readonly [number, number]): string[] {
  const warnings: string[] = [];
  if (plan.foreign.length > 0) {
    warnings.push(
      `${plan.aclId}: ${plan.foreign.map(describeEntry).join(', ')} in the reserved range [${low}, ${high}] ${plan.foreign.length === 1 ? 'was' : 'were'} not written by Egress Warden: left alone and counted against its room`,
    );
  }
  for (const allow of plan.coveringAllows) {
    warnings.push(
      `${plan.aclId} is ineffective: allow rule ${allow.ruleNumber} (${allow.cidr}) is numbered at or before the end of the reserved range [${low}, ${high}], so denies after it never match; set ruleRange to end below ${allow.ruleNumber}, or renumber that allow above ${high}`,
    );
  }
  for (const item of plan.shadowed) {
    warnings.push(
      `${plan.aclId}: ${item.cidr} is not blocked: allow rule ${item.allow.ruleNumber} (${item.allow.cidr}) matches it before every free number of the reserved range [${low}, ${high}]`,
    );
  }
  return warnings;
}

function describeEntry(entry: NetworkAclEntry): string {
  const protocol = entry.protocol === '-1' ? 'all protocols' : `protocol ${entry.protocol}`;
  return `rule ${entry.ruleNumber} (${entry.action} ${entry.cidr}, ${protocol})`;
}
