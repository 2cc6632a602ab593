// InterPodAffinity, as kube-scheduler evaluates pod affinity and anti-affinity.
//
// A term selects the pods in its namespaces (spec.namespaces, plus every namespace its
// namespaceSelector matches; the pod's own namespace when it sets neither) whose labels
// match its labelSelector (nil selects none), narrowed by matchLabelKeys (key In the
// owner's value) and mismatchLabelKeys (key NotIn the owner's value). A topology pair is
// (topologyKey, the node's value for it); a node without the key is in no domain.
//
// Filter, in kube-scheduler's order:
//  1. the pod's required affinity: the node carries every term's key, and for each term
//     some pod matching all the terms runs in the node's domain; or, when no pod anywhere
//     matches them and the pod matches all its own terms, any node with the keys (the
//     first pod of a group with affinity to itself);
//  2. the pod's required anti-affinity: no pod matching a term in the node's domain;
//  3. existing pods' required anti-affinity (symmetry): no pod in the node's domain whose
//     term matches the incoming pod.
// Score: the incoming pod's preferred terms (+weight for affinity, -weight for
// anti-affinity) over the pods they match, the existing pods' preferred terms that match
// the incoming pod likewise, and the existing pods' required affinity terms that match it
// with the hard pod affinity weight (1); summed per topology pair, then min-max
// normalised to [0, 100].

import type { Pod, PodAffinityTerm } from '../../../../core/api/k8s.ts';
import { labelSelectorMatches, namespaceLabels, namespaceOf } from './labels.ts';
import { MAX_NODE_SCORE, type Cluster, type FilterPlugin, type NodeFilter, type NodeInfo, type ScorePlugin } from './types.ts';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const HARD_POD_AFFINITY_WEIGHT = 1;

export interface Term {
  readonly topologyKey: string;
  readonly matches: (pod: Pod) => boolean;
}

/** An affinity term of `owner`, ready to match other pods. */
export function compileTerm(owner: Pod, term: PodAffinityTerm): Term {
  const ownNs = namespaceOf(owner);
  const namespaces = new Set(term.namespaces ?? []);
  const nsSelector = term.namespaceSelector;
  if (namespaces.size === 0 && !nsSelector) namespaces.add(ownNs);
  const expressions = [...(term.labelSelector?.matchExpressions ?? [])];
  for (const k of term.matchLabelKeys ?? []) {
    const v = owner.metadata.labels?.[k];
    if (v !== undefined) expressions.push({ key: k, operator: 'In', values: [v] });
  }
  for (const k of term.mismatchLabelKeys ?? []) {
    const v = owner.metadata.labels?.[k];
    if (v !== undefined) expressions.push({ key: k, operator: 'NotIn', values: [v] });
  }
  const selector = term.labelSelector ? { matchLabels: term.labelSelector.matchLabels, matchExpressions: expressions } : undefined;
  return {
    topologyKey: term.topologyKey,
    matches: (pod) => {
      const ns = namespaceOf(pod);
      if (!namespaces.has(ns) && !(nsSelector && labelSelectorMatches(nsSelector, namespaceLabels(ns)))) return false;
      return labelSelectorMatches(selector, pod.metadata.labels);
    },
  };
}

function requiredAffinity(pod: Pod): Term[] {
  return (pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t));
}
function requiredAntiAffinity(pod: Pod): Term[] {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t));
}

const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

function bump(counts: Map<string, number>, node: NodeInfo, key: string, by: number): void {
  const value = node.labels[key];
  if (value === undefined) return;
  const k = pairKey(key, value);
  counts.set(k, (counts.get(k) ?? 0) + by);
}

// Compiled required anti-affinity terms of existing pods, per pod object (pods are replaced, never mutated).
const antiCache = new WeakMap<Pod, Term[]>();
function cachedAntiAffinity(pod: Pod): Term[] {
  let t = antiCache.get(pod);
  if (!t) antiCache.set(pod, (t = requiredAntiAffinity(pod)));
  return t;
}

export const interPodAffinity: FilterPlugin & ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  prepareFilter(pod: Pod, cluster: Cluster): NodeFilter {
    const affinity = requiredAffinity(pod);
    const anti = requiredAntiAffinity(pod);
    const existingAnti = new Map<string, number>();
    const affinityCounts = new Map<string, number>();
    const antiCounts = new Map<string, number>();
    // Only pods with affinity terms can reject the pod by their anti-affinity; every pod
    // counts for the pod's own terms (kube-scheduler walks the same two lists).
    const walk = affinity.length > 0 || anti.length > 0 ? (n: NodeInfo) => n.pods : (n: NodeInfo) => n.podsWithAffinity;
    for (const node of cluster.nodes) {
      for (const other of walk(node)) {
        if (other.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) {
          for (const t of cachedAntiAffinity(other)) if (t.matches(pod)) bump(existingAnti, node, t.topologyKey, 1);
        }
        if (affinity.length > 0 && affinity.every((t) => t.matches(other))) for (const t of affinity) bump(affinityCounts, node, t.topologyKey, 1);
        for (const t of anti) if (t.matches(other)) bump(antiCounts, node, t.topologyKey, 1);
      }
    }
    const firstOfGroup = affinityCounts.size === 0 && affinity.every((t) => t.matches(pod));
    return (node) => {
      if (affinity.length > 0) {
        let podsExist = true;
        for (const t of affinity) {
          const value = node.labels[t.topologyKey];
          if (value === undefined) return [ERR_AFFINITY];
          if (!((affinityCounts.get(pairKey(t.topologyKey, value)) ?? 0) > 0)) podsExist = false;
        }
        if (!podsExist && !firstOfGroup) return [ERR_AFFINITY];
      }
      for (const t of anti) {
        const value = node.labels[t.topologyKey];
        if (value !== undefined && (antiCounts.get(pairKey(t.topologyKey, value)) ?? 0) > 0) return [ERR_ANTI_AFFINITY];
      }
      if (existingAnti.size > 0) {
        for (const [k, v] of Object.entries(node.labels)) if ((existingAnti.get(pairKey(k, v)) ?? 0) > 0) return [ERR_EXISTING_ANTI_AFFINITY];
      }
      return undefined;
    };
  },
  score(pod: Pod, cluster: Cluster, feasible: readonly NodeInfo[]): number[] | undefined {
    const podAff = pod.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const podAnti = pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const preferred = [
      ...podAff.map((w) => ({ term: compileTerm(pod, w.podAffinityTerm), weight: w.weight })),
      ...podAnti.map((w) => ({ term: compileTerm(pod, w.podAffinityTerm), weight: -w.weight })),
    ];
    const withAffinity = (p: Pod) => Boolean(p.spec.affinity?.podAffinity || p.spec.affinity?.podAntiAffinity);
    if (preferred.length === 0 && !cluster.nodes.some((n) => n.podsWithAffinity.length > 0)) return undefined;
    const scores = new Map<string, number>();
    for (const node of cluster.nodes) {
      if (Object.keys(node.labels).length === 0) continue;
      for (const other of preferred.length > 0 ? node.pods : node.podsWithAffinity) {
        for (const { term, weight } of preferred) if (term.matches(other)) bump(scores, node, term.topologyKey, weight);
        if (!withAffinity(other)) continue;
        for (const t of requiredAffinity(other)) if (t.matches(pod)) bump(scores, node, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
        for (const w of other.spec.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          const t = compileTerm(other, w.podAffinityTerm);
          if (t.matches(pod)) bump(scores, node, t.topologyKey, w.weight);
        }
        for (const w of other.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          const t = compileTerm(other, w.podAffinityTerm);
          if (t.matches(pod)) bump(scores, node, t.topologyKey, -w.weight);
        }
      }
    }
    const raw = feasible.map((node) => {
      let s = 0;
      for (const [k, v] of Object.entries(node.labels)) s += scores.get(pairKey(k, v)) ?? 0;
      return s;
    });
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    return raw.map((s) => (max - min > 0 ? Math.trunc((MAX_NODE_SCORE * (s - min)) / (max - min)) : 0));
  },
};
