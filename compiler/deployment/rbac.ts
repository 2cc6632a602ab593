// The reconciler's Kubernetes permissions: exactly the verbs the Kubernetes adapter
// (reconciler/adapters/kubernetes) and the process (leader election) use, per resource,
// with no wildcard. Each rule says why it exists; a rule nobody needs is a rule to delete.

import { KARPENTER_AWS_GROUP, KARPENTER_GROUP } from '../../core/contract/index.ts';

export interface RbacRule {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  /** Limits the rule to these objects (only meaningful for get/update/patch/delete). */
  readonly resourceNames?: readonly string[];
  readonly why: string;
}

/** Cluster-wide: the objects the reconciler watches and writes in every namespace. */
export const CLUSTER_RULES: readonly RbacRule[] = [
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch', 'delete'], why: 'pod informer (pending pods, pods per node); delete after a drain outlives the termination grace period' },
  { apiGroup: '', resource: 'pods/eviction', verbs: ['create'], why: 'drain nodes through the Eviction API, which honours PodDisruptionBudgets' },
  { apiGroup: '', resource: 'nodes', verbs: ['get', 'list', 'watch', 'patch', 'delete'], why: 'node informer; re-read on a write conflict; cordon, taint and label nodes; delete a terminated node' },
  { apiGroup: '', resource: 'events', verbs: ['create'], why: 'record decisions as Events on pods, nodes and NodeClaims' },
  { apiGroup: 'apps', resource: 'daemonsets', verbs: ['list', 'watch'], why: 'DaemonSet overhead on new nodes' },
  { apiGroup: 'policy', resource: 'poddisruptionbudgets', verbs: ['list', 'watch'], why: 'respect budgets when choosing what to disrupt' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodeclaims', verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'], why: 'the durable record of each launch: create, re-read on a write conflict, finalize, delete' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodeclaims/status', verbs: ['patch'], why: 'launch, registration and initialization conditions' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodepools', verbs: ['list', 'watch'], why: 'NodePool objects as Argo CD or Flux applied them' },
  { apiGroup: KARPENTER_GROUP, resource: 'nodepools/status', verbs: ['patch'], why: 'resources, rollout progress and the policy commit condition' },
];

/** With the cluster as intent source, the EC2NodeClasses are read from the API too. */
const CLUSTER_INTENT_RULES: readonly RbacRule[] = [
  { apiGroup: KARPENTER_AWS_GROUP, resource: 'ec2nodeclasses', verbs: ['list', 'watch'], why: 'the intent: EC2NodeClasses as Argo CD or Flux applied them' },
];

/** The cluster-wide rules for an intent source. */
export function clusterRules(intentSource: 'git' | 'cluster'): readonly RbacRule[] {
  return intentSource === 'cluster' ? [...CLUSTER_RULES, ...CLUSTER_INTENT_RULES] : CLUSTER_RULES;
}

/** In the reconciler's namespace: its leader election Lease. */
export function namespaceRules(leaseName: string): readonly RbacRule[] {
  return [
    // RBAC cannot restrict `create` by name (the name is not known at authorization time).
    { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['create'], why: 'create the leader election Lease the first time' },
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
