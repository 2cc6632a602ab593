// Node auto-repair (Karpenter's node health controller, behind the NodeRepair feature
// gate), for the NodePools that opt in (annotation joinery.dev/node-repair: enabled,
// written by the compiler from the NodePool's `nodeRepair: true`).
//
// A node is unhealthy when one of its conditions matches a repair policy (Ready False or
// Unknown; the EKS node monitoring agent's KernelReady, NetworkingReady, StorageReady,
// AcceleratedHardwareReady, ContainerRuntimeReady False). Once the condition has held
// longer than the policy's toleration (from its lastTransitionTime; 30 min, 10 min for
// accelerated hardware), the node is repaired: its NodeClaim is deleted and its pods are
// deleted outright (no eviction, no PDB: the node is broken), so termination has nothing
// to drain and terminates the instance; the pods' controllers recreate them and
// provisioning launches what they need.
//
// The safety valve is Karpenter's: when more than 20% of a pool's nodes (rounded up)
// are unhealthy at once, something larger than a node is wrong, and nothing of that pool
// is repaired. The pool's status condition joinery.dev/NodeRepairAllowed turns False
// saying why, the joinery_node_repair_blocked gauge is 1, and a decision and an Event say so.

import type { Node } from '../../../core/api/k8s.ts';
import type { NodePool, StatusCondition } from '../../../core/api/karpenter.ts';
import {
  ANNOTATION_NODE_REPAIR,
  ANNOTATION_REPAIR,
  CONDITION_NODE_REPAIR_ALLOWED,
  REASON_REPAIR_ALLOWED,
  REASON_TOO_MANY_UNHEALTHY,
} from '../../../core/contract/index.ts';
import type { Controller, ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, RepairPolicy } from '../../runtime/context.ts';
import { clusterState, isTerminal, timestampMs, type StateNode } from '../../views/cluster-state.ts';
import { setCondition } from '../shared/conditions.ts';

export type NodeRepairDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'decisions' | 'metrics' | 'logger'> & {
  readonly options: Pick<ControllerContext['options'], 'repairPolicies'>;
};

/** Karpenter's allowed unhealthy share of a NodePool's nodes. */
export const ALLOWED_UNHEALTHY_FRACTION = 0.2;
const RESYNC_MS = 60_000;

export function repairEnabled(pool: NodePool): boolean {
  return pool.metadata.annotations?.[ANNOTATION_NODE_REPAIR] === 'enabled';
}

export interface Unhealthy {
  readonly policy: RepairPolicy;
  /** When the condition took its failing status (epoch ms). */
  readonly sinceMs: number;
  /** When its toleration runs out. */
  readonly dueMs: number;
}

/** The node's failing condition that is due first, if any condition matches a policy. */
export function unhealthyCondition(node: Node, policies: readonly RepairPolicy[], nowMs: number): Unhealthy | undefined {
  let best: Unhealthy | undefined;
  for (const c of node.status?.conditions ?? []) {
    for (const p of policies) {
      if (p.conditionType !== c.type || p.status !== c.status) continue;
      const since = timestampMs(c.lastTransitionTime as string | undefined) ?? nowMs;
      const u = { policy: p, sinceMs: since, dueMs: since + p.tolerationMs };
      if (!best || u.dueMs < best.dueMs) best = u;
    }
  }
  return best;
}

/** How many unhealthy nodes a pool of `total` tolerates (20%, rounded up, as Karpenter's intstr scaling). */
export function unhealthyThreshold(total: number): number {
  return Math.ceil(total * ALLOWED_UNHEALTHY_FRACTION);
}

export class NodeRepairController implements Controller {
  readonly name = 'node-repair';
  readonly watches = ['Node', 'NodePool'] as const;
  private readonly reportedBlocked = new Map<string, string>();

  constructor(private readonly ctx: NodeRepairDeps) {}

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, clock, intent, options, metrics } = this.ctx;
    const current = intent.current();
    if (!current) return {};
    const now = clock.now();
    const state = clusterState(cluster);
    let next = now + RESYNC_MS;
    for (const pool of current.nodePools) {
      const poolName = pool.metadata.name!;
      if (!repairEnabled(pool)) continue;
      const nodes = state.nodes.filter((n) => n.nodePool === poolName && n.node && !n.deleting);
      const unhealthy = nodes.map((n) => ({ n, u: unhealthyCondition(n.node!, options.repairPolicies, now) })).filter((e) => e.u !== undefined) as { n: StateNode; u: Unhealthy }[];
      const threshold = unhealthyThreshold(nodes.length);
      const blocked = unhealthy.length > threshold;
      metrics.unhealthyNodes.set({ nodepool: poolName }, unhealthy.length);
      metrics.nodeRepairBlocked.set({ nodepool: poolName }, blocked ? 1 : 0);
      const due = unhealthy.filter((e) => e.n.initialized && e.u.dueMs <= now);
      for (const e of unhealthy) if (e.u.dueMs > now) next = Math.min(next, e.u.dueMs);
      await this.writeCondition(poolName, blocked, unhealthy.length, nodes.length, threshold);
      if (blocked) {
        if (due.length > 0) this.reportBlocked(poolName, unhealthy.length, nodes.length, threshold);
        continue;
      }
      this.reportedBlocked.delete(poolName);
      for (const e of due) await this.repair(e.n, e.u, poolName, now);
    }
    return { requeueAfterMs: Math.max(1, next - now) };
  }

  private async repair(n: StateNode, u: Unhealthy, pool: string, now: number): Promise<void> {
    const { cluster, decisions, metrics } = this.ctx;
    const nodeName = n.node!.metadata.name!;
    const condition = `${u.policy.conditionType}=${u.policy.status}`;
    const forMin = ((now - u.sinceMs) / 60_000).toFixed(1);
    await cluster.patchNodeClaim(n.name, {
      annotations: { [ANNOTATION_REPAIR]: JSON.stringify({ condition: u.policy.conditionType, status: u.policy.status, since: new Date(u.sinceMs).toISOString(), at: new Date(now).toISOString() }) },
    });
    await cluster.deleteNodeClaim(n.name);
    // Forceful: the node is broken, so its pods are deleted rather than evicted (no PDB wait).
    let pods = 0;
    for (const p of cluster.cache.podsOnNode(nodeName)) {
      if (isTerminal(p) || p.metadata.deletionTimestamp) continue;
      await cluster.deletePod(p.metadata.namespace ?? 'default', p.metadata.name!);
      pods += 1;
    }
    metrics.nodeRepairs.inc({ nodepool: pool, condition: u.policy.conditionType });
    metrics.evictions.inc({ result: 'forced' }, pods);
    cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Warning', reason: 'NodeRepair', message: `${condition} for ${forMin} min (toleration ${u.policy.tolerationMs / 60_000} min): force-terminating the node` });
    decisions.record({
      controller: this.name,
      action: 'repair',
      reason: 'unhealthy',
      message: `node ${nodeName} (${n.name}) has had ${condition} for ${forMin} min, past its toleration of ${u.policy.tolerationMs / 60_000} min: force-terminated without drain (${pods} pod(s) deleted, to be recreated elsewhere)`,
      nodePool: pool,
      nodeClaims: [n.name],
      nodes: [nodeName],
      details: { condition: u.policy.conditionType, status: u.policy.status, sinceMs: u.sinceMs, tolerationMs: u.policy.tolerationMs, pods },
    });
  }

  private reportBlocked(pool: string, unhealthy: number, total: number, threshold: number): void {
    const key = `${unhealthy}/${total}`;
    if (this.reportedBlocked.get(pool) === key) return;
    this.reportedBlocked.set(pool, key);
    const message = `${unhealthy} of ${total} nodes are unhealthy, more than 20% (at most ${threshold} may be repaired at once): node auto-repair is held back for this pool; something larger than one node is wrong`;
    this.ctx.decisions.record({ controller: this.name, action: 'repair-blocked', reason: 'too-many-unhealthy', message: `NodePool ${pool}: ${message}`, nodePool: pool, details: { unhealthy, total, threshold } });
    this.ctx.cluster.recordEvent({ involved: { kind: 'NodePool', name: pool }, type: 'Warning', reason: 'NodeRepairBlocked', message });
  }

  private async writeCondition(pool: string, blocked: boolean, unhealthy: number, total: number, threshold: number): Promise<void> {
    const { cluster, clock } = this.ctx;
    const live = cluster.cache.get('NodePool', pool);
    if (!live) return;
    const message = blocked
      ? `${unhealthy} of ${total} nodes are unhealthy, more than 20% (${threshold}): node auto-repair is held back until fewer are`
      : `${unhealthy} of ${total} nodes unhealthy; repair allowed up to ${threshold} at once`;
    const existing = (live.status?.conditions ?? []).find((c: StatusCondition) => c.type === CONDITION_NODE_REPAIR_ALLOWED);
    const status = blocked ? 'False' : 'True';
    if (existing && existing.status === status && existing.message === message) return;
    const conditions = setCondition(live.status?.conditions, CONDITION_NODE_REPAIR_ALLOWED, status, blocked ? REASON_TOO_MANY_UNHEALTHY : REASON_REPAIR_ALLOWED, message, new Date(clock.now()).toISOString(), live.metadata.generation);
    await cluster.patchNodePoolStatus(pool, { ...(live.status ?? {}), conditions });
  }
}
