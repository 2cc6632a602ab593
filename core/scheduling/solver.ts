// The scheduling solver: where do these pods go, and which new nodes, at what cost.
// One solver serves provisioning (pending pods, existing and in-flight nodes, pools),
// consolidation ("can these pods fit elsewhere": mark the candidates markedForDeletion,
// pass their pods, and no pools or a restricted pool), `joinery plan` and the simulator.
//
// Pods are grouped into classes (identical scheduling constraints and requests), ordered
// by priority, then pods that need a node of their own (required hostname anti-affinity
// to themselves), then largest first (dominant share of the total demand).
//  1. Existing and in-flight nodes first: each pod goes to the first node that takes it.
//  2. New nodes: the next pending pod opens a node from the heaviest NodePool that can
//     host it. The node's size target is the instance type that covers the pool's
//     pending demand (minus what open nodes still hold) at the least cost, that demand
//     shared among the nodes the exclusive pods need anyway. The node is then filled
//     from all pending pods whose home is that pool, choosing each time the request
//     shape that fills it best along the direction of the pending demand (a vector bin
//     packing heuristic), until nothing fits.
//  3. Pods that failed are retried (their affinity may be met now), each relaxation
//     level in turn, as Karpenter relaxes preferences.
// At the end every new node offers every type that holds its pods, cheapest first.
// A batch of at most SMALL_BATCH pods (the common provisioning batch, where the size of
// each new node matters most) is solved once per sizing of new nodes (plan.ts's Sizing:
// cover, residual, whole, padded), each through the same phases and placement checks;
// a sizing is solved only if an earlier solve saw it choose another size for some node;
// each plan's new nodes are then merged where one larger node holds a group of them for
// less (merge.ts), and the cheapest plan (fewest pods left out first) is kept (verified
// when its correctness rests on more than the cover plan's checks: see solve).
//
// Exactness: resources are checked per node against allocatable (existing nodes) or the
// usable capacity of a concrete type (new nodes: allocatable minus the DaemonSets that
// would run there); taints, node selectors and affinity, pod affinity and anti-affinity
// (both directions) and topology spread are checked against per-domain counts that are
// updated as pods are placed. A new node whose zone (or other topology label) matters
// to a pod it holds, or to a group that counts the pod, is pinned to one value, so the
// counts stay exact. verify.ts checks results independently.
//
// This file runs the phases; the state they share is plan.ts (nodes, pools, classes)
// and demand.ts (pending pods, each class's home pool). attempts.ts: relaxation levels
// and their caches; placement.ts: whether a node takes a pod (resources, topology,
// pinning); commit.ts: placing it; open-node.ts: opening and sizing new nodes; fill.ts:
// the fill heuristic; finalize.ts: the new nodes' options; explain.ts: reasons.

import type { Pod } from '../api/k8s.ts';
import { attemptsOf, prepare } from './attempts.ts';
import { commit } from './commit.ts';
import { initDemand, peek, pending, settleDemand, take, type PendingPods } from './demand.ts';
import { explain } from './explain.ts';
import { fill, initShapes } from './fill.ts';
import { finalize } from './finalize.ts';
import { close, openNode } from './open-node.ts';
import type { PodClass } from './pod-class.ts';
import { createPlan, SIZINGS, type Plan } from './plan.ts';
import { mergeability, mergeNodes } from './merge.ts';
import { firstFit } from './placement.ts';
import { PODS } from './resource-vector.ts';
import { retarget } from './templates.ts';
import type { SolveInput, SolveResult, UnschedulablePod } from './types.ts';
import { verifySolution } from './verify.ts';

interface Failed {
  readonly cls: PodClass;
  readonly pod: Pod;
}

/**
 * Batches of at most this many pods (the common provisioning batch) are solved under
 * every sizing (plan.ts's Sizing), and the cheapest plan is kept: where the greedy's
 * node sizes matter most, and a solve costs a few milliseconds.
 */
export const SMALL_BATCH = 50;

export function solve(input: SolveInput): SolveResult {
  if (input.pods.length > SMALL_BATCH || input.nodePools.length === 0) return result(place(createPlan(input)));
  // Each sizing is solved only if an earlier solve saw it choose differently for some
  // node: otherwise its plan is the same, decision for decision. Each plan's new nodes
  // are then merged where one larger node holds a group of them for less (merge.ts).
  const cover = placeSmall(createPlan(input, SIZINGS[0], true));
  let best = cover;
  let bestCost = planCost(best);
  let diverged = best.plan.diverged;
  for (let s = 1; s < SIZINGS.length; s++) {
    if (!(diverged & (1 << s))) continue;
    const placed = placeSmall(createPlan(input, SIZINGS[s], true));
    diverged |= placed.plan.diverged;
    const cost = planCost(placed);
    // A later sizing must be strictly cheaper: ties keep the earlier plan.
    if (cost < bestCost * (1 - 1e-9)) {
      best = placed;
      bestCost = cost;
    }
  }
  const chosen = result(best);
  // Defence in depth: a plan whose correctness rests on more than the placement checks
  // the cover plan runs is kept only if the independent verifier accepts it. That is a
  // plan found by another sizing in a batch with topology constraints (each sizing runs
  // the same checks, but in another order, so the topology counts differ); or one where
  // pods with topology constraints were merged onto one node. A batch whose pods have
  // no topology constraint, host port or volume (and that no group counts) differs
  // between sizings in node sizes only: its checks are resources, requirements and
  // taints, per node, as in the cover plan; merges of such pods are checked as merge.ts
  // says. Those are not verified again (the verifier took a quarter of a small solve).
  const unverified = (best === cover || plainBatch(best.plan)) && best.merged !== 2;
  if (unverified || verifySolution(input, chosen).length === 0) return chosen;
  // Otherwise the cover plan (tracking divergence changes none of its decisions), unless
  // it too rests on a merge to verify: then the cover plan without merges.
  if (best !== cover && cover.merged !== 2) return result(cover);
  return result(place(createPlan(input)));
}

/** A small batch's plan: placed, then its new nodes merged where that saves. */
function placeSmall(plan: Plan): Placed & { readonly merged: 0 | 1 | 2 } {
  const placed = place(plan);
  return { ...placed, merged: mergeNodes(plan) };
}

/** No pending pod has a topology constraint, host port or volume, nor is counted by any topology group. */
function plainBatch(plan: Plan): boolean {
  return plan.classes.every((cls) => mergeability(cls) === 1);
}

/** A pod left unschedulable outweighs any price difference between plans. */
const UNSCHEDULABLE_PENALTY = 1e9;

interface Placed {
  readonly plan: Plan;
  readonly failed: readonly Failed[];
}

function planCost(placed: Placed): number {
  return newNodeCost(placed.plan) + UNSCHEDULABLE_PENALTY * placed.failed.length;
}

/** $/h of the plan's new nodes, each at the cheapest type of its template that holds its pods. */
function newNodeCost(plan: Plan): number {
  let cost = 0;
  for (const n of plan.nodes) {
    if (n.existing) continue;
    const k = retarget(n.pool!, n.template!, undefined, n.used, -1);
    const p = n.template!.pos[k < 0 ? n.target : k]!;
    cost += p >= 0 ? n.template!.price[p]! : Infinity;
  }
  return cost;
}

/** The phases: existing nodes, new nodes, retries. Returns the pods that fit nowhere. */
function place(plan: Plan): Placed {
  const q = initDemand(plan);
  const order = placementOrder(plan);
  initShapes(plan, q, order);
  const failed: Failed[] = [];
  // 1. Existing and in-flight nodes first, first fit.
  if (plan.nodes.length > 0) {
    for (const cls of order) {
      const a = attemptsOf(plan, cls)[0];
      if (!a) continue;
      while (pending(q, cls) > 0) {
        prepare(a);
        const fit = firstFit(plan, a);
        if (!fit) break; // identical pods fail alike
        commit(plan, a, take(q, cls), fit);
        settleDemand(plan, q, cls);
      }
    }
  }
  // 2. New nodes: open one for the next pod, then fill it with the pods that complement it best.
  for (const cls of order) {
    while (pending(q, cls) > 0) {
      const attempts = attemptsOf(plan, cls);
      let placed = false;
      for (let level = q.level[cls.id]!; level < attempts.length && !placed; level++) {
        const a = attempts[level]!;
        q.level[cls.id] = level;
        prepare(a);
        const fit = level > 0 ? firstFit(plan, a) : undefined;
        if (fit) {
          commit(plan, a, take(q, cls), fit);
          placed = true;
        } else {
          const fresh = openNode(plan, q, a, peek(q, cls));
          if (fresh) {
            take(q, cls);
            fill(plan, q, fresh);
            close(fresh);
            placed = true;
          }
        }
      }
      settleDemand(plan, q, cls);
      if (!placed) failed.push({ cls, pod: take(q, cls) });
    }
  }
  // 3. Pods that failed may fit now (e.g. affinity to pods placed after them).
  let still = failed;
  while (still.length > 0) {
    const next: Failed[] = [];
    for (const f of still) if (!placeAnywhere(plan, q, f.cls, f.pod)) next.push(f);
    if (next.length === still.length) break;
    still = next;
  }
  return { plan, failed: still };
}

function result({ plan, failed: still }: Placed): SolveResult {
  const unschedulable: UnschedulablePod[] = [];
  const reasons = new Map<PodClass, string>();
  for (const f of still) {
    let reason = reasons.get(f.cls);
    if (reason === undefined) {
      reason = explain(plan, f.cls);
      reasons.set(f.cls, reason);
    }
    unschedulable.push({ pod: f.pod, reason });
  }
  const bindings = [];
  for (const n of plan.nodes) if (n.existing) for (const pod of n.pods) bindings.push({ pod, node: n.name });
  return { bindings, newNodes: finalize(plan), unschedulable, order: plan.placed };
}

/**
 * Priority first, then pods that need a node of their own, then largest first by the
 * dominant share of the total demand (so that CPU-heavy and memory-heavy pods interleave
 * and nodes fill evenly in both).
 */
function placementOrder(plan: Plan): PodClass[] {
  const res = plan.res;
  const total = new Float64Array(res.size);
  for (const cls of plan.classes) {
    const req = res.vector(cls.requests);
    for (let r = 0; r < req.length; r++) total[r] = total[r]! + cls.pods.length * req[r]!;
  }
  const size = new Map<PodClass, number>();
  for (const cls of plan.classes) {
    const req = res.vector(cls.requests);
    let s = 0;
    // Every pod requests one pod slot: that share says nothing about its size.
    for (let r = 0; r < req.length; r++) if (r !== PODS && total[r]! > 0) s = Math.max(s, req[r]! / total[r]!);
    size.set(cls, s);
  }
  return plan.classes.slice().sort((a, b) => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    const ea = a.exclusiveGroup ? 1 : 0;
    const eb = b.exclusiveGroup ? 1 : 0;
    if (ea !== eb) return eb - ea;
    const sa = size.get(a)!;
    const sb = size.get(b)!;
    if (sa !== sb) return sb - sa;
    return a.id - b.id;
  });
}

/** Retry of a failed pod: every relaxation level, any node, else a new node. */
function placeAnywhere(plan: Plan, q: PendingPods, cls: PodClass, pod: Pod): boolean {
  for (const a of attemptsOf(plan, cls)) {
    prepare(a);
    const fit = firstFit(plan, a);
    if (fit) {
      commit(plan, a, pod, fit);
      return true;
    }
    if (openNode(plan, q, a, pod)) return true;
  }
  return false;
}
