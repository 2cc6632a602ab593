// PodTopologySpread, as kube-scheduler evaluates spec.topologySpreadConstraints.
//
// A constraint's selector is its labelSelector plus, for each of its matchLabelKeys the
// pod carries, "key In (the pod's value)". Pods count for it when they are in the pod's
// namespace, match the selector and are not terminating. Nodes count when they carry
// every constraint's topologyKey and pass the constraint's inclusion policies:
// nodeAffinityPolicy Honor (the default: only nodes the pod's nodeSelector and required
// node affinity allow) and nodeTaintsPolicy Ignore (the default; Honor: only nodes whose
// NoSchedule/NoExecute taints the pod tolerates).
//
// Filter (whenUnsatisfiable DoNotSchedule): on a node in domain d, skew = the matching
// pods in d + 1 if the pod itself matches - the minimum over the eligible domains (0 when
// fewer than minDomains domains exist); the node is rejected when skew > maxSkew, and
// when it lacks the topologyKey.
//
// Score (ScheduleAnyway): per node, the sum over the constraints of
// count(domain) * log(number of domains + 2) + (maxSkew - 1), rounded; then normalised so
// the node with the fewest matching pods scores 100 (100 * (max + min - s) / max). Nodes
// lacking a topologyKey score 0. The cluster-level default constraints (which apply to
// pods owned by a Service, ReplicaSet or StatefulSet selector) are not modelled: the
// simulator has no Services.

import type { LabelSelector, Pod, TopologySpreadConstraint } from '../../../../core/api/k8s.ts';
import { labelSelectorMatches, namespaceOf } from './labels.ts';
import { requiredNodeAffinityHolds } from './node-affinity.ts';
import { untoleratedTaint } from './taint-toleration.ts';
import { MAX_NODE_SCORE, type Cluster, type FilterPlugin, type NodeFilter, type NodeInfo, type ScorePlugin } from './types.ts';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_MISSING_LABEL = `${ERR_SPREAD} (missing required label)`;
const HOSTNAME = 'kubernetes.io/hostname';

interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  /** undefined: the constraint has no labelSelector and selects no pod. */
  readonly selector: LabelSelector | undefined;
  readonly honourAffinity: boolean;
  readonly honourTaints: boolean;
}

function constraintsOf(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  return (pod.spec.topologySpreadConstraints ?? [])
    .filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === action)
    .map((c: TopologySpreadConstraint) => {
      const selector: LabelSelector | undefined = c.labelSelector
        ? { matchLabels: c.labelSelector.matchLabels, matchExpressions: [...(c.labelSelector.matchExpressions ?? [])] }
        : undefined;
      const extra = (c.matchLabelKeys ?? []).filter((k) => pod.metadata.labels?.[k] !== undefined).map((k) => ({ key: k, operator: 'In', values: [pod.metadata.labels![k]!] }));
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        minDomains: c.minDomains ?? 1,
        selector: selector ? { ...selector, matchExpressions: [...selector.matchExpressions!, ...extra] } : undefined,
        honourAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
        honourTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
      };
    });
}

function hasAllKeys(node: NodeInfo, constraints: readonly Constraint[]): boolean {
  return constraints.every((c) => node.labels[c.topologyKey] !== undefined);
}

function included(pod: Pod, c: Constraint, node: NodeInfo): boolean {
  if (c.honourAffinity && !requiredNodeAffinityHolds(pod, node.name, node.labels)) return false;
  if (c.honourTaints && untoleratedTaint(node.taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

/** Pods on the node in the namespace that match the selector, terminating ones left out. */
export function countMatching(node: NodeInfo, selector: LabelSelector | undefined, namespace: string): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.metadata.deletionTimestamp || namespaceOf(p) !== namespace) continue;
    if (labelSelectorMatches(selector, p.metadata.labels)) n += 1;
  }
  return n;
}

export const podTopologySpread: FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  prepareFilter(pod: Pod, cluster: Cluster): NodeFilter {
    const constraints = constraintsOf(pod, 'DoNotSchedule');
    if (constraints.length === 0) return () => undefined;
    const ns = namespaceOf(pod);
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of cluster.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!included(pod, c, node)) return;
        const value = node.labels[c.topologyKey]!;
        counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + countMatching(node, c.selector, ns));
      });
    }
    const minimum = constraints.map((c, i) => {
      const values = [...counts[i]!.values()];
      return values.length < c.minDomains ? 0 : Math.min(...values);
    });
    const self = constraints.map((c) => (labelSelectorMatches(c.selector, pod.metadata.labels) ? 1 : 0));
    return (node) => {
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const value = node.labels[c.topologyKey];
        if (value === undefined) return [ERR_SPREAD_MISSING_LABEL];
        const skew = (counts[i]!.get(value) ?? 0) + self[i]! - minimum[i]!;
        if (skew > c.maxSkew) return [ERR_SPREAD];
      }
      return undefined;
    };
  },
  score(pod: Pod, cluster: Cluster, feasible: readonly NodeInfo[]): number[] | undefined {
    const constraints = constraintsOf(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return undefined;
    const ns = namespaceOf(pod);
    const ignored = new Set<NodeInfo>();
    const pairCounts = constraints.map(() => new Map<string, number>());
    for (const node of feasible) {
      if (!hasAllKeys(node, constraints)) {
        ignored.add(node);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey !== HOSTNAME) pairCounts[i]!.set(node.labels[c.topologyKey]!, 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - ignored.size : pairCounts[i]!.size) + 2));
    for (const node of cluster.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      constraints.forEach((c, i) => {
        if (c.topologyKey === HOSTNAME || !included(pod, c, node)) return;
        const value = node.labels[c.topologyKey]!;
        const current = pairCounts[i]!.get(value);
        if (current === undefined) return;
        pairCounts[i]!.set(value, current + countMatching(node, c.selector, ns));
      });
    }
    const raw = feasible.map((node) => {
      if (ignored.has(node)) return 0;
      let s = 0;
      constraints.forEach((c, i) => {
        const value = node.labels[c.topologyKey];
        if (value === undefined) return;
        const count = c.topologyKey === HOSTNAME ? countMatching(node, c.selector, ns) : (pairCounts[i]!.get(value) ?? 0);
        s += count * weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(s);
    });
    let min = Infinity;
    let max = 0;
    feasible.forEach((node, i) => {
      if (ignored.has(node)) return;
      min = Math.min(min, raw[i]!);
      max = Math.max(max, raw[i]!);
    });
    return feasible.map((node, i) => {
      if (ignored.has(node)) return 0;
      if (max === 0) return MAX_NODE_SCORE;
      return Math.trunc((MAX_NODE_SCORE * (max + min - raw[i]!)) / max);
    });
  },
};
