// NodePools as the solver uses them: per pool, its instance types with what each gives
// to pods once the DaemonSets that would land on it are running (usable), its limits,
// and "templates": the pool's requirements narrowed by the pods a new node holds, with
// the instance types still compatible, cheapest first. Templates are interned, so the
// many nodes that share requirements share one template and one compatibility cache.

import type { DaemonSet, Taint, Toleration } from '../api/k8s.ts';
import { compatibleOfferings, instanceTypeCompatible } from '../catalog/compatibility.ts';
import type { InstanceType } from '../catalog/instance-types.ts';
import { INSTANCE_TYPE_LABEL_KEYS, LABEL_CAPACITY_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from '../contract/labels.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { hostPortsOf, type HostPort } from './host-ports.ts';
import type { SchedulingNodePool } from './nodepool.ts';
import { Requirements, ValueSet } from './requirements.ts';
import { fits, type ResourceIndex } from './resource-vector.ts';
import { untoleratedTaint } from './taints.ts';
import type { TopologyGroup } from './topology.ts';

/** A DaemonSet's pod as the solver needs it. */
export interface DaemonSetPod {
  name: string;
  namespace: string;
  requests: ResourceList;
  /** Host ports its pod takes on every node it runs on. */
  hostPorts: readonly HostPort[];
  terms: Requirements[];
  tolerations: readonly Toleration[];
}

export function parseDaemonSets(daemonSets: readonly DaemonSet[]): DaemonSetPod[] {
  return daemonSets.map((ds) => {
    const spec = ds.spec.template.spec;
    const selector = Requirements.fromLabels(spec.nodeSelector);
    const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    return {
      name: ds.metadata.name ?? '',
      namespace: ds.metadata.namespace ?? 'default',
      requests: podRequests({ metadata: {}, spec }),
      hostPorts: hostPortsOf(spec),
      terms: terms.length ? terms.map((t) => selector.intersect(Requirements.of(t.matchExpressions ?? []))) : [selector],
      tolerations: spec.tolerations ?? [],
    };
  });
}

/** Would the DaemonSet's pod run on a node described by these (node-side) requirements and taints? */
export function daemonSetLands(ds: DaemonSetPod, nodeReqs: Requirements, taints: readonly Taint[]): boolean {
  if (untoleratedTaint(taints, ds.tolerations)) return false;
  return ds.terms.some((t) => nodeReqs.compatible(t));
}

/** Would the DaemonSet's pod run on an existing node with these labels and taints? */
export function daemonSetLandsOnNode(ds: DaemonSetPod, labels: Readonly<Record<string, string>>, taints: readonly Taint[]): boolean {
  if (untoleratedTaint(taints, ds.tolerations)) return false;
  return ds.terms.some((t) => t.matches(labels));
}

export interface PoolType {
  readonly type: InstanceType;
  /** Allocatable minus the DaemonSet pods that would run on a node of this pool and type. */
  readonly usable: Float64Array;
  readonly daemonSetRequests: ResourceList;
  /** Capacity in the pool's limit keys ("nodes" counts 1). */
  readonly limitCapacity: Float64Array;
}

export class PoolState {
  readonly name: string;
  readonly reqs: Requirements;
  /** Shared between solves (poolSetup): never changed. */
  readonly types: readonly PoolType[];
  readonly limitKeys: string[];
  readonly limit: Float64Array;
  readonly used: Float64Array;
  readonly hasLimits: boolean;
  /** Requests of the pending pods the pool could host, not yet placed. */
  readonly remaining: Float64Array;
  /** Free capacity (target usable minus used) on the pool's new nodes. */
  readonly openFree: Float64Array;
  /**
   * Host ports the pool's DaemonSets take on its nodes (with the DaemonSet of each, for
   * reasons): every DaemonSet that runs on some instance type of the pool counts on
   * every new node of it (conservative for DaemonSets that select only some types).
   */
  readonly daemonSetPorts: readonly HostPort[];
  readonly daemonSetPortOwners: readonly string[];
  /** The base template's types, cheapest first (poolSetup). */
  readonly baseEntries: TemplateEntries;
  /**
   * Frozen values finalize.ts builds from the pool's types alone (instance type options by
   * requirements and type), shared between the solves that share the pool's setup.
   */
  readonly sharedOptions: Map<string, unknown>;
  /** Per resource: the least $/h per unit among the pool's types (Infinity when none has it). */
  readonly rate: Float64Array;
  /** Per exclusive group (one pod per node), pending pods the pool could host. */
  readonly exclusive = new Map<TopologyGroup, number>();
  base!: Template;

  constructor(
    readonly index: number,
    readonly pool: SchedulingNodePool,
    resources: ResourceIndex,
    daemonSets: readonly DaemonSetPod[],
    usage: ResourceList | undefined,
  ) {
    this.name = pool.name;
    this.reqs = Requirements.of(pool.requirements, `NodePool ${pool.name} requirements`)
      .intersect(Requirements.fromLabels(pool.labels))
      .with(LABEL_NODEPOOL, ValueSet.of([pool.name]));
    this.limitKeys = Object.keys(pool.limits).sort();
    this.hasLimits = this.limitKeys.length > 0;
    this.limit = Float64Array.from(this.limitKeys, (k) => pool.limits[k]!);
    this.used = Float64Array.from(this.limitKeys, (k) => usage?.[k] ?? 0);
    this.remaining = new Float64Array(resources.size);
    this.openFree = new Float64Array(resources.size);
    const setup = poolSetup(pool, this.reqs, resources, daemonSets);
    this.types = setup.types;
    this.daemonSetPorts = setup.daemonSetPorts;
    this.daemonSetPortOwners = setup.daemonSetPortOwners;
    this.baseEntries = setup.base;
    this.rate = setup.rate;
    this.sharedOptions = setup.options;
  }

  /** Largest exclusive group still pending: the least number of nodes those pods need. */
  exclusiveRemaining(): number {
    let e = 0;
    for (const v of this.exclusive.values()) if (v > e) e = v;
    return e;
  }

  withinLimits(typeIndex: number, release?: number): boolean {
    if (!this.hasLimits) return true;
    const cap = this.types[typeIndex]!.limitCapacity;
    const rel = release === undefined ? undefined : this.types[release]!.limitCapacity;
    for (let i = 0; i < cap.length; i++) {
      if (this.used[i]! - (rel ? rel[i]! : 0) + cap[i]! > this.limit[i]!) return false;
    }
    return true;
  }

  addUsage(typeIndex: number, sign: number): void {
    if (!this.hasLimits) return;
    const cap = this.types[typeIndex]!.limitCapacity;
    for (let i = 0; i < cap.length; i++) this.used[i] = this.used[i]! + sign * cap[i]!;
  }
}

/** A template's types, cheapest first, with their prices; never changed once built. */
export interface TemplateEntries {
  readonly entries: Int32Array;
  readonly price: Float64Array;
  readonly pos: Int32Array;
}

/** What a pool gives every solve that has the same resources and DaemonSets: its types, their usable capacity, the base template. */
interface PoolSetup {
  readonly instanceTypes: readonly InstanceType[];
  readonly types: readonly PoolType[];
  readonly daemonSetPorts: readonly HostPort[];
  readonly daemonSetPortOwners: readonly string[];
  readonly base: TemplateEntries;
  readonly rate: Float64Array;
  readonly options: Map<string, unknown>;
}

/**
 * Pools are immutable once built (the scheduling view caches them per manifest and
 * catalog), so their per-type setup, which dominates a small solve on a catalog of a
 * thousand types, is computed once per pool, resource list and DaemonSets, and shared.
 */
const setups = new WeakMap<SchedulingNodePool, Map<string, PoolSetup>>();

function poolSetup(pool: SchedulingNodePool, reqs: Requirements, resources: ResourceIndex, daemonSets: readonly DaemonSetPod[]): PoolSetup {
  const key = `${resources.names.join(',')}|${daemonSets.map(daemonSetKey).join('|')}`;
  let byKey = setups.get(pool);
  const hit = byKey?.get(key);
  if (hit && hit.instanceTypes === pool.instanceTypes) return hit;
  const setup = buildPoolSetup(pool, reqs, resources, daemonSets);
  if (!byKey || byKey.size > 64) {
    byKey = new Map();
    setups.set(pool, byKey);
  }
  byKey.set(key, setup);
  return setup;
}

function daemonSetKey(d: DaemonSetPod): string {
  return JSON.stringify([d.name, d.namespace, d.requests, d.hostPorts, d.terms.map((t) => t.signature()), d.tolerations]);
}

function buildPoolSetup(pool: SchedulingNodePool, reqs: Requirements, resources: ResourceIndex, daemonSets: readonly DaemonSetPod[]): PoolSetup {
  const types: PoolType[] = [];
  const daemonSetPorts: HostPort[] = [];
  const daemonSetPortOwners: string[] = [];
  const limitKeys = Object.keys(pool.limits).sort();
  // DaemonSets that select no labels land on every node whose taints they tolerate:
  // decide those once for the pool rather than per type.
  const everywhere: ResourceList = {};
  const selective: DaemonSetPod[] = [];
  const withPorts = new Set<DaemonSetPod>();
  for (const d of daemonSets) {
    if (d.terms.some((t) => t.size === 0)) {
      if (untoleratedTaint(pool.taints, d.tolerations)) continue;
      for (const [k, v] of Object.entries(d.requests)) everywhere[k] = (everywhere[k] ?? 0) + v;
      if (d.hostPorts.length > 0) withPorts.add(d);
    } else selective.push(d);
  }
  for (const type of pool.instanceTypes) {
    if (!instanceTypeCompatible(type, reqs)) continue;
    let ds: ResourceList = { ...everywhere };
    if (selective.length > 0) {
      const nodeReqs = reqs.intersect(Requirements.fromLabels(type.labels));
      for (const d of selective) {
        if (!daemonSetLands(d, nodeReqs, pool.taints)) continue;
        for (const [k, v] of Object.entries(d.requests)) ds[k] = (ds[k] ?? 0) + v;
        if (d.hostPorts.length > 0) withPorts.add(d);
      }
    }
    const usable = resources.vector(type.allocatable);
    const dsv = resources.vector(ds);
    for (let r = 0; r < usable.length; r++) usable[r] = usable[r]! - dsv[r]!;
    const limitCapacity = Float64Array.from(limitKeys, (k) => (k === 'nodes' ? 1 : (type.capacity[k] ?? 0)));
    types.push({ type, usable, daemonSetRequests: ds, limitCapacity });
    ds = {};
  }
  for (const d of withPorts) {
    for (const p of d.hostPorts) {
      daemonSetPorts.push(p);
      daemonSetPortOwners.push(`${d.namespace}/${d.name}`);
    }
  }
  const base = templateEntries(types, reqs, types.keys());
  const rate = new Float64Array(resources.size).fill(Infinity);
  for (let p = 0; p < base.entries.length; p++) {
    const u = types[base.entries[p]!]!.usable;
    for (let r = 0; r < rate.length; r++) if (u[r]! > 0 && base.price[p]! / u[r]! < rate[r]!) rate[r] = base.price[p]! / u[r]!;
  }
  return { instanceTypes: pool.instanceTypes, types, daemonSetPorts, daemonSetPortOwners, base, rate, options: new Map() };
}

/** The types among `candidates` compatible with `reqs`, cheapest first. */
function templateEntries(types: readonly PoolType[], reqs: Requirements, candidates: Iterable<number>): TemplateEntries {
  const list: { i: number; price: number }[] = [];
  for (const i of candidates) {
    const t = types[i]!.type;
    if (!instanceTypeCompatible(t, reqs)) continue;
    let price = Infinity;
    for (const o of compatibleOfferings(t, reqs)) if (o.price < price) price = o.price;
    list.push({ i, price });
  }
  list.sort((a, b) => a.price - b.price || a.i - b.i);
  const pos = new Int32Array(types.length).fill(-1);
  list.forEach((e, p) => (pos[e.i] = p));
  return { entries: Int32Array.from(list, (e) => e.i), price: Float64Array.from(list, (e) => e.price), pos };
}

/**
 * The cheapest type of `t` that holds used + req (used undefined = an empty node) within
 * the pool's limits, counting type `previous` (a node's current target, -1 none) as
 * released; -1 when none does.
 */
export function retarget(pool: PoolState, t: Template, used: Float64Array | undefined, req: Float64Array, previous: number): number {
  const entries = t.entries;
  const start = firstPossible(pool, t.price, used, req);
  if (!pool.hasLimits) {
    // Without limits the cheapest type that holds them is on the frontier.
    const f = t.frontier();
    for (let i = frontierFrom(f, start); i < f.length; i++) {
      const k = entries[f[i]!]!;
      if (fits(pool.types[k]!.usable, used, req)) return k;
    }
    return -1;
  }
  for (let p = start; p < entries.length; p++) {
    const k = entries[p]!;
    if (fits(pool.types[k]!.usable, used, req) && pool.withinLimits(k, previous < 0 ? undefined : previous)) return k;
  }
  return -1;
}

/** The first index of frontier `f` (positions, ascending) at or after position `p`. */
export function frontierFrom(f: Int32Array, p: number): number {
  return lowerBound(f, p);
}

/** The first index of `sorted` (ascending) whose value is not below `v`. */
function lowerBound(sorted: Int32Array | Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first position of a template of `pool` (prices cheapest first) whose type may hold
 * used + req (used undefined = an empty node): a type offering v of a resource costs at
 * least v times the pool's least price per unit of it (PoolState.rate; a template's price
 * of a type is never below the pool's), so every cheaper type is too small and the scans
 * of a template start here. Exact: no type that holds the pods is skipped.
 */
export function firstPossible(pool: PoolState, price: Float64Array, used: Float64Array | undefined, req: Float64Array): number {
  const rate = pool.rate;
  let floor = 0;
  for (let r = 0; r < req.length; r++) {
    const v = used ? used[r]! + req[r]! : req[r]!;
    if (v > 0) {
      const c = v * rate[r]!;
      if (c > floor) floor = c;
    }
  }
  if (!(floor > 0)) return 0;
  return lowerBound(price, floor * (1 - 1e-9));
}

/** A pool's requirements narrowed for a new node, with the types still compatible, cheapest first. */
export class Template {
  /** Pool type indices, cheapest first. */
  readonly entries: Int32Array;
  /** Price of each entry: its cheapest offering allowed by the requirements. */
  readonly price: Float64Array;
  /** Pool type index -> position in entries, or -1. */
  readonly pos: Int32Array;
  readonly narrowed = new Map<string, Template | null>();
  private readonly possible = new Map<string, string[]>();

  constructor(
    readonly id: number,
    readonly pool: PoolState,
    readonly reqs: Requirements,
    candidates: Iterable<number> | TemplateEntries,
  ) {
    const e = 'pos' in candidates ? candidates : templateEntries(pool.types, reqs, candidates);
    this.entries = e.entries;
    this.price = e.price;
    this.pos = e.pos;
  }

  /**
   * Positions (ascending) of the entries that no entry at most as dear offers at least as
   * much of every resource as (the first of equal ones is kept): whatever cost a scan
   * minimises that grows with the price and shrinks with the capacity (the cheapest type
   * holding some pods, open-node.ts's sizing metrics), an entry off the frontier never
   * does better than the one dominating it, which comes first. Ignores pool limits: a
   * scan that checks them must look at every entry. Cached with the pool's setup, shared
   * between solves.
   */
  frontier(): Int32Array {
    if (this.front) return this.front;
    const e = this.entries;
    const key = `frontier|${this.reqs.signature()}|${e.length}|${e[0]}|${e[e.length - 1]}`;
    const shared = this.pool.sharedOptions as Map<string, unknown>;
    let f = shared.get(key) as Int32Array | undefined;
    if (!f) {
      const kept: number[] = [];
      const types = this.pool.types;
      for (let p = 0; p < this.entries.length; p++) {
        const u = types[this.entries[p]!]!.usable;
        let dominated = false;
        for (let j = 0; j < kept.length && !dominated; j++) {
          const v = types[this.entries[kept[j]!]!]!.usable;
          dominated = true;
          for (let r = 0; r < u.length; r++) {
            if (v[r]! < u[r]!) {
              dominated = false;
              break;
            }
          }
        }
        if (!dominated) kept.push(p);
      }
      f = Int32Array.from(kept);
      if (shared.size < 100_000) shared.set(key, f);
    }
    this.front = f;
    return f;
  }

  private front: Int32Array | undefined;

  /** The one value the node's label `key` will have, if the requirements pin it. */
  pinned(key: string): string | undefined {
    return this.reqs.get(key).single();
  }

  /** The values label `key` may take on a node of this template, sorted. */
  possibleValues(key: string): string[] {
    let out = this.possible.get(key);
    if (out) return out;
    const set = new Set<string>();
    const allowed = this.reqs.get(key);
    if (key === LABEL_ZONE || key === LABEL_CAPACITY_TYPE) {
      for (const i of this.entries) {
        for (const o of compatibleOfferings(this.pool.types[i]!.type, this.reqs)) {
          const v = key === LABEL_ZONE ? o.zone : o.capacityType;
          if (allowed.has(v)) set.add(v);
        }
      }
    } else if (INSTANCE_TYPE_LABEL_KEYS.has(key)) {
      for (const i of this.entries) {
        const v = this.pool.types[i]!.type.labels[key];
        if (v !== undefined && allowed.has(v)) set.add(v);
      }
    } else {
      for (const v of allowed.finiteValues() ?? []) set.add(v);
    }
    out = [...set].sort();
    this.possible.set(key, out);
    return out;
  }
}

export class TemplateStore {
  /** Templates interned so far: the next one's id. */
  private count = 0;
  private readonly bySignature = new Map<string, Template>();

  base(pool: PoolState): Template {
    return this.intern(pool, pool.reqs, pool.baseEntries);
  }

  private intern(pool: PoolState, reqs: Requirements, candidates: Iterable<number> | TemplateEntries): Template {
    const sig = `${pool.index}|${reqs.signature()}`;
    let t = this.bySignature.get(sig);
    if (!t) {
      t = new Template(this.count++, pool, reqs, candidates);
      this.bySignature.set(sig, t);
    }
    return t;
  }

  /**
   * The template narrowed by pod-side requirements, or null when they conflict (as
   * Karpenter: a custom label the pool does not set must be allowed to be absent) or no
   * type remains.
   */
  narrow(t: Template, podReqs: Requirements): Template | null {
    if (podReqs.size === 0) return t;
    const key = podReqs.signature();
    const cached = t.narrowed.get(key);
    if (cached !== undefined) return cached;
    let result: Template | null = null;
    if (t.reqs.compatible(podReqs)) {
      const reqs = t.reqs.intersect(podReqs);
      if (reqs.emptyKey() === undefined) {
        const n = reqs.signature() === t.reqs.signature() ? t : this.intern(t.pool, reqs, t.entries);
        result = n.entries.length > 0 ? n : null;
      }
    }
    t.narrowed.set(key, result);
    return result;
  }

  /** The template with label `key` pinned to `value`. */
  pin(t: Template, key: string, value: string): Template | null {
    return this.narrow(t, Requirements.EMPTY.with(key, ValueSet.of([value])));
  }
}
