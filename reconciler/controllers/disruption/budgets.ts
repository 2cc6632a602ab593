// Disruption budgets per NodePool for one pass: how many more nodes each pool may start
// disrupting for each reason, given the nodes already disrupting.
//
// Counted as Karpenter counts in BuildDisruptionBudgetMapping: only initialized nodes make
// up a pool's total (a replacement that is launched but not initialized takes no pods, so
// it must not raise a percentage budget while the nodes it replaces are still there), and
// nodes whose instance is already terminating (InstanceTerminating) count for nothing.
// Disrupting: initialized nodes that are marked for disruption, being deleted, or NotReady.
// One difference, on the safe side: a node being deleted counts as disrupting but not in
// the total (Karpenter keeps it in the total until InstanceTerminating). Otherwise, while
// the disrupted nodes drain, their initialized replacements and they are both counted, and
// a 10% budget of a pool of 80 being replaced grows to ceil(8.8) = 9.

import type { NodePool } from '../../../core/api/karpenter.ts';
import { allowedDisruptions, parseBudgets, REMOVAL_BUDGET, type ParsedBudget } from '../../../core/disruption/budgets.ts';
import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import { CONDITION_INSTANCE_TERMINATING } from '../../../core/contract/index.ts';
import { conditionTrue, nodeReady, type ClusterState, type StateNode } from '../../views/cluster-state.ts';

/** The removal rate (core/disruption/budgets.ts) as a budget list. */
const REMOVAL_BUDGETS = parseBudgets([REMOVAL_BUDGET]);

/** How a node counts against its pool's disruption budgets. */
export function budgetStanding(n: StateNode): { readonly inTotal: boolean; readonly disrupting: boolean } {
  if (!n.initialized || conditionTrue(n.claim, CONDITION_INSTANCE_TERMINATING)) return { inTotal: false, disrupting: false };
  if (n.deleting) return { inTotal: false, disrupting: true };
  return { inTotal: true, disrupting: n.disruption !== undefined || !nodeReady(n.node) };
}

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
      const { inTotal, disrupting } = budgetStanding(n);
      if (inTotal) this.total.set(n.nodePool, (this.total.get(n.nodePool) ?? 0) + 1);
      if (disrupting) this.disrupting.set(n.nodePool, (this.disrupting.get(n.nodePool) ?? 0) + 1);
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

  /**
   * How many more nodes of a removed NodePool (gone from the intent, or being deleted) may
   * start leaving now: REMOVAL_BUDGET of the pool's nodes, whatever budgets the pool had.
   */
  allowedRemoval(pool: string): number {
    const key = `${pool}/removal`;
    let cap = this.caps.get(key);
    if (cap === undefined) {
      cap = allowedDisruptions(REMOVAL_BUDGETS, 'Drifted', this.total.get(pool) ?? 0, 0, this.nowMs).cap;
      this.caps.set(key, cap);
    }
    return Math.max(0, cap - (this.disrupting.get(pool) ?? 0));
  }

  describeRemoval(pool: string): string {
    return `${this.disrupting.get(pool) ?? 0} of ${this.total.get(pool) ?? 0} node(s) already leaving; a removed NodePool loses ${REMOVAL_BUDGET.nodes} of its nodes at a time`;
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
