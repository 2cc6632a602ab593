// Status condition types (and the reasons readers match on) that the reconciler writes
// and the health checks shipped with generated/ read.

/** NodeClaim conditions (Karpenter's). */
export const CONDITION_LAUNCHED = 'Launched';
export const CONDITION_REGISTERED = 'Registered';
export const CONDITION_INITIALIZED = 'Initialized';
export const CONDITION_INSTANCE_TERMINATING = 'InstanceTerminating';
/** Termination: Unknown while the drained node's VolumeAttachments are awaited, True once gone, False when terminationGracePeriod ran out first. */
export const CONDITION_VOLUMES_DETACHED = 'VolumesDetached';
export const REASON_AWAITING_VOLUME_DETACHMENT = 'AwaitingVolumeDetachment';
export const REASON_TGP_ELAPSED = 'TerminationGracePeriodElapsed';

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

/**
 * EC2NodeClass conditions (Karpenter's): one per part the class resolves to, ValidationSucceeded,
 * and Ready, True when every other one is. Reasons when False are Karpenter's.
 */
export const CONDITION_SUBNETS_READY = 'SubnetsReady';
export const CONDITION_SECURITY_GROUPS_READY = 'SecurityGroupsReady';
export const CONDITION_AMIS_READY = 'AMIsReady';
export const CONDITION_INSTANCE_PROFILE_READY = 'InstanceProfileReady';
/** Only on a class with spec.capacityReservationSelectorTerms: False when a term names a reservation EC2 does not know. */
export const CONDITION_CAPACITY_RESERVATIONS_READY = 'CapacityReservationsReady';
export const CONDITION_VALIDATION_SUCCEEDED = 'ValidationSucceeded';
export const REASON_SUBNETS_NOT_FOUND = 'SubnetsNotFound';
export const REASON_SECURITY_GROUPS_NOT_FOUND = 'SecurityGroupsNotFound';
export const REASON_AMIS_NOT_FOUND = 'AMINotFound';
export const REASON_INSTANCE_PROFILE_NOT_FOUND = 'InstanceProfileNotFound';
export const REASON_CAPACITY_RESERVATION_NOT_FOUND = 'CapacityReservationNotFound';
/** Ready=False on an EC2NodeClass: one of its parts does not resolve (operatorpkg's root-condition reason). */
export const REASON_UNHEALTHY_DEPENDENTS = 'UnhealthyDependents';
/** NodePool: false while node auto-repair is held back (more than 20% of its nodes unhealthy). */
export const CONDITION_NODE_REPAIR_ALLOWED = 'joinery.dev/NodeRepairAllowed';
export const REASON_REPAIR_ALLOWED = 'RepairAllowed';
export const REASON_TOO_MANY_UNHEALTHY = 'TooManyUnhealthyNodes';

/** NodeOverlay: not applied, because another of the same weight sets the same thing differently. */
export const REASON_OVERLAY_CONFLICT = 'Conflict';
/** NodeOverlay: its spec cannot be applied (ValidationSucceeded=False). */
export const REASON_VALIDATION_FAILED = 'ValidationFailed';

/**
 * NodePool, static pools only (spec.replicas): True when the pool has as many nodes in
 * service as replicas asks, none launching or leaving; the message says desired and current.
 */
export const CONDITION_REPLICAS_READY = 'joinery.dev/ReplicasReady';
export const REASON_REPLICAS_READY = 'ReplicasReady';
export const REASON_SCALING = 'Scaling';
