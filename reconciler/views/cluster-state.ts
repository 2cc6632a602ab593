// The reconciler's view of the cluster, rebuilt from the informer caches at the start
// of a reconcile: every NodeClaim joined with its Node and the pods bound to it. Nothing
// here is the source of truth; the API server is.

import type { Node, Pod } from '../../core/api/k8s.ts';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { parseResourceList, type ResourceList } from '../../core/resources/resource-list.ts';
import { parseDuration } from '../../core/disruption/duration.ts';
import type { ClusterCache, Cluster } from '../ports/cluster.ts';
import {
  ANNOTATION_DISRUPTION,
  ANNOTATION_DO_NOT_DISRUPT,
  CONDITION_INITIALIZED,
  CONDITION_LAUNCHED,
  CONDITION_REGISTERED,
  LABEL_CAPACITY_TYPE,
  LABEL_INSTANCE_TYPE,
  LABEL_NODEPOOL,
  LABEL_ZONE,
  parseDisruptionMark,
  type DisruptionMark,
} from '../../core/contract/index.ts';

/**
 * The pod tolerates taints with this key, whatever their effect and value (a toleration
 * of the key, or of every key): such pods are not drained for karpenter.sh/disrupted.
 */
export function toleratesTaintKey(pod: Pod, key: string): boolean {
  return (pod.spec.tolerations ?? []).some((t) => (t.operator === 'Exists' && !t.key) || t.key === key);
}

export function conditionTrue(claim: NodeClaim, type: string): boolean {
  return claim.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function timestampMs(t: string | Date | undefined): number | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'string' ? Date.parse(t) : t.getTime();
}

export function isDaemonSetPod(pod: Pod): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') ?? false;
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * A pod the reconciler may provision for (Karpenter's IsProvisionable): marked
 * Unschedulable by the scheduler, not a DaemonSet's, and not preempting (a pod with
 * status.nominatedNodeName waits for the lower-priority pods kube-scheduler evicts on
 * that node; a new node for it would be left empty).
 */
export function isProvisionable(pod: Pod): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp || isTerminal(pod) || isDaemonSetPod(pod)) return false;
  if (pod.status?.nominatedNodeName) return false;
  return pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') ?? false;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

/** A node's or NodeClaim's karpenter.sh/do-not-disrupt: only "true" counts (as in Karpenter). */
export function hasDoNotDisrupt(meta: { annotations?: Record<string, string> } | undefined): boolean {
  return meta?.annotations?.[ANNOTATION_DO_NOT_DISRUPT] === 'true';
}

/** A pod's karpenter.sh/do-not-disrupt value, read as Karpenter reads it. */
export type DoNotDisruptValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'forever' }
  | { readonly kind: 'duration'; readonly durationMs: number; readonly text: string }
  | { readonly kind: 'invalid'; readonly text: string; readonly error: string };

export function parseDoNotDisrupt(value: string | undefined): DoNotDisruptValue {
  if (value === undefined) return { kind: 'none' };
  if (value === 'true') return { kind: 'forever' };
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    return { kind: 'invalid', text: value, error: (e as Error).message };
  }
  // Go's time.ParseDuration takes no "Never"; Karpenter wants a positive duration.
  if (!Number.isFinite(ms) || ms <= 0) return { kind: 'invalid', text: value, error: `"${value}" is not a positive duration` };
  return { kind: 'duration', durationMs: ms, text: value };
}

/**
 * Until when a pod's karpenter.sh/do-not-disrupt protects it at `nowMs`, as Karpenter's
 * IsDoNotDisruptActive decides: "true" protects for ever (Infinity); a positive duration
 * ("30m", "2h") protects until status.startTime + duration (for ever while the pod has no
 * start time); any other value ("false", "0", "Never", a typo) protects nothing. Undefined:
 * not protected now.
 */
export function doNotDisruptUntil(pod: Pod, nowMs: number): number | undefined {
  const v = parseDoNotDisrupt(pod.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT]);
  if (v.kind === 'forever') return Infinity;
  if (v.kind !== 'duration') return undefined;
  const started = timestampMs(pod.status?.startTime);
  if (started === undefined || Number.isNaN(started)) return Infinity;
  const until = started + v.durationMs;
  return nowMs < until ? until : undefined;
}

/** "karpenter.sh/do-not-disrupt" or "karpenter.sh/do-not-disrupt: 2h (until 2026-03-03T02:00:00.000Z)", for messages. */
export function describeDoNotDisrupt(pod: Pod, untilMs: number): string {
  const value = pod.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT];
  if (!Number.isFinite(untilMs)) return value === 'true' ? ANNOTATION_DO_NOT_DISRUPT : `${ANNOTATION_DO_NOT_DISRUPT}: ${value} (the pod has no start time yet)`;
  return `${ANNOTATION_DO_NOT_DISRUPT}: ${value} (until ${new Date(untilMs).toISOString()})`;
}

export function nodeReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export interface StateNode {
  readonly name: string;
  readonly claim: NodeClaim;
  readonly node: Node | undefined;
  readonly nodePool: string;
  readonly nodeClass: string;
  /**
   * Non-terminal pods bound to the node, Terminating ones included: as kube-scheduler (and
   * Karpenter's cluster state) counts them, a pod holds its room until the object is gone
   * or it has Succeeded or Failed.
   */
  readonly pods: readonly Pod[];
  readonly instanceType: string | undefined;
  readonly zone: string | undefined;
  readonly capacityType: string | undefined;
  /** The node's allocatable when registered, else the claim's prediction. */
  readonly allocatable: ResourceList;
  readonly labels: Readonly<Record<string, string>>;
  readonly launched: boolean;
  readonly registered: boolean;
  readonly initialized: boolean;
  /** The claim or its node is being deleted. */
  readonly deleting: boolean;
  readonly disruption: DisruptionMark | undefined;
  readonly createdAtMs: number;
}

export interface ClusterState {
  readonly nodes: readonly StateNode[];
  readonly byClaim: ReadonlyMap<string, StateNode>;
  readonly byNodeName: ReadonlyMap<string, StateNode>;
  /** Nodes without a NodeClaim (managed by something else); their pods still count. */
  readonly unmanagedNodes: readonly Node[];
  readonly pendingPods: readonly Pod[];
}

const parsed = new WeakMap<object, ResourceList>();
/** Quantity maps parsed once per object (cached objects are replaced, never mutated). */
function parsedOf(map: Record<string, string> | undefined): ResourceList {
  if (!map) return {};
  let r = parsed.get(map);
  if (!r) parsed.set(map, (r = parseResourceList(map)));
  return r;
}

interface Memo {
  generation: number;
  builtAt: number;
  state: ClusterState | undefined;
}
const memos = new WeakMap<Cluster, Memo>();

/**
 * The cluster state of the port's caches, rebuilt only when a watch event arrived since
 * the last build (several controllers read it in the same instant).
 */
export function clusterState(cluster: Cluster): ClusterState {
  let m = memos.get(cluster);
  if (!m) {
    const memo: Memo = { generation: 0, builtAt: -1, state: undefined };
    cluster.watch(() => {
      memo.generation += 1;
    });
    memos.set(cluster, (m = memo));
  }
  if (!m.state || m.builtAt !== m.generation) {
    m.state = buildClusterState(cluster.cache);
    m.builtAt = m.generation;
  }
  return m.state;
}

export function buildClusterState(cache: ClusterCache): ClusterState {
  const nodesByProvider = new Map<string, Node>();
  const nodesByName = new Map<string, Node>();
  for (const n of cache.list('Node')) {
    if (n.spec?.providerID) nodesByProvider.set(n.spec.providerID, n);
    nodesByName.set(n.metadata.name!, n);
  }
  const nodes: StateNode[] = [];
  const byClaim = new Map<string, StateNode>();
  const byNodeName = new Map<string, StateNode>();
  const claimedNodes = new Set<string>();
  for (const claim of cache.list('NodeClaim')) {
    const providerID = claim.status?.providerID;
    const node = (providerID && nodesByProvider.get(providerID)) || (claim.status?.nodeName ? nodesByName.get(claim.status.nodeName) : undefined);
    if (node) claimedNodes.add(node.metadata.name!);
    const pods = node ? cache.podsOnNode(node.metadata.name!).filter((p) => !isTerminal(p)) : [];
    const labels = { ...(claim.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) };
    const allocatable = node?.status?.allocatable ? parsedOf(node.status.allocatable) : parsedOf(claim.status?.allocatable as Record<string, string> | undefined);
    const s: StateNode = {
      name: claim.metadata.name!,
      claim,
      node,
      nodePool: claim.metadata.labels?.[LABEL_NODEPOOL] ?? '',
      nodeClass: claim.spec.nodeClassRef.name,
      pods,
      instanceType: labels[LABEL_INSTANCE_TYPE],
      zone: labels[LABEL_ZONE],
      capacityType: labels[LABEL_CAPACITY_TYPE],
      allocatable,
      labels,
      launched: conditionTrue(claim, CONDITION_LAUNCHED),
      registered: conditionTrue(claim, CONDITION_REGISTERED),
      initialized: conditionTrue(claim, CONDITION_INITIALIZED),
      deleting: Boolean(claim.metadata.deletionTimestamp || node?.metadata.deletionTimestamp),
      disruption: parseDisruptionMark(claim.metadata.annotations?.[ANNOTATION_DISRUPTION]),
      createdAtMs: timestampMs(claim.metadata.creationTimestamp) ?? 0,
    };
    nodes.push(s);
    byClaim.set(s.name, s);
    if (node) byNodeName.set(node.metadata.name!, s);
  }
  const unmanagedNodes = [...nodesByName.values()].filter((n) => !claimedNodes.has(n.metadata.name!));
  const pendingPods = cache.list('Pod').filter(isProvisionable);
  return { nodes, byClaim, byNodeName, unmanagedNodes, pendingPods };
}
