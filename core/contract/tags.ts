// EC2 tags: the ones Karpenter writes on the instances it launches (kept, so tools that
// read them keep working), joinery's own, and the ones a policy may not set.

export const TAG_NODEPOOL = 'karpenter.sh/nodepool';
export const TAG_NODECLAIM = 'karpenter.sh/nodeclaim';
export const TAG_NODECLASS = 'karpenter.k8s.aws/ec2nodeclass';
export const TAG_POLICY_COMMIT = 'joinery.dev/policy-commit';
/** The launch's idempotency key: the NodeClaim UID, also the CreateFleet client token. */
export const TAG_NODECLAIM_UID = 'joinery.dev/nodeclaim-uid';
export const TAG_NAME = 'Name';
/** The tag subnets and security groups are discovered by (value: the cluster name). */
export const TAG_DISCOVERY = 'karpenter.sh/discovery';
/** On EC2NodeClasses the discovery preset writes (value: the cluster name). */
export const TAG_CLUSTER = 'joinery.dev/cluster';
/** Tag written by EKS on resources of a cluster. */
const TAG_EKS_CLUSTER_NAME = 'eks:eks-cluster-name';

/** The ownership tag every instance of the cluster carries (Karpenter's). */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}
export const CLUSTER_TAG_VALUE = 'owned';

/** The name of a launch template joinery owns, in the cluster's namespace of names. */
export function launchTemplateName(clusterName: string, hash: string): string {
  return `joinery.dev/${clusterName}/${hash}`;
}

/** Tags an EC2NodeClass may not set, because Karpenter or EKS write them (the EC2NodeClass CRD's rule). */
const RESTRICTED_TAG_KEYS: ReadonlySet<string> = new Set([TAG_EKS_CLUSTER_NAME, TAG_NODEPOOL, TAG_NODECLAIM, TAG_NODECLASS]);
/** Prefix of the restricted cluster ownership tags ({@link clusterTagKey}). */
export const RESTRICTED_TAG_PREFIX = 'kubernetes.io/cluster';

export function isRestrictedTag(key: string): boolean {
  return key.startsWith(RESTRICTED_TAG_PREFIX) || RESTRICTED_TAG_KEYS.has(key);
}
