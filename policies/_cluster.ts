// Settings shared by this repository's policies (files starting with _ are helpers, not
// policies). One place to change the cluster, the node role or the AMI release.
import { Ami } from '../compiler/api/index.ts';

export const CLUSTER_NAME = 'platform-prod';
/** The IAM role of the nodes (Karpenter creates the instance profile from it). */
export const NODE_ROLE = 'KarpenterNodeRole-platform-prod';
/** A pinned EKS-optimized AL2023 release: AMI updates are reviewed like any other change. */
export const AMI = Ami.alias('al2023', 'v20250715');
