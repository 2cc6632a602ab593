// The simulator's Kubernetes API server and informer cache in one: objects in memory,
// server-side fields (uid, resourceVersion, creationTimestamp, generateName), graceful
// deletion with finalizers, the Eviction API with PodDisruptionBudgets, and a watch
// stream. It implements the Cluster; the simulated kube-scheduler, kubelets and
// workload controllers (scheduler.ts, kubelet.ts, workloads.ts) write through the
// extra methods below, as their real counterparts write through the real API.

import type { NodeOverlay } from '../../../core/api/node-overlay.ts';
import type { Node, Pod, PodDisruptionBudget } from '../../../core/api/k8s.ts';
import type { EC2NodeClassStatus, NodeClaim, NodeClaimStatus, NodePoolStatus } from '../../../core/api/karpenter.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  KINDS,
  NotFoundError,
  type ClusterCache,
  type ClusterEventRecord,
  type Cluster,
  type EvictionResult,
  type Kind,
  type MetadataPatch,
  type NodePatch,
  type PodPatchResult,
  type ObjectsByKind,
  type WatchEvent,
  type WatchEventType,
} from '../../ports/cluster.ts';
import { mulberry32, randomSuffix } from './random.ts';
import { compileSelector } from '../../../core/scheduling/selectors.ts';

const NAMESPACED: ReadonlySet<Kind> = new Set(['Pod', 'DaemonSet', 'PodDisruptionBudget', 'PersistentVolumeClaim']);

function keyOf(kind: Kind, name: string, namespace?: string): string {
  return NAMESPACED.has(kind) ? `${namespace ?? 'default'}/${name}` : name;
}

type AnyObject = ObjectsByKind[Kind];

export interface RecordedEvent extends ClusterEventRecord {
  readonly time: number;
}

function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(value);
}

export class InMemoryApiServer implements Cluster {
  readonly cache: ClusterCache;
  private readonly store = new Map<Kind, Map<string, AnyObject>>();
  private readonly listCache = new Map<Kind, readonly AnyObject[]>();
  private readonly podsByNode = new Map<string, Map<string, Pod>>();
  private readonly listeners = new Set<(e: WatchEvent) => void>();
  private readonly random: () => number;
  private resourceVersion = 0;
  readonly events: RecordedEvent[] = [];
  /** Counts of API writes, for tests and the report. */
  readonly writes = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    seed = 1,
  ) {
    this.random = mulberry32(seed ^ 0xa11ce);
    for (const k of KINDS) this.store.set(k, new Map());
    this.cache = {
      list: <K extends Kind>(kind: K) => this.list(kind),
      get: <K extends Kind>(kind: K, name: string, namespace?: string) =>
        this.store.get(kind)!.get(keyOf(kind, name, namespace)) as ObjectsByKind[K] | undefined,
      podsOnNode: (nodeName: string) => [...(this.podsByNode.get(nodeName)?.values() ?? [])],
    };
  }

  // ---- Cluster ---------------------------------------------------------------

  async waitForSync(): Promise<void> {}

  watch(listener: (event: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createNodeClaim(claim: NodeClaim): Promise<NodeClaim> {
    this.count('create NodeClaim');
    return this.create('NodeClaim', claim);
  }

  async patchNodeClaim(name: string, patch: MetadataPatch): Promise<NodeClaim> {
    this.count('patch NodeClaim');
    return this.update('NodeClaim', name, undefined, (c) => applyMetadataPatch(c, patch));
  }

  async patchNodeClaimStatus(name: string, status: Partial<NodeClaimStatus>): Promise<NodeClaim> {
    this.count('patch NodeClaim/status');
    return this.update('NodeClaim', name, undefined, (c) => {
      c.status = { ...(c.status ?? {}), ...status };
    });
  }

  async deleteNodeClaim(name: string): Promise<void> {
    this.count('delete NodeClaim');
    this.delete('NodeClaim', name);
  }

  async patchNode(name: string, patch: NodePatch): Promise<Node> {
    this.count('patch Node');
    return this.update('Node', name, undefined, (n) => {
      applyMetadataPatch(n, patch);
      n.spec = { ...(n.spec ?? {}) };
      if (patch.unschedulable !== undefined) n.spec.unschedulable = patch.unschedulable || undefined;
      let taints = [...(n.spec.taints ?? [])];
      for (const r of patch.removeTaints ?? []) taints = taints.filter((t) => !(t.key === r.key && t.effect === r.effect));
      for (const a of patch.addTaints ?? []) {
        if (!taints.some((t) => t.key === a.key && t.effect === a.effect)) taints.push({ ...a });
      }
      n.spec.taints = taints;
    });
  }

  async deleteNode(name: string): Promise<void> {
    this.count('delete Node');
    this.delete('Node', name);
  }

  async evictPod(namespace: string, name: string): Promise<EvictionResult> {
    this.count('create Eviction');
    const pod = this.cache.get('Pod', name, namespace);
    if (!pod) return 'not-found';
    if (pod.metadata.deletionTimestamp) return 'evicted';
    for (const pdb of this.list('PodDisruptionBudget')) {
      if ((pdb.metadata.namespace ?? 'default') !== namespace) continue;
      if (!compileSelector(pdb.spec?.selector).matches(pod.metadata.labels)) continue;
      // The Eviction API allows evicting a pod that is not healthy even when the budget is spent.
      if (!this.isHealthy(pod)) continue;
      if (this.disruptionsAllowed(pdb) <= 0) return 'blocked-by-pdb';
    }
    this.deletePodNow(namespace, name);
    return 'evicted';
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    this.count('delete Pod');
    this.deletePodNow(namespace, name);
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>, resourceVersion?: string): Promise<PodPatchResult> {
    this.count('patch Pod');
    const pod = this.cache.get('Pod', name, namespace);
    if (!pod) return 'not-found';
    if (resourceVersion !== undefined && pod.metadata.resourceVersion !== resourceVersion) return 'conflict';
    this.update('Pod', name, namespace, (p) => applyMetadataPatch(p, { annotations }));
    return 'patched';
  }

  async patchNodePool(name: string, patch: MetadataPatch): Promise<boolean> {
    this.count('patch NodePool');
    if (!this.cache.get('NodePool', name)) return false;
    this.update('NodePool', name, undefined, (p) => applyMetadataPatch(p, patch));
    return true;
  }

  async patchNodePoolStatus(name: string, status: NodePoolStatus): Promise<boolean> {
    this.count('patch NodePool/status');
    if (!this.cache.get('NodePool', name)) return false;
    this.update('NodePool', name, undefined, (p) => {
      p.status = { ...status };
    });
    return true;
  }

  /** NodeOverlay statuses written, by name (the simulated cluster holds the overlays of the accepted intent). */
  readonly nodeOverlayStatuses = new Map<string, NonNullable<NodeOverlay['status']>>();

  async patchNodeOverlayStatus(name: string, status: NonNullable<NodeOverlay['status']>): Promise<boolean> {
    this.count('patch NodeOverlay/status');
    this.nodeOverlayStatuses.set(name, { ...status });
    return true;
  }

  async patchEC2NodeClassStatus(name: string, status: EC2NodeClassStatus): Promise<boolean> {
    this.count('patch EC2NodeClass/status');
    if (!this.cache.get('EC2NodeClass', name)) return false;
    this.update('EC2NodeClass', name, undefined, (c) => {
      c.status = { ...status };
    });
    return true;
  }

  recordEvent(event: ClusterEventRecord): void {
    this.events.push({ ...event, time: this.clock.now() });
    if (this.events.length > 10_000) this.events.splice(0, 5_000);
  }

  // ---- PodDisruptionBudget status ---------------------------------------------------

  /** A pod counts as healthy for PDBs when it runs on a Ready node and is not terminating. */
  isHealthy(pod: Pod): boolean {
    if (pod.metadata.deletionTimestamp || !pod.spec.nodeName || pod.status?.phase !== 'Running') return false;
    const node = this.cache.get('Node', pod.spec.nodeName);
    return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }

  disruptionsAllowed(pdb: PodDisruptionBudget): number {
    return this.pdbStatus(pdb).disruptionsAllowed;
  }

  /** What the disruption controller of kube-controller-manager would write as the PDB's status. */
  pdbStatus(pdb: PodDisruptionBudget): { disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number; expectedPods: number } {
    const ns = pdb.metadata.namespace ?? 'default';
    let expected = 0;
    let healthy = 0;
    for (const p of this.list('Pod')) {
      if ((p.metadata.namespace ?? 'default') !== ns || !compileSelector(pdb.spec?.selector).matches(p.metadata.labels)) continue;
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      expected += 1;
      if (this.isHealthy(p)) healthy += 1;
    }
    let desired = 0;
    if (pdb.spec?.minAvailable !== undefined) desired = scaled(pdb.spec.minAvailable, expected);
    else if (pdb.spec?.maxUnavailable !== undefined) desired = expected - scaled(pdb.spec.maxUnavailable, expected);
    return { disruptionsAllowed: Math.max(0, healthy - desired), currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected };
  }

  // ---- writes by the simulated cluster components ------------------------------------

  /** `restore`: keep the given creationTimestamp (objects carried over from before the simulation). */
  create<K extends Kind>(kind: K, object: ObjectsByKind[K], restore = false): ObjectsByKind[K] {
    const obj = structuredClone(object) as ObjectsByKind[K];
    const meta = obj.metadata;
    const store = this.store.get(kind)!;
    if (!meta.name) {
      if (!meta.generateName) throw new Error(`${kind} needs metadata.name or metadata.generateName`);
      do meta.name = `${meta.generateName}${randomSuffix(this.random)}`;
      while (store.has(keyOf(kind, meta.name, meta.namespace)));
    }
    if (NAMESPACED.has(kind)) meta.namespace = meta.namespace ?? 'default';
    const key = keyOf(kind, meta.name, meta.namespace);
    if (store.has(key)) throw new Error(`${kind} ${key} already exists`);
    meta.uid = this.uid();
    meta.resourceVersion = String(++this.resourceVersion);
    if (!restore || !meta.creationTimestamp) meta.creationTimestamp = new Date(this.clock.now()).toISOString();
    meta.generation = 1;
    store.set(key, obj);
    this.index(kind, undefined, obj);
    this.emit(kind, 'ADDED', obj);
    return obj;
  }

  update<K extends Kind>(kind: K, name: string, namespace: string | undefined, mutate: (o: ObjectsByKind[K]) => void): ObjectsByKind[K] {
    const store = this.store.get(kind)!;
    const key = keyOf(kind, name, namespace);
    const old = store.get(key) as ObjectsByKind[K] | undefined;
    if (!old) throw new NotFoundError(kind, key);
    const obj = structuredClone(old);
    mutate(obj);
    obj.metadata.resourceVersion = String(++this.resourceVersion);
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
      store.delete(key);
      this.index(kind, old, undefined);
      this.emit(kind, 'DELETED', obj);
      this.collectDependents(obj);
      return obj;
    }
    store.set(key, obj);
    this.index(kind, old, obj);
    this.emit(kind, 'MODIFIED', obj);
    return obj;
  }

  /** Graceful deletion: removed at once without finalizers, else marked with deletionTimestamp. */
  delete(kind: Kind, name: string, namespace?: string): void {
    const store = this.store.get(kind)!;
    const key = keyOf(kind, name, namespace);
    const old = store.get(key);
    if (!old) return;
    if ((old.metadata.finalizers ?? []).length === 0) {
      store.delete(key);
      this.index(kind, old, undefined);
      this.emit(kind, 'DELETED', old);
      this.collectDependents(old);
      return;
    }
    if (old.metadata.deletionTimestamp) return;
    this.update(kind, name, namespace, (o) => {
      o.metadata.deletionTimestamp = new Date(this.clock.now()).toISOString();
    });
  }

  deletePodNow(namespace: string, name: string): void {
    this.delete('Pod', name, namespace);
  }

  // ---- internals ---------------------------------------------------------------------

  /**
   * The garbage collector's background cascade: once an owner is gone, every object whose
   * ownerReferences name its uid is deleted (gracefully: its finalizers still hold it).
   */
  private collectDependents(owner: AnyObject): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const kind of this.store.keys()) {
      for (const o of [...this.list(kind)]) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) this.delete(kind, o.metadata.name!, o.metadata.namespace);
      }
    }
  }

  private list<K extends Kind>(kind: K): readonly ObjectsByKind[K][] {
    let l = this.listCache.get(kind);
    if (!l) {
      l = [...this.store.get(kind)!.values()];
      this.listCache.set(kind, l);
    }
    return l as readonly ObjectsByKind[K][];
  }

  private index(kind: Kind, old: AnyObject | undefined, next: AnyObject | undefined): void {
    this.listCache.delete(kind);
    if (kind !== 'Pod') return;
    const oldPod = old as Pod | undefined;
    const newPod = next as Pod | undefined;
    const oldNode = oldPod?.spec.nodeName;
    const newNode = newPod?.spec.nodeName;
    if (oldNode && oldPod) this.podsByNode.get(oldNode)?.delete(keyOf('Pod', oldPod.metadata.name!, oldPod.metadata.namespace));
    if (newNode && newPod) {
      let m = this.podsByNode.get(newNode);
      if (!m) this.podsByNode.set(newNode, (m = new Map()));
      m.set(keyOf('Pod', newPod.metadata.name!, newPod.metadata.namespace), newPod);
    }
    if (oldNode && this.podsByNode.get(oldNode)?.size === 0) this.podsByNode.delete(oldNode);
  }

  private emit(kind: Kind, type: WatchEventType, object: AnyObject): void {
    const event = { kind, type, object } as WatchEvent;
    for (const l of this.listeners) l(event);
  }

  private uid(): string {
    const hex = (n: number) =>
      Array.from({ length: n }, () => Math.floor(this.random() * 16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`;
  }

  private count(op: string): void {
    this.writes.set(op, (this.writes.get(op) ?? 0) + 1);
  }
}

function applyMetadataPatch(obj: { metadata: NodeClaim['metadata'] }, patch: MetadataPatch): void {
  const m = obj.metadata;
  if (patch.labels) m.labels = mergeNullable(m.labels, patch.labels);
  if (patch.annotations) m.annotations = mergeNullable(m.annotations, patch.annotations);
  let finalizers = [...(m.finalizers ?? [])];
  for (const f of patch.addFinalizers ?? []) if (!finalizers.includes(f)) finalizers.push(f);
  if (patch.removeFinalizers) finalizers = finalizers.filter((f) => !patch.removeFinalizers!.includes(f));
  m.finalizers = finalizers;
}

function mergeNullable(
  base: Record<string, string> | undefined,
  patch: Readonly<Record<string, string | null>>,
): Record<string, string> {
  const out: Record<string, string> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
