// Pod events (Karpenter's separate podevents controller): the last time a pod was bound
// to or left a claim's node, written to status.lastPodEventTime. consolidateAfter is
// measured from it, so a node whose pods keep changing is not consolidated. Writes are
// deduplicated per claim, since busy nodes see many pod events.

import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { timestampMs } from '../../views/cluster-state.ts';

/** The pod-event timestamp is written at most this often per claim (Karpenter dedupes too). */
const POD_EVENT_DEDUPE_MS = 10_000;

export type PodEventsDeps = Pick<ControllerContext, 'clock' | 'cluster'>;

/** Runs one claim's write; the lifecycle driver catches and backs off its failure. */
export type ClaimRunner = (claim: NodeClaim, step: string, run: () => Promise<unknown>) => Promise<boolean>;

export class PodEvents {
  /** Pods seen bound, by uid, to tell a new binding from a status update. */
  private readonly boundPods = new Map<string, string>();
  /** Nodes with a pod event not yet written: node name -> event time. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly deps: PodEventsDeps) {}

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind !== 'Pod') return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    const node = pod.spec.nodeName;
    if (event.type === 'DELETED' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      const was = this.boundPods.get(uid);
      this.boundPods.delete(uid);
      if (was) {
        this.pending.set(was, this.deps.clock.now());
        wake(POD_EVENT_DEDUPE_MS);
      }
      return;
    }
    if (node && !this.boundPods.has(uid)) {
      this.boundPods.set(uid, node);
      // Pods listed at start-up are not events: only bindings observed live are.
      if (event.type === 'MODIFIED') {
        this.pending.set(node, this.deps.clock.now());
        wake(POD_EVENT_DEDUPE_MS);
      }
    }
  }

  /** Writes the pending events, each through `runClaim`; a failed write is kept for the next pass. */
  async write(now: number, runClaim: ClaimRunner): Promise<void> {
    if (this.pending.size === 0) return;
    const { cluster } = this.deps;
    const claimByNode = new Map<string, NodeClaim>();
    for (const c of cluster.cache.list('NodeClaim')) if (c.status?.nodeName) claimByNode.set(c.status.nodeName, c);
    for (const [nodeName, at] of [...this.pending]) {
      const claim = claimByNode.get(nodeName);
      this.pending.delete(nodeName);
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const last = timestampMs(claim.status?.lastPodEventTime) ?? 0;
      if (at - last < POD_EVENT_DEDUPE_MS && last <= now) continue;
      const ok = await runClaim(claim, 'pod-event', () => cluster.patchNodeClaimStatus(claim.metadata.name!, { lastPodEventTime: new Date(at).toISOString() }));
      if (!ok && !this.pending.has(nodeName)) this.pending.set(nodeName, at);
    }
  }
}
