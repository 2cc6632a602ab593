// Minimal structural Kubernetes types: the fields joinery reads or writes, with the
// field names and JSON shapes of the Kubernetes API. Objects from @kubernetes/client-node,
// from `kubectl get -o json` and from the simulator all fit them, so core/ never depends
// on a client library. Quantities stay strings here; core/resources parses them once.

export type Labels = Readonly<Record<string, string>>;
export type QuantityMap = Readonly<Record<string, string>>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  /** Server-side name generation: the API server appends a random suffix. */
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator | string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator | string;
  values?: string[];
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}
export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}
export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}
export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}
export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect | string;
  timeAdded?: string | Date;
}
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: TaintEffect | string;
  tolerationSeconds?: number;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway' | string;
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore' | string;
  nodeTaintsPolicy?: 'Honor' | 'Ignore' | string;
  matchLabelKeys?: string[];
}

export interface ResourceRequirements {
  requests?: QuantityMap;
  limits?: QuantityMap;
}
export interface ContainerPort {
  containerPort: number;
  /** Exposed on the node: one pod per node, protocol and host IP may use it. */
  hostPort?: number;
  hostIP?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP' | string;
  name?: string;
}
export interface Container {
  name: string;
  image?: string;
  resources?: ResourceRequirements;
  ports?: ContainerPort[];
  /** Native sidecars (init containers with restartPolicy Always) add to the steady-state sum. */
  restartPolicy?: string;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers: Container[];
  initContainers?: Container[];
  overhead?: QuantityMap;
  priority?: number;
  priorityClassName?: string;
  /** PreemptLowerPriority (the default) or Never. */
  preemptionPolicy?: string;
  schedulerName?: string;
  terminationGracePeriodSeconds?: number;
  /**
   * Termination reads a volume's PersistentVolumeClaim (its VolumeAttachment is awaited);
   * the solver reads the claims' volume topology (a generic ephemeral volume's claim is
   * `<pod>-<volume>`, made from its template's storage class).
   */
  volumes?: PodVolume[];
}
export interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  ephemeral?: { volumeClaimTemplate?: { spec?: { storageClassName?: string | null } } };
}
export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}
export interface PodStatus {
  phase?: string;
  /** When the kubelet acknowledged the pod (RFC 3339). */
  startTime?: string | Date;
  conditions?: PodCondition[];
  nominatedNodeName?: string;
}
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}
export interface Node {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { providerID?: string; taints?: Taint[]; unschedulable?: boolean };
  status?: { capacity?: QuantityMap; allocatable?: QuantityMap; conditions?: NodeCondition[] };
}

export interface DaemonSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector; template: { metadata?: ObjectMeta; spec: PodSpec } };
}

export interface PodDisruptionBudget {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { selector?: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number };
}

/** storage.k8s.io/v1 VolumeAttachment: a volume attached to a node by a CSI driver. */
export interface VolumeAttachment {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { attacher?: string; nodeName: string; source: { persistentVolumeName?: string } };
  status?: { attached?: boolean };
}

/** Only its labels are read: the namespaceSelector of pod affinity terms matches them. */
export interface Namespace {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/**
 * What termination and the solver read of a PersistentVolumeClaim: the volume bound to it
 * and its storage class (whose binding mode and allowed topologies restrict an unbound claim).
 */
export interface PersistentVolumeClaim {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { volumeName?: string; storageClassName?: string | null };
  status?: { phase?: string };
}

/** What the solver reads of a PersistentVolume: where it can be used (node affinity; zone labels, as VolumeZone reads them). */
export interface PersistentVolume {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
    claimRef?: { name?: string; namespace?: string; uid?: string };
    storageClassName?: string;
    /** A CSI volume: its driver counts against the node's attach limit for that driver (NodeVolumeLimits). */
    csi?: { driver: string; volumeHandle?: string };
    /** The in-tree EBS source, counted as ebs.csi.aws.com's (CSI migration). */
    awsElasticBlockStore?: { volumeID: string };
  };
  status?: { phase?: string };
}

/**
 * storage.k8s.io/v1 CSINode (named as its node): per CSI driver on the node, how many of
 * its volumes the node can have attached (allocatable.count; absent: no limit).
 */
export interface CSINode {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { drivers?: { name: string; nodeID?: string; topologyKeys?: string[] | null; allocatable?: { count?: number } }[] | null };
}

export interface TopologySelectorTerm {
  matchLabelExpressions?: { key: string; values: string[] }[];
}

/** What the solver reads of a storage.k8s.io/v1 StorageClass: when its claims bind and where its volumes may be provisioned. */
export interface StorageClass {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  provisioner?: string;
  /** Immediate (the default) or WaitForFirstConsumer. */
  volumeBindingMode?: string;
  allowedTopologies?: TopologySelectorTerm[];
}
