/** Converges the egress denies in the reserved rule range of every managed network ACL. */
import type { BlockEntry } from '#domain/block';
import { ConcurrentUpdateError } from '#domain/errors';
import { planNetworkAcl } from '#domain/reconcile/network-acl-plan';
import type { NetworkAcls } from '#ports/network-acls';
import type { Dependencies } from '../dependencies';
import { type EnforceOptions, MAX_ATTEMPTS, statusOf, type TargetOutcome } from './outcome';

/**
 * Plans and applies each ACL in turn, re-reading an ACL whose rule number was taken by another writer. Held
 * (alert mode), only deletes are written.
 */
export async function enforceNetworkAcls(
  port: NetworkAcls,
  deps: Pick<Dependencies, 'policy'>,
  desired: readonly BlockEntry[],
  { hold }: EnforceOptions,
): Promise<TargetOutcome> {
  const options = deps.policy.targets.networkAcls;
  const overflow = new Set<string>();
  let changes = 0;
  let held = 0;
  for (const initial of await port.list()) {
    let acl = initial;
    for (let attempt = 1; ; attempt++) {
      const plan = planNetworkAcl(acl, desired, options);
      for (const entry of plan.overflow) overflow.add(entry.indicator.value);
      const steps = hold ? plan.steps.filter((step) => step.op === 'delete') : plan.steps;
      try {
        for (const step of steps) {
          if (step.op === 'create') await port.createEgressDeny(acl.aclId, step.ruleNumber, step.cidr);
          else await port.deleteEgressEntry(acl.aclId, step.ruleNumber);
          changes++;
        }
        held += plan.steps.length - steps.length;
        break;
      } catch (error) {
        // A rule number taken by someone else: re-read this ACL and plan again.
        if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
        const fresh = (await port.list()).find((a) => a.aclId === acl.aclId);
        if (!fresh) throw error;
        acl = fresh;
      }
    }
  }
  return { status: statusOf(changes, held), changes, held, overflow: [...overflow] };
}
