// NodeResourcesBalancedAllocation: prefers the node whose CPU and memory would be used in
// the most equal shares after placing the pod: (1 - the standard deviation of the used
// fractions) * 100, each fraction capped at 1, over the actual requests (not the non-zero
// defaults). A pod that requests neither CPU nor memory is not scored.

import type { Pod } from '../../../../core/api/k8s.ts';
import { podRequests } from './resources.ts';
import { MAX_NODE_SCORE, type NodeInfo, type ScorePlugin } from './types.ts';

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(pod: Pod, _cluster, feasible: readonly NodeInfo[]): number[] | undefined {
    const r = podRequests(pod);
    if (!(r['cpu'] ?? 0) && !(r['memory'] ?? 0)) return undefined;
    return feasible.map((n) => {
      const fractions: number[] = [];
      for (const k of ['cpu', 'memory']) {
        const capacity = n.allocatable[k] ?? 0;
        if (capacity === 0) continue;
        fractions.push(Math.min(1, ((n.requested[k] ?? 0) + (r[k] ?? 0)) / capacity));
      }
      let std = 0;
      if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
      return Math.trunc((1 - std) * MAX_NODE_SCORE);
    });
  },
};
