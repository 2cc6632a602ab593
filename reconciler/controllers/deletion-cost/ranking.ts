// Which nodes a ReplicaSet scaling in should empty first, as Karpenter's pod deletion cost
// controller ranks them (PodDeletionCostManagement): three tiers,
//   1. nodes already leaving (deleting, marked for disruption, or drifted),
//   2. the other nodes, in the order consolidation tries them,
//   3. nodes that cannot be disrupted (karpenter.sh/do-not-disrupt on the node, its claim or
//      one of its pods): not ranked, their managed costs are removed;
// ranks run from -(number of nodes) upwards, so the first node's pods are deleted first.
// Karpenter orders tiers 1 and 2 by pod count; joinery orders them by core's disruption
// cost (the order its consolidation tries candidates: few, cheap pods, and nodes near
// expiry first), which is pod count for default pods, so that the node the ReplicaSet
// empties is the one consolidation would have chosen.

import type { Pod } from '../../../core/api/k8s.ts';
import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import { durationOr } from '../../../core/disruption/duration.ts';
import { doNotDisruptUntil, hasDoNotDisrupt, type StateNode } from '../../views/cluster-state.ts';
import { findDrift, type IntentIndex } from '../../views/drift.ts';
import { reschedulablePods } from '../disruption/candidates.ts';

/** Karpenter's bound: at most this many nodes' pods carry a managed cost at a time. */
export const MAX_RANKED_NODES = 50;

export interface NodeRank {
  /** The Node's name (pods name it in spec.nodeName). */
  readonly node: string;
  readonly rank: number;
  readonly tier: 'leaving' | 'normal';
}

export interface Ranking {
  /** In rank order, lowest (emptied first) first; at most MAX_RANKED_NODES. */
  readonly ranked: readonly NodeRank[];
  /** Nodes whose pods must not carry a managed cost: cannot be disrupted, or past the bound. */
  readonly unranked: readonly { readonly node: string; readonly why: 'do-not-disrupt' | 'beyond-bound' }[];
}

function blocked(n: StateNode, pods: readonly Pod[], nowMs: number): boolean {
  if (hasDoNotDisrupt(n.node?.metadata) || hasDoNotDisrupt(n.claim.metadata)) return true;
  return pods.some((p) => doNotDisruptUntil(p, nowMs) !== undefined);
}

/** Ranks the registered nodes of the intent's NodePools (`idx`); other nodes are left alone. */
export function rankNodes(nodes: readonly StateNode[], idx: IntentIndex, nowMs: number, maxRanked = MAX_RANKED_NODES): Ranking {
  type Entry = { name: string; node: string; pods: readonly Pod[]; createdAtMs: number; expireAfterMs: number };
  const leaving: Entry[] = [];
  const normal: Entry[] = [];
  const protectedNodes: string[] = [];
  let total = 0;
  for (const n of nodes) {
    if (!n.node?.metadata.name || !idx.pools.has(n.nodePool)) continue;
    total += 1;
    const pods = reschedulablePods(n.pods);
    if (blocked(n, pods, nowMs)) {
      protectedNodes.push(n.node.metadata.name);
      continue;
    }
    const e: Entry = { name: n.node.metadata.name, node: n.node.metadata.name, pods, createdAtMs: n.createdAtMs, expireAfterMs: durationOr(n.claim.spec.expireAfter, Infinity) };
    if (n.deleting || n.disruption || findDrift(n, idx)) leaving.push(e);
    else normal.push(e);
  }
  const ordered = [
    ...orderByDisruptionCost(leaving, nowMs).map((e) => ({ node: e.node, tier: 'leaving' as const })),
    ...orderByDisruptionCost(normal, nowMs).map((e) => ({ node: e.node, tier: 'normal' as const })),
  ];
  const ranked = ordered.slice(0, maxRanked).map((e, i) => ({ ...e, rank: -total + i }));
  const unranked = [
    ...ordered.slice(maxRanked).map((e) => ({ node: e.node, why: 'beyond-bound' as const })),
    ...protectedNodes.sort().map((node) => ({ node, why: 'do-not-disrupt' as const })),
  ];
  return { ranked, unranked };
}
