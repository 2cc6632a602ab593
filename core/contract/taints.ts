// Taints and finalizers Karpenter defines and the reconciler writes and reads.

import type { NodeClaimTaint } from '../api/karpenter.ts';

export const TAINT_DISRUPTED: NodeClaimTaint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };
export const TAINT_UNREGISTERED: NodeClaimTaint = { key: 'karpenter.sh/unregistered', effect: 'NoExecute' };

export const FINALIZER_TERMINATION = 'karpenter.sh/termination';
