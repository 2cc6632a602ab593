// No churn on a ramp (issue 19): consolidation does not undo what provisioning decided
// while a pool's demand is still rising. A pool that launched a NodeClaim for pending pods
// (not a disruption replacement) within the last options.consolidationRampHoldMs is ramping: its nodes are not
// consolidated (multi- or single-node) until that long after its last such launch. Empty
// nodes, drift and expiration are not held. A deliberate departure from Karpenter, which
// only waits for in-flight NodeClaims to initialize: an autoscaler ramps in steps, and
// between two steps the nodes of the last one look under-used, so consolidation merged
// them and the next step launched again.

import { ANNOTATION_REPLACES } from '../../../core/contract/index.ts';
import type { ClusterState } from '../../views/cluster-state.ts';

/** A hold that spans an autoscaler's 5-minute steps (options.consolidationRampHoldMs, off by default). */
export const RAMP_HOLD_MS = 10 * 60_000;

/** Ramping pools and, for each, when it last launched a NodeClaim for pending pods. */
export function rampingPools(state: ClusterState, now: number, holdMs = RAMP_HOLD_MS): Map<string, number> {
  const out = new Map<string, number>();
  if (holdMs <= 0) return out;
  for (const n of state.nodes) {
    if (n.deleting || n.claim.metadata.annotations?.[ANNOTATION_REPLACES]) continue;
    if (n.createdAtMs <= 0 || now - n.createdAtMs >= holdMs || n.createdAtMs > now) continue;
    if (n.createdAtMs > (out.get(n.nodePool) ?? 0)) out.set(n.nodePool, n.createdAtMs);
  }
  return out;
}

/** Why a ramping pool's node waits (the rejection's message). */
export function rampMessage(nodePool: string, lastLaunchMs: number, now: number, holdMs = RAMP_HOLD_MS): string {
  const ago = Math.max(0, Math.round((now - lastLaunchMs) / 1000));
  const left = Math.max(0, Math.round((lastLaunchMs + holdMs - now) / 1000));
  return `consolidation waits while NodePool ${nodePool} is still growing: it launched a node for pending pods ${ago} s ago; waits ${left} s more (${holdMs >= 60_000 ? `${holdMs / 60_000} min` : `${holdMs / 1000} s`} after its last launch)`;
}

/** Balanced's k for a replacement in a pool whose demand is rising: its savings share must reach its disruption share. */
export const RAMP_K = 1;

/** Why a rising pool's replacement waits. */
export function risingMessage(nodePool: string, lastLaunchMs: number, now: number): string {
  const ago = Math.max(0, Math.round((now - lastLaunchMs) / 1000));
  return `NodePool ${nodePool} is still growing (it launched a node for pending pods ${ago} s ago)`;
}
