// Status conditions as Karpenter writes them, on NodeClaims and NodePools alike: one
// entry per type, and lastTransitionTime kept while the status stays the same, so a
// rewrite of an unchanged condition does not look like a transition.

import type { StatusCondition } from '../../../core/api/karpenter.ts';

export function setCondition(
  conditions: readonly StatusCondition[] | undefined,
  type: string,
  status: StatusCondition['status'],
  reason: string,
  message: string,
  nowIso: string,
  observedGeneration?: number,
): StatusCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: StatusCondition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowIso,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
