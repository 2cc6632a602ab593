// Sizing for arriving demand (issue 19, item 3): a ReplicaSet whose pods arrive in steps (an
// autoscaler's ramp) gets nodes sized for one more step of the same size, so the ramp does
// not first build many small nodes (each step's leftovers) that consolidation then merges,
// moving their pods. The demand of a step is the batch's pods of that owner; an owner is
// rising when an earlier step of its pods was provisioned for within the window. The extra
// step is solved as copies of the owner's pending pods ("arriving" pods): they size the new
// nodes, and are then dropped. A node planned only for arriving pods is not launched: nothing
// is bought for pods that do not exist yet, only room on nodes bought anyway.

import type { Pod } from '../../../core/api/k8s.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';

/** An earlier step of the same owner within this time makes it rising. */
export const RISING_WINDOW_MS = 10 * 60_000;
/** Batches of one owner closer than this are one step (a re-solve, a batch split by its window). */
export const STEP_GAP_MS = 2 * 60_000;
/** At most this many arriving pods per owner and batch. */
const MAX_ARRIVING = 200;
const ARRIVING_UID = 'joinery.dev/arriving/';

function replicaSetOf(p: Pod): string | undefined {
  const o = p.metadata.ownerReferences?.find((r) => r.controller);
  return o && o.kind === 'ReplicaSet' ? `${p.metadata.namespace ?? 'default'}/${o.name}` : undefined;
}

export function isArriving(p: Pod): boolean {
  return (p.metadata.uid ?? '').startsWith(ARRIVING_UID);
}

export class ArrivingDemand {
  /** When each ReplicaSet's last step was provisioned for. */
  private readonly steps = new Map<string, number>();

  /** The batch plus the arriving pods of its rising ReplicaSets; records this batch's steps. */
  expand(pending: readonly Pod[], now: number): Pod[] {
    const byOwner = new Map<string, Pod[]>();
    for (const p of pending) {
      const k = replicaSetOf(p);
      if (!k) continue;
      let l = byOwner.get(k);
      if (!l) byOwner.set(k, (l = []));
      l.push(p);
    }
    for (const [k, t] of this.steps) if (now - t > RISING_WINDOW_MS) this.steps.delete(k);
    const arriving: Pod[] = [];
    for (const [owner, pods] of byOwner) {
      const last = this.steps.get(owner);
      if (last !== undefined && now - last < STEP_GAP_MS) continue; // the same step, solved again
      this.steps.set(owner, now);
      if (last === undefined) continue;
      const template = pods[0]!;
      for (let i = 0; i < Math.min(MAX_ARRIVING, pods.length); i++) {
        arriving.push({
          ...template,
          metadata: { ...template.metadata, name: `${template.metadata.name}-arriving-${i}`, uid: `${ARRIVING_UID}${owner}/${i}` },
          spec: { ...template.spec },
        });
      }
    }
    return arriving.length === 0 ? [...pending] : [...pending, ...arriving];
  }
}

/** The new nodes without their arriving pods; a node planned only for arriving pods is dropped. */
export function withoutArriving(nodes: readonly NewNode[]): NewNode[] {
  const out: NewNode[] = [];
  for (const n of nodes) {
    if (!n.pods.some(isArriving)) {
      out.push(n);
      continue;
    }
    const pods = n.pods.filter((p) => !isArriving(p));
    if (pods.length > 0) out.push({ ...n, pods });
  }
  return out;
}
