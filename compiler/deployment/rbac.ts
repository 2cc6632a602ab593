// The reconciler's Kubernetes permissions: exactly the verbs the Kubernetes adapter
// (reconciler/adapters/kubernetes) and the process (leader election) use, per resource,
// with no wildcard. Each rule says why it exists; a rule nobody needs is a rule to delete.
// Where RBAC cannot narrow a rule to what joinery uses it for (it cannot select objects by
// label, node or finalizer), `broader` says what the rule also allows and what joinery
// does with it; the README's "Install in a cluster" lists the same.

import { KARPENTER_AWS_GROUP, KARPENTER_GROUP } from '../../core/contract/index.ts';

export interface RbacRule {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  /** Limits the rule to these objects (only meaningful for get/update/patch/delete). */
  readonly resourceNames?: readonly string[];
  readonly why: string;
  /** What the rule allows beyond joinery's use of it, when RBAC cannot narrow it further. */
  readonly broader?: string;
}

/** Cluster-wide: the objects the reconciler watches and writes in every namespace. */
export const CLUSTER_RULES: readonly RbacRule[] = [
  {
    apiGroup: '',
    resource: 'pods',
    verbs: ['list', 'watch', 'patch', 'delete'],
    why:
      "pod informer (pending pods, pods per node); patch only for the PodDeletionCostManagement feature gate: the controller.kubernetes.io/pod-deletion-cost annotation on ReplicaSet pods of joinery's nodes, as Karpenter; delete only for the termination grace period's forced deletion: a pod still on a draining node when its NodePool's terminationGracePeriod runs out (less the pod's own grace period) is deleted, as in Karpenter; every other pod leaves through the Eviction API",
    broader:
      "patch and delete apply to every pod in every namespace (RBAC cannot limit them to pods on joinery's nodes); joinery patches only the pod-deletion-cost annotations of ReplicaSet pods on its own nodes, and only with the PodDeletionCostManagement feature gate on; it deletes only pods on a node it is terminating, and never when no NodePool sets terminationGracePeriod. list/watch read every pod spec in the cluster (not Secrets)",
  },
  { apiGroup: '', resource: 'pods/eviction', verbs: ['create'], why: 'drain nodes through the Eviction API, which honours PodDisruptionBudgets' },
  {
    apiGroup: '',
    resource: 'nodes',
    verbs: ['get', 'list', 'watch', 'patch', 'delete'],
    why: 'node informer; re-read on a write conflict; cordon, taint and label nodes; delete a terminated node',
    broader:
      "patch and delete apply to every Node, node groups' and Fargate's included (RBAC cannot select by label or finalizer); joinery writes only Nodes of its NodeClaims and deleted Nodes carrying its karpenter.sh/termination finalizer, and deletes only those whose instance it terminated or found gone",
  },
  {
    apiGroup: '',
    resource: 'events',
    verbs: ['create'],
    why: 'record decisions as Events on pods, nodes and NodeClaims',
    broader: 'in every namespace (an Event lives in the namespace of the pod it is about); create only, never update or delete',
  },
  { apiGroup: 'apps', resource: 'daemonsets', verbs: ['list', 'watch'], why: 'DaemonSet overhead on new nodes' },
  {
    apiGroup: 'storage.k8s.io',
    resource: 'volumeattachments',
    verbs: ['list', 'watch'],
    why: "termination waits for a drained node's VolumeAttachments to be deleted before terminating its instance (until its terminationGracePeriod), as Karpenter does",
  },
  {
    apiGroup: '',
    resource: 'persistentvolumeclaims',
    verbs: ['list', 'watch'],
    why: "which VolumeAttachments belong to pods that are not drained (they tolerate the disrupted taint), so that termination does not wait for those; and a pending pod's claims, whose volume or StorageClass restricts the zones it can run in",
    broader: 'list/watch read every PersistentVolumeClaim in the cluster (its spec and status, never the data)',
  },
  {
    apiGroup: '',
    resource: 'persistentvolumes',
    verbs: ['list', 'watch'],
    why: "the node affinity and zone labels of a bound claim's volume: a pod is planned only onto nodes where kube-scheduler's VolumeBinding and VolumeZone let it run",
    broader: 'list/watch read every PersistentVolume in the cluster (its spec, never the data)',
  },
  {
    apiGroup: 'storage.k8s.io',
    resource: 'storageclasses',
    verbs: ['list', 'watch'],
    why: "an unbound claim's binding mode (Immediate: the pod waits for the claim to bind; WaitForFirstConsumer: its allowedTopologies restrict the pod's zones)",
  },
  {
    apiGroup: 'storage.k8s.io',
    resource: 'csinodes',
    verbs: ['list', 'watch'],
    why: "how many volumes each CSI driver can attach to a node (spec.drivers[].allocatable.count): a pod whose claims would exceed a node's limit is not planned onto it, as kube-scheduler's NodeVolumeLimits refuses it",
  },
  {
    apiGroup: '',
    resource: 'namespaces',
    verbs: ['list', 'watch'],
    why: 'namespace labels, which the namespaceSelector of pod affinity and anti-affinity terms matches, so that the solver counts exactly the pods kube-scheduler counts',
  },
  { apiGroup: 'policy', resource: 'poddisruptionbudgets', verbs: ['list', 'watch'], why: 'respect budgets when choosing what to disrupt' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodeclaims', verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'], why: 'the durable record of each launch: create, re-read on a write conflict, finalize, delete' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodeclaims/status', verbs: ['patch'], why: 'launch, registration and initialization conditions' },
  {
    apiGroup: KARPENTER_GROUP,
    resource: 'nodepools',
    verbs: ['get', 'list', 'watch', 'patch'],
    why: "NodePool objects as Argo CD or Flux applied them; patch (and get, to re-read on a write conflict) only to add and remove joinery's joinery.dev/termination finalizer, which holds a deleted NodePool until its nodes are removed at the removal rate",
    broader: 'patch applies to every NodePool, upstream Karpenter\'s included; joinery adds its finalizer only to NodePools of its intent and writes nothing else on the object',
  },
  { apiGroup: KARPENTER_GROUP, resource: 'nodepools/status', verbs: ['patch'], why: 'resources, rollout progress and the policy commit condition' },
  {
    apiGroup: KARPENTER_AWS_GROUP,
    resource: 'ec2nodeclasses',
    verbs: ['list', 'watch'],
    why: 'EC2NodeClass objects as Argo CD or Flux applied them: their generation and status (and, with the cluster as intent source, the intent)',
  },
  { apiGroup: KARPENTER_GROUP, resource: 'nodeoverlays/status', verbs: ['patch'], why: 'whether each NodeOverlay is valid and applied (ValidationSucceeded and Ready conditions)' },
  { apiGroup: KARPENTER_AWS_GROUP, resource: 'ec2nodeclasses/status', verbs: ['patch'], why: 'resolved subnets, security groups, AMIs and instance profile, and their Ready conditions' },
];

/** With the cluster as intent source the NodeOverlays are read from the cluster too (with git, from the commit). */
const CLUSTER_INTENT_RULES: readonly RbacRule[] = [
  { apiGroup: KARPENTER_GROUP, resource: 'nodeoverlays', verbs: ['list', 'watch'], why: 'NodeOverlay objects as Argo CD or Flux applied them: with the cluster as intent source, part of the intent' },
];

/** The cluster-wide rules for an intent source (EC2NodeClasses are watched for their status either way; NodeOverlays only when the cluster is the intent). */
export function clusterRules(intentSource: 'git' | 'cluster'): readonly RbacRule[] {
  return intentSource === 'cluster' ? [...CLUSTER_RULES, ...CLUSTER_INTENT_RULES] : CLUSTER_RULES;
}

/** In the reconciler's namespace: its leader election Lease. */
export function namespaceRules(leaseName: string): readonly RbacRule[] {
  return [
    // RBAC cannot restrict `create` by name (the name is not known at authorization time).
    {
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      verbs: ['create'],
      why: 'create the leader election Lease the first time',
      broader: "any Lease in the reconciler's namespace may be created (RBAC cannot limit create by name); get and update are limited to its own",
    },
    { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'update'], resourceNames: [leaseName], why: 'read, take and renew the leader election Lease' },
  ];
}

/** PolicyRules, one per (group, resource, names), in a stable order. */
export function policyRules(rules: readonly RbacRule[]): Record<string, unknown>[] {
  return rules.map((r) => ({
    apiGroups: [r.apiGroup],
    resources: [r.resource],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
    verbs: [...r.verbs],
  }));
}
