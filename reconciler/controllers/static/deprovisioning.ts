// Static scale-down (Karpenter's static deprovisioning controller): a static NodePool with
// more staying NodeClaims than spec.replicas loses the surplus, cheapest to lose first:
// claims not launched yet, then claims not initialized (neither runs a pod), then empty
// nodes (DaemonSet pods only), then nodes by disruption cost (core/disruption/ordering.ts),
// a node with a pod protected by karpenter.sh/do-not-disrupt last. A node itself annotated
// karpenter.sh/do-not-disrupt is never taken. The claims are deleted; the termination
// controller drains them, honouring PodDisruptionBudgets.
//
// Deliberately stricter than Karpenter, whose scale-down bypasses disruption budgets:
// taking initialized nodes away is paced by the pool's budgets. A scale-down is none of
// the budget reasons (Drifted, Empty, Underutilized), so every active budget holds it: the
// most restrictive of them sets how many nodes may be disrupting at once.

import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import { DISRUPTION_REASONS } from '../../../core/contract/index.ts';
import { durationOr } from '../../../core/disruption/duration.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { doNotDisruptUntil, hasDoNotDisrupt, type StateNode } from '../../views/cluster-state.ts';
import type { StaticPoolCount } from '../../views/static-pools.ts';
import type { BudgetTracker } from '../disruption/budgets.ts';
import { reschedulablePods } from '../disruption/candidates.ts';
import { disruptionTerminating } from '../disruption/karpenter-events.ts';

export type StaticDeprovisioningDeps = Pick<ControllerContext, 'cluster' | 'decisions'>;

/** The order in which surplus nodes of a static pool go (pure): undisruptable nodes are left out. */
export function scaleDownOrder(nodes: readonly StateNode[], now: number): StateNode[] {
  const unlaunched = nodes.filter((n) => !n.launched);
  const launching = nodes.filter((n) => n.launched && !n.initialized);
  const running = nodes.filter((n) => n.initialized && !hasDoNotDisrupt(n.node?.metadata) && !hasDoNotDisrupt(n.claim.metadata));
  const protectedPods = (n: StateNode) => reschedulablePods(n.pods).some((p) => doNotDisruptUntil(p, now) !== undefined);
  const asCost = (n: StateNode) => ({ name: n.name, n, pods: reschedulablePods(n.pods), createdAtMs: n.createdAtMs, expireAfterMs: durationOr(n.claim.spec.expireAfter, Infinity) });
  const empty = running.filter((n) => reschedulablePods(n.pods).length === 0);
  const busy = orderByDisruptionCost(running.filter((n) => reschedulablePods(n.pods).length > 0 && !protectedPods(n)).map(asCost), now).map((c) => c.n);
  const last = orderByDisruptionCost(running.filter((n) => reschedulablePods(n.pods).length > 0 && protectedPods(n)).map(asCost), now).map((c) => c.n);
  const byName = (a: StateNode, b: StateNode) => (a.name < b.name ? -1 : 1);
  return [...unlaunched.sort(byName), ...launching.sort(byName), ...empty.sort(byName), ...busy, ...last];
}

/** How many initialized nodes of the pool may start leaving now: the most restrictive active budget. */
export function scaleDownAllowance(budgets: BudgetTracker, pool: string): { readonly allowed: number; readonly describe: string } {
  let allowed = Infinity;
  let describe = '';
  for (const reason of DISRUPTION_REASONS) {
    const a = budgets.allowed(pool, reason);
    if (a < allowed) {
      allowed = a;
      describe = budgets.describe(pool, reason);
    }
  }
  return { allowed, describe };
}

export interface ScaleDownOutcome {
  readonly deleted: readonly string[];
  /** Surplus nodes left for now, and why. */
  readonly held?: { readonly reason: 'budget' | 'do-not-disrupt'; readonly message: string };
}

export async function scaleDown(deps: StaticDeprovisioningDeps, pool: string, count: StaticPoolCount, budgets: BudgetTracker, now: number): Promise<ScaleDownOutcome> {
  const surplus = count.staying.length - count.desired;
  if (surplus <= 0) return { deleted: [] };
  const order = scaleDownOrder(count.staying, now);
  const { allowed, describe } = scaleDownAllowance(budgets, pool);
  const chosen: StateNode[] = [];
  let budgeted = 0;
  let heldByBudget = 0;
  for (const n of order) {
    if (chosen.length >= surplus) break;
    if (n.initialized) {
      if (budgeted >= allowed) {
        heldByBudget += 1;
        continue;
      }
      budgeted += 1;
    }
    chosen.push(n);
  }
  for (const n of chosen) {
    await deps.cluster.deleteNodeClaim(n.name);
    disruptionTerminating(deps.cluster, n.name, n.node?.metadata.name, 'ScaleDown');
  }
  const deleted = chosen.map((n) => n.name);
  if (deleted.length > 0) {
    const pods = chosen.reduce((s, n) => s + reschedulablePods(n.pods).length, 0);
    deps.decisions.record({
      controller: 'static',
      action: 'delete',
      reason: 'static-scale-down',
      message: `${pool}: replicas ${count.desired}, ${count.staying.length} staying: delete ${deleted.join(', ')} (${pods} pod(s) to move)`,
      nodePool: pool,
      nodeClaims: deleted,
      details: { desired: count.desired, staying: count.staying.length, deleted: deleted.length, pods },
    });
  }
  const left = surplus - deleted.length;
  if (left <= 0) return { deleted };
  return heldByBudget > 0
    ? { deleted, held: { reason: 'budget', message: `NodePool ${pool}: ${left} node(s) above replicas ${count.desired} wait for the disruption budget: ${describe}` } }
    : { deleted, held: { reason: 'do-not-disrupt', message: `NodePool ${pool}: ${left} node(s) above replicas ${count.desired} are annotated karpenter.sh/do-not-disrupt and stay` } };
}
