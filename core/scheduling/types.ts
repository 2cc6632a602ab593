// The solver's input and output: one shape for provisioning, consolidation, `joinery
// plan` and the simulator.

import type { DaemonSet, Pod, Taint } from '../api/k8s.ts';
import type { Offering } from '../catalog/instance-types.ts';
import type { ResourceList } from '../resources/resource-list.ts';
import type { SchedulingNodePool } from './nodepool.ts';
import type { Requirement } from './requirements.ts';
import type { VolumeObjects } from './volumes.ts';

/** A node that exists (or is being launched: inFlight), with the pods already bound to it. */
export interface ExistingNode {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** Allocatable in canonical units (see parseResourceList). */
  allocatable: ResourceList;
  /** Pods already bound; they use capacity and count for topology. */
  pods: Pod[];
  nodePool?: string;
  /** A NodeClaim launched but not yet registered: filled like a node, before new ones are opened. */
  inFlight?: boolean;
  /** Being disrupted: receives no pods, and its pods no longer count for topology. */
  markedForDeletion?: boolean;
  /**
   * Volumes the node can attach per CSI driver (its CSINode's spec.drivers[].allocatable.count):
   * its pods' distinct volumes of a driver never exceed it (NodeVolumeLimits; volume-limits.ts).
   * Absent: no limit known (no CSINode yet, as for every new node).
   */
  volumeLimits?: Readonly<Record<string, number>>;
}

export interface SolveOptions {
  /** At most this many instance type options per new node, cheapest first (Karpenter: 60). */
  maxInstanceTypeOptions?: number;
  /** Prefix of the placeholder hostnames of new nodes (default "new"). */
  newNodeNamePrefix?: string;
}

export interface SolveInput {
  /** Pods to place (pending, or to be moved in a consolidation simulation). */
  pods: Pod[];
  nodes: ExistingNode[];
  nodePools: SchedulingNodePool[];
  daemonSets: DaemonSet[];
  /**
   * Namespace labels by namespace name, for the namespaceSelector of pod affinity and
   * anti-affinity terms. A namespace not listed has only kubernetes.io/metadata.name (the
   * label Kubernetes sets on every namespace). Without it, a namespaceSelector counts
   * pods of every namespace (conservative for anti-affinity, not for affinity).
   */
  namespaces?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * PersistentVolumeClaims, PersistentVolumes and StorageClasses, for the pods' volume
   * topology (volumes.ts): a claim bound to a zonal volume, or an unbound
   * WaitForFirstConsumer claim with allowedTopologies, restricts the pod's nodes; an unbound
   * Immediate claim (or a missing object) leaves the pod unschedulable. Without it the
   * pods' volumes are not looked at.
   */
  volumes?: VolumeObjects;
  /** Capacity each pool already uses (existing nodes and in-flight claims), for its limits; `nodes` counts nodes. */
  poolUsage?: Record<string, ResourceList>;
  options?: SolveOptions;
}

export interface InstanceTypeOption {
  name: string;
  /** The cheapest offering this node may use, USD per hour. */
  price: number;
  /** The offerings (zone x capacity type) this node may use, cheapest first. */
  offerings: Offering[];
}

/**
 * A node to create. `requirements`, `labels` and `instanceTypeOptions` are frozen and may
 * be shared between nodes of one result: copy them before changing them.
 */
export interface NewNode {
  /** Placeholder hostname, unique in the result (the hostname topology domain of the node). */
  name: string;
  nodePool: string;
  /** The NodeClaim's requirements, including instance-type In [options]. */
  requirements: Requirement[];
  /** The labels the node will carry for sure (requirements pinned to one value). */
  labels: Record<string, string>;
  /** Every type that fits the pods (within limits), cheapest first, at most maxInstanceTypeOptions. */
  instanceTypeOptions: InstanceTypeOption[];
  pods: Pod[];
  /** Sum of the pods' requests plus the DaemonSet pods that will run on the node. */
  requests: ResourceList;
  /** Price of the cheapest option, USD per hour. */
  price: number;
}

export interface Binding {
  pod: Pod;
  node: string;
}

export interface UnschedulablePod {
  pod: Pod;
  /** Why, in words a person can act on. */
  reason: string;
}

export interface SolveResult {
  /** Pods placed on existing or in-flight nodes. */
  bindings: Binding[];
  newNodes: NewNode[];
  unschedulable: UnschedulablePod[];
  /**
   * Every pod of `bindings` and `newNodes` in the order the solver placed it. verifySolution
   * replays topology spread in this order, as kube-scheduler would bind the pods one by one;
   * without it, it replays bindings first, then the new nodes' pods in their order.
   */
  order?: Pod[];
}
