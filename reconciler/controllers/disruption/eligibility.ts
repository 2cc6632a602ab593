// Which of a method's candidates it may take now: the filters graceful methods share
// (do-not-disrupt and PDB blocks, then the pool's budget for the method's reason).

import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import type { Candidate } from './candidates.ts';
import type { Method, MethodContext } from './method.ts';

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

/** Takes candidates in order while the removal rate of each one's (removed) pool allows another. */
export function withinRemovalRate(cs: readonly Candidate[], m: MethodContext): Candidate[] {
  const used = new Map<string, number>();
  const out: Candidate[] = [];
  for (const c of cs) {
    const pool = c.state.nodePool;
    if (m.budgets.allowedRemoval(pool) - (used.get(pool) ?? 0) <= 0) {
      m.reject({ name: c.name, nodePool: pool, reason: 'budget', message: `removal waits for the removal rate of NodePool ${pool}: ${m.budgets.describeRemoval(pool)}` });
      continue;
    }
    used.set(pool, (used.get(pool) ?? 0) + 1);
    out.push(c);
  }
  return out;
}

/**
 * What stops `method` from taking the candidate, if anything. A node-level do-not-disrupt
 * stops every graceful method; a pod's do-not-disrupt or PDB does not stop an eventual one
 * (drift, removal) when the NodeClaim has a terminationGracePeriod, as in Karpenter: the
 * drain honours them until the grace period runs out, then deletes the pods.
 */
export function blockFor(c: Candidate, methodClass: Method['class']): string | undefined {
  if (!c.blocked || methodClass === 'forceful') return undefined;
  if (methodClass === 'eventual' && c.blockedBy === 'pod' && c.state.claim.spec.terminationGracePeriod) return undefined;
  return c.blocked;
}

/** Drops blocked candidates (do-not-disrupt, a PDB), reporting each. */
export function rejectBlocked(cs: readonly Candidate[], m: MethodContext, methodName: string, methodClass: Method['class'] = 'graceful'): Candidate[] {
  return cs.filter((c) => {
    const block = blockFor(c, methodClass);
    if (!block) return true;
    m.reject({ name: c.name, nodePool: c.state.nodePool, reason: block.includes('PodDisruptionBudget') ? 'pdb' : 'do-not-disrupt', message: `${methodName} blocked: ${block}` });
    return false;
  });
}

/** Drops blocked candidates without reporting them (single-node consolidation reports the same nodes). */
export function withoutBlocked(cs: readonly Candidate[]): Candidate[] {
  return cs.filter((c) => !c.blocked);
}
