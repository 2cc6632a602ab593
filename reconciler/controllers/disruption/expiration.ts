// Expiration: nodes older than their NodeClaim's expireAfter are replaced, and nodes in a
// capacity block 40 minutes before the block ends (Karpenter's capacity block expiration:
// EC2 reclaims them from 30 minutes before the end; views/reservations.ts). Forceful: not
// limited by budgets, do-not-disrupt or PDBs at this stage (the drain still honours PDBs
// until the node's terminationGracePeriod runs out), and not re-checked after the
// stabilisation delay.

import { totalPrice } from './candidates.ts';
import type { Method } from './method.ts';

export const expiration: Method = {
  method: 'expiration',
  reason: 'Expired',
  class: 'forceful',
  shouldDisrupt: (c, m) => m.now - c.createdAtMs >= c.expireAfterMs || blockEnding(c, m.now),
  computeCommand(cands, m) {
    const expired = cands.filter((c) => expiration.shouldDisrupt(c, m));
    if (expired.length === 0) return undefined;
    const sim = m.simulate(expired);
    const newPrice = sim.newNodes.reduce((s, n) => s + n.price, 0);
    const blocks = expired.filter((c) => blockEnding(c, m.now));
    const aged = expired.filter((c) => !blockEnding(c, m.now));
    const oldest = Math.max(...aged.map((c) => m.now - c.createdAtMs));
    const why = [
      ...(aged.length > 0 ? [`${aged.length} node(s) past expireAfter (oldest ${(oldest / 3_600_000).toFixed(1)}h)`] : []),
      ...(blocks.length > 0 ? [`${blocks.length} node(s) in a capacity block ending at ${new Date(Math.min(...blocks.map((c) => c.reservationEndMs ?? Infinity))).toISOString()} (expired 40 min before its end, as EC2 reclaims them from 30 min before)`] : []),
    ].join('; ');
    return {
      method: expiration.method,
      reason: expiration.reason,
      candidates: expired,
      replacements: sim.newNodes,
      savings: totalPrice(expired) - newPrice,
      explanation: `${why}${sim.unschedulable.length > 0 ? `; ${sim.unschedulable.length} pod(s) have no replacement and wait pending` : ''}`,
    };
  },
};

/** The node runs in a capacity block within its reclaim window. */
function blockEnding(c: { readonly reservationExpireAtMs?: number }, now: number): boolean {
  return c.reservationExpireAtMs !== undefined && now >= c.reservationExpireAtMs;
}
