// Is a node drifted from the intent in force? Shared by disruption (which replaces
// drifted nodes) and status (which reports rollout progress).

import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import { NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION, nodeClassHash, nodePoolHash, requirementsDrifted } from '../../core/disruption/drift.ts';
import type { CloudDrift } from '../ports/cloud.ts';
import type { Intent } from '../ports/intent.ts';
import type { StateNode } from './cluster-state.ts';
import { ANNOTATION_NODECLASS_HASH, ANNOTATION_NODECLASS_HASH_VERSION, ANNOTATION_NODEPOOL_HASH, ANNOTATION_NODEPOOL_HASH_VERSION } from '../../core/contract/index.ts';

export interface DriftFinding {
  /** Spec drift (hashes, requirements), or the cloud provider's drift of resolved values (AMI, subnet, security groups). */
  readonly kind: 'NodePoolDrifted' | 'NodeClassDrifted' | 'RequirementsDrifted' | CloudDrift['reason'];
  readonly detail: string;
}

export interface IntentIndex {
  readonly intent: Intent;
  readonly pools: ReadonlyMap<string, NodePool>;
  readonly classes: ReadonlyMap<string, EC2NodeClass>;
  readonly poolHashes: ReadonlyMap<string, string>;
  readonly classHashes: ReadonlyMap<string, string>;
}

const indexes = new WeakMap<Intent, IntentIndex>();

/** Pools, classes and their hashes by name; memoised per intent object. */
export function indexIntent(intent: Intent): IntentIndex {
  let idx = indexes.get(intent);
  if (!idx) {
    idx = {
      intent,
      pools: new Map(intent.nodePools.map((p) => [p.metadata.name!, p])),
      classes: new Map(intent.nodeClasses.map((c) => [c.metadata.name!, c])),
      poolHashes: new Map(intent.nodePools.map((p) => [p.metadata.name!, nodePoolHash(p)])),
      classHashes: new Map(intent.nodeClasses.map((c) => [c.metadata.name!, nodeClassHash(c)])),
    };
    indexes.set(intent, idx);
  }
  return idx;
}

/**
 * Why the node drifted, if it did: its NodePool's template or EC2NodeClass spec changed
 * (hashes), its labels no longer satisfy the pool's requirements, or (checked last, as
 * Karpenter asks its cloud provider last) `cloudDrift` holds it: the values its class
 * resolves to now (AMIs, subnets, security groups) no longer include its own.
 */
export function findDrift(node: StateNode, idx: IntentIndex, cloudDrift?: ReadonlyMap<string, CloudDrift>): DriftFinding | undefined {
  const pool = idx.pools.get(node.nodePool);
  if (!pool) return undefined; // a pool removed from intent is not drift; its nodes stay until consolidated
  const annotations = node.claim.metadata.annotations ?? {};
  const poolHash = annotations[ANNOTATION_NODEPOOL_HASH];
  if (annotations[ANNOTATION_NODEPOOL_HASH_VERSION] === NODEPOOL_HASH_VERSION && poolHash && poolHash !== idx.poolHashes.get(node.nodePool)) {
    return { kind: 'NodePoolDrifted', detail: `NodePool ${node.nodePool} template changed (labels, annotations, taints, startupTaints, nodeClassRef, expireAfter or terminationGracePeriod)` };
  }
  const classHash = annotations[ANNOTATION_NODECLASS_HASH];
  const currentClassHash = idx.classHashes.get(node.nodeClass);
  if (annotations[ANNOTATION_NODECLASS_HASH_VERSION] === NODECLASS_HASH_VERSION && classHash && currentClassHash && classHash !== currentClassHash) {
    return { kind: 'NodeClassDrifted', detail: `EC2NodeClass ${node.nodeClass} changed (AMI, user data, block devices ...)` };
  }
  if (pool.spec.template.spec.nodeClassRef.name !== node.nodeClass) {
    return { kind: 'NodePoolDrifted', detail: `NodePool ${node.nodePool} now uses EC2NodeClass ${pool.spec.template.spec.nodeClassRef.name}` };
  }
  const violated = requirementsDrifted(node.labels, pool.spec.template.spec.requirements);
  if (violated) {
    return {
      kind: 'RequirementsDrifted',
      detail: `label ${violated.key}=${node.labels[violated.key] ?? '(unset)'} no longer satisfies ${violated.key} ${violated.operator} ${(violated.values ?? []).join(',')}`,
    };
  }
  const resolved = cloudDrift?.get(node.name);
  if (resolved) return { kind: resolved.reason, detail: resolved.detail };
  return undefined;
}
