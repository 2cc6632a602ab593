// Removal: the nodes of a NodePool that is going away (gone from the intent in force, or
// its object being deleted; views/removed-pools.ts) leave, replacements first for the pods
// that need one, at most REMOVAL_BUDGET of the pool at a time (budgets.ts). Eventual, as
// drift: a node-level do-not-disrupt holds a node back; a pod's do-not-disrupt or PDB
// holds it back only when the NodeClaim has no terminationGracePeriod. A node whose pods
// would fit nowhere else (no other pool admits them) stays, reported, until they would:
// joinery never strands running pods for a removed pool.
//
// Karpenter has no such method: deleting a NodePool there cascades to every NodeClaim at
// once (the ownerReference), drained together. joinery's finalizer on the NodePool object
// (controllers/nodepool-termination) holds that cascade so this method can pace it.

import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import { totalPrice, type Candidate } from './candidates.ts';
import { rejectBlocked, withinRemovalRate } from './eligibility.ts';
import type { Command, Method } from './method.ts';

export const removal: Method = {
  method: 'removal',
  reason: 'Removed',
  class: 'eventual',
  shouldDisrupt: (c) => c.removed !== undefined,
  computeCommand(cands, m) {
    const leaving = rejectBlocked(orderByDisruptionCost(cands.filter((c) => removal.shouldDisrupt(c, m)), m.now), m, 'removal', removal.class);
    if (leaving.length === 0) return undefined;
    const empty = withinRemovalRate(leaving.filter((c) => c.reschedulable.length === 0), m);
    if (empty.length > 0) return removalCommand(empty, [], `${empty.length} empty node(s): ${empty[0]!.removed}`);
    const batch = withinRemovalRate(leaving.filter((c) => c.reschedulable.length > 0), m);
    if (batch.length === 0) return undefined;
    if (batch.length > 1) {
      const sim = m.simulate(batch);
      if (sim.unschedulable.length === 0) return removalCommand(batch, sim.newNodes, batch[0]!.removed!);
    }
    for (const c of batch) {
      const sim = m.simulate([c]);
      if (sim.unschedulable.length > 0) {
        m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'pods-fit-nowhere', message: `${c.removed}, but ${sim.unschedulable.length} pod(s) would fit no other NodePool: ${sim.unschedulable[0]!.reason}` });
        continue;
      }
      return removalCommand([c], sim.newNodes, c.removed!);
    }
    return undefined;
  },
};

function removalCommand(cs: readonly Candidate[], replacements: readonly NewNode[], explanation: string): Command {
  return {
    method: removal.method,
    reason: removal.reason,
    candidates: cs,
    replacements,
    savings: totalPrice(cs) - replacements.reduce((s, n) => s + n.price, 0),
    explanation,
  };
}
