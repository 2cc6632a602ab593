// Merging opened new nodes (small batches): after a plan, a group of new nodes of one
// pool whose pods one instance type holds for less than the group costs is replaced by
// one node of that type (three half-full r6g.4xlarge by one r6g.8xlarge). The greedy
// sizes a node when it opens, before it knows how the rest of the batch will pack; this
// pass looks at the nodes as they ended.
//
// What a merged node must satisfy: resources (the group's usage fits the type's usable
// capacity, net of the DaemonSets that land on it); requirements (the nodes' templates
// intersected: a zone or any label pinned differently, or no type left, forbids the
// merge); taints (one pool: the pods already tolerate them); the pool's limits. Only
// nodes whose pods have no host ports, no volumes and no hostname-keyed constraint
// (anti-affinity, affinity or spread per node, owned or counted) are merged: putting
// their pods together changes no count those constraints read. Nodes whose pods have
// label-keyed constraints (zone spread, zone affinity) are merged only within one
// domain (their templates pin it), and the caller has the result verified
// (mergeNodes returns whether it merged such a node).
//
// The search is bounded: groups of at most MAX_GROUP nodes, at most MAX_EVALUATIONS
// groups priced per solve; each round applies the group that saves the most, until none
// saves anything.

import type { Pod } from '../api/k8s.ts';
import type { Plan, PlannedNode } from './plan.ts';
import type { PodClass } from './pod-class.ts';
import { firstPossible, frontierFrom, type PoolState, type Template } from './templates.ts';

/** Largest group of nodes replaced by one. */
const MAX_GROUP = 4;
/** Groups priced per call, over every round: keeps the pass within a fraction of a millisecond. */
const MAX_EVALUATIONS = 3000;
/** A merge must save more than this share of the group's price (float noise is not a saving). */
const EPSILON = 1e-9;

/** Whether a class's pods may share a merged node: 0 no, 1 yes (no constraint at all), 2 yes, verify. */
export function mergeability(cls: PodClass): 0 | 1 | 2 {
  if (cls.hostPorts.length > 0 || cls.volumes.length > 0 || cls.preempting) return 0;
  for (const p of cls.pods) for (const v of p.spec.volumes ?? []) if (v.persistentVolumeClaim || v.ephemeral) return 0;
  const owned = [...cls.spread, ...cls.affinity, ...cls.antiAffinity];
  for (const c of owned) if (c.group.hostname) return 0;
  for (const g of cls.labelClass.countedBy) if (g.hostname) return 0;
  return owned.length === 0 && cls.labelClass.countedBy.length === 0 ? 1 : 2;
}

interface Candidate {
  node: PlannedNode;
  price: number;
  /** Its pods have label-keyed constraints: a merge that includes it must be verified. */
  constrained: boolean;
}

/**
 * Merges groups of the plan's new nodes into single cheaper nodes (see the file
 * comment). `classOf` gives each pod's class. Returns 0 when nothing was merged, 1 when
 * only unconstrained pods were, 2 when some merged node holds pods with label-keyed
 * constraints (the caller verifies the result).
 */
export function mergeNodes(plan: Plan): 0 | 1 | 2 {
  const classOf = new Map<Pod, PodClass>();
  for (const cls of plan.classes) for (const p of cls.pods) classOf.set(p, cls);
  // Hostname spread counts nodes as domains (and minDomains may count how many there are):
  // a merge that removes a node is then verified, whatever the merged pods are.
  const hostnameSpread = plan.topology.groups.some((g) => g.hostname && g.kind === 'spread');
  const byPool = new Map<PoolState, Candidate[]>();
  const verdict = new Map<PodClass, 0 | 1 | 2>();
  for (const n of plan.nodes) {
    if (n.existing || n.pods.length === 0) continue;
    let worst: 0 | 1 | 2 = 1;
    for (const p of n.pods) {
      const cls = classOf.get(p)!;
      let v = verdict.get(cls);
      if (v === undefined) {
        v = mergeability(cls);
        verdict.set(cls, v);
      }
      if (v === 0) {
        worst = 0;
        break;
      }
      if (v === 2) worst = 2;
    }
    if (worst === 0) continue;
    const pool = n.pool!;
    const price = cheapest(pool, n.template!, n.used, Infinity, undefined).price;
    if (!Number.isFinite(price)) continue;
    let list = byPool.get(pool);
    if (!list) byPool.set(pool, (list = []));
    list.push({ node: n, price, constrained: worst === 2 || hostnameSpread });
  }
  let outcome: 0 | 1 | 2 = 0;
  const budget = { left: MAX_EVALUATIONS };
  for (const [pool, list] of byPool) {
    for (;;) {
      if (list.length < 2 || budget.left <= 0) break;
      const best = bestGroup(plan, pool, list, budget);
      if (!best) break;
      apply(plan, pool, list, best);
      if (best.members.some((i) => list[i]!.constrained)) outcome = 2;
      else if (outcome === 0) outcome = 1;
      const merged: Candidate = { node: list[best.members[0]!]!.node, price: best.price, constrained: best.members.some((i) => list[i]!.constrained) };
      const keep = list.filter((_, i) => !best.members.includes(i));
      list.length = 0;
      list.push(merged, ...keep);
    }
  }
  return outcome;
}

interface Group {
  readonly members: number[];
  readonly template: Template;
  readonly type: number;
  readonly price: number;
  readonly saving: number;
}

/**
 * The group of at most MAX_GROUP candidates whose merge saves the most, by a depth-first
 * search over groups in candidate order (a group that saves nothing may still grow
 * into one that does: three half-full nodes where two do not merge with profit).
 */
function bestGroup(plan: Plan, pool: PoolState, list: readonly Candidate[], budget: { left: number }): Group | undefined {
  const R = plan.res.size;
  // Per resource, the most any type of the pool offers: a group beyond it fits no type.
  const max = maxUsable(pool);
  const used: Float64Array[] = Array.from({ length: MAX_GROUP + 1 }, () => new Float64Array(R));
  const members: number[] = [];
  let best: Group | undefined;
  const visit = (depth: number, t: Template, price: number, from: number): void => {
    for (let j = from; j < list.length && budget.left > 0; j++) {
      const c = list[j]!;
      const u = used[depth + 1]!;
      const prev = used[depth]!;
      let over = false;
      for (let r = 0; r < R; r++) {
        u[r] = prev[r]! + c.node.used[r]!;
        if (u[r]! > max[r]! + 1e-9) over = true;
      }
      if (over) continue;
      const nt = depth === 0 || t === c.node.template ? c.node.template! : plan.templates.narrow(t, c.node.template!.reqs);
      if (!nt) continue;
      members.push(j);
      const total = price + c.price;
      if (depth >= 1) {
        budget.left--;
        const bound = best ? total - best.saving : total;
        const found = cheapest(pool, nt, u, bound * (1 - EPSILON), pool.hasLimits ? members.map((i) => list[i]!.node) : undefined);
        if (found.type >= 0) {
          const saving = total - found.price;
          if (!best || saving > best.saving * (1 + EPSILON)) best = { members: members.slice(), template: nt, type: found.type, price: found.price, saving };
        }
      }
      if (depth + 1 < MAX_GROUP) visit(depth + 1, nt, total, j + 1);
      members.pop();
    }
  };
  visit(0, pool.base, 0, 0);
  return best;
}

/** The cheapest type of template `t` holding `used` for less than `budget`, within the pool's limits with `released` nodes gone. */
function cheapest(pool: PoolState, t: Template, used: Float64Array, budget: number, released: readonly PlannedNode[] | undefined): { type: number; price: number } {
  const price = t.price;
  // No type cheaper than the first that may hold `used` does; without limits only the
  // template's frontier can be the cheapest that does (templates.ts).
  const start = firstPossible(pool, price, undefined, used);
  const positions = pool.hasLimits ? undefined : t.frontier();
  const count = positions ? positions.length : price.length;
  const lo = positions ? frontierFrom(positions, start) : start;
  for (let i = lo; i < count; i++) {
    const p = positions ? positions[i]! : i;
    if (price[p]! >= budget) break;
    const k = t.entries[p]!;
    const u = pool.types[k]!.usable;
    let ok = true;
    for (let r = 0; r < used.length; r++) {
      if (used[r]! > u[r]!) {
        ok = false;
        break;
      }
    }
    if (ok && released && !withinLimitsReleasing(pool, k, released)) ok = false;
    if (ok) return { type: k, price: price[p]! };
  }
  return { type: -1, price: Infinity };
}

function withinLimitsReleasing(pool: PoolState, k: number, released: readonly PlannedNode[]): boolean {
  const cap = pool.types[k]!.limitCapacity;
  for (let i = 0; i < cap.length; i++) {
    let v = pool.used[i]! + cap[i]!;
    for (const n of released) v -= pool.types[n.target]!.limitCapacity[i]!;
    if (v > pool.limit[i]! + 1e-9) return false;
  }
  return true;
}

/** Per pool setup (shared between solves, as the pool's types are): the most usable per resource. */
const maxCache = new WeakMap<readonly unknown[], Float64Array>();

function maxUsable(pool: PoolState): Float64Array {
  let max = maxCache.get(pool.types);
  if (!max) {
    max = new Float64Array(pool.rate.length);
    for (const k of pool.base.entries) {
      const u = pool.types[k]!.usable;
      for (let r = 0; r < max.length; r++) if (u[r]! > max[r]!) max[r] = u[r]!;
    }
    maxCache.set(pool.types, max);
  }
  return max;
}

/** Moves the group's pods onto its first node, sized to the group's type; the others leave the plan. */
function apply(plan: Plan, pool: PoolState, list: readonly Candidate[], g: Group): void {
  const keep = list[g.members[0]!]!.node;
  const gone = new Set<PlannedNode>();
  for (const i of g.members.slice(1)) {
    const n = list[i]!.node;
    for (let r = 0; r < keep.used.length; r++) keep.used[r] = keep.used[r]! + n.used[r]!;
    keep.pods.push(...n.pods);
    pool.addUsage(n.target, -1);
    gone.add(n);
  }
  pool.addUsage(keep.target, -1);
  pool.addUsage(g.type, 1);
  keep.target = g.type;
  keep.cap = pool.types[g.type]!.usable;
  keep.template = g.template;
  keep.closed = true;
  // New nodes keep their opening order; the plan's pod order (plan.placed) is unchanged.
  let w = 0;
  for (const n of plan.nodes) if (!gone.has(n)) plan.nodes[w++] = n;
  plan.nodes.length = w;
}
