// The placement checks: whether a node takes a pod of a class at a relaxation level,
// and how. Resources against the node's capacity (a new node may grow to a larger type of
// its template), then the topology constraints against the per-domain counts: hostname
// ones on the node itself, label-keyed ones (zone, ...) on the node's domain. A new node
// whose domain for a key is still open is pinned to a value that satisfies the pod (the
// emptiest domain for spread, the fullest for affinity). These functions change no count;
// commit.ts applies a Fit.

import type { OwnedConstraint } from './pod-class.ts';
import { domainOf, type Attempt, type Plan, type PlannedNode } from './plan.ts';
import { narrowFor } from './attempts.ts';
import { conflictingPort } from './host-ports.ts';
import { fits } from './resource-vector.ts';
import { untoleratedTaint } from './taints.ts';
import { retarget, type Template } from './templates.ts';
import type { TopologyGroup } from './topology.ts';

const OK = 0;
/** The node rejects the attempt for good (so firstFit can skip it from now on). */
const PERMANENT = 1;
/** The node rejects the attempt now, but may take it once other pods are placed. */
const TEMPORARY = 2;
type Failure = typeof PERMANENT | typeof TEMPORARY;

/**
 * Where a pod goes: the node and, for a new node, the template and size target the node
 * takes with the pod (pinned labels and a larger type may be needed). Only a successful
 * check creates one, so failed checks in the hot loops allocate nothing.
 */
export interface Fit {
  readonly node: PlannedNode;
  readonly template: Template | undefined;
  readonly target: number;
}

/** The first node (existing first, then new in order) that takes the pod. */
export function firstFit(plan: Plan, a: Attempt): Fit | undefined {
  const nodes = plan.nodes;
  for (let i = a.ptr; i < nodes.length; i++) {
    const r = tryNode(plan, a, nodes[i]!);
    if (typeof r !== 'number') return r;
    if (r === PERMANENT && i === a.ptr) a.ptr++;
  }
  return undefined;
}

/** Whether node `n` takes a pod of the attempt, and if so how. */
export function tryNode(plan: Plan, a: Attempt, n: PlannedNode): Fit | Failure {
  const req = a.req;
  // Host ports stay taken for the whole solve.
  if (a.cls.hostPorts.length > 0 && conflictingPort(n.ports, a.cls.hostPorts)) return PERMANENT;
  if (n.existing) {
    if (existingCompatible(plan, a, n) < 0) return PERMANENT;
    if (!fits(n.cap, n.used, req)) return PERMANENT;
    // CSI attach limits: attached volumes only grow during a solve.
    if (n.volumes && a.cls.attachable.length > 0 && n.volumes.exceeded(a.cls.attachable)) return PERMANENT;
    const topo = checkTopology(plan, a, n, undefined);
    return topo === OK ? { node: n, template: undefined, target: -1 } : topo;
  }
  const t = narrowFor(plan, a, n.template!);
  if (!t) return PERMANENT;
  const pool = n.pool!;
  let target = n.target;
  if (t.pos[target]! < 0) {
    target = retarget(pool, t, n.used, req, n.target);
    if (target < 0) return PERMANENT;
  } else if (!fits(pool.types[target]!.usable, n.used, req)) {
    return PERMANENT;
  }
  const chosen = pinnedForTopology(plan, a, n, t);
  if (typeof chosen === 'number') return chosen;
  if (chosen.pos[target]! < 0) {
    target = retarget(pool, chosen, n.used, req, n.target);
    if (target < 0) return TEMPORARY;
  }
  return { node: n, template: chosen, target };
}

/** New node `n` with template `t`: the template pinned as the attempt's topology needs, or why not. */
export function pinnedForTopology(plan: Plan, a: Attempt, n: PlannedNode, t: Template): Template | Failure {
  const topo = checkTopology(plan, a, n, t);
  if (topo !== OK) return topo;
  let chosen: Template | null = t;
  for (let i = 0; i < plan.pinKeys.length && chosen; i++) chosen = plan.templates.pin(chosen, plan.keys[plan.pinKeys[i]!]!, plan.pinValues[i]!);
  return chosen ?? TEMPORARY;
}

/** Labels and taints of an existing node against the attempt: 1 compatible, -1 not (cached per node). */
function existingCompatible(plan: Plan, a: Attempt, n: PlannedNode): number {
  if (a.existingCompat.length <= n.index) {
    const grown = new Int8Array(Math.max(plan.nodes.length, 16));
    grown.set(a.existingCompat);
    a.existingCompat = grown;
  }
  let c = a.existingCompat[n.index]!;
  if (c === 0) {
    const ex = n.existing!;
    const ok =
      a.relax.reqs.matches(ex.labels) &&
      untoleratedTaint(ex.taints, a.cls.tolerations, { includePreferNoSchedule: !a.relax.toleratePreferNoSchedule }) === undefined;
    c = ok ? 1 : -1;
    a.existingCompat[n.index] = c;
  }
  return c;
}

/**
 * Topology constraints of the attempt on node `n` (new nodes: with template `t`).
 * Leaves in plan.pinKeys/pinValues the labels a new node must be pinned to, for
 * pinnedForTopology, the only caller with a template.
 */
function checkTopology(plan: Plan, a: Attempt, n: PlannedNode, t: Template | undefined): typeof OK | Failure {
  const pinKeys = plan.pinKeys;
  const pinValues = plan.pinValues;
  pinKeys.length = 0;
  pinValues.length = 0;
  for (const c of a.hostConstraints) {
    const g = c.group;
    const d = n.index;
    switch (g.kind) {
      case 'spread': {
        if (a.hostMin < 0) a.hostMin = hostMinimum(plan, a, g);
        const min = a.canOpen ? 0 : a.hostMin;
        if (g.count(d) + (c.self ? 1 : 0) - min > g.maxSkew) return a.canOpen ? PERMANENT : TEMPORARY;
        break;
      }
      case 'anti-affinity':
        if (g.count(d) > 0) return PERMANENT;
        break;
      case 'affinity':
        if (!(g.count(d) > 0 || (g.total === 0 && c.self))) return TEMPORARY;
        break;
    }
  }
  for (let i = 0; i < a.labelConstraints.length; i++) {
    const c = a.labelConstraints[i]!;
    const g = c.group;
    let d = domainOf(plan, n, g, t);
    if (d < 0 && t) d = pendingPin(plan, g);
    if (d >= 0) {
      if (!allowed(a, i, c, d)) return TEMPORARY;
      continue;
    }
    if (n.existing) {
      if (g.kind === 'anti-affinity') continue;
      return TEMPORARY;
    }
    const v = choosePin(plan, a, i, c, t!);
    if (v === undefined) {
      if (g.kind === 'anti-affinity' && t!.possibleValues(g.key).length === 0) continue;
      return TEMPORARY;
    }
    pinKeys.push(plan.groupKey[g.id]!);
    pinValues.push(v);
  }
  // Symmetry of anti-affinity: the pod keeps out of the domains of the pods whose terms it matches.
  for (const g of a.cls.labelClass.repelledBy) {
    if (g.hostname) {
      if (g.ownerCount(n.index) > 0) return PERMANENT;
      continue;
    }
    let d = domainOf(plan, n, g, t);
    if (d < 0 && t) d = pendingPin(plan, g);
    if (d >= 0) {
      if (g.ownerCount(d) > 0) return TEMPORARY;
      continue;
    }
    if (n.existing) continue;
    const values = t!.possibleValues(g.key);
    if (values.length === 0) continue;
    const v = ownerFreeValue(plan, g, values);
    if (v === undefined) return TEMPORARY;
    pinKeys.push(plan.groupKey[g.id]!);
    pinValues.push(v);
  }
  return OK;
}

/** The first of `values` whose domain holds no owner of anti-affinity group g. */
function ownerFreeValue(plan: Plan, g: TopologyGroup, values: readonly string[]): string | undefined {
  const reg = plan.topology.registry(g.key);
  for (const v of values) if (g.ownerCount(reg.id(v)) === 0) return v;
  return undefined;
}

/** The domain a new node is about to be pinned to for g's key in this check, or -1. */
function pendingPin(plan: Plan, g: TopologyGroup): number {
  const k = plan.groupKey[g.id]!;
  const i = plan.pinKeys.indexOf(k);
  return i < 0 ? -1 : plan.topology.registry(g.key).id(plan.pinValues[i]!);
}

/** Whether label constraint i of the attempt (c) allows the pod in domain d. */
function allowed(a: Attempt, i: number, c: OwnedConstraint, d: number): boolean {
  const g = c.group;
  switch (g.kind) {
    case 'spread': {
      const mask = a.eligible[i]!;
      if (d >= mask.length || !mask[d]) return false;
      return g.count(d) + (c.self ? 1 : 0) - a.minCount[i]! <= g.maxSkew;
    }
    case 'anti-affinity':
      return g.count(d) === 0;
    case 'affinity':
      return g.count(d) > 0 || (g.total === 0 && c.self);
  }
}

/** The value to pin a new node's label to for constraint c: spread to the emptiest allowed domain, affinity to the fullest. */
function choosePin(plan: Plan, a: Attempt, i: number, c: OwnedConstraint, t: Template): string | undefined {
  const g = c.group;
  const reg = plan.topology.registry(g.key);
  let best: string | undefined;
  let bestCount = 0;
  for (const v of t.possibleValues(g.key)) {
    const d = reg.id(v);
    if (!allowed(a, i, c, d)) continue;
    const count = g.count(d);
    const better = best === undefined || (g.kind === 'affinity' ? count > bestCount : count < bestCount);
    if (better) {
      best = v;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Hostname spread minimum when no new node can be opened for the pod: over the nodes
 * that count as domains under the constraint's node inclusion policies.
 */
function hostMinimum(plan: Plan, a: Attempt, g: TopologyGroup): number {
  let min = Infinity;
  for (const n of plan.nodes) {
    if (n.existing) {
      const ex = n.existing;
      if (g.nodeAffinityPolicy === 'Honor' && !a.relax.reqs.matches(ex.labels)) continue;
      if (g.nodeTaintsPolicy === 'Honor' && untoleratedTaint(ex.taints, a.cls.tolerations)) continue;
    } else {
      const t = g.nodeAffinityPolicy === 'Honor' ? plan.templates.narrow(n.template!, a.relax.reqs) : n.template!;
      if (!t) continue;
      if (g.nodeTaintsPolicy === 'Honor' && !a.poolTaintOk[n.pool!.index]) continue;
    }
    const v = g.count(n.index);
    if (v < min) min = v;
  }
  return min === Infinity ? 0 : min;
}
