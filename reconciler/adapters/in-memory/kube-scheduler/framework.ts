// The scheduling cycle of kube-scheduler for one pod: PreFilter and Filter with the
// default filter plugins in their default order (each node stops at the first plugin that
// rejects it), then PreScore, Score and NormalizeScore with the default score plugins and
// weights over the feasible nodes, then the node with the highest weighted sum, ties
// broken at random (seeded here). One feasible node is taken without scoring. In clusters
// of 100 nodes or more, as kube-scheduler, filtering stops once enough feasible nodes are
// found (percentageOfNodesToScore, adaptive by default: 50% - nodes/125, at least 5% and
// 100 nodes) and the next pod's search starts where this one stopped.
//
// A pod no node takes gets kube-scheduler's FitError message: "0/N nodes are available: "
// then each reason with the number of nodes it rejected, sorted, joined by ", ".

import type { Node, Pod } from '../../../../core/api/k8s.ts';
import { parseResourceList } from '../../../../core/resources/resource-list.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { nodeAffinity } from './node-affinity.ts';
import { hostPorts, nodePorts } from './node-ports.ts';
import { nodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';
import { podTopologySpread } from './pod-topology-spread.ts';
import { podRequests } from './resources.ts';
import { taintToleration } from './taint-toleration.ts';
import { nodeVolumeLimits } from './node-volume-limits.ts';
import { volumeBinding } from './volume-binding.ts';
import { volumeZone } from './volume-zone.ts';
import type { Cluster, FilterPlugin, NodeInfo, ScorePlugin } from './types.ts';

/** The default filter plugins kube-scheduler runs, in its order (those the simulator has the objects for). */
export const DEFAULT_FILTER_PLUGINS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  nodeVolumeLimits,
  volumeBinding,
  volumeZone,
  podTopologySpread,
  interPodAffinity,
];
/** The default score plugins with their default weights. */
export const DEFAULT_SCORE_PLUGINS: readonly ScorePlugin[] = [taintToleration, nodeAffinity, podTopologySpread, interPodAffinity, nodeResourcesFit, nodeResourcesBalancedAllocation];

export type ScheduleResult = { readonly node: NodeInfo } | { readonly message: string };

/** A NodeInfo for a node and the pods bound to it. */
export function nodeInfo(node: Node, pods: readonly Pod[] = []): NodeInfo {
  const info: NodeInfo = {
    name: node.metadata.name!,
    node,
    labels: node.metadata.labels ?? {},
    taints: node.spec?.taints ?? [],
    allocatable: parseResourceList(node.status?.allocatable),
    pods: [],
    requested: {},
    nonZeroRequested: { cpu: 0, memory: 0 },
    usedPorts: [],
    podsWithAffinity: [],
  };
  for (const p of pods) addPod(info, p);
  return info;
}

/** The scheduler cache's update when a pod is bound (or assumed) to the node. */
export function addPod(info: NodeInfo, pod: Pod): void {
  info.pods.push(pod);
  for (const [k, v] of Object.entries(podRequests(pod))) info.requested[k] = (info.requested[k] ?? 0) + v;
  const nz = podRequests(pod, true);
  info.nonZeroRequested.cpu += nz['cpu'] ?? 0;
  info.nonZeroRequested.memory += nz['memory'] ?? 0;
  info.usedPorts.push(...hostPorts(pod));
  if (pod.spec.affinity?.podAffinity || pod.spec.affinity?.podAntiAffinity) info.podsWithAffinity.push(pod);
}

/** kube-scheduler's default queue sort (PrioritySort): higher priority first, then the earlier queued (created). */
export function queueOrder(a: Pod, b: Pod): number {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pb - pa;
  const ta = a.metadata.creationTimestamp ? new Date(a.metadata.creationTimestamp).getTime() : 0;
  const tb = b.metadata.creationTimestamp ? new Date(b.metadata.creationTimestamp).getTime() : 0;
  if (ta !== tb) return ta - tb;
  const ka = `${a.metadata.namespace ?? 'default'}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? 'default'}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** How many feasible nodes kube-scheduler looks for before it stops filtering (numFeasibleNodesToFind). */
export function feasibleNodesToFind(allNodes: number, percentageOfNodesToScore?: number): number {
  const MIN_FEASIBLE = 100;
  if (allNodes < MIN_FEASIBLE || percentageOfNodesToScore === 100) return allNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) percentage = Math.max(5, 50 - Math.trunc(allNodes / 125));
  const n = Math.trunc((allNodes * percentage) / 100);
  return Math.max(n, MIN_FEASIBLE);
}

export interface FrameworkOptions {
  /** [0, 1) generator for the tie-break among the best-scored nodes. */
  readonly random: () => number;
  readonly filters?: readonly FilterPlugin[];
  readonly scorers?: readonly ScorePlugin[];
  /** 0 or unset: kube-scheduler's adaptive default. */
  readonly percentageOfNodesToScore?: number;
}

export class SchedulingFramework {
  private nextStartNodeIndex = 0;
  private readonly filters: readonly FilterPlugin[];
  private readonly scorers: readonly ScorePlugin[];

  constructor(private readonly options: FrameworkOptions) {
    this.filters = options.filters ?? DEFAULT_FILTER_PLUGINS;
    this.scorers = options.scorers ?? DEFAULT_SCORE_PLUGINS;
  }

  schedule(pod: Pod, cluster: Cluster): ScheduleResult {
    const all = cluster.nodes;
    if (all.length === 0) return { message: 'no nodes available to schedule pods' };
    for (const f of this.filters) {
      const rejected = f.preFilter?.(pod, cluster);
      if (rejected) return { message: `0/${all.length} nodes are available: ${rejected}.` };
    }
    const prepared = this.filters.map((f) => f.prepareFilter(pod, cluster));
    const want = feasibleNodesToFind(all.length, this.options.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const reasons = new Map<string, number>();
    let processed = 0;
    for (let i = 0; i < all.length && feasible.length < want; i++) {
      const node = all[(this.nextStartNodeIndex + i) % all.length]!;
      processed += 1;
      let rejected: readonly string[] | undefined;
      for (const filter of prepared) {
        rejected = filter(node);
        if (rejected) break;
      }
      if (!rejected) feasible.push(node);
      else for (const r of rejected) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % all.length;
    if (feasible.length === 0) {
      const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
      return { message: `0/${all.length} nodes are available: ${parts.join(', ')}.` };
    }
    if (feasible.length === 1) return { node: feasible[0]! };
    const totals = feasible.map(() => 0);
    for (const s of this.scorers) {
      const scores = s.score(pod, cluster, feasible);
      if (!scores) continue;
      scores.forEach((v, i) => (totals[i] = totals[i]! + v * s.weight));
    }
    return { node: feasible[this.selectHost(totals)]! };
  }

  /** The highest total; among equal ones, each is chosen with equal probability (reservoir sampling). */
  private selectHost(totals: readonly number[]): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties += 1;
        if (Math.floor(this.options.random() * ties) === 0) best = i;
      }
    }
    return best;
  }
}
