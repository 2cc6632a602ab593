// Liveness (Karpenter's lifecycle/liveness.go): a launched claim whose node has not
// registered within the registration timeout is deleted, which terminates its instance
// (a node that never joins would otherwise be paid for and never used); its pods are
// solved again.

import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { timestampMs } from '../../views/cluster-state.ts';
import { CONDITION_LAUNCHED, LABEL_NODEPOOL } from '../../../core/contract/index.ts';

export type LivenessDeps = Pick<ControllerContext, 'cluster' | 'decisions'> & {
  readonly options: Pick<ReconcilerOptions, 'registrationTimeoutMs'>;
};

export class Liveness {
  constructor(
    private readonly deps: LivenessDeps,
    /** The controller named in decisions. */
    private readonly controller: string,
  ) {}

  /** For a launched, unregistered claim: deletes it past the deadline, else returns how long until the deadline. */
  async check(claim: NodeClaim, now: number): Promise<number | undefined> {
    const { cluster, decisions, options } = this.deps;
    const name = claim.metadata.name!;
    const launchedAt = timestampMs(claim.status?.conditions?.find((c) => c.type === CONDITION_LAUNCHED)?.lastTransitionTime) ?? now;
    const deadline = launchedAt + options.registrationTimeoutMs;
    if (now < deadline) return deadline - now;
    decisions.record({
      controller: this.controller,
      action: 'registration-timeout',
      reason: 'node-not-registered',
      message: `NodeClaim ${name}: no node registered within ${Math.round(options.registrationTimeoutMs / 60_000)}m of launch; terminating its instance`,
      nodePool: claim.metadata.labels?.[LABEL_NODEPOOL],
      nodeClaims: [name],
    });
    await cluster.deleteNodeClaim(name);
    return undefined;
  }
}
