// Opening a new node for a pod: in the heaviest pool whose template the pod can use and
// whose topology it satisfies, sized by the pool's pending demand (chooseTarget); and
// closing it once filled.

import type { Pod } from '../api/k8s.ts';
import { narrowFor } from './attempts.ts';
import { commit, setTarget } from './commit.ts';
import { moveHome, type PendingPods } from './demand.ts';
import { SIZINGS, type Attempt, type Plan, type PlannedNode } from './plan.ts';
import { pinnedForTopology } from './placement.ts';
import { fits } from './resource-vector.ts';
import { firstPossible, frontierFrom, type PoolState, type Template } from './templates.ts';

/** Opens a new node holding `pod`, or returns undefined when no pool can. The pod's class moves home to its pool. */
export function openNode(plan: Plan, q: PendingPods, a: Attempt, pod: Pod): PlannedNode | undefined {
  for (const pool of plan.pools) {
    if (!a.poolOk[pool.index]) continue;
    const t = narrowFor(plan, a, pool.base);
    if (!t) continue;
    // The node as it would be, for the topology check; named only once it is opened.
    const node: PlannedNode = {
      index: plan.nodes.length,
      name: '',
      existing: undefined,
      cap: new Float64Array(0),
      used: new Float64Array(plan.res.size),
      domains: undefined,
      pool,
      template: t,
      target: -1,
      closed: false,
      pods: [],
      ports: pool.daemonSetPorts.length > 0 ? pool.daemonSetPorts : undefined,
    };
    const chosen = pinnedForTopology(plan, a, node, t);
    if (typeof chosen === 'number') continue;
    const target = chooseTarget(plan, pool, chosen, a.req);
    if (target < 0) continue;
    moveHome(plan, q, a.cls, pool);
    const named: PlannedNode = { ...node, name: `${plan.newNodePrefix}-${pool.name}-${plan.newNodeCount++}`, template: chosen };
    setTarget(named, target);
    plan.nodes.push(named);
    commit(plan, a, pod, { node: named, template: chosen, target });
    return named;
  }
  return undefined;
}

/**
 * The size target of a new node: among the types that hold the pod, the one covering
 * the pool's remaining demand at the least cost (price x nodes needed, at least one
 * node). With pods that need a node each, the demand is shared among those nodes.
 * Ties go to the larger type. Under the `whole` sizing the nodes needed are counted
 * whole. Under the `residual` sizing a type may also be chosen at its price plus a lower
 * bound of the demand it leaves uncovered on the pool's cheapest types per resource
 * (PoolState.rate), so that a pod only dear types take (a GPU pod) opens a node sized
 * for itself when the rest of the demand is cheaper elsewhere; `padded` counts that
 * bound 1.6 times, preferring a node that holds more of the demand.
 */
const RESIDUAL = SIZINGS.indexOf('residual');
const WHOLE = SIZINGS.indexOf('whole');
const PADDED = SIZINGS.indexOf('padded');
/** What is left rarely packs at the cheapest rate of each resource at once: `padded` counts it dearer. */
const PADDING = 1.6;

function chooseTarget(plan: Plan, pool: PoolState, t: Template, req: Float64Array): number {
  const rate = pool.rate;
  const R = req.length;
  const nodesNeeded = Math.max(1, pool.exclusiveRemaining());
  // Small batches (plan.track) weigh every sizing at once, to know which of them would
  // choose differently from the plan's own; other plans only their own.
  const own = SIZINGS.indexOf(plan.sizing);
  const from = plan.track ? 0 : own;
  const to = plan.track ? SIZINGS.length - 1 : own;
  const bestK = plan.bestK;
  const bestMetric = plan.bestMetric;
  const bestN = plan.bestN;
  bestK.fill(-1);
  bestMetric.fill(Infinity);
  bestN.fill(Infinity);
  let bound = Infinity;
  // Every metric grows with the price and shrinks with the capacity: without limits only
  // the template's frontier can win (templates.ts).
  const start = firstPossible(pool, t.price, undefined, req);
  const front = pool.hasLimits ? undefined : t.frontier();
  const count = front ? front.length : t.entries.length;
  for (let i = front ? frontierFrom(front, start) : start; i < count; i++) {
    const p = front ? front[i]! : i;
    // Entries are cheapest first and the metric is at least the price: nothing later can win.
    if (t.price[p]! > bound * (1 + 1e-9)) break;
    const k = t.entries[p]!;
    const u = pool.types[k]!.usable;
    if (!fits(u, undefined, req) || !pool.withinLimits(k)) continue;
    let n = 0;
    let rest = 0;
    for (let r = 0; r < R; r++) {
      const uncovered = Math.max(pool.remaining[r]! - pool.openFree[r]!, 0);
      if (uncovered > u[r]!) {
        const left = (uncovered - u[r]!) * rate[r]!;
        if (left > rest) rest = left;
      }
      if (req[r]! <= 0) continue;
      const share = Math.max(uncovered / nodesNeeded, req[r]!);
      const x = share / u[r]!;
      if (x > n) n = x;
    }
    const price = t.price[p]!;
    bound = 0;
    for (let s = from; s <= to; s++) {
      let metric = price * Math.max(s === WHOLE ? Math.ceil(n - 1e-9) : n, 1);
      if (s === RESIDUAL && nodesNeeded === 1 && price + rest < metric) metric = price + rest;
      // Single: a type that holds it all costs its price, any other is counted after every such type.
      else if (s === PADDED && nodesNeeded === 1 && price + PADDING * rest < metric) metric = price + PADDING * rest;
      if (metric < bestMetric[s]! * (1 - 1e-9) || (metric <= bestMetric[s]! * (1 + 1e-9) && n < bestN[s]!)) {
        bestK[s] = k;
        bestMetric[s] = metric;
        bestN[s] = n;
      }
      if (bestMetric[s]! > bound) bound = bestMetric[s]!;
    }
  }
  if (plan.track) for (let s = 0; s < SIZINGS.length; s++) if (bestK[s] !== bestK[own]) plan.diverged |= 1 << s;
  return bestK[own]!;
}

/** The node is full for now: its free capacity stops counting against the pool's pending demand. */
export function close(n: PlannedNode): void {
  if (n.closed) return;
  const free = n.pool!.openFree;
  for (let r = 0; r < free.length; r++) free[r] = free[r]! - (n.cap[r]! - n.used[r]!);
  n.closed = true;
}
