// Static NodePools (spec.replicas, Karpenter's StaticCapacity): a fixed node count kept by
// the static controller (controllers/static) and replaced, when drifted or expired, by the
// disruption controller's static methods (controllers/disruption/static-replacement.ts).
// One count of a pool's NodeClaims, shared by both and by NodePool status, so they never
// disagree on how many nodes a pool has.

import type { NodePool } from '../../core/api/karpenter.ts';
import { parseResourceQuantity } from '../../core/resources/quantity.ts';
import { ANNOTATION_REPLACES } from '../../core/contract/index.ts';
import type { ClusterState, StateNode } from './cluster-state.ts';

export function isStaticPool(pool: Pick<NodePool, 'spec'> | undefined): boolean {
  return pool?.spec.replicas !== undefined && pool.spec.replicas !== null;
}

/** limits.nodes of the pool (Infinity when unset or unreadable; the compiler refuses an unreadable one). */
export function nodeLimit(pool: Pick<NodePool, 'spec'>): number {
  const raw = pool.spec.limits?.nodes;
  if (raw === undefined) return Infinity;
  try {
    return parseResourceQuantity('nodes', raw);
  } catch {
    return Infinity;
  }
}

export interface StaticPoolCount {
  readonly desired: number;
  readonly limit: number;
  /** Every NodeClaim of the pool, deleting ones included: what limits.nodes counts. */
  readonly claims: number;
  /** Claims not being deleted (marked for disruption included): what scale-up fills up to `desired`. */
  readonly present: number;
  /**
   * Claims staying: not deleting, not marked for disruption, and not a replacement whose
   * candidate is still there (a replace-first in progress counts once). Scale-down takes
   * the pool down to `desired` of these.
   */
  readonly staying: readonly StateNode[];
  /** Initialized nodes not leaving: the pool's nodes in service. */
  readonly ready: number;
  /** Claims launched but not initialized, not deleting. */
  readonly launching: number;
  /** Claims marked for disruption or being deleted. */
  readonly leaving: number;
}

/** How many nodes a static pool has, as each of its users counts them. */
export function staticPoolCount(state: ClusterState, pool: NodePool): StaticPoolCount {
  const name = pool.metadata.name!;
  const nodes = state.nodes.filter((n) => n.nodePool === name);
  const present = nodes.filter((n) => !n.deleting);
  const replacing = (n: StateNode): boolean =>
    (n.claim.metadata.annotations?.[ANNOTATION_REPLACES] ?? '')
      .split(',')
      .filter((s) => s.length > 0)
      .some((c) => {
        const original = state.byClaim.get(c);
        return original !== undefined && !original.deleting && original.disruption === undefined;
      });
  const staying = present.filter((n) => n.disruption === undefined && !replacing(n));
  return {
    desired: pool.spec.replicas ?? 0,
    limit: nodeLimit(pool),
    claims: nodes.length,
    present: present.length,
    staying,
    ready: present.filter((n) => n.initialized && n.disruption === undefined).length,
    launching: present.filter((n) => !n.initialized).length,
    leaving: nodes.filter((n) => n.deleting || n.disruption !== undefined).length,
  };
}
