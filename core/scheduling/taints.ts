// Taints and tolerations as the kube-scheduler matches them.

import type { Taint, Toleration } from '../api/k8s.ts';

export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key) {
    if (toleration.key !== taint.key) return false;
  } else if (toleration.operator !== 'Exists') {
    // An empty key with operator Equal matches nothing.
    return false;
  }
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first taint with a scheduling effect (NoSchedule, NoExecute) not tolerated, if any. */
export function untoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  options: { includePreferNoSchedule?: boolean } = {},
): Taint | undefined {
  if (!taints) return undefined;
  for (const t of taints) {
    if (t.effect === 'PreferNoSchedule' && !options.includePreferNoSchedule) continue;
    if (!tolerations || !tolerations.some((tol) => toleratesTaint(tol, t))) return t;
  }
  return undefined;
}

export function toleratesAll(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined): boolean {
  return untoleratedTaint(taints, tolerations) === undefined;
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
