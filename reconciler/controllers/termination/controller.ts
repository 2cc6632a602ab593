// Graceful termination of a NodeClaim being deleted: taint its node
// karpenter.sh/disrupted:NoSchedule, evict pods through the Eviction API in groups
// (non-critical before critical; within each, DaemonSet pods after the others; honouring
// PDBs; pods that tolerate the disrupted taint are left), force only what
// the node's terminationGracePeriod no longer allows to wait for, wait for the node's
// VolumeAttachments to be deleted (volumes.ts; until the terminationGracePeriod, as
// Karpenter), terminate the instance, wait for it to be gone, then release the Node and
// NodeClaim finalizers.
//
// Each step is read back from the API (taint present, pods left, InstanceTerminating
// condition), so a restarted reconciler resumes a termination where it stood.
//
// A Node deleted by a user (`kubectl delete node`) carries the termination finalizer, so
// it stays until released here, as Karpenter's node termination controller does: its
// NodeClaim is deleted and the claim's path above drains it, terminates the instance and
// releases both finalizers. A Node of no NodeClaim (an orphan) is tainted and drained,
// its instance terminated only when joinery launched it for this cluster
// (`isOwnedInstance`), then its finalizer is released.

import { recordTerminated } from './karpenter-metrics.ts';
import type { Node, Pod } from '../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import { durationOr } from '../../../core/disruption/duration.ts';
import { InstanceNotFoundError } from '../../ports/cloud.ts';
import { NotFoundError, type WatchEvent } from '../../ports/cluster.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { conditionTrue, describeDoNotDisrupt, doNotDisruptUntil, isDaemonSetPod, isTerminal, podKey, timestampMs, toleratesTaintKey } from '../../views/cluster-state.ts';
import {
  ANNOTATION_DISRUPTION,
  CONDITION_INSTANCE_TERMINATING,
  CONDITION_VOLUMES_DETACHED,
  REASON_AWAITING_VOLUME_DETACHMENT,
  REASON_TGP_ELAPSED,
  FINALIZER_TERMINATION,
  LABEL_NODEPOOL,
  TAINT_DISRUPTED,
  parseDisruptionMark,
  LABEL_CAPACITY_TYPE,
  TAG_NODEPOOL,
  isOwnedInstance,
} from '../../../core/contract/index.ts';
import { setCondition } from '../shared/conditions.ts';
import { pendingVolumeAttachments } from './volumes.ts';

const DRAIN_RETRY_MS = 10_000;
const VOLUME_POLL_MS = 5_000;
const INSTANCE_POLL_MS = 10_000;
const CRITICAL_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

/** What termination may touch: drains through the cluster, terminates through the cloud. */
export type TerminationDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'cloud' | 'decisions' | 'metrics'> & {
  readonly options: Pick<ControllerContext['options'], 'clusterName'>;
};

/** The decision reason of a Node deleted through the API (`kubectl delete node`), not by joinery. */
export const REASON_NODE_DELETED = 'node-deleted-by-user';

function hasTerminationFinalizer(o: { metadata: { finalizers?: string[] } }): boolean {
  return (o.metadata.finalizers ?? []).includes(FINALIZER_TERMINATION);
}

function isCritical(pod: Pod): boolean {
  return CRITICAL_PRIORITY_CLASSES.has(pod.spec.priorityClassName ?? '');
}

/** Eviction groups in order: non-critical workloads, non-critical DaemonSets, critical workloads, critical DaemonSets. */
function evictionGroup(pod: Pod): number {
  return (isCritical(pod) ? 2 : 0) + (isDaemonSetPod(pod) ? 1 : 0);
}

export class TerminationController implements Controller {
  readonly name = 'termination';
  readonly watches = ['NodeClaim', 'Node'] as const;
  /** Blocked pods already reported, so a blocked drain logs once, not every retry. */
  private readonly reportedBlocked = new Set<string>();
  private readonly started = new Set<string>();
  private readonly drainingNodes = new Set<string>();
  /** Nodes deleted by a user already acted on (their claim deleted, or their orphan drain logged). */
  private readonly userDeleted = new Set<string>();
  /** Claims awaiting VolumeAttachments, with the attachments last reported (one Event per set). */
  private readonly awaitingVolumes = new Map<string, string>();

  constructor(private readonly ctx: TerminationDeps) {}

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind === 'Pod' && event.type === 'DELETED' && event.object.spec.nodeName && this.drainingNodes.has(event.object.spec.nodeName)) {
      wake(0);
    }
    if (event.kind === 'VolumeAttachment' && event.type === 'DELETED' && this.drainingNodes.has(event.object.spec.nodeName)) wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    let requeue = Infinity;
    const draining = new Set<string>();
    const deletingNodes = new Set<string>();
    for (const node of this.ctx.cluster.cache.list('Node')) {
      if (!node.metadata.deletionTimestamp || !hasTerminationFinalizer(node)) continue;
      deletingNodes.add(node.metadata.name!);
      const r = await this.nodeDeleted(node, draining);
      if (r !== undefined) requeue = Math.min(requeue, r);
    }
    for (const n of this.userDeleted) if (!deletingNodes.has(n)) this.userDeleted.delete(n);
    for (const claim of this.ctx.cluster.cache.list('NodeClaim')) {
      if (!claim.metadata.deletionTimestamp || !(claim.metadata.finalizers ?? []).includes(FINALIZER_TERMINATION)) continue;
      const r = await this.terminate(claim, draining);
      if (r !== undefined) requeue = Math.min(requeue, r);
    }
    this.drainingNodes.clear();
    for (const n of draining) this.drainingNodes.add(n);
    return Number.isFinite(requeue) ? { requeueAfterMs: requeue } : {};
  }

  /**
   * A Node being deleted that still carries the termination finalizer. Its NodeClaim, when
   * joinery has one for it, is deleted (once) so the claim's termination drains the node,
   * terminates the instance and releases the Node; an orphan is handled here.
   */
  private async nodeDeleted(node: Node, draining: Set<string>): Promise<number | undefined> {
    const { cluster, decisions } = this.ctx;
    const nodeName = node.metadata.name!;
    const providerID = node.spec?.providerID;
    const claim = cluster.cache
      .list('NodeClaim')
      .find((c) => (providerID && c.status?.providerID === providerID) || c.status?.nodeName === nodeName);
    if (claim) {
      // A claim already being deleted is on its way: its termination releases this Node.
      if (claim.metadata.deletionTimestamp || this.userDeleted.has(nodeName)) return undefined;
      this.userDeleted.add(nodeName);
      const name = claim.metadata.name!;
      decisions.record({
        controller: this.name,
        action: 'delete',
        reason: REASON_NODE_DELETED,
        message: `node ${nodeName} was deleted through the API (node deleted by a user): deleting its NodeClaim ${name} to drain the node and terminate the instance`,
        nodePool: claim.metadata.labels?.[LABEL_NODEPOOL],
        nodeClaims: [name],
        nodes: [nodeName],
      });
      await cluster.deleteNodeClaim(name);
      return undefined;
    }
    return this.releaseOrphan(node, draining);
  }

  /** A deleted Node of no NodeClaim: taint, drain, terminate its instance only if joinery's, release. */
  private async releaseOrphan(node: Node, draining: Set<string>): Promise<number | undefined> {
    const { cluster, cloud, clock, decisions, options } = this.ctx;
    const nodeName = node.metadata.name!;
    const providerID = node.spec?.providerID;
    const now = clock.now();
    // As Karpenter: a Node whose kubelet is not Ready and whose instance is gone has nothing
    // left to drain (its pods are gone with it); it is released at once.
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (!ready && !(providerID && (await this.instanceExists(providerID)))) {
      return this.releaseOrphanNode(node, this.userDeleted.has(nodeName) ? 'drained; its instance is gone' : 'is not Ready and its instance is gone: nothing to drain');
    }
    if (!this.userDeleted.has(nodeName)) {
      this.userDeleted.add(nodeName);
      decisions.record({
        controller: this.name,
        action: 'terminate',
        reason: REASON_NODE_DELETED,
        message: `node ${nodeName} was deleted through the API (node deleted by a user) and has no NodeClaim: draining it, then releasing its finalizer`,
        nodePool: node.metadata.labels?.[LABEL_NODEPOOL],
        nodes: [nodeName],
      });
    }
    if (!(node.spec?.taints ?? []).some((t) => t.key === TAINT_DISRUPTED.key && t.effect === TAINT_DISRUPTED.effect)) {
      await cluster.patchNode(nodeName, { addTaints: [{ ...TAINT_DISRUPTED, timeAdded: new Date(now).toISOString() }] });
    }
    const deletedAt = timestampMs(node.metadata.deletionTimestamp) ?? now;
    const remaining = await this.drain(`node/${nodeName}`, nodeName, deletedAt, Infinity, now);
    if (remaining > 0) {
      draining.add(nodeName);
      return DRAIN_RETRY_MS;
    }
    if (providerID) {
      let instance;
      try {
        instance = await cloud.get(providerID);
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
      // Only an instance joinery launched for this cluster is ever terminated.
      if (instance && isOwnedInstance(instance.tags, options.clusterName)) {
        if (instance.state === 'pending' || instance.state === 'running') {
          try {
            await cloud.delete(providerID);
          } catch (err) {
            if (!(err instanceof InstanceNotFoundError)) throw err;
          }
          decisions.record({
            controller: this.name,
            action: 'terminate',
            reason: REASON_NODE_DELETED,
            message: `node ${nodeName} (no NodeClaim) drained; terminating its instance ${instance.id}, which joinery launched`,
            nodePool: instance.tags[TAG_NODEPOOL],
            nodes: [nodeName],
            details: { instanceId: instance.id, providerID },
          });
        }
        return INSTANCE_POLL_MS; // until it is gone
      }
    }
    return this.releaseOrphanNode(node, providerID ? 'drained' : 'drained (no provider ID)');
  }

  private async instanceExists(providerID: string): Promise<boolean> {
    try {
      await this.ctx.cloud.get(providerID);
      return true;
    } catch (err) {
      if (err instanceof InstanceNotFoundError) return false;
      throw err;
    }
  }

  private async releaseOrphanNode(node: Node, why: string): Promise<undefined> {
    const nodeName = node.metadata.name!;
    await this.ctx.cluster.patchNode(nodeName, { removeFinalizers: [FINALIZER_TERMINATION] }).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    this.userDeleted.delete(nodeName);
    this.ctx.decisions.record({
      controller: this.name,
      action: 'terminated',
      reason: REASON_NODE_DELETED,
      message: `node ${nodeName} (no NodeClaim) ${why}; finalizer removed`,
      nodePool: node.metadata.labels?.[LABEL_NODEPOOL],
      nodes: [nodeName],
    });
    return undefined;
  }

  /** Advances one claim's termination; returns when to look again. */
  private async terminate(claim: NodeClaim, draining: Set<string>): Promise<number | undefined> {
    const { cluster, cloud, clock, decisions, metrics } = this.ctx;
    const name = claim.metadata.name!;
    const pool = claim.metadata.labels?.[LABEL_NODEPOOL];
    const now = clock.now();
    const providerID = claim.status?.providerID;
    const node = providerID ? cluster.cache.list('Node').find((n) => n.spec?.providerID === providerID) : undefined;
    const mark = parseDisruptionMark(claim.metadata.annotations?.[ANNOTATION_DISRUPTION]);

    if (!this.started.has(name)) {
      this.started.add(name);
      decisions.record({
        controller: this.name,
        action: 'terminate',
        reason: mark?.method ?? 'deleted',
        message: `NodeClaim ${name}${node ? ` (node ${node.metadata.name})` : ''}: draining and terminating${mark ? ` (${mark.method})` : ''}`,
        nodePool: pool,
        nodeClaims: [name],
        ...(node ? { nodes: [node.metadata.name!] } : {}),
      });
    }

    const instanceTerminating = conditionTrue(claim, CONDITION_INSTANCE_TERMINATING);
    if (node && !instanceTerminating) {
      const nodeName = node.metadata.name!;
      if (!(node.spec?.taints ?? []).some((t) => t.key === TAINT_DISRUPTED.key && t.effect === TAINT_DISRUPTED.effect)) {
        await cluster.patchNode(nodeName, { addTaints: [{ ...TAINT_DISRUPTED, timeAdded: new Date(now).toISOString() }] });
      }
      const deletedAt = timestampMs(claim.metadata.deletionTimestamp) ?? now;
      const tgpMs = durationOr(claim.spec.terminationGracePeriod, Infinity);
      const remaining = await this.drain(name, nodeName, deletedAt, tgpMs, now);
      if (remaining > 0) {
        draining.add(nodeName);
        return DRAIN_RETRY_MS;
      }
      const volumes = await this.awaitVolumeDetachment(claim, nodeName, deletedAt + tgpMs, now);
      if (volumes.requeueMs !== undefined) {
        draining.add(nodeName);
        return volumes.requeueMs;
      }
      claim = volumes.claim;
    }

    // Drained (or never registered): terminate the instance and wait for it to be gone.
    if (providerID) {
      if (!instanceTerminating) {
        try {
          await cloud.delete(providerID);
        } catch (err) {
          if (!(err instanceof InstanceNotFoundError)) throw err;
        }
        await cluster.patchNodeClaimStatus(name, {
          conditions: setCondition(claim.status?.conditions, CONDITION_INSTANCE_TERMINATING, 'True', 'InstanceTerminating', 'TerminateInstances called', new Date(now).toISOString()),
        });
        return INSTANCE_POLL_MS;
      }
      try {
        await cloud.get(providerID);
        return INSTANCE_POLL_MS; // still shutting down
      } catch (err) {
        if (!(err instanceof InstanceNotFoundError)) throw err;
      }
    }

    if (node) {
      await cluster.deleteNode(node.metadata.name!);
      await cluster.patchNode(node.metadata.name!, { removeFinalizers: [FINALIZER_TERMINATION] }).catch(() => undefined);
    }
    await cluster.patchNodeClaim(name, { removeFinalizers: [FINALIZER_TERMINATION] });
    this.started.delete(name);
    this.awaitingVolumes.delete(name);
    const created = timestampMs(claim.metadata.creationTimestamp) ?? now;
    metrics.launches.inc({ nodepool: pool ?? '', capacity_type: claim.metadata.labels?.[LABEL_CAPACITY_TYPE] ?? '', result: 'terminated' });
    recordTerminated(metrics.karpenter, claim, node);
    decisions.record({
      controller: this.name,
      action: 'terminated',
      reason: mark?.method ?? 'deleted',
      message: `NodeClaim ${name}: instance terminated after ${((now - created) / 3_600_000).toFixed(1)}h, finalizers removed`,
      nodePool: pool,
      nodeClaims: [name],
    });
    return undefined;
  }

  /**
   * After the drain, before the instance is terminated: the node's VolumeAttachments of
   * drained pods must be gone (the attach-detach controller deletes them once the volumes
   * are detached), so the pods' volumes can attach elsewhere; as Karpenter's
   * awaitVolumeDetachment, up to the NodeClaim's terminationGracePeriod (no other timeout),
   * with the AwaitingVolumeDetachment Event and the VolumesDetached condition. Returns when
   * to look again (requeueMs), or the claim as written to go on with.
   */
  private async awaitVolumeDetachment(claim: NodeClaim, nodeName: string, deadline: number, now: number): Promise<{ requeueMs?: number; claim: NodeClaim }> {
    const { cluster, decisions } = this.ctx;
    const name = claim.metadata.name!;
    const pending = pendingVolumeAttachments(cluster.cache, nodeName);
    const nowIso = new Date(now).toISOString();
    const current = claim.status?.conditions?.find((c) => c.type === CONDITION_VOLUMES_DETACHED);
    const setVolumes = async (status: 'True' | 'False' | 'Unknown', reason: string, message: string): Promise<NodeClaim> => {
      if (current?.status === status && current.reason === reason) return claim;
      return cluster.patchNodeClaimStatus(name, { conditions: setCondition(claim.status?.conditions, CONDITION_VOLUMES_DETACHED, status, reason, message, nowIso) });
    };
    if (pending.length === 0) {
      this.awaitingVolumes.delete(name);
      return { claim: await setVolumes('True', CONDITION_VOLUMES_DETACHED, '') };
    }
    const names = pending.map((v) => v.metadata.name!).sort();
    if (now >= deadline) {
      this.awaitingVolumes.delete(name);
      return { claim: await setVolumes('False', REASON_TGP_ELAPSED, `terminationGracePeriod ran out with ${names.length} VolumeAttachment(s) left: ${names.join(', ')}`) };
    }
    await setVolumes('Unknown', REASON_AWAITING_VOLUME_DETACHMENT, `awaiting deletion of ${names.length} VolumeAttachment(s)`);
    const key = names.join(',');
    if (this.awaitingVolumes.get(name) !== key) {
      this.awaitingVolumes.set(name, key);
      const message = `Awaiting deletion of bound volumeattachments (${names.join(', ')})`;
      cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Normal', reason: REASON_AWAITING_VOLUME_DETACHMENT, message });
      decisions.record({
        controller: this.name,
        action: 'awaiting-volume-detachment',
        reason: 'volume-attachments',
        message: `node ${nodeName} drained; ${message.toLowerCase()} before terminating its instance${Number.isFinite(deadline) ? ` (at most until ${new Date(deadline).toISOString()}, the terminationGracePeriod)` : ''}`,
        nodePool: claim.metadata.labels?.[LABEL_NODEPOOL],
        nodeClaims: [name],
        nodes: [nodeName],
      });
    }
    return { requeueMs: Math.max(1, Math.min(VOLUME_POLL_MS, deadline - now)), claim };
  }

  /** Evicts the next group of pods; returns how many pods still block termination. */
  private async drain(claimName: string, nodeName: string, deletedAt: number, tgpMs: number, now: number): Promise<number> {
    const { cluster, decisions, metrics } = this.ctx;
    const pods = cluster.cache.podsOnNode(nodeName).filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    // Pods that tolerate the disrupted taint would be rescheduled right back: leave them (Karpenter does).
    const drainable = pods.filter((p) => !toleratesTaintKey(p, TAINT_DISRUPTED.key));
    if (drainable.length === 0) return 0;
    const group = Math.min(...drainable.map(evictionGroup));
    let blocking = 0;
    for (const pod of drainable) {
      if (evictionGroup(pod) !== group) {
        blocking += 1;
        continue;
      }
      const ns = pod.metadata.namespace ?? 'default';
      const podName = pod.metadata.name!;
      // The node's terminationGracePeriod overrides PDBs and do-not-disrupt: a pod is deleted
      // when waiting longer would not leave it its own grace period before the deadline.
      const podGraceMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
      if (Number.isFinite(tgpMs) && now >= deletedAt + tgpMs - podGraceMs) {
        await cluster.deletePod(ns, podName);
        metrics.evictions.inc({ result: 'forced' });
        continue;
      }
      const protectedUntil = doNotDisruptUntil(pod, now);
      if (protectedUntil !== undefined) {
        blocking += 1;
        this.reportBlocked(claimName, nodeName, pod, 'do-not-disrupt', `pod ${podKey(pod)} is annotated ${describeDoNotDisrupt(pod, protectedUntil)}`);
        continue;
      }
      const result = await cluster.evictPod(ns, podName);
      metrics.evictions.inc({ result });
      if (result === 'blocked-by-pdb') {
        blocking += 1;
        this.reportBlocked(claimName, nodeName, pod, 'pdb', `eviction of ${podKey(pod)} refused: a PodDisruptionBudget allows no disruption now`);
      }
    }
    void decisions;
    return blocking;
  }

  private reportBlocked(claimName: string, nodeName: string, pod: Pod, reason: string, message: string): void {
    const key = `${claimName}/${podKey(pod)}/${reason}`;
    if (this.reportedBlocked.has(key)) return;
    this.reportedBlocked.add(key);
    if (this.reportedBlocked.size > 50_000) this.reportedBlocked.clear();
    this.ctx.decisions.record({
      controller: this.name,
      action: 'drain-blocked',
      reason,
      message: `node ${nodeName}: ${message}; retrying`,
      nodeClaims: [claimName],
      nodes: [nodeName],
    });
    this.ctx.cluster.recordEvent({
      involved: { kind: 'Node', name: nodeName },
      type: 'Warning',
      reason: reason === 'pdb' ? 'DrainBlockedByPDB' : 'DrainBlockedByDoNotDisrupt',
      message,
    });
    // Karpenter's own reason for a drain that cannot finish yet, for its users' alerts.
    this.ctx.cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Warning', reason: 'FailedDraining', message: `Failed to drain node, ${message}` });
  }
}
