// The cost lower bound of a workload against NodePools (BENCHMARKS.md section 2): the LP
// relaxation over every type any pool offers, each type counted with what it gives to
// pods (allocatable minus the DaemonSets that would run on it) at its cheapest offering.
// Constrained: cpu, memory, pod slots, and every extended resource the pods request.

import {
  costLowerBound,
  daemonSetLands,
  parseDaemonSets,
  podRequests,
  Requirements,
  type BoundInstanceType,
  type CostLowerBound,
  type DaemonSet,
  type Pod,
  type ResourceList,
  type SchedulingNodePool,
} from '../../core/index.ts';

export function podDemand(pods: readonly Pod[]): ResourceList {
  const total: ResourceList = {};
  for (const p of pods) for (const [k, v] of Object.entries(podRequests(p))) total[k] = (total[k] ?? 0) + v;
  return total;
}

export function boundTypes(pools: readonly SchedulingNodePool[], daemonSets: readonly DaemonSet[]): BoundInstanceType[] {
  const ds = parseDaemonSets(daemonSets);
  const byName = new Map<string, BoundInstanceType>();
  for (const pool of pools) {
    const poolReqs = Requirements.of(pool.requirements).intersect(Requirements.fromLabels(pool.labels));
    for (const t of pool.instanceTypes) {
      const prices = t.offerings.filter((o) => o.available).map((o) => o.price);
      if (prices.length === 0) continue;
      const nodeReqs = poolReqs.intersect(Requirements.fromLabels(t.labels));
      const capacity: ResourceList = { ...t.allocatable };
      for (const d of ds) {
        if (!daemonSetLands(d, nodeReqs, pool.taints)) continue;
        for (const [k, v] of Object.entries(d.requests)) capacity[k] = (capacity[k] ?? 0) - v;
      }
      const candidate = { name: t.name, price: Math.min(...prices), capacity };
      const prev = byName.get(t.name);
      // The same type in two pools: keep the more generous view (the bound stays a bound).
      if (!prev || candidate.price < prev.price || (candidate.capacity.cpu ?? 0) > (prev.capacity.cpu ?? 0)) byName.set(t.name, candidate);
    }
  }
  return [...byName.values()];
}

export function workloadBound(pods: readonly Pod[], pools: readonly SchedulingNodePool[], daemonSets: readonly DaemonSet[]): CostLowerBound {
  return costLowerBound(podDemand(pods), boundTypes(pools, daemonSets));
}
