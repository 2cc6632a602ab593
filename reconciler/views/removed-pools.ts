// Which NodePools are going away: gone from the intent in force (removed from git), or
// whose NodePool object is being deleted in the cluster (a GitOps prune held by joinery's
// finalizer, `kubectl delete nodepool`). Their nodes are removed by the disruption
// method `removal` (replacements first, at the removal rate), and nothing new is launched
// in them. Only NodeClaims joinery launched (labelled joinery.dev/policy-commit) count:
// a claim of upstream Karpenter's pools is never joinery's to remove.

import type { ClusterCache } from '../ports/cluster.ts';
import type { StateNode } from './cluster-state.ts';
import type { IntentIndex } from './drift.ts';
import { LABEL_POLICY_COMMIT } from '../../core/contract/index.ts';

/** NodePool objects in the cluster that carry a deletionTimestamp. */
export function deletingNodePools(cache: ClusterCache): ReadonlySet<string> {
  return new Set(cache.list('NodePool').filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name!));
}

/** Why the node's pool is going away (for messages), or undefined when it is not, or the claim is not joinery's. */
export function poolRemoval(node: StateNode, idx: IntentIndex, deleting: ReadonlySet<string>): string | undefined {
  if (!node.claim.metadata.labels?.[LABEL_POLICY_COMMIT]) return undefined;
  if (!idx.pools.has(node.nodePool)) return `NodePool ${node.nodePool} is not in the intent in force (commit ${idx.intent.commit.slice(0, 12)})`;
  if (deleting.has(node.nodePool)) return `NodePool ${node.nodePool} is being deleted`;
  return undefined;
}
