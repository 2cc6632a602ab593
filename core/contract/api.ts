// The API groups, versions and kinds of the Karpenter objects joinery writes and reads.

export const KARPENTER_GROUP = 'karpenter.sh';
export const KARPENTER_AWS_GROUP = 'karpenter.k8s.aws';
export const KARPENTER_VERSION = 'v1';

/** apiVersion of NodePool and NodeClaim. */
export const KARPENTER_API_VERSION = `${KARPENTER_GROUP}/${KARPENTER_VERSION}` as const;
/** apiVersion of EC2NodeClass. */
export const KARPENTER_AWS_API_VERSION = `${KARPENTER_AWS_GROUP}/${KARPENTER_VERSION}` as const;

export const NODEPOOL_KIND = 'NodePool';
export const EC2NODECLASS_KIND = 'EC2NodeClass';

/** joinery's own API group, for objects only joinery reads (the no-NodePools marker). */
export const JOINERY_GROUP = 'joinery.dev';
export const JOINERY_API_VERSION = `${JOINERY_GROUP}/v1` as const;

/** apiVersion of NodeOverlay (alpha in Karpenter v1.14). */
export const NODE_OVERLAY_API_VERSION = `${KARPENTER_GROUP}/v1alpha1` as const;
export const NODE_OVERLAY_KIND = 'NodeOverlay';
