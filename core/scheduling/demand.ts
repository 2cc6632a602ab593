// The pods still to place and the demand they put on the pools. Pending pods of each
// class are consumed in input order. Each class has a home pool: the heaviest pool a new
// node could be opened in for it. Its pending pods count in that pool's demand (which
// sizes the pool's new nodes, open-node.ts), and only new nodes of that pool are filled
// with them (fill.ts).

import type { Pod } from '../api/k8s.ts';
import { attemptsOf, canOpenIn } from './attempts.ts';
import type { PodClass } from './pod-class.ts';
import type { Plan } from './plan.ts';
import type { PoolState } from './templates.ts';

/** Classes with the same request vector: the fill loop chooses a shape, then a class of it that fits. */
export interface Shape {
  readonly req: Float64Array;
  /** In placement order. */
  readonly classes: PodClass[];
  /** Pending pods of the shape's classes. */
  pending: number;
  /** Classes before this one have no pending pod left. */
  first: number;
}

/** Per-class state of the pods to place, indexed by class id. */
export interface PendingPods {
  /** Pods of the class taken so far. */
  readonly cursor: Int32Array;
  /** Index of the class's home pool, -1 when no pool can host it. */
  readonly homePool: Int32Array;
  /** The relaxation level the class has reached when opening new nodes. */
  readonly level: Int32Array;
  readonly shapeOf: Int32Array;
  readonly shapes: Shape[];
  /** Fill stamps (node index + 1): the class, or the shape, was rejected by that node. */
  readonly classReject: Int32Array;
  shapeReject: Int32Array;
}

/** The pending pods of the plan's classes, each class's demand counted in its home pool. */
export function initDemand(plan: Plan): PendingPods {
  const classes = plan.classes.length;
  const q: PendingPods = {
    cursor: new Int32Array(classes),
    homePool: new Int32Array(classes),
    level: new Int32Array(classes),
    shapeOf: new Int32Array(classes),
    shapes: [],
    classReject: new Int32Array(classes),
    shapeReject: new Int32Array(0),
  };
  for (const cls of plan.classes) {
    const a = attemptsOf(plan, cls)[0];
    q.homePool[cls.id] = -1;
    if (!a) continue;
    const home = plan.pools.find((p) => canOpenIn(plan, a, p));
    if (home) moveHome(plan, q, cls, home);
  }
  return q;
}

export function pending(q: PendingPods, cls: PodClass): number {
  return cls.pods.length - q.cursor[cls.id]!;
}

export function peek(q: PendingPods, cls: PodClass): Pod {
  return cls.pods[q.cursor[cls.id]!]!;
}

export function take(q: PendingPods, cls: PodClass): Pod {
  const pod = cls.pods[q.cursor[cls.id]!]!;
  q.cursor[cls.id] = q.cursor[cls.id]! + 1;
  const shape = q.shapeOf[cls.id]!;
  q.shapes[shape]!.pending--;
  return pod;
}

/** Moves the class's pending demand to `pool`. */
export function moveHome(plan: Plan, q: PendingPods, cls: PodClass, pool: PoolState): void {
  const old = q.homePool[cls.id]!;
  if (old === pool.index) return;
  const req = attemptsOf(plan, cls)[0]?.req;
  if (!req) return;
  const count = pending(q, cls);
  const shift = (p: PoolState, sign: number) => {
    for (let r = 0; r < req.length; r++) p.remaining[r] = p.remaining[r]! + sign * count * req[r]!;
    if (cls.exclusiveGroup) p.exclusive.set(cls.exclusiveGroup, (p.exclusive.get(cls.exclusiveGroup) ?? 0) + sign * count);
  };
  if (old >= 0) shift(plan.pools[old]!, -1);
  shift(pool, 1);
  q.homePool[cls.id] = pool.index;
}

/** One pod of the class is placed (or given up): it no longer counts in its home pool's demand. */
export function settleDemand(plan: Plan, q: PendingPods, cls: PodClass): void {
  const home = q.homePool[cls.id]!;
  const req = attemptsOf(plan, cls)[0]?.req;
  if (home < 0 || !req) return;
  const pool = plan.pools[home]!;
  for (let r = 0; r < req.length; r++) pool.remaining[r] = pool.remaining[r]! - req[r]!;
  if (cls.exclusiveGroup) pool.exclusive.set(cls.exclusiveGroup, pool.exclusive.get(cls.exclusiveGroup)! - 1);
}
