// Multi-node consolidation: the longest prefix of the candidates (cheapest to disrupt
// first, within the Underutilized budgets) that consolidates together, found by binary
// search as Karpenter does.

import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import { consolidatable, consolidationCommand } from './consolidation.ts';
import { withinBudget, withoutBlocked } from './eligibility.ts';
import type { Command, Method } from './method.ts';

export const multiNodeConsolidation: Method = {
  method: 'consolidation',
  reason: 'Underutilized',
  class: 'graceful',
  shouldDisrupt: (c, m) => consolidatable(c, m.now),
  computeCommand(cands, m) {
    if (m.consolidate === false) return undefined;
    // Blocked nodes, and nodes of pools still ramping up (ramp.ts), are left out quietly: single-node consolidation, which runs next when
    // this finds nothing, reports them.
    const ordered = withinBudget(orderByDisruptionCost(withoutBlocked(cands.filter((c) => multiNodeConsolidation.shouldDisrupt(c, m) && !m.rampingPools?.has(c.state.nodePool))), m.now), 'Underutilized', m, 'consolidation').slice(
      0,
      m.multiNodeMax,
    );
    if (ordered.length < 2) return undefined;
    let lo = 2;
    let hi = ordered.length;
    let best: Command | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const a = consolidationCommand(ordered.slice(0, mid), m);
      if (a.ok && a.command.savings > 0) {
        best = a.command;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  },
};
