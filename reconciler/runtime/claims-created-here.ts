// The NodeClaims this process created and has not tried to launch yet, by UID. The first
// launch of such a claim needs no lookup of an instance tagged for it: no process can have
// launched it before (a claim created by an earlier process, or tried once already here,
// is looked up as always). Karpenter does no lookup at all before launching; joinery
// keeps it where it guards against a duplicate and drops it from the common path, where
// it cost one DescribeInstances per launch (seconds on a loaded EC2 endpoint, see
// bench:reconcile's EC2 calls).

import type { NodeClaim } from '../../core/api/karpenter.ts';
import type { Clock } from '../ports/clock.ts';
import type { Cluster } from '../ports/cluster.ts';

/** A claim created here and missing from the cache this long after was deleted before its launch. */
const FORGET_AFTER_MS = 60_000;

export class ClaimsCreatedHere {
  /** When each claim was created, by UID. */
  private readonly uids = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  record(claim: NodeClaim): void {
    if (claim.metadata.uid) this.uids.set(claim.metadata.uid, this.clock.now());
  }

  /** True once for a claim created here: its first launch attempt. */
  takeFirstAttempt(uid: string | undefined): boolean {
    return uid !== undefined && this.uids.delete(uid);
  }

  /**
   * Forgets claims no longer in the cluster (deleted before any launch attempt). A claim
   * created a moment ago may not be in the informer cache yet, so only old ones go.
   */
  retainOnly(uids: ReadonlySet<string>): void {
    const before = this.clock.now() - FORGET_AFTER_MS;
    for (const [uid, at] of this.uids) if (at < before && !uids.has(uid)) this.uids.delete(uid);
  }
}

/** The cluster, recording each NodeClaim created through it. */
export function recordingClaimCreation(cluster: Cluster, created: ClaimsCreatedHere): Cluster {
  return new Proxy(cluster, {
    get(target, property) {
      if (property === 'createNodeClaim') {
        return async (manifest: NodeClaim) => {
          const claim = await target.createNodeClaim(manifest);
          created.record(claim);
          return claim;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
