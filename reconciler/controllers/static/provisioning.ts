// Static scale-up (Karpenter's static provisioning controller): a static NodePool with
// fewer NodeClaims than spec.replicas gets the missing ones, each the pool's template
// sized for no pod (core/scheduling/static-node.ts), never past limits.nodes (which counts
// every claim of the pool, those being deleted included). Claims being deleted do not
// count towards replicas: a node interrupted, repaired or deleted by hand is replaced at
// once when limits.nodes leaves room. Nodes marked for disruption still count: their
// replacement is already there.

import type { NodePool } from '../../../core/api/karpenter.ts';
import type { SchedulingNodePool } from '../../../core/scheduling/nodepool.ts';
import { staticNewNode } from '../../../core/scheduling/static-node.ts';
import { REASON_PROVISIONED } from '../../observability/karpenter-metrics.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import type { IntentIndex } from '../../views/drift.ts';
import type { StaticPoolCount } from '../../views/static-pools.ts';
import { nodeClaimFor, nodePoolUid } from '../shared/nodeclaim.ts';

export type StaticProvisioningDeps = Pick<ControllerContext, 'cluster' | 'decisions' | 'metrics'> & { readonly options: Pick<ReconcilerOptions, 'maxInstanceTypesPerClaim'> };

/** How many claims to create now, and what holds the rest back (pure). */
export function scaleUpCount(count: Pick<StaticPoolCount, 'desired' | 'present' | 'claims' | 'limit'>): { readonly launch: number; readonly heldByLimit: number } {
  const missing = Math.max(0, count.desired - count.present);
  const room = Math.max(0, count.limit - count.claims);
  const launch = Math.min(missing, room);
  return { launch, heldByLimit: missing - launch };
}

export interface ScaleUpOutcome {
  readonly created: readonly string[];
  /** Why nodes that are missing were not launched, when some were not. */
  readonly held?: { readonly reason: 'nodepool-limit' | 'no-instance-types'; readonly message: string };
}

export async function scaleUp(deps: StaticProvisioningDeps, manifest: NodePool, pool: SchedulingNodePool, count: StaticPoolCount, idx: IntentIndex): Promise<ScaleUpOutcome> {
  const name = manifest.metadata.name!;
  const { launch, heldByLimit } = scaleUpCount(count);
  const heldMessage = `NodePool ${name} has ${count.present} of ${count.desired} replicas; limits.nodes ${count.limit} is reached (${count.claims} NodeClaims, those being deleted included): ${heldByLimit} node(s) wait`;
  if (launch === 0) return heldByLimit > 0 ? { created: [], held: { reason: 'nodepool-limit', message: heldMessage } } : { created: [] };
  const newNode = staticNewNode(pool, `${name}-static`, deps.options.maxInstanceTypesPerClaim);
  if (!newNode) {
    return { created: [], held: { reason: 'no-instance-types', message: `NodePool ${name} needs ${launch} more node(s) for replicas ${count.desired}, but its requirements admit no instance type with an available offering` } };
  }
  const created: string[] = [];
  for (let i = 0; i < launch; i++) {
    const claim = await deps.cluster.createNodeClaim(nodeClaimFor({ newNode, pool: manifest, intent: idx, poolUid: nodePoolUid(deps.cluster.cache, name) }));
    created.push(claim.metadata.name!);
    deps.metrics.karpenter.nodeClaimsCreated.inc({ reason: REASON_PROVISIONED, nodepool: name, min_values_relaxed: 'false' });
  }
  deps.decisions.record({
    controller: 'static',
    action: 'launch',
    reason: 'static-replicas',
    message: `${name}: ${created.length} NodeClaim(s) for replicas ${count.desired} (${count.present} present), ${newNode.instanceTypeOptions.length} type option(s) from ${newNode.instanceTypeOptions[0]!.name} at $${newNode.price.toFixed(4)}/h: ${created.join(', ')}`,
    nodePool: name,
    nodeClaims: created,
    details: { desired: count.desired, present: count.present, created: created.length, commit: idx.intent.commit },
  });
  return heldByLimit > 0 ? { created, held: { reason: 'nodepool-limit', message: heldMessage } } : { created };
}
