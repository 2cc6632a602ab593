// The most a NodePool can cost per hour at its limits: the linear program
//   maximise sum(price_t x_t)  subject to  sum(cap_{r,t} x_t) <= limit_r for each limited r,  x_t >= 0,
// the relaxation of "which fleet within the limits costs the most". Karpenter v1 never
// launches a node whose capacity would exceed a remaining limit, so every fleet the pool
// can reach is a feasible x, and the optimum bounds its spend from above (tight up to the
// rounding of node counts). Solved exactly with a tableau simplex (few rows: one per limit).

export interface SpendType {
  name: string;
  /** USD per hour (the dearest offering the pool allows: what a fall-back launch pays). */
  price: number;
  /** Capacity per node in the limits' units; `nodes` is 1 for every type. */
  capacity: Readonly<Record<string, number>>;
}

export interface MaxSpend {
  /** USD per hour, or null when no limit bounds some admitted type (the spend is unbounded). */
  cost: number | null;
  /** The limits whose constraints are tight at the optimum, by name. */
  binding: string[];
}

const EPS = 1e-9;

export function maxSpendAtLimits(types: readonly SpendType[], limits: Readonly<Record<string, number>>): MaxSpend {
  const resources = Object.keys(limits).sort();
  if (types.length === 0) return { cost: 0, binding: [] };
  if (resources.length === 0) return { cost: null, binding: [] };
  // A type that uses none of the limited resources can be launched without end.
  if (types.some((t) => t.price > 0 && resources.every((r) => (t.capacity[r] ?? 0) <= 0))) return { cost: null, binding: [] };

  // Rows: sum(cap/limit x) + s = 1 (scaled so units from millicores to bytes sit together).
  // A zero limit forces every type using that resource to 0: drop those columns.
  const columns = types.filter((t) => resources.every((r) => limits[r]! > 0 || (t.capacity[r] ?? 0) <= 0));
  const rows = resources.filter((r) => limits[r]! > 0);
  if (columns.length === 0 || rows.length === 0) return { cost: 0, binding: resources.filter((r) => limits[r] === 0) };
  const cols = columns.length + rows.length;
  const t = rows.map((r, i) => {
    const row = new Float64Array(cols + 1);
    columns.forEach((type, j) => (row[j] = Math.max(0, type.capacity[r] ?? 0) / limits[r]!));
    row[columns.length + i] = 1;
    row[cols] = 1;
    return row;
  });
  const cost = new Float64Array(cols);
  columns.forEach((type, j) => (cost[j] = type.price));
  const basis = rows.map((_, i) => columns.length + i);

  for (let iter = 0; iter < 10_000; iter++) {
    // Entering: the first column with a positive reduced profit (Bland's rule: no cycling).
    let enter = -1;
    for (let j = 0; j < cols && enter < 0; j++) {
      if (basis.includes(j)) continue;
      let rc = cost[j]!;
      for (let i = 0; i < rows.length; i++) rc -= cost[basis[i]!]! * t[i]![j]!;
      if (rc > EPS) enter = j;
    }
    if (enter < 0) break;
    let leave = -1;
    let best = Infinity;
    for (let i = 0; i < rows.length; i++) {
      const coef = t[i]![enter]!;
      if (coef <= EPS) continue;
      const ratio = t[i]![cols]! / coef;
      if (ratio < best - EPS || (Math.abs(ratio - best) <= EPS && basis[i]! < basis[leave]!)) {
        best = ratio;
        leave = i;
      }
    }
    if (leave < 0) return { cost: null, binding: [] };
    const pivot = t[leave]![enter]!;
    const prow = t[leave]!;
    for (let j = 0; j <= cols; j++) prow[j] = prow[j]! / pivot;
    for (let i = 0; i < rows.length; i++) {
      if (i === leave) continue;
      const f = t[i]![enter]!;
      if (f === 0) continue;
      for (let j = 0; j <= cols; j++) t[i]![j] = t[i]![j]! - f * prow[j]!;
    }
    basis[leave] = enter;
  }
  let value = 0;
  for (let i = 0; i < rows.length; i++) {
    const j = basis[i]!;
    if (j < columns.length) value += cost[j]! * t[i]![cols]!;
  }
  // Tight rows: their slack left the basis (or sits at zero).
  const tight = rows.filter((_, i) => !basis.includes(columns.length + i) || t.find((_, k) => basis[k] === columns.length + i)![cols]! <= EPS);
  return { cost: value, binding: tight };
}
