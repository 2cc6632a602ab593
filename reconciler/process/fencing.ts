// Fencing: the ports the controllers get on the leader refuse every write once this
// replica is no longer the leader (its renew deadline passed, or it stepped down). A
// reconcile that was already running when leadership ended cannot launch, terminate,
// evict or patch anything afterwards; reads keep working. This is what makes "a leader
// that cannot renew before its deadline stops acting" hold for work already in flight.

import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import type { CloudDrift, CloudProvider, Instance, InstanceProfile, LaunchRequest, LaunchTemplate, NodeClassResolution } from '../ports/cloud.ts';
import type {
  ClusterEventRecord,
  Cluster,
  EvictionResult,
  PodPatchResult,
  MetadataPatch,
  NodePatch,
  WatchEvent,
} from '../ports/cluster.ts';
import type { Node } from '../../core/api/k8s.ts';
import type { EC2NodeClassStatus, NodeClaim, NodeClaimStatus, NodePoolStatus } from '../../core/api/karpenter.ts';
import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';

export class NotLeaderError extends Error {
  constructor(readonly operation: string) {
    super(`refused ${operation}: this replica is not the leader (any more)`);
    this.name = 'NotLeaderError';
  }
}

export type LeadershipCheck = () => boolean;

export class FencedCloudProvider implements CloudProvider {
  constructor(
    private readonly inner: CloudProvider,
    private readonly isLeader: LeadershipCheck,
  ) {}

  getInstanceTypes(nodeClass: EC2NodeClass): Promise<readonly InstanceType[]> {
    return this.inner.getInstanceTypes(nodeClass);
  }
  async create(request: LaunchRequest): Promise<Instance> {
    this.fence('launch');
    return this.inner.create(request);
  }
  async delete(providerID: string): Promise<void> {
    this.fence('terminate');
    return this.inner.delete(providerID);
  }
  get(providerID: string): Promise<Instance> {
    return this.inner.get(providerID);
  }
  list(): Promise<readonly Instance[]> {
    return this.inner.list();
  }
  isDrifted(nodeClaim: NodeClaim, nodeClass: EC2NodeClass): Promise<CloudDrift | undefined> {
    return this.inner.isDrifted ? this.inner.isDrifted(nodeClaim, nodeClass) : Promise.resolve(undefined);
  }
  listLaunchTemplates(): Promise<readonly LaunchTemplate[]> {
    return this.inner.listLaunchTemplates();
  }
  async deleteLaunchTemplate(name: string): Promise<void> {
    this.fence('delete launch template');
    return this.inner.deleteLaunchTemplate(name);
  }
  async resolveNodeClass(nodeClass: EC2NodeClass): Promise<NodeClassResolution> {
    // Creates the instance profile of a role when missing: a write.
    this.fence('resolve node class');
    return this.inner.resolveNodeClass(nodeClass);
  }
  listInstanceProfiles(): Promise<readonly InstanceProfile[]> {
    return this.inner.listInstanceProfiles();
  }
  async deleteInstanceProfile(name: string): Promise<void> {
    this.fence('delete instance profile');
    return this.inner.deleteInstanceProfile(name);
  }

  private fence(operation: string): void {
    if (!this.isLeader()) throw new NotLeaderError(operation);
  }
}

export class FencedClusterPort implements Cluster {
  constructor(
    private readonly inner: Cluster,
    private readonly isLeader: LeadershipCheck,
    /** Sees every failed write (for joinery_kubernetes_api_errors_total). */
    private readonly onError: (operation: string, err: unknown) => void = () => {},
  ) {}

  get cache() {
    return this.inner.cache;
  }
  waitForSync(): Promise<void> {
    return this.inner.waitForSync();
  }
  watch(listener: (event: WatchEvent) => void): () => void {
    return this.inner.watch(listener);
  }

  createNodeClaim(claim: NodeClaim): Promise<NodeClaim> {
    return this.fenced('create NodeClaim', () => this.inner.createNodeClaim(claim));
  }
  patchNodeClaim(name: string, patch: MetadataPatch): Promise<NodeClaim> {
    return this.fenced('patch NodeClaim', () => this.inner.patchNodeClaim(name, patch));
  }
  patchNodeClaimStatus(name: string, status: Partial<NodeClaimStatus>): Promise<NodeClaim> {
    return this.fenced('patch NodeClaim status', () => this.inner.patchNodeClaimStatus(name, status));
  }
  deleteNodeClaim(name: string): Promise<void> {
    return this.fenced('delete NodeClaim', () => this.inner.deleteNodeClaim(name));
  }
  patchNode(name: string, patch: NodePatch): Promise<Node> {
    return this.fenced('patch Node', () => this.inner.patchNode(name, patch));
  }
  deleteNode(name: string): Promise<void> {
    return this.fenced('delete Node', () => this.inner.deleteNode(name));
  }
  evictPod(namespace: string, name: string): Promise<EvictionResult> {
    return this.fenced('evict Pod', () => this.inner.evictPod(namespace, name));
  }
  deletePod(namespace: string, name: string): Promise<void> {
    return this.fenced('delete Pod', () => this.inner.deletePod(namespace, name));
  }
  patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>, resourceVersion?: string): Promise<PodPatchResult> {
    return this.fenced('patch Pod', () => this.inner.patchPodAnnotations(namespace, name, annotations, resourceVersion));
  }
  patchNodePool(name: string, patch: MetadataPatch): Promise<boolean> {
    return this.fenced('patch NodePool', () => this.inner.patchNodePool(name, patch));
  }
  patchNodePoolStatus(name: string, status: NodePoolStatus): Promise<boolean> {
    return this.fenced('patch NodePool status', () => this.inner.patchNodePoolStatus(name, status));
  }
  patchNodeOverlayStatus(name: string, status: NonNullable<NodeOverlay['status']>): Promise<boolean> {
    return this.fenced('patch NodeOverlay status', () => this.inner.patchNodeOverlayStatus(name, status));
  }

  patchEC2NodeClassStatus(name: string, status: EC2NodeClassStatus): Promise<boolean> {
    return this.fenced('patch EC2NodeClass status', () => this.inner.patchEC2NodeClassStatus(name, status));
  }
  recordEvent(event: ClusterEventRecord): void {
    if (this.isLeader()) this.inner.recordEvent(event);
  }

  private async fenced<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (!this.isLeader()) throw new NotLeaderError(operation);
    try {
      return await call();
    } catch (err) {
      this.onError(operation, err);
      throw err;
    }
  }
}
