// Drift: a node that no longer matches its NodePool or EC2NodeClass (findDrift) is
// replaced, within the pool's Drifted budget. Eventual: a pod's do-not-disrupt or PDB does
// not hold back a node whose NodeClaim has a terminationGracePeriod (eligibility.ts). Empty drifted nodes go together (nothing to
// move); the others as many at once as the budgets allow, simulated together, else one
// at a time.

import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import { totalPrice, type Candidate } from './candidates.ts';
import { rejectBlocked, withinBudget } from './eligibility.ts';
import type { Command, Method } from './method.ts';

export const drift: Method = {
  method: 'drift',
  reason: 'Drifted',
  class: 'eventual',
  shouldDisrupt: (c) => c.drift !== undefined && c.removed === undefined,
  computeCommand(cands, m) {
    const drifted = rejectBlocked(orderByDisruptionCost(cands.filter((c) => drift.shouldDisrupt(c, m)), m.now), m, 'drift', drift.class);
    if (drifted.length === 0) return undefined;
    const empty = withinBudget(drifted.filter((c) => c.reschedulable.length === 0), 'Drifted', m, 'drift');
    if (empty.length > 0) {
      return {
        method: drift.method,
        reason: drift.reason,
        candidates: empty,
        replacements: [],
        savings: totalPrice(empty),
        explanation: `${empty.length} empty drifted node(s): ${empty[0]!.drift!.detail}`,
      };
    }
    // When the batch's pods cannot all be placed together, one node at a time.
    const batch = withinBudget(drifted.filter((c) => c.reschedulable.length > 0), 'Drifted', m, 'drift replacement');
    if (batch.length === 0) return undefined;
    if (batch.length > 1) {
      const sim = m.simulate(batch);
      if (sim.unschedulable.length === 0) return driftCommand(batch, sim.newNodes);
    }
    for (const c of batch) {
      const sim = m.simulate([c]);
      if (sim.unschedulable.length > 0) {
        m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'pods-fit-nowhere', message: `drifted, but ${sim.unschedulable.length} pod(s) would fit nowhere: ${sim.unschedulable[0]!.reason}` });
        continue;
      }
      return driftCommand([c], sim.newNodes);
    }
    return undefined;
  },
};

function driftCommand(cs: readonly Candidate[], replacements: readonly NewNode[]): Command {
  const newPrice = replacements.reduce((s, n) => s + n.price, 0);
  return {
    method: drift.method,
    reason: drift.reason,
    candidates: cs,
    replacements,
    savings: totalPrice(cs) - newPrice,
    explanation: cs[0]!.drift!.detail,
  };
}
