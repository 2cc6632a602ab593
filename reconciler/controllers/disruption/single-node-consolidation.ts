// Single-node consolidation: each candidate alone (cheapest to disrupt first), deleted or
// replaced by a cheaper node; the first that consolidates is the command.

import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import { consolidatable, consolidationCommand } from './consolidation.ts';
import { rejectBlocked } from './eligibility.ts';
import { rampMessage } from './ramp.ts';
import type { Method } from './method.ts';

/** At most this many candidates are simulated per pass (the rest wait for the next). */
const SINGLE_NODE_MAX_EVALUATIONS = 10;

export const singleNodeConsolidation: Method = {
  method: 'consolidation',
  reason: 'Underutilized',
  class: 'graceful',
  shouldDisrupt: (c, m) => consolidatable(c, m.now),
  computeCommand(cands, m) {
    if (m.consolidate === false) return undefined;
    // One node per command: each candidate only needs one slot of its pool's budget.
    const eligible = orderByDisruptionCost(rejectBlocked(cands.filter((c) => singleNodeConsolidation.shouldDisrupt(c, m)), m, 'consolidation'), m.now).filter((c) => {
      const ramp = m.rampingPools?.get(c.state.nodePool);
      if (ramp !== undefined) {
        m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'demand-rising', message: rampMessage(c.state.nodePool, ramp, m.now, m.rampHoldMs), unconsolidatable: true });
        return false;
      }
      if (m.budgets.allowed(c.state.nodePool, 'Underutilized') > 0) return true;
      m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'budget', message: `consolidation blocked by the Underutilized budget of NodePool ${c.state.nodePool}: ${m.budgets.describe(c.state.nodePool, 'Underutilized')}` });
      return false;
    });
    let evaluated = 0;
    for (const c of eligible) {
      if (evaluated++ >= SINGLE_NODE_MAX_EVALUATIONS) break;
      const a = consolidationCommand([c], m);
      if (a.ok) return a.command;
      if (a.reason === 'unchanged') {
        evaluated -= 1; // remembered, not simulated
        continue;
      }
      m.reject({ name: c.name, nodePool: c.state.nodePool, reason: a.reason, message: `not consolidated: ${a.message}`, unconsolidatable: true });
    }
    return undefined;
  },
};
