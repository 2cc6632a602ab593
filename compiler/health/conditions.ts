// The NodePool status conditions the joinery reconciler writes (its status controller,
// reconciler/controllers/status) and the health checks shipped with generated/ read. The
// compiler may not import the reconciler, so the names are repeated here; a unit test
// (test/unit/health) fails the moment the two differ.

/** True when every node of the pool matches the intent in force (no drifted node left, none being replaced). */
export const CONDITION_ROLLED_OUT = 'joinery.dev/PolicyRolledOut';
export const REASON_ROLLED_OUT = 'RolledOut';
export const REASON_ROLLING_OUT = 'RollingOut';

/** False when the latest policy commit was rejected (the last good one stays in force). */
export const CONDITION_COMMIT_ACCEPTED = 'joinery.dev/PolicyCommitAccepted';
export const REASON_COMMIT_REJECTED = 'CommitRejected';

/** Karpenter's own readiness condition, for pools run by upstream Karpenter instead. */
export const CONDITION_READY = 'Ready';

export const NODEPOOL_API_VERSION = 'karpenter.sh/v1';
export const NODEPOOL_KIND = 'NodePool';
