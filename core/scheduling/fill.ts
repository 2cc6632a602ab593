// The fill heuristic: once a new node is opened, it is filled from the pending pods whose
// home is its pool, choosing each time the request shape that fills it best along the
// direction of the pool's pending demand, until nothing fits.

import { attemptsOf, prepare } from './attempts.ts';
import { commit } from './commit.ts';
import { pending, settleDemand, take, type PendingPods } from './demand.ts';
import type { PodClass } from './pod-class.ts';
import type { Plan, PlannedNode } from './plan.ts';
import { tryNode } from './placement.ts';
import { CPU, fits, MEMORY } from './resource-vector.ts';

/** Groups the classes by request vector, in placement order. */
export function initShapes(plan: Plan, q: PendingPods, order: readonly PodClass[]): void {
  const index = new Map<string, number>();
  for (const cls of order) {
    const a = attemptsOf(plan, cls)[0];
    const req = a ? a.req : plan.res.vector(cls.requests);
    const key = req.join(',');
    let s = index.get(key);
    if (s === undefined) {
      s = q.shapes.length;
      index.set(key, s);
      q.shapes.push({ req, classes: [], pending: 0, first: 0 });
    }
    q.shapeOf[cls.id] = s;
    if (a) {
      q.shapes[s]!.classes.push(cls);
      q.shapes[s]!.pending += cls.pods.length;
    }
  }
  q.shapeReject = new Int32Array(q.shapes.length);
}

/**
 * Fills a new node: repeatedly adds a pending pod of the shape that scores best, until
 * none fits. The score favours large pods (the sum of the cpu and memory fill after
 * adding it) and penalises drifting from the direction of the pending demand, the
 * more so the fuller the node (a vector bin packing heuristic: big items first, keep
 * the free space shaped like what is left to place).
 */
export function fill(plan: Plan, q: PendingPods, n: PlannedNode): void {
  // Rejections are stamped with the node, so that nothing needs clearing between nodes.
  const stamp = n.index + 1;
  const shapes = q.shapes;
  // The memory-to-cpu ratio of the pool's pending pods, relative to the node's: the
  // node should fill along it, so that what stays free suits the pods still to come.
  const demand = n.pool!.remaining;
  const direction =
    n.cap[CPU]! > 0 && n.cap[MEMORY]! > 0 && demand[CPU]! > 0 && demand[MEMORY]! > 0
      ? demand[MEMORY]! / n.cap[MEMORY]! / (demand[CPU]! / n.cap[CPU]!)
      : 1;
  for (;;) {
    let best = -1;
    let bestScore = -Infinity;
    const cap = n.cap;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s]!;
      if (shape.pending === 0 || q.shapeReject[s] === stamp) continue;
      const req = shape.req;
      if (!fits(cap, n.used, req)) continue;
      const fc = cap[CPU]! > 0 ? (n.used[CPU]! + req[CPU]!) / cap[CPU]! : 1;
      const fm = cap[MEMORY]! > 0 ? (n.used[MEMORY]! + req[MEMORY]!) / cap[MEMORY]! : 1;
      const imbalance = direction <= 1 ? Math.abs(fm - direction * fc) : Math.abs(fc - fm / direction);
      const score = fc + fm - imbalance * Math.max(fc, fm);
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    if (best < 0) return;
    let placed = false;
    const shape = shapes[best]!;
    while (shape.first < shape.classes.length && pending(q, shape.classes[shape.first]!) === 0) shape.first++;
    for (let i = shape.first; i < shape.classes.length; i++) {
      const cls = shape.classes[i]!;
      if (pending(q, cls) === 0 || q.classReject[cls.id] === stamp) continue;
      if (q.homePool[cls.id] !== n.pool!.index) {
        q.classReject[cls.id] = stamp;
        continue;
      }
      const a = attemptsOf(plan, cls)[q.level[cls.id]!]!;
      prepare(a);
      const fit = tryNode(plan, a, n);
      if (typeof fit !== 'number') {
        commit(plan, a, take(q, cls), fit);
        settleDemand(plan, q, cls);
        placed = true;
        break;
      }
      q.classReject[cls.id] = stamp;
    }
    if (!placed) q.shapeReject[best] = stamp;
  }
}
