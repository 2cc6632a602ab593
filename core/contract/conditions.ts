// Status condition types (and the reasons readers match on) that the reconciler writes
// and the health checks shipped with generated/ read.

/** NodeClaim conditions (Karpenter's). */
export const CONDITION_LAUNCHED = 'Launched';
export const CONDITION_REGISTERED = 'Registered';
export const CONDITION_INITIALIZED = 'Initialized';
export const CONDITION_INSTANCE_TERMINATING = 'InstanceTerminating';

/** NodePool: true when every node of the pool matches the intent in force (no drifted node left, none being replaced). */
export const CONDITION_ROLLED_OUT = 'joinery.dev/PolicyRolledOut';
export const REASON_ROLLED_OUT = 'RolledOut';
export const REASON_ROLLING_OUT = 'RollingOut';

/** NodePool: false when the latest policy commit was rejected (the last good one stays in force). */
export const CONDITION_COMMIT_ACCEPTED = 'joinery.dev/PolicyCommitAccepted';
export const REASON_COMMIT_ACCEPTED = 'CommitAccepted';
export const REASON_COMMIT_REJECTED = 'CommitRejected';

/** Karpenter's own NodePool readiness condition, for pools run by upstream Karpenter instead. */
export const CONDITION_READY = 'Ready';

/** NodePool (Karpenter's): whether the pool's EC2NodeClass resolves (subnets, security groups, AMIs); Ready follows it. */
export const CONDITION_NODECLASS_READY = 'NodeClassReady';
export const REASON_NODECLASS_READY = 'NodeClassReady';
export const REASON_NODECLASS_NOT_READY = 'NodeClassNotReady';
export const REASON_NODECLASS_NOT_FOUND = 'NodeClassNotFound';
export const REASON_READY = 'Ready';

/** NodePool: false while node auto-repair is held back (more than 20% of its nodes unhealthy). */
export const CONDITION_NODE_REPAIR_ALLOWED = 'joinery.dev/NodeRepairAllowed';
export const REASON_REPAIR_ALLOWED = 'RepairAllowed';
export const REASON_TOO_MANY_UNHEALTHY = 'TooManyUnhealthyNodes';
