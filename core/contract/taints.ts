// Taints and finalizers Karpenter defines and the reconciler writes and reads.

import type { NodeClaimTaint } from '../api/karpenter.ts';

export const TAINT_DISRUPTED: NodeClaimTaint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };
export const TAINT_UNREGISTERED: NodeClaimTaint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };

export const FINALIZER_TERMINATION = 'karpenter.sh/termination';

/**
 * joinery's own finalizer on the NodePool objects of its intent: a NodePool deleted from the
 * cluster (a GitOps prune, `kubectl delete nodepool`) stays until the reconciler has removed
 * its nodes at the removal rate, replacements first; without it the garbage collector would
 * delete every NodeClaim the NodePool owns at once.
 */
export const FINALIZER_NODEPOOL_TERMINATION = 'joinery.dev/termination';
