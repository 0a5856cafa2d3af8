/** Overflow bookkeeping: which active blocks did not fit where, recorded on each decision and alerted once. */
import { targetAlert } from '#domain/alert';
import type { ActiveBlock } from '#domain/decision';
import { ConcurrentUpdateError } from '#domain/errors';
import type { TargetName } from '#domain/target';
import type { Dependencies } from '../dependencies';
import { publishQuietly, type TargetReport } from './outcome';

/**
 * Records on each active decision the targets it did not fit in, and alerts once per target when that set
 * grows. Linear in the active decisions: the overflow of each target is looked up in a set, and only a
 * decision whose overflow changed is read whole (the active list is a projection) and written.
 */
export async function recordOverflow(
  active: readonly ActiveBlock[],
  targets: readonly TargetReport[],
  deps: Pick<Dependencies, 'store' | 'alerts'>,
): Promise<void> {
  const overflowing = targets.map((t) => ({ ...t, keys: new Set(t.overflow) }));
  const newly = new Map<TargetName, string[]>();
  const fitting = overflowing.filter((t) => t.status !== 'failed');
  for (const block of active) {
    // Most blocks fit everywhere and have no overflow recorded: nothing to compare, nothing to allocate.
    if (!block.overflow?.length && !fitting.some((t) => t.keys.has(block.key))) continue;
    const before = new Set(block.overflow);
    // A target that failed says nothing about what fits: keep what was recorded, or the next run re-alerts.
    const overflow = overflowing
      .filter((t) => (t.status === 'failed' ? before.has(t.target) : t.keys.has(block.key)))
      .map((t) => t.target);
    if (overflow.length === before.size && overflow.every((t) => before.has(t))) continue;
    try {
      const decision = await deps.store.get(block.key);
      // Changed (or ended) since it was listed: the next run records its overflow.
      if (decision?.version !== block.version) continue;
      await deps.store.put({ ...decision, overflow, version: decision.version + 1 }, decision.version);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) continue;
      throw error;
    }
    for (const target of overflow) {
      if (before.has(target)) continue;
      const lines = newly.get(target) ?? [];
      lines.push(`${block.key} (severity ${block.severity})`);
      newly.set(target, lines);
    }
  }
  for (const [target, lines] of newly) {
    const detail = `${lines.length} active block(s) did not fit in ${target}.`;
    await publishQuietly(deps, targetAlert(target, 'overflow', detail, lines));
  }
}
