// Disruption candidates: initialized nodes of a NodePool in the intent, not already
// being disrupted, each with the pods that would have to move and whether anything
// forbids moving them now (do-not-disrupt on the node or a pod, a PDB that allows no
// eviction). Rejections are kept with their reason for the log and for `explain`.

import type { Pod, PodDisruptionBudget } from '../../../core/api/k8s.ts';
import type { NodePool } from '../../../core/api/karpenter.ts';
import { durationOr } from '../../../core/disruption/duration.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import { describeDoNotDisrupt, doNotDisruptUntil, hasDoNotDisrupt, isDaemonSetPod, isTerminal, podKey, timestampMs, toleratesTaintKey, type ClusterState, type StateNode } from '../../views/cluster-state.ts';
import { findDrift, type DriftFinding, type IntentIndex } from '../../views/drift.ts';
import { nodeReservation } from '../../views/reservations.ts';
import type { PriceBook } from '../../cache/pricing.ts';
import type { CloudDrift } from '../../ports/cloud.ts';
import { CONDITION_INITIALIZED, KARPENTER_API_VERSION, TAINT_DISRUPTED } from '../../../core/contract/index.ts';
import { compileSelector } from '../../../core/scheduling/selectors.ts';
import { deletingNodePools, poolRemoval } from '../../views/removed-pools.ts';

/**
 * The NodePool a node of a removed pool is judged by when the cluster no longer has the
 * object either: no consolidation (its nodes leave through the removal method), no budgets.
 */
function removedPoolStub(n: StateNode): NodePool {
  return {
    apiVersion: KARPENTER_API_VERSION,
    kind: 'NodePool',
    metadata: { name: n.nodePool },
    spec: {
      template: { spec: { nodeClassRef: { ...n.claim.spec.nodeClassRef }, requirements: [] } },
      disruption: { consolidateAfter: 'Never', budgets: [] },
    },
  } as NodePool;
}

export interface Candidate {
  readonly name: string;
  readonly state: StateNode;
  readonly pool: NodePool;
  /** Pods that must move elsewhere (not DaemonSet pods, not terminal). */
  readonly reschedulable: readonly Pod[];
  readonly price: number;
  readonly createdAtMs: number;
  readonly expireAfterMs: number;
  readonly drift: DriftFinding | undefined;
  /** A capacity-block node: when it is expired, ahead of the block's end (views/reservations.ts). */
  readonly reservationExpireAtMs?: number;
  readonly reservationEndMs?: number;
  /** When the node last gained or lost a pod (or initialized): consolidateAfter counts from here. */
  readonly lastPodEventMs: number;
  /** Why graceful methods may not touch it (undefined: they may). Expiration ignores this. */
  readonly blocked: string | undefined;
  /**
   * What blocks it: the node itself (do-not-disrupt on the Node or NodeClaim: blocks every
   * graceful method), or one of its pods (do-not-disrupt, a PDB): drift and removal proceed
   * anyway when the NodeClaim has a terminationGracePeriod (Karpenter's eventual disruption).
   */
  readonly blockedBy?: 'node' | 'pod';
  /** Why its NodePool is going away (views/removed-pools.ts), if it is: the removal method's candidates. */
  readonly removed?: string;
  /** When a do-not-disrupt duration that blocks it runs out (Infinity: never), if one does. */
  readonly blockedUntilMs?: number;
  /** Shape for core's disruption-cost ordering. */
  readonly pods: readonly Pod[];
}

/** What the candidates cost now, USD per hour. */
export function totalPrice(cs: readonly Candidate[]): number {
  return cs.reduce((s, c) => s + c.price, 0);
}

export interface Rejection {
  readonly name: string;
  readonly nodePool: string;
  readonly reason: string;
  readonly message: string;
  /** Consolidation looked at this node and left it (Karpenter's Unconsolidatable Event). */
  readonly unconsolidatable?: true;
}

/** The PDB that forbids evicting `pod` right now, if any (status.disruptionsAllowed is 0). */
export function blockingPdb(pod: Pod, pdbs: readonly PodDisruptionBudget[]): PodDisruptionBudget | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  return pdbs.find(
    (b) => (b.metadata.namespace ?? 'default') === ns && compileSelector(b.spec?.selector).matches(pod.metadata.labels) && (b.status?.disruptionsAllowed ?? 1) <= 0,
  );
}

export function reschedulablePods(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !isDaemonSetPod(p) && !isTerminal(p) && !p.metadata.deletionTimestamp && !toleratesTaintKey(p, TAINT_DISRUPTED.key));
}

export interface CandidateSet {
  readonly candidates: readonly Candidate[];
  readonly rejections: readonly Rejection[];
}

export function buildCandidates(
  state: ClusterState,
  cache: ClusterCache,
  idx: IntentIndex,
  prices: PriceBook,
  now: number,
  cloudDrift?: ReadonlyMap<string, CloudDrift>,
): CandidateSet {
  const pdbs = cache.list('PodDisruptionBudget');
  const deleting = deletingNodePools(cache);
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  for (const n of state.nodes) {
    if (!n.initialized || !n.node || n.deleting || n.disruption) continue;
    const removed = poolRemoval(n, idx, deleting);
    const pool = idx.pools.get(n.nodePool) ?? (removed ? (cache.get('NodePool', n.nodePool) ?? removedPoolStub(n)) : undefined);
    if (!pool) {
      rejections.push({ name: n.name, nodePool: n.nodePool, reason: 'nodepool-not-in-intent', message: `NodePool ${n.nodePool} is not in the intent in force, and joinery did not launch this node` });
      continue;
    }
    const reschedulable = reschedulablePods(n.pods);
    let blocked: string | undefined;
    let blockedUntilMs: number | undefined;
    if (hasDoNotDisrupt(n.node.metadata) || hasDoNotDisrupt(n.claim.metadata)) blocked = 'node is annotated karpenter.sh/do-not-disrupt';
    const blockedBy = blocked ? 'node' : undefined;
    if (!blocked) {
      // The pod protected longest names the block: the node is free when it is.
      for (const p of reschedulable) {
        const until = doNotDisruptUntil(p, now);
        if (until === undefined || (blockedUntilMs !== undefined && until <= blockedUntilMs)) continue;
        blockedUntilMs = until;
        blocked = `pod ${podKey(p)} is annotated ${describeDoNotDisrupt(p, until)}`;
      }
    }
    if (!blocked) {
      for (const p of reschedulable) {
        const pdb = blockingPdb(p, pdbs);
        if (pdb) {
          blocked = `PodDisruptionBudget ${pdb.metadata.namespace}/${pdb.metadata.name} allows no eviction of ${podKey(p)} now`;
          break;
        }
      }
    }
    const initializedAt = timestampMs(n.claim.status?.conditions?.find((c) => c.type === CONDITION_INITIALIZED)?.lastTransitionTime) ?? n.createdAtMs;
    const reservation = nodeReservation(n.labels, idx.classes.get(n.nodeClass), cache.get('EC2NodeClass', n.nodeClass));
    const lastPodEventMs = Math.max(initializedAt, timestampMs(n.claim.status?.lastPodEventTime) ?? 0);
    candidates.push({
      name: n.name,
      state: n,
      pool,
      reschedulable,
      pods: reschedulable,
      price: prices.nodePrice(n),
      createdAtMs: n.createdAtMs,
      expireAfterMs: durationOr(n.claim.spec.expireAfter, Infinity),
      drift: findDrift(n, idx, cloudDrift) ?? (idx.pools.has(n.nodePool) ? reservation.drift : undefined),
      ...(reservation.expireAtMs !== undefined ? { reservationExpireAtMs: reservation.expireAtMs, reservationEndMs: reservation.endMs } : {}),
      lastPodEventMs,
      blocked,
      ...(blocked ? { blockedBy: blockedBy ?? 'pod' } : {}),
      ...(blockedUntilMs !== undefined ? { blockedUntilMs } : {}),
      ...(removed ? { removed } : {}),
    });
  }
  return { candidates, rejections };
}
