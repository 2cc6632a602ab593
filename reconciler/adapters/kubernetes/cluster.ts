// The Cluster over a real API server with @kubernetes/client-node:
//   reads   informers (list + watch, periodic relist) on pods, nodes, NodeClaims,
//           DaemonSets, PodDisruptionBudgets, NodePools and EC2NodeClasses, in InformerStore;
//   writes  NodeClaims through CustomObjectsApi (karpenter.sh/v1, status subresource),
//           Nodes and Pods through CoreV1Api, evictions through the policy/v1 Eviction
//           subresource (429 = a PodDisruptionBudget says no), all JSON merge patches.
// A list-valued field (finalizers, taints) is changed read-modify-write with the object's
// resourceVersion as precondition, retried on conflict, so a concurrent writer's change
// (the node lifecycle controller's taints, another finalizer) is never lost.
// Write responses go into the cache at once: a controller sees its own writes.

import type { NodeOverlay } from '../../../core/api/node-overlay.ts';
import { NODE_OVERLAY_API_VERSION } from '../../../core/contract/index.ts';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import type { Node, Taint } from '../../../core/api/k8s.ts';
import type { EC2NodeClassStatus, NodeClaim, NodeClaimStatus, NodePool, NodePoolStatus } from '../../../core/api/karpenter.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  KINDS,
  NotFoundError,
  type ClusterCache,
  type ClusterEventRecord,
  type Cluster,
  type EvictionResult,
  type PodPatchResult,
  type MetadataPatch,
  type NodePatch,
  type WatchEvent,
} from '../../ports/cluster.ts';
import type { Logger } from '../../observability/log.ts';
import { SystemClock } from '../../runtime/system-clock.ts';
import { KubernetesApiError, statusCode } from './errors.ts';
import { RetryingKubeConfig } from './retrying-kube-config.ts';
import { EventRecorder } from './events.ts';
import { Informers } from './informers.ts';
import { toPlain } from './plain.ts';
import { kindResources } from './resources.ts';
import { nodePatchOps } from './node-patch.ts';
import { InformerStore } from './store.ts';
import { KARPENTER_API_VERSION, KARPENTER_AWS_GROUP, KARPENTER_GROUP, KARPENTER_VERSION } from '../../../core/contract/index.ts';

export interface KubernetesClusterConfig {
  /** A loaded KubeConfig, or the path of a kubeconfig file; neither: in-cluster, else the default (~/.kube/config). */
  readonly kubeConfig?: KubeConfig;
  readonly kubeconfigPath?: string;
  /** Full relist period per kind. Default 10 min. */
  readonly resyncMs?: number;
  /** Items per list page. Default 500. */
  readonly pageSize?: number;
  /** Namespace for Events about cluster-scoped objects. Default "default". */
  readonly eventNamespace?: string;
  /** Identical Events are sent at most once per this period. Default 2 min. */
  readonly eventDedupeMs?: number;
  /** Field manager name of our writes. Default "joinery". */
  readonly fieldManager?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const MAX_CONFLICT_RETRIES = 5;

export function loadKubeConfig(config: Pick<KubernetesClusterConfig, 'kubeConfig' | 'kubeconfigPath'>): KubeConfig {
  if (config.kubeConfig) return config.kubeConfig;
  const kc = new RetryingKubeConfig();
  if (config.kubeconfigPath) kc.loadFromFile(config.kubeconfigPath);
  else kc.loadFromDefault(); // in-cluster ServiceAccount when KUBERNETES_SERVICE_HOST is set
  return kc;
}

function withoutKeys<T>(list: readonly T[], remove: (t: T) => boolean): T[] {
  return list.filter((t) => !remove(t));
}

/** The taint list after adding (unless key+effect present) and removing (by key+effect). */
export function patchedTaints(current: readonly Taint[], patch: NodePatch): Taint[] {
  let taints = [...current];
  for (const r of patch.removeTaints ?? []) taints = withoutKeys(taints, (t) => t.key === r.key && t.effect === r.effect);
  for (const a of patch.addTaints ?? []) {
    if (!taints.some((t) => t.key === a.key && t.effect === a.effect)) taints.push({ key: a.key, effect: a.effect, ...(a.value ? { value: a.value } : {}) });
  }
  return taints;
}

export function patchedFinalizers(current: readonly string[], patch: MetadataPatch): string[] {
  let finalizers = [...current];
  for (const f of patch.addFinalizers ?? []) if (!finalizers.includes(f)) finalizers.push(f);
  if (patch.removeFinalizers) finalizers = finalizers.filter((f) => !patch.removeFinalizers!.includes(f));
  return finalizers;
}

function sameList<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => eq(x, b[i]!));
}

/** Does the patch change anything on `meta`? (labels/annotations compared value by value) */
function metadataChanges(meta: NodeClaim['metadata'], patch: MetadataPatch): boolean {
  const differs = (current: Record<string, string> | undefined, want: Readonly<Record<string, string | null>> | undefined) =>
    Object.entries(want ?? {}).some(([k, v]) => (v === null ? current?.[k] !== undefined : current?.[k] !== v));
  return differs(meta.labels, patch.labels) || differs(meta.annotations, patch.annotations);
}

export class KubernetesCluster implements Cluster {
  readonly kubeConfig: KubeConfig;
  private readonly store: InformerStore;
  private readonly informers: Informers;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly events: EventRecorder;
  private readonly clock: Clock;
  private readonly fieldManager: string;
  private started = false;

  constructor(config: KubernetesClusterConfig = {}) {
    this.kubeConfig = loadKubeConfig(config);
    this.clock = config.clock ?? new SystemClock();
    this.fieldManager = config.fieldManager ?? 'joinery';
    this.store = new InformerStore(KINDS);
    const resources = kindResources(this.kubeConfig);
    this.informers = new Informers(
      this.kubeConfig,
      KINDS.map((k) => resources[k]),
      this.store,
      this.clock,
      { resyncMs: config.resyncMs ?? 10 * 60_000, pageSize: config.pageSize ?? 500, retryMs: 1_000 },
      config.logger,
    );
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
    this.events = new EventRecorder(
      this.kubeConfig,
      this.clock,
      { dedupeMs: config.eventDedupeMs ?? 2 * 60_000, concurrency: 4, maxQueue: 1_000, namespace: config.eventNamespace ?? 'default', component: 'joinery' },
      (kind, name, namespace) => this.store.get(kind, name, namespace)?.metadata.uid,
      config.logger,
    );
  }

  get cache(): ClusterCache {
    return this.store;
  }

  /** Starts the informers (idempotent); waitForSync starts them too. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.informers.start();
  }

  async waitForSync(): Promise<void> {
    this.start();
    await this.informers.waitForSync();
  }

  /** Stops every watch (the process or test is done with the cluster). */
  async stop(): Promise<void> {
    this.started = false;
    await this.informers.stop();
  }

  watch(listener: (event: WatchEvent) => void): () => void {
    return this.store.subscribe(listener);
  }

  // ---- NodeClaims ----------------------------------------------------------------------

  private claimRef(name: string) {
    return { group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodeclaims', name };
  }

  async createNodeClaim(claim: NodeClaim): Promise<NodeClaim> {
    const body = { ...claim, apiVersion: KARPENTER_API_VERSION, kind: 'NodeClaim', status: undefined };
    try {
      const out = await this.custom.createClusterCustomObject({ group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodeclaims', body, fieldManager: this.fieldManager });
      return this.observed('NodeClaim', out);
    } catch (err) {
      throw new KubernetesApiError(`create NodeClaim ${claim.metadata.name ?? `${claim.metadata.generateName ?? ''}*`}`, statusCode(err), err);
    }
  }

  async patchNodeClaim(name: string, patch: MetadataPatch): Promise<NodeClaim> {
    return this.readModifyWrite('NodeClaim', name, async (current) => {
      const body = this.metadataPatchBody(current.metadata, patch);
      if (!body) return current;
      return this.custom.patchClusterCustomObject({ ...this.claimRef(name), body, fieldManager: this.fieldManager }, MERGE_PATCH);
    });
  }

  async patchNodeClaimStatus(name: string, status: Partial<NodeClaimStatus>): Promise<NodeClaim> {
    try {
      const out = await this.custom.patchClusterCustomObjectStatus({ ...this.claimRef(name), body: { status }, fieldManager: this.fieldManager }, MERGE_PATCH);
      return this.observed('NodeClaim', out);
    } catch (err) {
      if (statusCode(err) === 404) throw new NotFoundError('NodeClaim', name);
      throw new KubernetesApiError(`patch NodeClaim ${name} status`, statusCode(err), err);
    }
  }

  async deleteNodeClaim(name: string): Promise<void> {
    try {
      const out = (await this.custom.deleteClusterCustomObject(this.claimRef(name))) as NodeClaim | undefined;
      // With finalizers left, the response is the object, now carrying its deletionTimestamp.
      if (out?.metadata?.deletionTimestamp && (out.metadata.finalizers ?? []).length > 0) this.observed('NodeClaim', out);
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw new KubernetesApiError(`delete NodeClaim ${name}`, statusCode(err), err);
    }
  }

  // ---- Nodes and Pods -------------------------------------------------------------------

  async patchNode(name: string, patch: NodePatch): Promise<Node> {
    return this.readModifyWrite('Node', name, async (current) => {
      // A JSON Patch guarded by tests of the lists it replaces (./node-patch.ts): a status
      // write by the kubelet meanwhile is no conflict.
      const currentTaints = current.spec?.taints ?? [];
      const taints = patchedTaints(currentTaints, patch);
      const currentFinalizers = current.metadata.finalizers ?? [];
      const finalizers = patchedFinalizers(currentFinalizers, patch);
      const changed = {
        taints: !sameList(currentTaints, taints, (a, b) => a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '')),
        finalizers: !sameList(currentFinalizers, finalizers, (a, b) => a === b),
      };
      const ops = nodePatchOps(current, patch, { taints, finalizers }, changed);
      if (!ops) return current;
      return (await this.core.patchNode({ name, body: ops, fieldManager: this.fieldManager }, JSON_PATCH)) as V1Node;
    });
  }

  async deleteNode(name: string): Promise<void> {
    try {
      await this.core.deleteNode({ name });
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw new KubernetesApiError(`delete Node ${name}`, statusCode(err), err);
    }
  }

  async evictPod(namespace: string, name: string): Promise<EvictionResult> {
    try {
      await this.core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      });
      return 'evicted';
    } catch (err) {
      const code = statusCode(err);
      if (code === 429) return 'blocked-by-pdb';
      if (code === 404) return 'not-found';
      throw new KubernetesApiError(`evict Pod ${namespace}/${name}`, code, err);
    }
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace });
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw new KubernetesApiError(`delete Pod ${namespace}/${name}`, statusCode(err), err);
    }
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>, resourceVersion?: string): Promise<PodPatchResult> {
    // A merge patch carrying metadata.resourceVersion is refused with 409 when the pod changed since.
    const body = { metadata: { annotations, ...(resourceVersion !== undefined ? { resourceVersion } : {}) } };
    try {
      await this.core.patchNamespacedPod({ name, namespace, body, fieldManager: this.fieldManager }, MERGE_PATCH);
      return 'patched';
    } catch (err) {
      const code = statusCode(err);
      if (code === 404) return 'not-found';
      if (code === 409) return 'conflict';
      throw new KubernetesApiError(`patch Pod ${namespace}/${name}`, code, err);
    }
  }

  // ---- NodePools and events ----------------------------------------------------------------

  async patchNodePool(name: string, patch: MetadataPatch): Promise<boolean> {
    let current = this.store.get('NodePool', name) as NodePool | undefined;
    for (let attempt = 0; ; attempt += 1) {
      try {
        current ??= (await this.custom.getClusterCustomObject({ group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodepools', name })) as NodePool;
        const body = this.metadataPatchBody(current.metadata, patch);
        if (!body) return true;
        const out = await this.custom.patchClusterCustomObject({ group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodepools', name, body, fieldManager: this.fieldManager }, MERGE_PATCH);
        this.observed('NodePool', out);
        return true;
      } catch (err) {
        const code = statusCode(err);
        if (code === 404) return false;
        // The cached object was stale (a finalizer change carries its resourceVersion): read it again.
        if (code === 409 && attempt < 3) {
          current = undefined;
          continue;
        }
        throw new KubernetesApiError(`patch NodePool ${name}`, code, err);
      }
    }
  }

  async patchNodePoolStatus(name: string, status: NodePoolStatus): Promise<boolean> {
    try {
      const out = await this.custom.patchClusterCustomObjectStatus(
        { group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodepools', name, body: { status }, fieldManager: this.fieldManager },
        MERGE_PATCH,
      );
      this.observed('NodePool', out);
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw new KubernetesApiError(`patch NodePool ${name} status`, statusCode(err), err);
    }
  }

  async patchNodeOverlayStatus(name: string, status: NonNullable<NodeOverlay['status']>): Promise<boolean> {
    try {
      await this.custom.patchClusterCustomObjectStatus(
        { group: KARPENTER_GROUP, version: NODE_OVERLAY_API_VERSION.split('/')[1]!, plural: 'nodeoverlays', name, body: { status }, fieldManager: this.fieldManager },
        MERGE_PATCH,
      );
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw new KubernetesApiError(`patch NodeOverlay ${name} status`, statusCode(err), err);
    }
  }

  async patchEC2NodeClassStatus(name: string, status: EC2NodeClassStatus): Promise<boolean> {
    try {
      const out = await this.custom.patchClusterCustomObjectStatus(
        { group: KARPENTER_AWS_GROUP, version: KARPENTER_VERSION, plural: 'ec2nodeclasses', name, body: { status }, fieldManager: this.fieldManager },
        MERGE_PATCH,
      );
      this.observed('EC2NodeClass', out);
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw new KubernetesApiError(`patch EC2NodeClass ${name} status`, statusCode(err), err);
    }
  }

  recordEvent(event: ClusterEventRecord): void {
    this.events.record(event);
  }

  // ---- internals -------------------------------------------------------------------------

  /** A write's response: into the cache (if newer than what the watch delivered), then returned. */
  private observed<K extends 'NodeClaim' | 'Node' | 'NodePool' | 'EC2NodeClass'>(kind: K, response: unknown): K extends 'Node' ? Node : K extends 'NodeClaim' ? NodeClaim : never {
    const object = toPlain<NodeClaim & Node>(response);
    // Deleted by this very write (its last finalizer removed): gone, not updated.
    if (object.metadata?.deletionTimestamp && (object.metadata.finalizers ?? []).length === 0) this.store.remove(kind, object);
    else this.store.upsert(kind, object);
    return object as never;
  }

  /**
   * The merge-patch body for a metadata patch, or undefined when it changes nothing.
   * A finalizer change carries the resourceVersion as precondition (lists are replaced whole).
   */
  private metadataPatchBody(meta: NodeClaim['metadata'], patch: MetadataPatch): { metadata: Record<string, unknown> } | undefined {
    const current = meta.finalizers ?? [];
    const finalizers = patchedFinalizers(current, patch);
    const finalizersChange = !sameList(current, finalizers, (a, b) => a === b);
    if (!finalizersChange && !metadataChanges(meta, patch)) return undefined;
    return {
      metadata: {
        ...(patch.labels ? { labels: patch.labels } : {}),
        ...(patch.annotations ? { annotations: patch.annotations } : {}),
        ...(finalizersChange ? { finalizers, resourceVersion: meta.resourceVersion } : {}),
      },
    };
  }

  /** Runs `write` against the cached object; on a conflict re-reads it from the API and tries again. */
  private async readModifyWrite<K extends 'NodeClaim' | 'Node'>(
    kind: K,
    name: string,
    write: (current: K extends 'Node' ? Node : NodeClaim) => Promise<unknown>,
  ): Promise<K extends 'Node' ? Node : NodeClaim> {
    type T = K extends 'Node' ? Node : NodeClaim;
    let current = this.store.get(kind, name) as T | undefined;
    for (let attempt = 0; ; attempt += 1) {
      try {
        current ??= await this.read(kind, name);
        const out = await write(current);
        return (out === current ? current : this.observed(kind, out)) as T;
      } catch (err) {
        if (err instanceof NotFoundError) throw err;
        const code = statusCode(err);
        if (code === 404) throw new NotFoundError(kind, name);
        // 409: the resourceVersion a merge patch carried is old; 422 on a Node: a JSON Patch
        // test failed (the list changed meanwhile; ./node-patch.ts).
        if ((code === 409 || (code === 422 && kind === 'Node')) && attempt < MAX_CONFLICT_RETRIES) {
          current = undefined; // the cache was behind: read the latest and recompute
          continue;
        }
        throw new KubernetesApiError(`patch ${kind} ${name}`, code, err);
      }
    }
  }

  private async read<K extends 'NodeClaim' | 'Node'>(kind: K, name: string): Promise<K extends 'Node' ? Node : NodeClaim> {
    try {
      const out = kind === 'Node' ? await this.core.readNode({ name }) : await this.custom.getClusterCustomObject(this.claimRef(name));
      return this.observed(kind, out) as K extends 'Node' ? Node : NodeClaim;
    } catch (err) {
      if (statusCode(err) === 404) throw new NotFoundError(kind, name);
      throw err;
    }
  }
}
