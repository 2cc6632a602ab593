// Early start: provisioning need not wait for kube-scheduler's Unschedulable mark on a pod
// kube-scheduler cannot place anyway. A pod kube-scheduler has not judged yet (no
// PodScheduled condition) is provisioned for at once when it provably fits on no Node of
// the cluster: on every Node, a taint it does not tolerate, a nodeSelector label that
// differs, or too little room for one of its requests. Each test can only refuse a node
// kube-scheduler refuses too (free room is counted from the pods bound there, which
// kube-scheduler counts as well), so a pod that fits somewhere by these tests alone waits
// for the mark: no node is launched for a pod kube-scheduler would have placed. In-flight
// claims without a Node are left to the solver, which counts them as capacity.
//
// Preemption: kube-scheduler places a pod that may preempt (preemptionPolicy not Never)
// on a node where evicting pods of lower priority makes room, so for such a pod a node's
// room counts those pods as gone. A pod with room only by preemption waits for
// kube-scheduler, which nominates the node (status.nominatedNodeName) and evicts the
// victims; a node launched for it would be left empty.

import type { Node, Pod, Taint } from '../../../core/api/k8s.ts';
import { parseResourceList, podRequests, type ResourceList } from '../../../core/resources/resource-list.ts';
import { untoleratedTaint } from '../../../core/scheduling/taints.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import { isDaemonSetPod, isTerminal } from '../../views/cluster-state.ts';

/** kube-scheduler's NodeUnschedulable filter: a cordoned node takes only pods tolerating this. */
const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** A pod kube-scheduler has not judged yet: unbound, not going away, no PodScheduled condition. */
export function awaitingScheduler(pod: Pod): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp || isTerminal(pod) || isDaemonSetPod(pod)) return false;
  if ((pod.spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return false;
  return !(pod.status?.conditions ?? []).some((c) => c.type === 'PodScheduled');
}

interface BoundPod {
  readonly priority: number;
  readonly requests: ResourceList;
}

interface NodeRoom {
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** Allocatable minus the requests of the pods bound there, per resource; `pods` is the pod slots left. */
  readonly free: ResourceList;
  /** The non-terminal pods bound there (Terminating ones too: they hold their room until gone). */
  readonly bound: readonly BoundPod[];
  /** Room for a pod of a given priority that may preempt, by priority (computed when first asked). */
  readonly byPriority: Map<number, ResourceList>;
}

/** A pod's priority as kube-scheduler reads it (spec.priority, set by admission; 0 without). */
function priorityOf(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

/** The priority below which `pod` may evict pods to make room, or undefined when it preempts nothing. */
function preemptsBelow(pod: Pod): number | undefined {
  return pod.spec.preemptionPolicy === 'Never' ? undefined : priorityOf(pod);
}

function roomOf(node: Node, pods: readonly Pod[]): NodeRoom {
  const free: ResourceList = { ...parseResourceList((node.status?.allocatable ?? {}) as Record<string, string>) };
  const bound: BoundPod[] = [];
  for (const p of pods) {
    if (isTerminal(p)) continue;
    const requests = podRequests(p);
    bound.push({ priority: priorityOf(p), requests });
    for (const [k, v] of Object.entries(requests)) free[k] = (free[k] ?? 0) - v;
  }
  if (free.pods !== undefined) free.pods -= bound.length;
  const taints = [...(node.spec?.taints ?? [])];
  if (node.spec?.unschedulable) taints.push(UNSCHEDULABLE_TAINT);
  return { labels: node.metadata.labels ?? {}, taints, free, bound, byPriority: new Map() };
}

/** The node's room for a pod that may evict every pod of priority below `below` there. */
function roomPreempting(room: NodeRoom, below: number | undefined): ResourceList {
  if (below === undefined || !room.bound.some((b) => b.priority < below)) return room.free;
  let free = room.byPriority.get(below);
  if (!free) {
    free = { ...room.free };
    for (const b of room.bound) {
      if (b.priority >= below) continue;
      for (const [k, v] of Object.entries(b.requests)) free[k] = (free[k] ?? 0) + v;
      if (free.pods !== undefined) free.pods += 1;
    }
    room.byPriority.set(below, free);
  }
  return free;
}

function mayFit(pod: Pod, requests: ResourceList, room: NodeRoom): boolean {
  if (untoleratedTaint(room.taints, pod.spec.tolerations)) return false;
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (room.labels[k] !== v) return false;
  const free = roomPreempting(room, preemptsBelow(pod));
  for (const [k, need] of Object.entries(requests)) {
    if (need > 0 && (free[k] ?? 0) < need) return false;
  }
  // One pod slot (kube-scheduler's NodeResourcesFit counts pods too).
  if (free.pods !== undefined && free.pods < 1) return false;
  return true;
}

/** What mayFit reads of a pod: pods with the same shape fit on the same nodes. */
function shapeOf(pod: Pod, requests: ResourceList): string {
  return JSON.stringify([requests, pod.spec.tolerations ?? [], pod.spec.nodeSelector ?? {}, preemptsBelow(pod) ?? null]);
}

/**
 * The pods of `candidates` that fit on no Node of the cache: provisioning may solve for
 * them before kube-scheduler marks them. Every Node counts, those being deleted or not
 * Ready too (kube-scheduler may still place pods there unless a taint says otherwise).
 *
 * At scale (thousands of pods into thousands of nodes) two shortcuts keep this from
 * testing every pod on every node, without changing any answer: a pod that asks for more
 * of a resource than the roomiest node has free fits nowhere, and pods of one shape (same
 * requests, tolerations and nodeSelector, as a Deployment's replicas are) are tested once.
 */
export function fitNowhere(candidates: readonly Pod[], cache: ClusterCache): Pod[] {
  if (candidates.length === 0) return [];
  const rooms: NodeRoom[] = [];
  for (const n of cache.list('Node')) rooms.push(roomOf(n, cache.podsOnNode(n.metadata.name!)));
  // The most any one node has free, per resource (a resource a node lacks counts as 0 there).
  const roomiest: ResourceList = {};
  for (const room of rooms) for (const k of Object.keys(room.free)) roomiest[k] = 0;
  for (const room of rooms) for (const k of Object.keys(roomiest)) roomiest[k] = Math.max(roomiest[k]!, room.free[k] ?? 0);
  const anySlot = rooms.some((room) => room.free.pods === undefined || room.free.pods >= 1);
  // The lowest priority of a bound pod: a pod above it may make room by preemption, so the
  // roomiest node's free room says nothing about it.
  let lowest = Infinity;
  for (const room of rooms) for (const b of room.bound) lowest = Math.min(lowest, b.priority);
  const exceedsRoomiest = (pod: Pod, requests: ResourceList): boolean => {
    const below = preemptsBelow(pod);
    if (below !== undefined && below > lowest) return false;
    if (!anySlot) return true;
    for (const [k, need] of Object.entries(requests)) if (need > 0 && (roomiest[k] ?? 0) < need) return true;
    return false;
  };
  const byShape = new Map<string, boolean>();
  return candidates.filter((pod) => {
    const requests = podRequests(pod);
    const shape = shapeOf(pod, requests);
    let nowhere = byShape.get(shape);
    if (nowhere === undefined) {
      nowhere = exceedsRoomiest(pod, requests) || !rooms.some((room) => mayFit(pod, requests, room));
      byShape.set(shape, nowhere);
    }
    return nowhere;
  });
}
