// Placing a pod where a placement check found room (a Fit): the node's usage, its size
// target and pinned labels (new nodes), the pool's limits and open free capacity, and
// the topology counts that later checks read.

import type { Pod } from '../api/k8s.ts';
import { domainOf, type Attempt, type Plan, type PlannedNode } from './plan.ts';
import type { Fit } from './placement.ts';
import { retarget, type Template } from './templates.ts';
import type { TopologyGroup } from './topology.ts';

export function commit(plan: Plan, a: Attempt, pod: Pod, fit: Fit): void {
  const n = fit.node;
  if (!n.existing) {
    if (fit.target !== n.target) setTarget(n, fit.target);
    n.template = fit.template;
    pinCounted(plan, a, n);
    if (!n.closed) {
      const free = n.pool!.openFree;
      for (let r = 0; r < a.req.length; r++) free[r] = free[r]! - a.req[r]!;
    }
  }
  const req = a.req;
  for (let r = 0; r < req.length; r++) n.used[r] = n.used[r]! + req[r]!;
  n.pods.push(pod);
  plan.placed.push(pod);
  const ports = a.cls.hostPorts;
  if (ports.length > 0) n.ports = n.ports ? [...n.ports, ...ports] : ports;
  if (n.volumes && a.cls.attachable.length > 0) n.volumes.add(a.cls.attachable);
  const lc = a.cls.labelClass;
  for (const g of lc.countedBy) {
    const d = domainOf(plan, n, g, undefined);
    if (d >= 0) g.record(d, 1);
  }
  for (const c of a.cls.antiAffinity) {
    if (!c.required) continue;
    const d = domainOf(plan, n, c.group, undefined);
    if (d >= 0) c.group.recordOwner(d, 1);
  }
}

/**
 * A pod counted by zone-keyed (or other label-keyed) groups pins its new node's label,
 * so that the counts are exact: to the value with the fewest matching pods.
 */
function pinCounted(plan: Plan, a: Attempt, n: PlannedNode): void {
  const lc = a.cls.labelClass;
  const groups: TopologyGroup[] = [];
  for (const g of lc.countedBy) if (!g.hostname) groups.push(g);
  for (const c of a.cls.antiAffinity) if (c.required && !c.group.hostname) groups.push(c.group);
  for (const g of groups) {
    const t = n.template!;
    if (domainOf(plan, n, g, undefined) >= 0) continue;
    const reg = plan.topology.registry(g.key);
    const values = t.possibleValues(g.key);
    let chosen: Template | null = null;
    let chosenTarget = -1;
    let bestCount = Infinity;
    for (const v of values) {
      const count = g.count(reg.id(v));
      if (count >= bestCount) continue;
      const pinned = plan.templates.pin(t, g.key, v);
      if (!pinned) continue;
      const target = pinned.pos[n.target]! >= 0 ? n.target : retarget(n.pool!, pinned, n.used, a.req, n.target);
      if (target < 0) continue;
      chosen = pinned;
      chosenTarget = target;
      bestCount = count;
    }
    if (!chosen) continue;
    if (chosenTarget !== n.target) setTarget(n, chosenTarget);
    n.template = chosen;
  }
}

/** Changes a new node's size target (pool type index), keeping limits and free capacity in step. */
export function setTarget(n: PlannedNode, target: number): void {
  const pool = n.pool!;
  const free = pool.openFree;
  const usable = pool.types[target]!.usable;
  if (n.target >= 0) {
    pool.addUsage(n.target, -1);
    const old = pool.types[n.target]!.usable;
    if (!n.closed) for (let r = 0; r < free.length; r++) free[r] = free[r]! - old[r]!;
  }
  pool.addUsage(target, 1);
  if (!n.closed) for (let r = 0; r < free.length; r++) free[r] = free[r]! + usable[r]!;
  n.target = target;
  n.cap = usable;
}
