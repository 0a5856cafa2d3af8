/**
 * Drift: what a reconcile had to repair because a target changed outside Egress Warden. Told apart from
 * ordinary work by the previous run's status record: only a target that the previous run left converged
 * (in `enforce` mode, not failed) can have drifted since.
 */
import type { DriftRepair } from '#domain/alert';
import type { ActiveBlock } from '#domain/decision';
import { parseIndicator } from '#domain/indicator';
import type { DecisionStore, EnforceStatus } from '#ports/decision-store';
import type { TargetReport } from './outcome';

/**
 * The repairs of this run, per target: entries put back for active blocks whose decision did not change since
 * the previous run started (so that run enforced them and they went missing since), and entries removed that
 * no active decision wants and that no decision ended since that run (so they appeared since). Nothing
 * without a previous record: the first run has nothing to compare with. Reads the store only for removed
 * entries, one record each.
 */
export async function repairedDrift(
  previous: EnforceStatus | undefined,
  targets: readonly TargetReport[],
  active: readonly ActiveBlock[],
  ended: ReadonlySet<string>,
  store: Pick<DecisionStore, 'get'>,
): Promise<DriftRepair[]> {
  if (!previous) return [];
  const since = Date.parse(previous.at);
  const activeByKey = new Map(active.map((decision) => [decision.key, decision]));
  const repairs: DriftRepair[] = [];
  for (const target of targets) {
    const before = previous.targets.find((t) => t.target === target.target);
    // Only a target the previous run left converged can have drifted since.
    const converged = before?.mode === 'enforce' && ['applied', 'unchanged'].includes(before.status);
    if (!converged) continue;
    const restored = (target.added ?? []).filter((value) => {
      const decision = activeByKey.get(keyOf(value));
      if (decision === undefined) return false;
      return (
        decision.targets.includes(target.target) &&
        !(decision.overflow ?? []).includes(target.target) &&
        Date.parse(decision.updatedAt) <= since
      );
    });
    const removed: string[] = [];
    for (const value of target.removed ?? []) {
      const key = keyOf(value);
      if (activeByKey.has(key) || ended.has(key)) continue;
      const record = await store.get(key);
      if (record === undefined || (record.status !== 'active' && Date.parse(record.updatedAt) <= since)) {
        removed.push(value);
      }
    }
    if (restored.length + removed.length > 0) repairs.push({ target: target.target, restored, removed });
  }
  return repairs;
}

/** The decision key of a target entry: the canonical indicator, or the entry itself when it is none. */
function keyOf(value: string): string {
  try {
    return parseIndicator(value).value;
  } catch {
    return value;
  }
}
