// Labels, annotations, taints, finalizers and tags the reconciler reads and writes.
// Karpenter's keep their meaning (tools that read NodeClaims keep working); our own
// live under joinery.dev/.

import type { NodeClaimTaint } from '../../core/api/karpenter.ts';

export const FINALIZER_TERMINATION = 'karpenter.sh/termination';

export const LABEL_NODEPOOL = 'karpenter.sh/nodepool';
export const LABEL_CAPACITY_TYPE = 'karpenter.sh/capacity-type';
export const LABEL_INSTANCE_TYPE = 'node.kubernetes.io/instance-type';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_REGISTERED = 'karpenter.sh/registered';
export const LABEL_INITIALIZED = 'karpenter.sh/initialized';
export const LABEL_NODECLASS = 'karpenter.k8s.aws/ec2nodeclass';
/** The commit of the intent a NodeClaim was created from (label and instance tag). */
export const LABEL_POLICY_COMMIT = 'joinery.dev/policy-commit';

export const ANNOTATION_NODEPOOL_HASH = 'karpenter.sh/nodepool-hash';
export const ANNOTATION_NODEPOOL_HASH_VERSION = 'karpenter.sh/nodepool-hash-version';
export const ANNOTATION_NODECLASS_HASH = 'karpenter.k8s.aws/ec2nodeclass-hash';
export const ANNOTATION_NODECLASS_HASH_VERSION = 'karpenter.k8s.aws/ec2nodeclass-hash-version';
export const ANNOTATION_DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';
/** On a NodeClaim chosen for disruption: JSON {@link DisruptionMark}. Durable across restarts. */
export const ANNOTATION_DISRUPTION = 'joinery.dev/disruption';
/** On a replacement NodeClaim: the claims it replaces, comma-separated. */
export const ANNOTATION_REPLACES = 'joinery.dev/replaces';

export const TAINT_DISRUPTED: NodeClaimTaint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };
export const TAINT_UNREGISTERED: NodeClaimTaint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };

export const CONDITION_LAUNCHED = 'Launched';
export const CONDITION_REGISTERED = 'Registered';
export const CONDITION_INITIALIZED = 'Initialized';
export const CONDITION_DRIFTED = 'Drifted';
export const CONDITION_INSTANCE_TERMINATING = 'InstanceTerminating';

export const TAG_NODEPOOL = 'karpenter.sh/nodepool';
export const TAG_NODECLAIM = 'karpenter.sh/nodeclaim';
export const TAG_NODECLASS = 'karpenter.k8s.aws/ec2nodeclass';
export const TAG_POLICY_COMMIT = 'joinery.dev/policy-commit';
export const TAG_NAME = 'Name';

/** The ownership tag every instance of the cluster carries (Karpenter's). */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}
export const CLUSTER_TAG_VALUE = 'owned';

export type DisruptionMethod = 'drift' | 'expiration' | 'emptiness' | 'consolidation';

/** Written on a candidate NodeClaim when a disruption decision is taken. */
export interface DisruptionMark {
  readonly method: DisruptionMethod;
  /** Budget reason: Drifted, Empty, Underutilized; expiration is not budgeted. */
  readonly reason: string;
  /** Replacement NodeClaims that must be initialized before this one is deleted. */
  readonly replacements: readonly string[];
  readonly decidedAt: string;
  /** The command's other candidates (multi-node consolidation acts on all or none). */
  readonly group: readonly string[];
}

export function parseDisruptionMark(value: string | undefined): DisruptionMark | undefined {
  if (!value) return undefined;
  try {
    const m = JSON.parse(value) as DisruptionMark;
    return typeof m.method === 'string' && Array.isArray(m.replacements) ? m : undefined;
  } catch {
    return undefined;
  }
}
