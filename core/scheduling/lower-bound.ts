// The cost lower bound of BENCHMARKS.md section 2: the LP relaxation
//   minimise sum(price_t x_t)  subject to  sum(cap_{r,t} x_t) >= demand_r  for each resource r,  x_t >= 0.
// Any feasible fleet is a feasible x (integer counts), so the optimum bounds every
// fleet's cost from below. The basic optimal solution uses at most as many types as
// resources, and the simplex below finds it exactly (up to floating point).

import type { ResourceList } from '../resources/resource-list.ts';

export interface BoundInstanceType {
  name: string;
  /** USD per hour of the cheapest offering considered. */
  price: number;
  /** What one node of the type gives to pods (allocatable minus DaemonSet overhead). */
  capacity: ResourceList;
}

export interface CostLowerBound {
  /** USD per hour; Infinity when some demand cannot be met by any type. */
  cost: number;
  /** The optimal (fractional) mix: at most one type per constrained resource. */
  mix: { name: string; count: number; price: number }[];
  /** The resources constrained (demand > 0). */
  resources: string[];
}

const EPS = 1e-9;

/**
 * The LP bound for `demand` over `types`. `resources` restricts which resources are
 * constrained (default: every resource with positive demand).
 */
export function costLowerBound(demand: ResourceList, types: readonly BoundInstanceType[], resources?: readonly string[]): CostLowerBound {
  const rs = (resources ?? Object.keys(demand).sort()).filter((r) => (demand[r] ?? 0) > 0);
  if (rs.length === 0) return { cost: 0, mix: [], resources: rs };
  for (const r of rs) {
    if (!types.some((t) => (t.capacity[r] ?? 0) > 0)) return { cost: Infinity, mix: [], resources: rs };
  }
  // Rows normalised by demand (right-hand sides 1) for numerical sanity: bytes and
  // millicores differ by nine orders of magnitude.
  const a = rs.map((r) => types.map((t) => Math.max(0, t.capacity[r] ?? 0) / demand[r]!));
  const { value, x } = minimiseCover(types.map((t) => t.price), a);
  const mix = x
    .map((count, i) => ({ name: types[i]!.name, count, price: types[i]!.price }))
    .filter((m) => m.count > EPS)
    .sort((p, q) => q.count * q.price - p.count * p.price || (p.name < q.name ? -1 : 1));
  return { cost: value, mix, resources: rs };
}

/** Pods that may use the same instance types, with their total demand. */
export interface BoundGroup {
  demand: ResourceList;
  /** Indices into the types array of the types these pods may use. */
  types: readonly number[];
}

/**
 * The LP bound when pods may only use some types (the NodePools they tolerate and
 * select): x_t >= 0 and, for every resource r and every set S of groups,
 *   sum over S of demand_r  <=  sum over the types some group of S may use of cap_{r,t} x_t.
 * These are Hall's conditions of the per-resource transportation problem, so the bound
 * is exactly "every pod's demand fits, fractionally, on types it may use"; it is at
 * least the plain bound and equal to it when every pod may use every type. More than
 * `maxGroups` groups fall back to the plain bound over the union.
 */
export function groupedCostLowerBound(groups: readonly BoundGroup[], types: readonly BoundInstanceType[], maxGroups = 6): CostLowerBound {
  const live = groups.filter((g) => Object.values(g.demand).some((v) => v > 0));
  const resources = [...new Set(live.flatMap((g) => Object.keys(g.demand).filter((r) => g.demand[r]! > 0)))].sort();
  if (live.length === 0) return { cost: 0, mix: [], resources };
  if (live.length > maxGroups) {
    const demand: ResourceList = {};
    for (const g of live) for (const [k, v] of Object.entries(g.demand)) demand[k] = (demand[k] ?? 0) + v;
    const used = [...new Set(live.flatMap((g) => g.types))].map((i) => types[i]!);
    return costLowerBound(demand, used);
  }
  const rows: number[][] = [];
  for (let mask = 1; mask < 1 << live.length; mask++) {
    const allowed = new Set<number>();
    const demand: ResourceList = {};
    live.forEach((g, i) => {
      if (!(mask & (1 << i))) return;
      for (const t of g.types) allowed.add(t);
      for (const [k, v] of Object.entries(g.demand)) demand[k] = (demand[k] ?? 0) + v;
    });
    for (const r of resources) {
      const d = demand[r] ?? 0;
      if (d <= 0) continue;
      const row = types.map((t, i) => (allowed.has(i) ? Math.max(0, t.capacity[r] ?? 0) / d : 0));
      if (!row.some((v) => v > 0)) return { cost: Infinity, mix: [], resources };
      rows.push(row);
    }
  }
  const { value, x } = minimiseCover(types.map((t) => t.price), rows);
  const mix = x
    .map((count, i) => ({ name: types[i]!.name, count, price: types[i]!.price }))
    .filter((m) => m.count > EPS)
    .sort((p, q) => q.count * q.price - p.count * p.price || (p.name < q.name ? -1 : 1));
  return { cost: value, mix, resources };
}

/**
 * Solves min c.x s.t. A x >= 1, x >= 0 (every row of A has a positive entry) with a
 * two-phase tableau simplex and Bland's rule. Rows are few (one per resource), columns many.
 */
function minimiseCover(c: readonly number[], a: readonly (readonly number[])[]): { value: number; x: number[] } {
  const m = a.length;
  const n = c.length;
  // Columns: x (n), surplus s (m), artificial u (m); rows: A x - s + u = 1.
  const cols = n + 2 * m;
  const t: Float64Array[] = [];
  for (let i = 0; i < m; i++) {
    const row = new Float64Array(cols + 1);
    for (let j = 0; j < n; j++) row[j] = a[i]![j]!;
    row[n + i] = -1;
    row[n + m + i] = 1;
    row[cols] = 1;
    t.push(row);
  }
  const basis = Array.from({ length: m }, (_, i) => n + m + i);

  const run = (cost: Float64Array, allowed: (j: number) => boolean): void => {
    for (let iter = 0; iter < 100000; iter++) {
      // Reduced costs: cost_j - sum_i cost_basis(i) * t[i][j]; entering: first negative (Bland).
      let enter = -1;
      for (let j = 0; j < cols; j++) {
        if (!allowed(j) || basis.includes(j)) continue;
        let rc = cost[j]!;
        for (let i = 0; i < m; i++) rc -= cost[basis[i]!]! * t[i]![j]!;
        if (rc < -EPS) {
          enter = j;
          break;
        }
      }
      if (enter < 0) return;
      let leave = -1;
      let best = Infinity;
      for (let i = 0; i < m; i++) {
        const coef = t[i]![enter]!;
        if (coef <= EPS) continue;
        const ratio = t[i]![cols]! / coef;
        if (ratio < best - EPS || (Math.abs(ratio - best) <= EPS && basis[i]! < basis[leave]!)) {
          best = ratio;
          leave = i;
        }
      }
      if (leave < 0) throw new Error('cost bound LP is unbounded (a type has a negative price?)');
      const pivot = t[leave]![enter]!;
      const prow = t[leave]!;
      for (let j = 0; j <= cols; j++) prow[j] = prow[j]! / pivot;
      for (let i = 0; i < m; i++) {
        if (i === leave) continue;
        const f = t[i]![enter]!;
        if (f === 0) continue;
        const row = t[i]!;
        for (let j = 0; j <= cols; j++) row[j] = row[j]! - f * prow[j]!;
      }
      basis[leave] = enter;
    }
    throw new Error('cost bound LP did not converge');
  };

  // Phase I: drive the artificial variables out.
  const phase1 = new Float64Array(cols);
  for (let i = 0; i < m; i++) phase1[n + m + i] = 1;
  run(phase1, () => true);
  // Phase II: the real prices, artificial columns barred.
  const phase2 = new Float64Array(cols);
  for (let j = 0; j < n; j++) phase2[j] = c[j]!;
  run(phase2, (j) => j < n + m);
  const x = new Array<number>(n).fill(0);
  let value = 0;
  for (let i = 0; i < m; i++) {
    const j = basis[i]!;
    if (j < n) {
      x[j] = t[i]![cols]!;
      value += c[j]! * x[j]!;
    }
  }
  return { value, x };
}
