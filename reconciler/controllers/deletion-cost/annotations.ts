// What to write on one pod, as Karpenter's pod deletion cost controller decides it:
// - a pod-deletion-cost without the karpenter.sh/managed-deletion-cost marker is the user's
//   (or another controller's): never touched;
// - a marked pod whose cost differs from what this reconciler last wrote was changed by a
//   third party: the marker is removed (management released; from then on the cost is theirs);
// - otherwise the node's rank is written with the marker, or, where the pod's node is not
//   ranked (cannot be disrupted, beyond the bound), a managed cost is removed.
// Only pods a ReplicaSet owns are managed: the ReplicaSet controller is the one reader of
// the annotation, so writing it on other pods would be API traffic for nothing.

import type { Pod } from '../../../core/api/k8s.ts';
import { ANNOTATION_MANAGED_DELETION_COST, ANNOTATION_POD_DELETION_COST } from '../../../core/contract/index.ts';

export type PodAction =
  | { readonly kind: 'none'; readonly why: 'not-replicaset' | 'user-managed' | 'current' }
  | { readonly kind: 'write'; readonly value: string; readonly annotations: Readonly<Record<string, string | null>> }
  | { readonly kind: 'clear'; readonly annotations: Readonly<Record<string, string | null>> }
  | { readonly kind: 'release'; readonly annotations: Readonly<Record<string, string | null>>; readonly found: string; readonly wrote: string };

export function ownedByReplicaSet(pod: Pod): boolean {
  return (pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'ReplicaSet' && o.apiVersion.startsWith('apps/') && o.controller === true);
}

/**
 * The action for `pod` given the rank of its node (undefined: not ranked) and the value this
 * reconciler last wrote on it, if it remembers one (a restarted reconciler does not: it then
 * takes a marked pod's value as its own, as Karpenter does).
 */
export function podAction(pod: Pod, rank: number | undefined, lastWritten: string | undefined): PodAction {
  if (!ownedByReplicaSet(pod)) return { kind: 'none', why: 'not-replicaset' };
  const a = pod.metadata.annotations ?? {};
  const cost = a[ANNOTATION_POD_DELETION_COST];
  const managed = a[ANNOTATION_MANAGED_DELETION_COST] !== undefined;
  if (cost !== undefined && !managed) return { kind: 'none', why: 'user-managed' };
  if (managed && cost !== undefined && lastWritten !== undefined && cost !== lastWritten) {
    return { kind: 'release', annotations: { [ANNOTATION_MANAGED_DELETION_COST]: null }, found: cost, wrote: lastWritten };
  }
  if (rank === undefined) {
    if (!managed) return { kind: 'none', why: 'current' };
    return { kind: 'clear', annotations: { [ANNOTATION_POD_DELETION_COST]: null, [ANNOTATION_MANAGED_DELETION_COST]: null } };
  }
  const value = String(rank);
  if (managed && cost === value) return { kind: 'none', why: 'current' };
  return { kind: 'write', value, annotations: { [ANNOTATION_POD_DELETION_COST]: value, [ANNOTATION_MANAGED_DELETION_COST]: 'true' } };
}
