// Disruption budgets per NodePool for one pass: how many more nodes each pool may start
// disrupting for each reason, given the nodes already disrupting (deleting or marked).

import type { NodePool } from '../../../core/api/karpenter.ts';
import { allowedDisruptions, parseBudgets, type ParsedBudget } from '../../../core/disruption/budgets.ts';
import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import type { ClusterState } from '../../views/cluster-state.ts';

export class BudgetTracker {
  private readonly total = new Map<string, number>();
  private readonly disrupting = new Map<string, number>();
  private readonly budgets = new Map<string, ParsedBudget[]>();
  readonly errors = new Map<string, string>();

  constructor(
    state: ClusterState,
    pools: ReadonlyMap<string, NodePool>,
    private readonly nowMs: number,
  ) {
    for (const n of state.nodes) {
      if (!n.launched) continue;
      this.total.set(n.nodePool, (this.total.get(n.nodePool) ?? 0) + 1);
      if (n.deleting || n.disruption) this.disrupting.set(n.nodePool, (this.disrupting.get(n.nodePool) ?? 0) + 1);
    }
    for (const [name, pool] of pools) {
      try {
        this.budgets.set(name, parseBudgets(pool.spec.disruption?.budgets));
      } catch (e) {
        // A malformed budget allows nothing: never disrupt on a policy we cannot read.
        this.errors.set(name, (e as Error).message);
        this.budgets.set(name, parseBudgets([{ nodes: '0' }]));
      }
    }
  }

  /** Caps per pool and reason at this instant (cron windows are evaluated once per pass). */
  private readonly caps = new Map<string, number>();

  allowed(pool: string, reason: DisruptionReason): number {
    const b = this.budgets.get(pool);
    if (!b) return 0;
    const key = `${pool}/${reason}`;
    let cap = this.caps.get(key);
    if (cap === undefined) {
      cap = allowedDisruptions(b, reason, this.total.get(pool) ?? 0, 0, this.nowMs).cap;
      this.caps.set(key, cap);
    }
    return Math.max(0, cap - (this.disrupting.get(pool) ?? 0));
  }

  /** The cap (before subtracting disrupting nodes) and the budget that sets it, for messages. */
  describe(pool: string, reason: DisruptionReason): string {
    const b = this.budgets.get(pool);
    if (!b) return 'no budget';
    const a = allowedDisruptions(b, reason, this.total.get(pool) ?? 0, this.disrupting.get(pool) ?? 0, this.nowMs);
    const src = a.limitingBudget?.source;
    return `${this.disrupting.get(pool) ?? 0} of ${a.cap} allowed already disrupting${src ? ` (budget nodes=${src.nodes ?? '10%'}${src.reasons ? ` reasons=${src.reasons.join(',')}` : ''}${src.schedule ? ` schedule="${src.schedule}" duration=${src.duration}` : ''})` : ''}`;
  }
}
