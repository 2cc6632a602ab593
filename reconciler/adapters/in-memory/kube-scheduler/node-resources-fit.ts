// NodeResourcesFit: the pod's requests must fit in what the node's allocatable leaves
// after the requests of the pods already there, resource by resource, and the node must
// have a pod slot left (Filter). Score, the default LeastAllocated strategy: per resource
// (cpu and memory, weight 1 each) (allocatable - requested) * 100 / allocatable, where
// requested counts the non-zero defaults (100m, 200Mi) for containers that request none,
// averaged by weight.

import type { Pod } from '../../../../core/api/k8s.ts';
import { podRequests } from './resources.ts';
import { MAX_NODE_SCORE, type FilterPlugin, type NodeFilter, type NodeInfo, type ScorePlugin } from './types.ts';

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  prepareFilter(pod: Pod): NodeFilter {
    const request = podRequests(pod);
    const asked = Object.entries(request).filter(([k, v]) => k !== 'pods' && v > 0);
    return (node) => {
      const reasons: string[] = [];
      if (node.pods.length + 1 > (node.allocatable['pods'] ?? 0)) reasons.push('Too many pods');
      for (const [k, v] of asked) {
        if ((node.allocatable[k] ?? 0) < v + (node.requested[k] ?? 0)) reasons.push(`Insufficient ${k}`);
      }
      return reasons.length ? reasons : undefined;
    };
  },
  score(pod: Pod, _cluster, feasible: readonly NodeInfo[]): number[] {
    const r = podRequests(pod, true);
    return feasible.map((n) => {
      let sum = 0;
      let weights = 0;
      for (const [k, used] of [['cpu', n.nonZeroRequested.cpu], ['memory', n.nonZeroRequested.memory]] as const) {
        const capacity = n.allocatable[k] ?? 0;
        if (capacity === 0) continue;
        const requested = used + (r[k] ?? 0);
        sum += requested > capacity ? 0 : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
        weights += 1;
      }
      return weights === 0 ? 0 : Math.trunc(sum / weights);
    });
  },
};
