// The Cluster: what the reconciler reads from and writes to the Kubernetes API.
//
// Reads come from a cache kept current by watches, as client-go/client-node informers
// provide (list once, then watch with resync): synchronous, possibly a little behind
// the API server, never a poll. Writes are API calls, hence async. The production
// adapter uses @kubernetes/client-node; the simulator keeps the objects in memory.

import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import type { CSINode, DaemonSet, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodDisruptionBudget, StorageClass, VolumeAttachment } from '../../core/api/k8s.ts';
import type { EC2NodeClass, EC2NodeClassStatus, NodeClaim, NodeClaimStatus, NodePool, NodePoolStatus, NodeClaimTaint } from '../../core/api/karpenter.ts';

export interface ObjectsByKind {
  Pod: Pod;
  Node: Node;
  NodeClaim: NodeClaim;
  DaemonSet: DaemonSet;
  PodDisruptionBudget: PodDisruptionBudget;
  NodePool: NodePool;
  /** As applied to the cluster (its generation and status); the intent's copy may come from git. */
  EC2NodeClass: EC2NodeClass;
  /** Termination waits for a node's VolumeAttachments to go before terminating its instance. */
  VolumeAttachment: VolumeAttachment;
  /**
   * To tell which VolumeAttachments belong to pods that are not drained (and so do not hold
   * termination); and, with PersistentVolumes and StorageClasses, the pods' volume topology.
   */
  PersistentVolumeClaim: PersistentVolumeClaim;
  /** Where a bound claim's volume can be used (node affinity, zone labels). */
  PersistentVolume: PersistentVolume;
  /** When an unbound claim binds (volumeBindingMode) and where it may be provisioned (allowedTopologies). */
  StorageClass: StorageClass;
  /** Namespace labels, for the namespaceSelector of pod affinity and anti-affinity terms. */
  Namespace: Namespace;
  /** Per node (same name), the volumes each CSI driver can attach there: kube-scheduler's NodeVolumeLimits. */
  CSINode: CSINode;
}
export type Kind = keyof ObjectsByKind;
export const KINDS: readonly Kind[] = ['Pod', 'Node', 'NodeClaim', 'DaemonSet', 'PodDisruptionBudget', 'NodePool', 'EC2NodeClass', 'VolumeAttachment', 'PersistentVolumeClaim', 'Namespace', 'PersistentVolume', 'StorageClass', 'CSINode'];

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchEvent = {
  [K in Kind]: { readonly kind: K; readonly type: WatchEventType; readonly object: ObjectsByKind[K] };
}[Kind];

/** Informer caches: the last observed state of each watched kind. */
export interface ClusterCache {
  list<K extends Kind>(kind: K): readonly ObjectsByKind[K][];
  /** Cluster-scoped kinds ignore `namespace`. */
  get<K extends Kind>(kind: K, name: string, namespace?: string): ObjectsByKind[K] | undefined;
  /** Pods bound to a node (an index on spec.nodeName, as an informer indexer keeps). */
  podsOnNode(nodeName: string): readonly Pod[];
}

/** A JSON-merge-patch-like change to metadata; a null value removes the key. */
export interface MetadataPatch {
  readonly labels?: Readonly<Record<string, string | null>>;
  readonly annotations?: Readonly<Record<string, string | null>>;
  readonly addFinalizers?: readonly string[];
  readonly removeFinalizers?: readonly string[];
}

export interface NodePatch extends MetadataPatch {
  /** Added unless a taint with the same key and effect is present. */
  readonly addTaints?: readonly NodeClaimTaint[];
  /** Removed by key and effect. */
  readonly removeTaints?: readonly Pick<NodeClaimTaint, 'key' | 'effect'>[];
  readonly unschedulable?: boolean;
}

/**
 * Outcome of a request to the Eviction API. 'blocked-by-pdb' is the API's 429: a
 * PodDisruptionBudget allows no disruption right now; retry later.
 */
export type EvictionResult = 'evicted' | 'blocked-by-pdb' | 'not-found';

/** Outcome of a pod annotation patch: 'conflict' when the pod changed since `resourceVersion`. */
export type PodPatchResult = 'patched' | 'conflict' | 'not-found';

export interface ClusterEventRecord {
  readonly involved: { readonly kind: Kind; readonly name: string; readonly namespace?: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export class NotFoundError extends Error {
  constructor(
    readonly kind: Kind,
    readonly objectName: string,
  ) {
    super(`${kind} ${objectName} not found`);
    this.name = 'NotFoundError';
  }
}

export interface Cluster {
  readonly cache: ClusterCache;
  /** Resolves once every cache has listed its kind (informers synced). */
  waitForSync(): Promise<void>;
  /** Every change observed in the cache, after the cache has applied it. Returns an unsubscribe. */
  watch(listener: (event: WatchEvent) => void): () => void;

  /** Creates a NodeClaim; `metadata.generateName` is honoured. Returns the stored object (uid set). */
  createNodeClaim(claim: NodeClaim): Promise<NodeClaim>;
  patchNodeClaim(name: string, patch: MetadataPatch): Promise<NodeClaim>;
  /** Merges status fields; `conditions`, when given, replaces the list. */
  patchNodeClaimStatus(name: string, status: Partial<NodeClaimStatus>): Promise<NodeClaim>;
  /** Graceful delete: sets deletionTimestamp while finalizers remain. NotFound is not an error. */
  deleteNodeClaim(name: string): Promise<void>;

  patchNode(name: string, patch: NodePatch): Promise<Node>;
  /** Graceful delete: sets deletionTimestamp while finalizers remain. NotFound is not an error. */
  deleteNode(name: string): Promise<void>;

  /** The Eviction API: honours PodDisruptionBudgets. */
  evictPod(namespace: string, name: string): Promise<EvictionResult>;
  /** Deletes a pod outright (after a node's terminationGracePeriod has run out). */
  deletePod(namespace: string, name: string): Promise<void>;
  /**
   * Merges annotations into a pod (a null value removes the key). With `resourceVersion`,
   * the write is refused ('conflict') when the pod changed since that version, so a value
   * someone else just wrote is never overwritten by one judged on an older copy.
   */
  patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>, resourceVersion?: string): Promise<PodPatchResult>;

  /** Adds or removes a NodePool object's finalizers, labels or annotations; false when no such NodePool exists. */
  patchNodePool(name: string, patch: MetadataPatch): Promise<boolean>;
  /** Writes NodePool status; false when no such NodePool object exists in the cluster. */
  patchNodePoolStatus(name: string, status: NodePoolStatus): Promise<boolean>;
  /** Writes EC2NodeClass status (the status subresource); false when no such object exists in the cluster. */
  patchEC2NodeClassStatus(name: string, status: EC2NodeClassStatus): Promise<boolean>;
  /** Writes NodeOverlay status (its conditions); false when no such object exists in the cluster. */
  patchNodeOverlayStatus(name: string, status: NonNullable<NodeOverlay['status']>): Promise<boolean>;
  /** A Kubernetes Event; best effort (adapters may aggregate or drop under load). */
  recordEvent(event: ClusterEventRecord): void;
}
