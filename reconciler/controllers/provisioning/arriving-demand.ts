// Sizing for arriving demand (issue 19, item 3): a ReplicaSet whose pods arrive in steps (an
// autoscaler's ramp) gets nodes sized for one more step of the same size, so the ramp does
// not first build many small nodes (each step's leftovers) that consolidation then merges,
// moving their pods. The demand of a step is the batch's pods of that owner; an owner is
// rising when it showed a sustained ramp: at least MIN_EARLIER_STEPS earlier steps of its pods
// were provisioned for within the window. One earlier step is not evidence: a burst that
// jumps in two steps (a flash sale, a retry storm) would get room for a third that never
// comes, bought on nodes that then stand half empty until consolidation. The extra step is
// solved as copies of the owner's pending pods ("arriving" pods), at most as many as the
// owner's smallest recent step: they size the new nodes, and are then dropped. A node planned
// only for arriving pods is not launched: nothing is bought for pods that do not exist yet,
// only room on nodes bought anyway.

import type { Pod } from '../../../core/api/k8s.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';

/** Earlier steps of the same owner count within this time (three of an autoscaler's 5-minute steps). */
export const RISING_WINDOW_MS = 15 * 60_000;
/** An owner is rising when at least this many earlier steps of it fall within the window. */
export const MIN_EARLIER_STEPS = 2;
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

interface Step {
  readonly at: number;
  /** Pods of the owner in the step's first batch. */
  readonly pods: number;
}

export class ArrivingDemand {
  /** Each ReplicaSet's recent steps, oldest first. */
  private readonly steps = new Map<string, Step[]>();

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
    for (const [k, l] of this.steps) {
      const recent = l.filter((s) => now - s.at <= RISING_WINDOW_MS);
      if (recent.length === 0) this.steps.delete(k);
      else if (recent.length < l.length) this.steps.set(k, recent);
    }
    const arriving: Pod[] = [];
    for (const [owner, pods] of byOwner) {
      const earlier = this.steps.get(owner) ?? [];
      const last = earlier[earlier.length - 1];
      if (last !== undefined && now - last.at < STEP_GAP_MS) continue; // the same step, solved again
      this.steps.set(owner, [...earlier, { at: now, pods: pods.length }]);
      if (earlier.length < MIN_EARLIER_STEPS) continue;
      // Room for one more step, no larger than the smallest step the owner showed.
      const count = Math.min(MAX_ARRIVING, pods.length, ...earlier.map((s) => s.pods));
      const template = pods[0]!;
      for (let i = 0; i < count; i++) {
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
