// Cost lower bounds of a workload against NodePools (the simulator's summary,
// `npm run bench:packing`, bench:scheduling, bench:days).
//
// catalog bound: the LP relaxation over every type the pools offer,
//   each type counted with what it gives to pods (allocatable minus the DaemonSets that
//   would run on it) at its cheapest offering; constrained: cpu, memory, pod slots and
//   every extended resource the pods request.
// pool-aware bound: the same LP where each pod may only use the types of the NodePools it
//   tolerates and selects (groupedCostLowerBound). Still a lower bound on any feasible
//   fleet, and tighter when pools are tainted or pods select architectures.

import type { DaemonSet, Pod } from '../api/k8s.ts';
import { INSTANCE_TYPE_LABEL_KEYS } from '../contract/labels.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { costLowerBound, groupedCostLowerBound, type BoundInstanceType, type CostLowerBound } from './lower-bound.ts';
import type { SchedulingNodePool } from './nodepool.ts';
import { Requirements } from './requirements.ts';
import { untoleratedTaint } from './taints.ts';
import { daemonSetLands, parseDaemonSets } from './templates.ts';

function podDemand(pods: readonly Pod[]): ResourceList {
  const total: ResourceList = {};
  for (const p of pods) for (const [k, v] of Object.entries(podRequests(p))) total[k] = (total[k] ?? 0) + v;
  return total;
}

/** One entry per (pool, type): what a node of that pool and type gives to pods. */
function poolTypes(pools: readonly SchedulingNodePool[], daemonSets: readonly DaemonSet[]): { pool: number; type: BoundInstanceType; labels: Record<string, string> }[] {
  const ds = parseDaemonSets(daemonSets);
  const out: { pool: number; type: BoundInstanceType; labels: Record<string, string> }[] = [];
  pools.forEach((pool, p) => {
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
      out.push({ pool: p, type: { name: t.name, price: Math.min(...prices), capacity }, labels: t.labels });
    }
  });
  return out;
}

/** The catalog bound: total demand over every type of the given pools. */
export function workloadBound(pods: readonly Pod[], pools: readonly SchedulingNodePool[], daemonSets: readonly DaemonSet[]): CostLowerBound {
  return costLowerBound(podDemand(pods), poolTypes(pools, daemonSets).map((e) => e.type));
}

/** The bound with each pod restricted to the types of the pools it may use. */
export function poolAwareBound(pods: readonly Pod[], pools: readonly SchedulingNodePool[], daemonSets: readonly DaemonSet[]): CostLowerBound {
  const entries = poolTypes(pools, daemonSets);
  const poolReqs = pools.map((p) => Requirements.of(p.requirements).intersect(Requirements.fromLabels(p.labels)));
  const groups = new Map<string, { demand: ResourceList; types: Set<number> }>();
  // Pods of one workload share their shape: what they may use is worked out once per shape.
  const byShape = new Map<string, { usable: number[]; pools: number[] }>();
  for (const pod of pods) {
    const req = podRequests(pod);
    const shape = JSON.stringify([req, pod.spec.nodeSelector ?? null, pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null, pod.spec.tolerations ?? null]);
    let fit = byShape.get(shape);
    if (!fit) byShape.set(shape, (fit = usableBy(pod, req, entries, pools, poolReqs)));
    const { usable, pools: pools_ } = fit;
    // Group by the pools a pod may use (few groups); a group may use the union of its pods' types.
    const key = pools_.join(',');
    const g = groups.get(key) ?? { demand: {}, types: new Set<number>() };
    for (const i of usable) g.types.add(i);
    for (const [k, v] of Object.entries(req)) g.demand[k] = (g.demand[k] ?? 0) + v;
    groups.set(key, g);
  }
  return groupedCostLowerBound(
    [...groups.values()].map((g) => ({ demand: g.demand, types: [...g.types] })),
    entries.map((e) => e.type),
  );
}

/** The (pool, type) entries a pod may use, and their pools. */
function usableBy(
  pod: Pod,
  req: ResourceList,
  entries: readonly { pool: number; type: BoundInstanceType; labels: Record<string, string> }[],
  pools: readonly SchedulingNodePool[],
  poolReqs: readonly Requirements[],
): { usable: number[]; pools: number[] } {
  const selector = Requirements.fromLabels(pod.spec.nodeSelector);
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const alternatives = terms.length ? terms.map((t) => selector.intersect(Requirements.of(t.matchExpressions ?? []))) : [selector];
  const usable: number[] = [];
  const pools_: number[] = [];
  entries.forEach((e, i) => {
    const pool = pools[e.pool]!;
    if (untoleratedTaint(pool.taints, pod.spec.tolerations)) return;
    const typeOk = alternatives.some(
      (r) => poolReqs[e.pool]!.compatible(r) && [...r.entries()].every(([k, s]) => !INSTANCE_TYPE_LABEL_KEYS.has(k) || s.allows(e.labels[k])),
    );
    if (!typeOk || !Object.entries(req).every(([k, v]) => v <= (e.type.capacity[k] ?? 0))) return;
    usable.push(i);
    if (!pools_.includes(e.pool)) pools_.push(e.pool);
  });
  return { usable, pools: pools_ };
}
