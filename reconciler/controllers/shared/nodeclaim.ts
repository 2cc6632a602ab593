// The NodeClaim for a node the solver wants: the durable record of a launch, created
// before the instance (the lifecycle controller launches it). It carries everything a
// restarted reconciler needs: requirements (instance-type options, zones, capacity
// types), the pool's taints, expiry and grace period, the drift hashes of the pool and
// class it came from, and the policy commit. Provisioning (for pending pods) and
// disruption (for replacements) both build their claims here, so a replacement is the
// same claim a pending pod would have got.

import type { NodeClaim, NodePool, NodeSelectorRequirementWithMinValues } from '../../../core/api/karpenter.ts';
import { DEFAULT_EXPIRE_AFTER, NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION } from '../../../core/disruption/drift.ts';
import { formatResourceQuantity } from '../../../core/resources/quantity.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import type { IntentIndex } from '../../views/drift.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import {
  ANNOTATION_NODECLASS_HASH,
  ANNOTATION_NODECLASS_HASH_VERSION,
  ANNOTATION_NODEPOOL_HASH,
  ANNOTATION_NODEPOOL_HASH_VERSION,
  ANNOTATION_REPLACES,
  FINALIZER_TERMINATION,
  LABEL_NODEPOOL,
  LABEL_POLICY_COMMIT,
  KARPENTER_API_VERSION,
} from '../../../core/contract/index.ts';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface NodeClaimFor {
  readonly newNode: NewNode;
  readonly pool: NodePool;
  readonly intent: IntentIndex;
  /** Claims this one replaces (disruption), recorded on it. */
  readonly replaces?: readonly string[];
  /**
   * The uid of the pool's NodePool object in the cluster, when there is one: the claim's
   * ownerReference, as Karpenter sets it (deleting the NodePool deletes its NodeClaims).
   */
  readonly poolUid?: string;
}

/** The uid of a NodePool object the cluster holds and is not deleting (the owner of new claims). */
export function nodePoolUid(cache: ClusterCache, name: string): string | undefined {
  const p = cache.get('NodePool', name);
  return p && !p.metadata.deletionTimestamp ? p.metadata.uid : undefined;
}

export function nodeClaimFor({ newNode, pool, intent, replaces, poolUid }: NodeClaimFor): NodeClaim {
  const poolName = pool.metadata.name!;
  const tmpl = pool.spec.template;
  const className = tmpl.spec.nodeClassRef.name;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(tmpl.metadata?.labels ?? {}), ...newNode.labels })) {
    if (v.length <= 63 && LABEL_VALUE.test(v)) labels[k] = v;
  }
  labels[LABEL_NODEPOOL] = poolName;
  labels[LABEL_POLICY_COMMIT] = intent.intent.commit.slice(0, 63);
  const requests: Record<string, string> = {};
  for (const [k, v] of Object.entries(newNode.requests)) if (v > 0) requests[k] = formatResourceQuantity(k, Math.ceil(v));
  const requirements: NodeSelectorRequirementWithMinValues[] = newNode.requirements.map((r) => ({
    key: r.key,
    operator: r.operator,
    ...(r.values && r.values.length > 0 ? { values: [...r.values] } : {}),
    ...(r.minValues !== undefined ? { minValues: r.minValues } : {}),
  }));
  return {
    apiVersion: KARPENTER_API_VERSION,
    kind: 'NodeClaim',
    metadata: {
      generateName: `${poolName}-`,
      labels,
      annotations: {
        ...(tmpl.metadata?.annotations ?? {}),
        [ANNOTATION_NODEPOOL_HASH]: intent.poolHashes.get(poolName) ?? '',
        [ANNOTATION_NODEPOOL_HASH_VERSION]: NODEPOOL_HASH_VERSION,
        [ANNOTATION_NODECLASS_HASH]: intent.classHashes.get(className) ?? '',
        [ANNOTATION_NODECLASS_HASH_VERSION]: NODECLASS_HASH_VERSION,
        ...(replaces && replaces.length > 0 ? { [ANNOTATION_REPLACES]: replaces.join(',') } : {}),
      },
      finalizers: [FINALIZER_TERMINATION],
      ...(poolUid ? { ownerReferences: [{ apiVersion: KARPENTER_API_VERSION, kind: 'NodePool', name: poolName, uid: poolUid, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      nodeClassRef: { ...tmpl.spec.nodeClassRef },
      requirements,
      resources: { requests },
      ...(tmpl.spec.taints && tmpl.spec.taints.length > 0 ? { taints: tmpl.spec.taints.map((t) => ({ ...t })) } : {}),
      ...(tmpl.spec.startupTaints && tmpl.spec.startupTaints.length > 0 ? { startupTaints: tmpl.spec.startupTaints.map((t) => ({ ...t })) } : {}),
      expireAfter: tmpl.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER,
      ...(tmpl.spec.terminationGracePeriod ? { terminationGracePeriod: tmpl.spec.terminationGracePeriod } : {}),
    },
  };
}
