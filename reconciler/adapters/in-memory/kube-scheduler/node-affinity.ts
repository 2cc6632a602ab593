// NodeAffinity: the pod's nodeSelector and its required node affinity (any one of the
// nodeSelectorTerms) must hold on the node (Filter); the weights of the preferred terms
// the node matches add up (Score, DefaultNormalizeScore).

import type { Pod } from '../../../../core/api/k8s.ts';
import { nodeSelectorTermMatches } from './labels.ts';
import { defaultNormalizeScore, type FilterPlugin, type NodeFilter, type NodeInfo, type ScorePlugin } from './types.ts';

export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** The pod's nodeSelector and required node affinity hold on a node with this name and these labels. */
export function requiredNodeAffinityHolds(pod: Pod, nodeName: string, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => nodeSelectorTermMatches(term, nodeName, labels));
}

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  prepareFilter(pod: Pod): NodeFilter {
    return (node) => (requiredNodeAffinityHolds(pod, node.name, node.labels) ? undefined : [ERR_NODE_AFFINITY]);
  },
  score(pod: Pod, _cluster, feasible: readonly NodeInfo[]): number[] | undefined {
    const preferred = pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.length === 0) return undefined;
    const raw = feasible.map((n) => preferred.reduce((sum, p) => sum + (p.weight !== 0 && nodeSelectorTermMatches(p.preference, n.name, n.labels) ? p.weight : 0), 0));
    return defaultNormalizeScore(raw, false);
  },
};
