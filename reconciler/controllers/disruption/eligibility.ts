// Which of a method's candidates it may take now: the filters graceful methods share
// (do-not-disrupt and PDB blocks, then the pool's budget for the method's reason).

import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import type { Candidate } from './candidates.ts';
import type { MethodContext } from './method.ts';

/** Takes candidates in order while each one's pool budget for `reason` allows another. */
export function withinBudget(cs: readonly Candidate[], reason: DisruptionReason, m: MethodContext, methodName: string): Candidate[] {
  const used = new Map<string, number>();
  const out: Candidate[] = [];
  for (const c of cs) {
    const pool = c.state.nodePool;
    const allowed = m.budgets.allowed(pool, reason) - (used.get(pool) ?? 0);
    if (allowed <= 0) {
      m.reject({ name: c.name, nodePool: pool, reason: 'budget', message: `${methodName} blocked by the ${reason} budget of NodePool ${pool}: ${m.budgets.describe(pool, reason)}` });
      continue;
    }
    used.set(pool, (used.get(pool) ?? 0) + 1);
    out.push(c);
  }
  return out;
}

/** Drops blocked candidates (do-not-disrupt, a PDB), reporting each. */
export function rejectBlocked(cs: readonly Candidate[], m: MethodContext, methodName: string): Candidate[] {
  return cs.filter((c) => {
    if (!c.blocked) return true;
    m.reject({ name: c.name, nodePool: c.state.nodePool, reason: c.blocked.includes('PodDisruptionBudget') ? 'pdb' : 'do-not-disrupt', message: `${methodName} blocked: ${c.blocked}` });
    return false;
  });
}

/** Drops blocked candidates without reporting them (single-node consolidation reports the same nodes). */
export function withoutBlocked(cs: readonly Candidate[]): Candidate[] {
  return cs.filter((c) => !c.blocked);
}
