// Disruption: the budget reasons of a Karpenter v1 NodePool, and the mark the reconciler
// writes on a NodeClaim it chose for disruption (annotation joinery.dev/disruption), read
// back after a restart.

/** Why nodes are disrupted, as NodePool budgets name it (`budgets[].reasons`). */
export type DisruptionReason = 'Drifted' | 'Underutilized' | 'Empty';
export const DISRUPTION_REASONS: readonly DisruptionReason[] = ['Drifted', 'Underutilized', 'Empty'];

/** `removal`: nodes of a NodePool gone from the intent, or whose object is being deleted. */
export type DisruptionMethod = 'drift' | 'removal' | 'expiration' | 'emptiness' | 'consolidation';

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
