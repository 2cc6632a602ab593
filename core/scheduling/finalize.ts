// Finalisation: the new nodes of the plan as the solve result. Every new node offers
// every type of its template that holds its pods, cheapest first (at most
// maxInstanceTypeOptions, extended to meet minValues requirements), within what is left
// of its pool's limits; identical options, requirements and labels are shared.

import { compatibleOfferings } from '../catalog/compatibility.ts';
import type { Offering } from '../catalog/instance-types.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_ZONE } from '../contract/labels.ts';
import type { Plan, PlannedNode } from './plan.ts';
import { ValueSet, type Requirement } from './requirements.ts';
import { fits } from './resource-vector.ts';
import { firstPossible, retarget, type PoolState, type Template } from './templates.ts';
import type { InstanceTypeOption, NewNode } from './types.ts';

interface NodeShape {
  readonly options: InstanceTypeOption[];
  readonly requirements: Requirement[];
  readonly labels: Record<string, string>;
}

/** A pool type index with the price of its cheapest offering allowed by the template. */
interface Choice {
  readonly k: number;
  readonly price: number;
}

/** What the new nodes of one result share, by template and options. */
interface ShapeCache {
  readonly options: Map<string, InstanceTypeOption>;
  readonly shapes: Map<string, NodeShape>;
}

export function finalize(plan: Plan): NewNode[] {
  const maxOptions = plan.input.options?.maxInstanceTypeOptions ?? 60;
  const fresh = plan.nodes.filter((n) => !n.existing);
  // Right-size: the cheapest type that holds the pods. Then share what is left of each
  // pool's limits among its nodes, so that any option of any node keeps the pool within.
  const cheapest = new Map<PlannedNode, number>();
  const allowance = new Map<PoolState, Float64Array>();
  for (const pool of plan.pools) {
    if (!pool.hasLimits) continue;
    const base = Float64Array.from(pool.limitKeys, (k) => plan.input.poolUsage?.[pool.name]?.[k] ?? 0);
    const mine = fresh.filter((n) => n.pool === pool);
    for (const n of mine) {
      const k = retarget(pool, n.template!, undefined, n.used, -1);
      cheapest.set(n, k < 0 ? n.target : k);
      const cap = pool.types[cheapest.get(n)!]!.limitCapacity;
      for (let i = 0; i < cap.length; i++) base[i] = base[i]! + cap[i]!;
    }
    allowance.set(
      pool,
      Float64Array.from(base, (b, i) => Math.max(0, pool.limit[i]! - b) / Math.max(1, mine.length)),
    );
  }
  const cache: ShapeCache = { options: new Map(), shapes: new Map() };
  return fresh.map((n) => {
    const pool = n.pool!;
    const t = n.template!;
    const options: Choice[] = [];
    const allow = allowance.get(pool);
    const base = allow ? pool.types[cheapest.get(n) ?? n.target]!.limitCapacity : undefined;
    // With minValues, every candidate is collected: withMinValues may need some past maxOptions.
    const enough = hasMinValues(t) ? Infinity : maxOptions;
    for (let p = firstPossible(pool, t.price, undefined, n.used); p < t.entries.length && options.length < enough; p++) {
      const k = t.entries[p]!;
      if (!fits(pool.types[k]!.usable, undefined, n.used)) continue;
      if (allow && base) {
        const cap = pool.types[k]!.limitCapacity;
        let ok = true;
        for (let i = 0; i < cap.length; i++) if (cap[i]! - base[i]! > allow[i]! + 1e-9) ok = false;
        if (!ok) continue;
      }
      options.push({ k, price: t.price[p]! });
    }
    const chosen = withMinValues(t, options, maxOptions);
    const shared = sharedShape(cache, t, chosen);
    const first = chosen[0] ?? { k: n.target, price: Infinity };
    const requests = plan.res.list(n.used);
    for (const [r, v] of Object.entries(pool.types[first.k]!.daemonSetRequests)) requests[r] = (requests[r] ?? 0) + v;
    return {
      name: n.name,
      nodePool: pool.name,
      requirements: shared.requirements,
      labels: shared.labels,
      instanceTypeOptions: shared.options,
      pods: n.pods,
      requests,
      price: first.price,
    };
  });
}

function hasMinValues(t: Template): boolean {
  for (const [, set] of t.reqs.entries()) if (set.minValues !== undefined) return true;
  return false;
}

/**
 * The options, requirements and labels of a new node, shared (frozen) between the nodes
 * with the same template and options: thousands of nodes often have the same ones.
 */
function sharedShape(cache: ShapeCache, t: Template, chosen: readonly Choice[]): NodeShape {
  const key = `${t.id}|${chosen.map((c) => c.k).join(',')}`;
  let shape = cache.shapes.get(key);
  if (!shape) {
    const shared = t.pool.sharedOptions as Map<string, InstanceTypeOption>;
    const options = chosen.map(({ k, price }) => {
      const okey = `${t.id}|${k}`;
      let o = cache.options.get(okey);
      const skey = `${t.reqs.signature()}|${k}|${price}`;
      o ??= shared.get(skey);
      if (!o) {
        const type = t.pool.types[k]!.type;
        const offerings = compatibleOfferings(type, t.reqs)
          .sort((x, y) => x.price - y.price || (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0))
          .map((x) => Object.freeze({ ...x }));
        o = Object.freeze({ name: type.name, price, offerings: Object.freeze(offerings) as Offering[] });
        if (shared.size < 100_000) shared.set(skey, o);
      }
      cache.options.set(okey, o);
      return o;
    });
    const reqs = t.reqs.with(LABEL_INSTANCE_TYPE, ValueSet.of(options.map((o) => o.name)));
    shape = {
      options: Object.freeze(options) as InstanceTypeOption[],
      requirements: Object.freeze(reqs.toArray().map((r) => Object.freeze({ ...r, ...(r.values ? { values: Object.freeze(r.values) as string[] } : {}) }))) as Requirement[],
      labels: Object.freeze(t.reqs.pinnedLabels()),
    };
    cache.shapes.set(key, shape);
  }
  return shape;
}

/** The first maxOptions options, extended until every minValues requirement is met. */
function withMinValues(t: Template, options: Choice[], maxOptions: number): Choice[] {
  const head = options.slice(0, maxOptions);
  for (const [key, set] of t.reqs.entries()) {
    if (set.minValues === undefined) continue;
    const valuesOf = (k: number): string[] => {
      const type = t.pool.types[k]!.type;
      if (key === LABEL_ZONE) return compatibleOfferings(type, t.reqs).map((o) => o.zone);
      if (key === LABEL_CAPACITY_TYPE) return compatibleOfferings(type, t.reqs).map((o) => o.capacityType);
      const v = type.labels[key];
      return v === undefined ? [] : [v];
    };
    const seen = new Set<string>();
    for (const o of head) for (const v of valuesOf(o.k)) seen.add(v);
    for (const o of options.slice(maxOptions)) {
      if (seen.size >= set.minValues) break;
      const vs = valuesOf(o.k);
      if (vs.some((v) => !seen.has(v))) {
        head.push(o);
        for (const v of vs) seen.add(v);
      }
    }
  }
  return head;
}
