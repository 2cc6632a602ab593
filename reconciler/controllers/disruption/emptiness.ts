// Emptiness: nodes that ran no pods but DaemonSets for at least consolidateAfter are
// deleted together, within each pool's Empty budget (Karpenter's "empty" consolidation),
// under every consolidation policy (Balanced does not score them: nothing moves).

import { totalPrice } from './candidates.ts';
import { consolidatableNow, consolidationPolicy } from './consolidation.ts';
import { rejectBlocked, withinBudget } from './eligibility.ts';
import type { Method } from './method.ts';

export const emptiness: Method = {
  method: 'emptiness',
  reason: 'Empty',
  class: 'graceful',
  shouldDisrupt: (c, m) =>
    c.reschedulable.length === 0 &&
    ['WhenEmpty', 'WhenEmptyOrUnderutilized', 'Balanced'].includes(consolidationPolicy(c)) &&
    consolidatableNow(c, m.now),
  computeCommand(cands, m) {
    const empty = cands.filter((c) => emptiness.shouldDisrupt(c, m));
    const ok = withinBudget(rejectBlocked(empty, m, 'emptiness'), 'Empty', m, 'emptiness');
    if (ok.length === 0) return undefined;
    return {
      method: emptiness.method,
      reason: emptiness.reason,
      candidates: ok,
      replacements: [],
      savings: totalPrice(ok),
      explanation: `${ok.length} node(s) ran no pods but DaemonSets for at least consolidateAfter`,
    };
  },
};
