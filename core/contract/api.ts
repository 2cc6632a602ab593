// The API groups, versions and kinds of the Karpenter objects joinery writes and reads.

export const KARPENTER_GROUP = 'karpenter.sh';
export const KARPENTER_AWS_GROUP = 'karpenter.k8s.aws';

/** apiVersion of NodePool and NodeClaim. */
export const KARPENTER_API_VERSION = 'karpenter.sh/v1';
/** apiVersion of EC2NodeClass. */
export const KARPENTER_AWS_API_VERSION = 'karpenter.k8s.aws/v1';

export const NODEPOOL_KIND = 'NodePool';
export const NODECLAIM_KIND = 'NodeClaim';
export const EC2NODECLASS_KIND = 'EC2NodeClass';
