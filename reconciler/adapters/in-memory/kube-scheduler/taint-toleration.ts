// TaintToleration: a node's NoSchedule and NoExecute taints must each be tolerated (Filter);
// PreferNoSchedule taints the pod does not tolerate count against the node (Score, reversed
// DefaultNormalizeScore: the node with the most such taints scores 0).

import type { Pod, Taint, Toleration } from '../../../../core/api/k8s.ts';
import { defaultNormalizeScore, type FilterPlugin, type NodeFilter, type NodeInfo, type ScorePlugin } from './types.ts';

/**
 * v1.Toleration.ToleratesTaint: the effect matches (or the toleration names none), the key
 * matches (an empty key with Exists tolerates every taint), and Exists, or Equal (the
 * default) with the same value.
 */
export function tolerates(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  if (t.operator && t.operator !== 'Equal') return false;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The first taint with one of the effects that no toleration tolerates. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !(tolerations ?? []).some((t) => tolerates(t, taint)));
}

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  prepareFilter(pod: Pod): NodeFilter {
    return (node) => {
      const taint = untoleratedTaint(node.taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute']);
      return taint ? [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`] : undefined;
    };
  },
  score(pod: Pod, _cluster, feasible: readonly NodeInfo[]): number[] {
    const prefer = (pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    const raw = feasible.map((n) => n.taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !prefer.some((t) => tolerates(t, taint))).length);
    return defaultNormalizeScore(raw, true);
  },
};
