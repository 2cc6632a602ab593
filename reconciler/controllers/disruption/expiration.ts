// Expiration: nodes older than their NodeClaim's expireAfter are replaced. Forceful: not
// limited by budgets, do-not-disrupt or PDBs at this stage (the drain still honours PDBs
// until the node's terminationGracePeriod runs out), and not re-checked after the
// stabilisation delay.

import { totalPrice } from './candidates.ts';
import type { Method } from './method.ts';

export const expiration: Method = {
  method: 'expiration',
  reason: 'Expired',
  class: 'forceful',
  shouldDisrupt: (c, m) => m.now - c.createdAtMs >= c.expireAfterMs,
  computeCommand(cands, m) {
    const expired = cands.filter((c) => expiration.shouldDisrupt(c, m));
    if (expired.length === 0) return undefined;
    const sim = m.simulate(expired);
    const newPrice = sim.newNodes.reduce((s, n) => s + n.price, 0);
    const oldest = Math.max(...expired.map((c) => m.now - c.createdAtMs));
    return {
      method: expiration.method,
      reason: expiration.reason,
      candidates: expired,
      replacements: sim.newNodes,
      savings: totalPrice(expired) - newPrice,
      explanation: `${expired.length} node(s) past expireAfter (oldest ${(oldest / 3_600_000).toFixed(1)}h)${sim.unschedulable.length > 0 ? `; ${sim.unschedulable.length} pod(s) have no replacement and wait pending` : ''}`,
    };
  },
};
