// Annotations the compiler writes and the reconciler reads. Karpenter's keep their
// meaning (tools that read NodeClaims keep working); our own live under joinery.dev/.

export const ANNOTATION_NODEPOOL_HASH = 'karpenter.sh/nodepool-hash';
export const ANNOTATION_NODEPOOL_HASH_VERSION = 'karpenter.sh/nodepool-hash-version';
export const ANNOTATION_NODECLASS_HASH = 'karpenter.k8s.aws/ec2nodeclass-hash';
export const ANNOTATION_NODECLASS_HASH_VERSION = 'karpenter.k8s.aws/ec2nodeclass-hash-version';
export const ANNOTATION_DO_NOT_DISRUPT = 'karpenter.sh/do-not-disrupt';
/** On a NodeClaim launched with minValues relaxed (--min-values-policy BestEffort), as Karpenter. */
export const ANNOTATION_MIN_VALUES_RELAXED = 'karpenter.sh/nodeclaim-min-values-relaxed';
/**
 * On a NodeClaim provisioning planned into a capacity reservation: the reservation's id.
 * Until the claim is launched (when EC2's count takes it), its slot is counted against the
 * reservation's free slots, by this reconciler and by one started after it.
 */
export const ANNOTATION_PLANNED_RESERVATION = 'joinery.dev/planned-capacity-reservation';
/** On a NodeClaim chosen for disruption: JSON {@link DisruptionMark}. Durable across restarts. */
export const ANNOTATION_DISRUPTION = 'joinery.dev/disruption';
/** On a replacement NodeClaim: the claims it replaces, comma-separated. */
export const ANNOTATION_REPLACES = 'joinery.dev/replaces';
/** On NodePools and EC2NodeClasses as Argo CD or Flux applied them: the commit they came from. */
export const ANNOTATION_POLICY_COMMIT = 'joinery.dev/policy-commit';
/** On the reconciler's pod template: a hash of its configuration, so a change rolls the pods. */
export const ANNOTATION_CONFIG_HASH = 'joinery.dev/config-hash';
/** Annotation prefix of a guardrail acknowledgement: `guardrails.joinery.dev/<rule-id>: <reason>`. */
export const ACKNOWLEDGEMENT_ANNOTATION_PREFIX = 'guardrails.joinery.dev/';
/**
 * On a NodeClaim the interruption controller deleted: JSON {kind, messageId, instanceId,
 * at}, the event that took it (read by `joinery explain` and the termination decision).
 */
export const ANNOTATION_INTERRUPTION = 'joinery.dev/interruption';
/** On a NodeClaim node auto-repair deleted: JSON {condition, status, since, at}. */
export const ANNOTATION_REPAIR = 'joinery.dev/repair';
/**
 * On a NodePool: node auto-repair is on for its nodes (`enabled`). Written by the compiler
 * from the NodePool's `repair` prop; the reconciler's NodeRepair feature gate must be on too.
 */
export const ANNOTATION_NODE_REPAIR = 'joinery.dev/node-repair';
/**
 * On a pod: the ReplicaSet controller deletes pods with the lowest value first when it
 * scales in (Kubernetes' PodDeletionCost). Users set it; with the PodDeletionCostManagement
 * feature gate the reconciler writes it on pods it manages (ANNOTATION_MANAGED_DELETION_COST).
 */
export const ANNOTATION_POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/**
 * On a pod whose pod-deletion-cost the reconciler wrote (Karpenter's sentinel, same name):
 * its value is a node ranking, not the user's word, so disruption cost ignores it. A cost
 * without this annotation is the user's and is never overwritten.
 */
export const ANNOTATION_MANAGED_DELETION_COST = 'karpenter.sh/managed-deletion-cost';
