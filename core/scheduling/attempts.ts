// The relaxation levels of a pod class as the placement checks use them ("attempts"):
// the constraints in force split into hostname and label-keyed ones, with caches that
// make repeated checks of identical pods cheap (templates narrowed by the class's
// requirements, compatibility with each existing node, eligible spread domains).

import { LABEL_HOSTNAME } from '../contract/labels.ts';
import { conflictingPort } from './host-ports.ts';
import { relaxations, type PodClass, type Relaxation } from './pod-class.ts';
import type { Requirements } from './requirements.ts';
import type { Attempt, Plan } from './plan.ts';
import { fits } from './resource-vector.ts';
import { untoleratedTaint } from './taints.ts';
import { firstPossible, type PoolState, type Template } from './templates.ts';
import type { TopologyGroup } from './topology.ts';

/** The relaxation levels of the class, most constrained first; none for an invalid class or one kube-scheduler does not schedule yet. */
export function attemptsOf(plan: Plan, cls: PodClass): Attempt[] {
  let list = plan.attempts[cls.id];
  if (list) return list;
  const req = plan.res.vector(cls.requests);
  list = cls.invalid || cls.blocked ? [] : relaxations(cls, plan.preferNoSchedule).map((relax) => makeAttempt(plan, cls, relax, req));
  plan.attempts[cls.id] = list;
  return list;
}

function makeAttempt(plan: Plan, cls: PodClass, relax: Relaxation, req: Float64Array): Attempt {
  const hostConstraints = relax.constraints.filter((c) => c.group.hostname);
  const labelConstraints = relax.constraints.filter((c) => !c.group.hostname);
  const poolTaintOk = plan.pools.map(
    (p) => untoleratedTaint(p.pool.taints, cls.tolerations, { includePreferNoSchedule: !relax.toleratePreferNoSchedule }) === undefined,
  );
  const hostnamePinned = isHostnamePinned(relax.reqs);
  const a: Attempt = {
    cls,
    relax,
    req,
    hostConstraints,
    labelConstraints,
    eligible: [],
    minCount: new Int32Array(labelConstraints.length),
    ptr: 0,
    existingCompat: new Int8Array(0),
    narrowed: [],
    poolTaintOk,
    poolOk: plan.pools.map((p, i) => poolTaintOk[i]! && !hostnamePinned && !cls.preempting && conflictingPort(p.daemonSetPorts, cls.hostPorts) === undefined),
    hostnamePinned,
    canOpen: false,
    hostMin: 0,
  };
  a.canOpen = plan.pools.some((p) => canOpenIn(plan, a, p));
  for (const c of labelConstraints) a.eligible.push(c.group.kind === 'spread' ? eligibleDomains(plan, a, c.group) : undefined);
  return a;
}

/**
 * A new node's hostname is not known before it registers: a pod that requires its node's
 * kubernetes.io/hostname to be one of a list can only go to an existing node.
 */
export function isHostnamePinned(reqs: Requirements): boolean {
  return reqs.has(LABEL_HOSTNAME) && reqs.get(LABEL_HOSTNAME).finiteValues() !== undefined;
}

/** Whether a new node of `pool` could hold a pod of the attempt (taints, host ports, requirements, one type large enough). */
export function canOpenIn(plan: Plan, a: Attempt, pool: PoolState): boolean {
  if (!a.poolOk[pool.index]) return false;
  const t = narrowFor(plan, a, pool.base);
  if (!t) return false;
  for (let p = firstPossible(pool, t.price, undefined, a.req); p < t.entries.length; p++) if (fits(pool.types[t.entries[p]!]!.usable, undefined, a.req)) return true;
  return false;
}

/** Spread: the domains of `g.key` the pod could be placed in, per the node inclusion policies. */
function eligibleDomains(plan: Plan, a: Attempt, g: TopologyGroup): Uint8Array {
  const reg = plan.topology.registry(g.key);
  const ids: number[] = [];
  for (const n of plan.nodes) {
    const ex = n.existing;
    if (!ex) continue;
    if (g.nodeAffinityPolicy === 'Honor' && !a.relax.reqs.matches(ex.labels)) continue;
    if (g.nodeTaintsPolicy === 'Honor' && untoleratedTaint(ex.taints, a.cls.tolerations)) continue;
    const v = ex.labels[g.key];
    if (v !== undefined) ids.push(reg.id(v));
  }
  for (const p of plan.pools) {
    // Karpenter counts the domains a pool offers as kube-scheduler counts nodes: under
    // nodeTaintsPolicy Ignore (the default) a pool whose taints the pod does not
    // tolerate still contributes its domains (empty ones count in the minimum).
    if (g.nodeTaintsPolicy === 'Honor' && !a.poolTaintOk[p.index]) continue;
    if (g.nodeAffinityPolicy === 'Honor' && a.hostnamePinned) continue;
    const t = g.nodeAffinityPolicy === 'Honor' ? plan.templates.narrow(p.base, a.relax.reqs) : p.base;
    if (!t) continue;
    for (const v of t.possibleValues(g.key)) ids.push(reg.id(v));
  }
  const mask = new Uint8Array(reg.size);
  for (const i of ids) mask[i] = 1;
  return mask;
}

/** Template `t` narrowed by the attempt's requirements (cached per template), null if the pod cannot use it. */
export function narrowFor(plan: Plan, a: Attempt, t: Template): Template | null {
  let n = a.narrowed[t.id];
  if (n === undefined) {
    n = a.poolOk[t.pool.index] ? plan.templates.narrow(t, a.relax.reqs) : null;
    a.narrowed[t.id] = n;
  }
  return n;
}

/** Per-placement state: the spread minimums, which change as pods are placed. */
export function prepare(a: Attempt): void {
  for (let i = 0; i < a.labelConstraints.length; i++) {
    const c = a.labelConstraints[i]!;
    if (c.group.kind !== 'spread') continue;
    const mask = a.eligible[i]!;
    let min = Infinity;
    let domains = 0;
    for (let d = 0; d < mask.length; d++) {
      if (!mask[d]) continue;
      domains++;
      const v = c.group.count(d);
      if (v < min) min = v;
    }
    a.minCount[i] = domains < c.group.minDomains || min === Infinity ? 0 : min;
  }
  // Recomputed lazily by the first hostname spread check (hostMinimum).
  if (!a.canOpen && a.hostConstraints.some((c) => c.group.kind === 'spread')) a.hostMin = -1;
}
