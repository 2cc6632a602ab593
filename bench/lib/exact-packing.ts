// The exact optimum of a small batch on an empty cluster, by HiGHS (the `highs` npm
// package, a devDependency: the benchmark needs it, the reconciler does not). One pool,
// no topology constraints: choose nodes (instance type each, cheapest offering price)
// and an assignment of the pods to them, every node's cpu, memory, pods and extended
// resources within its allocatable net of the DaemonSet pods that land on it, minimising
// $/h. The model is kept small by reductions that keep the optimum value exact:
//   - pods of identical requests form a class (integer count per class and node slot);
//   - capacities are capped at the batch's total demand (a node never holds more);
//   - a type dominated by another (no less capacity in every demanded resource, no
//     higher price) is dropped: a node of it can always be swapped for the other;
//   - node slots per type are bounded: if one node of type t' holds m nodes' worth of
//     type t at no more than m times the price, some optimum has at most m-1 nodes of t
//     (replacing m of them by one t' costs no more and lowers the node count, so
//     repeating it ends); at most floor(incumbent / price) nodes; and at most
//     2 * sum_r(demand_r / capacity_r) + 1 nodes (in an optimum no two nodes of a type
//     can be merged, so at most one is at most half full in its fullest resource);
//   - slots of a type open in order (y[t][k] >= y[t][k+1]).

import type { Highs } from 'highs';
import { podRequests, type Pod, type ResourceList } from '../../core/index.ts';

export interface ExactType {
  name: string;
  /** Allocatable minus the DaemonSet pods that land on a node of this type. */
  usable: ResourceList;
  /** Cheapest offering, $/h. */
  price: number;
}

export interface ExactResult {
  status: string;
  /** $/h of the best solution HiGHS found (the optimum when status is Optimal). */
  cost: number;
  /** Instance types of the nodes of that solution. */
  fleet: string[];
  /** Model size after the reductions. */
  types: number;
  slots: number;
  columns: number;
  ms: number;
}

/** Scale to keep coefficients near 1..1e5: memory in MiB, cpu in millicores. */
function scaled(resource: string, v: number): number {
  return resource === 'memory' || resource === 'ephemeral-storage' ? v / (1024 * 1024) : v;
}

/** `incumbent`: the cost of a known solution (bounds the node slots). */
export function exactOptimum(highs: Highs, pods: readonly Pod[], catalog: readonly ExactType[], incumbent: number, timeLimitSeconds = 20): ExactResult {
  const start = performance.now();
  // Classes of identical requests.
  const byKey = new Map<string, { req: ResourceList; count: number }>();
  for (const p of pods) {
    const req = podRequests(p);
    const key = Object.keys(req).sort().map((k) => `${k}=${req[k]}`).join(',');
    const c = byKey.get(key);
    if (c) c.count++;
    else byKey.set(key, { req, count: 1 });
  }
  const classes = [...byKey.values()];
  const resources = [...new Set(classes.flatMap((c) => Object.keys(c.req)))].sort();
  const demand = resources.map((r) => classes.reduce((s, c) => s + scaled(r, c.req[r] ?? 0) * c.count, 0));
  const req = classes.map((c) => resources.map((r) => scaled(r, c.req[r] ?? 0)));

  // Types where some class fits, capacities capped at the demand.
  let types = catalog
    .map((t) => ({ name: t.name, price: t.price, cap: resources.map((r, i) => Math.min(demand[i]!, Math.max(0, scaled(r, t.usable[r] ?? 0)))) }))
    .filter((t) => Number.isFinite(t.price) && req.some((q) => q.every((v, i) => v <= t.cap[i]! + 1e-9)));
  // Dominance (ties broken by name, so exactly one of equal types survives).
  types = types.filter(
    (t) =>
      !types.some(
        (o) => o !== t && o.price <= t.price && o.cap.every((v, i) => v >= t.cap[i]!) && (o.price < t.price || o.cap.some((v, i) => v > t.cap[i]!) || o.name < t.name),
      ),
  );
  const slots = types.map((t) => {
    let k = Math.min(pods.length, Math.floor(incumbent / t.price + 1e-9));
    const merge = Math.floor(2 * resources.reduce((s, _, i) => s + (t.cap[i]! > 0 ? demand[i]! / t.cap[i]! : 0), 0) + 1e-9) + 1;
    k = Math.min(k, merge);
    for (const o of types) {
      if (o === t) continue;
      for (let m = 2; m <= k; m++) {
        if (o.price > m * t.price + 1e-12) continue;
        if (o.cap.every((v, i) => v >= Math.min(m * t.cap[i]!, demand[i]!) - 1e-9)) {
          k = Math.min(k, m - 1);
          break;
        }
      }
    }
    return Math.max(k, 0);
  });

  const obj: string[] = [];
  const rows: string[] = [];
  const generals: string[] = [];
  const binaries: string[] = [];
  const bounds: string[] = [];
  const assign: string[][] = classes.map(() => []);
  let columns = 0;
  types.forEach((t, ti) => {
    for (let k = 0; k < slots[ti]!; k++) {
      const y = `y_${ti}_${k}`;
      binaries.push(y);
      obj.push(`${t.price} ${y}`);
      columns++;
      if (k > 0) rows.push(`o_${ti}_${k}: y_${ti}_${k - 1} - ${y} >= 0`);
      const load: string[][] = resources.map(() => []);
      classes.forEach((c, ci) => {
        const fit = Math.min(c.count, ...req[ci]!.map((v, i) => (v > 0 ? Math.floor(t.cap[i]! / v + 1e-9) : Infinity)));
        if (fit <= 0) return;
        const x = `x_${ci}_${ti}_${k}`;
        generals.push(x);
        bounds.push(`0 <= ${x} <= ${fit}`);
        assign[ci]!.push(x);
        columns++;
        req[ci]!.forEach((v, i) => {
          if (v > 0) load[i]!.push(`${v} ${x}`);
        });
      });
      load.forEach((terms, i) => {
        if (terms.length) rows.push(`c_${ti}_${k}_${i}: ${terms.join(' + ')} - ${t.cap[i]} ${y} <= 0`);
      });
    }
  });
  classes.forEach((c, ci) => rows.push(`a_${ci}: ${assign[ci]!.length ? assign[ci]!.join(' + ') : '0 y_0_0'} = ${c.count}`));
  const lp = [
    'Minimize',
    ` cost: ${obj.join(' + ') || '0'}`,
    'Subject To',
    ...rows.map((r) => ` ${r}`),
    'Bounds',
    ...bounds.map((b) => ` ${b}`),
    ...(generals.length ? ['Generals', ` ${generals.join(' ')}`] : []),
    ...(binaries.length ? ['Binaries', ` ${binaries.join(' ')}`] : []),
    'End',
  ].join('\n');
  const solution = highs.solve(lp, { output_flag: false, mip_rel_gap: 1e-7, time_limit: timeLimitSeconds } as never);
  const fleet: string[] = [];
  if (Number.isFinite(solution.ObjectiveValue) && solution.Status !== 'Infeasible') {
    types.forEach((t, ti) => {
      for (let k = 0; k < slots[ti]!; k++) if (((solution.Columns[`y_${ti}_${k}`] as { Primal?: number } | undefined)?.Primal ?? 0) > 0.5) fleet.push(t.name);
    });
  }
  return {
    status: solution.Status,
    fleet,
    cost: solution.ObjectiveValue,
    types: types.length,
    slots: slots.reduce((s, k) => s + k, 0),
    columns,
    ms: performance.now() - start,
  };
}
