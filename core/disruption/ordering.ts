// Candidate ordering for voluntary disruption, as Karpenter computes it: a node's
// disruption cost is the cost of rescheduling its pods (priority and pod-deletion-cost
// make a pod dearer or cheaper to move) scaled by the fraction of its lifetime left, so
// nodes near expiry and nodes with few, cheap pods are tried first.

import type { Pod } from '../api/k8s.ts';
import { ANNOTATION_MANAGED_DELETION_COST, ANNOTATION_POD_DELETION_COST } from '../contract/annotations.ts';

function clamp(lo: number, v: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * One pod's eviction cost in [-10, 10]; 1 for a default pod. A pod-deletion-cost the
 * reconciler wrote itself (PodDeletionCostManagement) is a node ranking, not the user's
 * word about the pod, and is ignored, as Karpenter's EvictionCost ignores managed values.
 */
export function podEvictionCost(pod: Pod): number {
  let cost = 1;
  const annotations = pod.metadata.annotations;
  const deletionCost = annotations?.[ANNOTATION_MANAGED_DELETION_COST] === undefined ? annotations?.[ANNOTATION_POD_DELETION_COST] : undefined;
  if (deletionCost !== undefined) {
    const n = Number(deletionCost);
    // The annotation spans ±2^31; scaled so its extremes weigh about ±16 pods.
    if (Number.isFinite(n)) cost += n / 2 ** 27;
  }
  // Priority spans about -2^31..1e9; the highest weighs about 30 default pods before clamping.
  if (pod.spec.priority !== undefined) cost += pod.spec.priority / 2 ** 25;
  return clamp(-10, cost, 10);
}

function reschedulingCost(pods: readonly Pod[]): number {
  let sum = 0;
  for (const p of pods) sum += podEvictionCost(p);
  return sum;
}

/** Fraction of the node's expireAfter still ahead of it, in [0, 1]; 1 when it never expires. */
function lifetimeRemaining(createdAtMs: number, expireAfterMs: number, nowMs: number): number {
  if (!Number.isFinite(expireAfterMs) || expireAfterMs <= 0) return 1;
  return clamp(0, (expireAfterMs - (nowMs - createdAtMs)) / expireAfterMs, 1);
}

export interface DisruptionCostInput {
  readonly pods: readonly Pod[];
  readonly createdAtMs: number;
  readonly expireAfterMs: number;
}

function disruptionCost(c: DisruptionCostInput, nowMs: number): number {
  return reschedulingCost(c.pods) * lifetimeRemaining(c.createdAtMs, c.expireAfterMs, nowMs);
}

/** Sorts candidates cheapest to disrupt first; ties broken by `name` for determinism. */
export function orderByDisruptionCost<T extends DisruptionCostInput & { readonly name: string }>(
  candidates: readonly T[],
  nowMs: number,
): T[] {
  return candidates
    .map((c) => ({ c, cost: disruptionCost(c, nowMs) }))
    .sort((a, b) => a.cost - b.cost || (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0))
    .map((x) => x.c);
}
