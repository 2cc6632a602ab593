// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
// the node.kubernetes.io/unschedulable:NoSchedule taint.

import type { Pod } from '../../../../core/api/k8s.ts';
import { tolerates } from './taint-toleration.ts';
import type { FilterPlugin, NodeFilter } from './types.ts';

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  prepareFilter(pod: Pod): NodeFilter {
    const tolerated = (pod.spec.tolerations ?? []).some((t) => tolerates(t, UNSCHEDULABLE_TAINT));
    return (node) => (node.node.spec?.unschedulable && !tolerated ? [ERR_UNSCHEDULABLE] : undefined);
  },
};
