// Explanation: why pods of a class fit nowhere, in words a person can act on. Computed
// once per class after the solve, at the class's last relaxation level: per existing
// node the first check that fails, per pool the first reason it cannot open a node.

import { LABEL_HOSTNAME } from '../contract/labels.ts';
import { formatResourceQuantity } from '../resources/quantity.ts';
import { attemptsOf } from './attempts.ts';
import { conflictingPort, formatHostPort } from './host-ports.ts';
import type { PodClass } from './pod-class.ts';
import type { Attempt, Plan } from './plan.ts';
import { fits, type ResourceIndex } from './resource-vector.ts';
import { formatTaint, untoleratedTaint } from './taints.ts';
import type { PoolState } from './templates.ts';
import type { Requirements } from './requirements.ts';
import { describeVolumeTerms, type VolumeConstraint } from './volumes.ts';
import { formatVolumeLimit } from './volume-limits.ts';

export function explain(plan: Plan, cls: PodClass): string {
  if (cls.invalid) return `invalid pod spec: ${cls.invalid}`;
  if (cls.blocked) return cls.blocked;
  const attempts = attemptsOf(plan, cls);
  const a = attempts[attempts.length - 1]!;
  const parts: string[] = [];
  const existing = plan.nodes.filter((n) => n.existing);
  if (existing.length > 0) {
    const causes = new Map<string, number>();
    const bump = (k: string) => causes.set(k, (causes.get(k) ?? 0) + 1);
    for (const n of existing) {
      const ex = n.existing!;
      const taint = untoleratedTaint(ex.taints, cls.tolerations, { includePreferNoSchedule: !a.relax.toleratePreferNoSchedule });
      const port = a.cls.hostPorts.length > 0 ? conflictingPort(n.ports, a.cls.hostPorts) : undefined;
      const off = volume(cls, (t) => t.matches(ex.labels));
      const limit = n.volumes && cls.attachable.length > 0 ? n.volumes.exceeded(cls.attachable) : undefined;
      if (taint) bump(`taint ${formatTaint(taint)} not tolerated`);
      else if (port) bump(`host port ${formatHostPort(port)} in use`);
      else if (off) bump(`volume ${off.volume} needs ${describeVolumeTerms(off)}`);
      else if (limit) bump(`CSI attach limit: ${formatVolumeLimit(limit)}`);
      else if (!a.relax.reqs.matches(ex.labels)) bump('node selector or affinity not matched');
      else if (!fits(n.cap, n.used, a.req)) bump(`not enough ${short(plan.res, n.cap, n.used, a.req).join(', ')}`);
      else bump('topology constraints');
    }
    const summary = [...causes.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${v} ${k}`);
    parts.push(`no existing node fits (${existing.length}: ${summary.join('; ')})`);
  }
  if (plan.pools.length === 0) parts.push('no NodePool to create a node from');
  for (const pool of plan.pools) parts.push(`NodePool ${pool.name}: ${explainPool(plan, a, pool)}`);
  const relaxed = a.relax.relaxed.length > 0 ? ` (after relaxing ${a.relax.relaxed.join(', ')})` : '';
  return parts.join('; ') + relaxed;
}

function explainPool(plan: Plan, a: Attempt, pool: PoolState): string {
  const taint = untoleratedTaint(pool.pool.taints, a.cls.tolerations, { includePreferNoSchedule: !a.relax.toleratePreferNoSchedule });
  if (taint) return `taint ${formatTaint(taint)} not tolerated`;
  for (let i = 0; i < pool.daemonSetPorts.length; i++) {
    const port = conflictingPort([pool.daemonSetPorts[i]!], a.cls.hostPorts);
    if (port) return `host port ${formatHostPort(port)} is taken on its nodes by DaemonSet ${pool.daemonSetPortOwners[i]}`;
  }
  if (a.cls.preempting) return 'the pod is preempting pods on its nominated node (status.nominatedNodeName); no new node is planned for it';
  const offVolume = volume(a.cls, (t) => pool.reqs.compatible(t));
  if (offVolume) {
    return `${offVolume.source} needs ${describeVolumeTerms(offVolume)}, which the pool does not allow (${pool.reqs.incompatibility(offVolume.terms[0]!)})`;
  }
  const unoffered = volume(a.cls, (t) => plan.templates.narrow(pool.base, t) !== null);
  if (unoffered) return `${unoffered.source} needs ${describeVolumeTerms(unoffered)}, where none of the pool's instance types has an available offering`;
  if (a.hostnamePinned) return `the pod requires node label ${LABEL_HOSTNAME} to be one of existing nodes' names; a new node's hostname is not known in advance`;
  const incompatible = pool.reqs.incompatibility(a.relax.reqs);
  if (incompatible) return incompatible;
  if (pool.types.length === 0) return 'its requirements allow no instance type with an available offering';
  const t = plan.templates.narrow(pool.base, a.relax.reqs);
  if (!t) return 'no instance type it allows satisfies the pod\'s node selector and affinity';
  const names = plan.res.names;
  const R = plan.res.size;
  const max = new Float64Array(R);
  let anyFits = false;
  let fitsWithinLimits = false;
  for (const k of t.entries) {
    const u = pool.types[k]!.usable;
    for (let r = 0; r < R; r++) if (u[r]! > max[r]!) max[r] = u[r]!;
    if (fits(u, undefined, a.req)) {
      anyFits = true;
      if (pool.withinLimits(k)) fitsWithinLimits = true;
    }
  }
  if (!anyFits) {
    const over: string[] = [];
    for (let r = 0; r < R; r++) {
      if (a.req[r]! > max[r]!) {
        const name = names[r]!;
        over.push(`needs ${formatResourceQuantity(name, a.req[r]!)} ${name}; the largest it allows has ${formatResourceQuantity(name, Math.max(0, max[r]!))}`);
      }
    }
    return over.length > 0
      ? `${over.join(', ')} (after DaemonSet overhead)`
      : 'no single instance type it allows holds all the pod\'s requests at once';
  }
  if (!fitsWithinLimits) {
    const used = pool.limitKeys.map((k, i) => `${k} ${formatResourceQuantity(k, pool.used[i]!)} of ${formatResourceQuantity(k, pool.limit[i]!)}`);
    return `limits reached (${used.join(', ')})`;
  }
  const failing = a.relax.constraints.map((c) => c.group.describe());
  return failing.length > 0 ? `cannot satisfy ${failing.join(' and ')}` : 'no node satisfies the pod\'s constraints';
}

/** The first volume constraint of the class none of whose terms passes `ok`. */
function volume(cls: PodClass, ok: (t: Requirements) => boolean): VolumeConstraint | undefined {
  return cls.volumes.find((v) => !v.terms.some(ok));
}

/** The resources of which used + req exceeds cap. */
function short(res: ResourceIndex, cap: Float64Array, used: Float64Array, req: Float64Array): string[] {
  const out: string[] = [];
  for (let r = 0; r < req.length; r++) if (used[r]! + req[r]! > cap[r]!) out.push(res.names[r]!);
  return out;
}
