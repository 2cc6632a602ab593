// The scheduling solver: where do these pods go, and which new nodes, at what cost.
// One solver serves provisioning (pending pods, existing and in-flight nodes, pools),
// consolidation ("can these pods fit elsewhere": mark the candidates markedForDeletion,
// pass their pods, and no pools or a restricted pool), `joinery plan` and the simulator.
//
// Pods are grouped into classes (identical scheduling constraints and requests), ordered
// by priority, then pods that need a node of their own (required hostname anti-affinity
// to themselves), then largest first (dominant share of the total demand).
//  1. Existing and in-flight nodes first: each pod goes to the first node that takes it.
//  2. New nodes: the next pending pod opens a node from the heaviest NodePool that can
//     host it. The node's size target is the instance type that covers the pool's
//     pending demand (minus what open nodes still hold) at the least cost, that demand
//     shared among the nodes the exclusive pods need anyway. The node is then filled
//     from all pending pods whose home is that pool, choosing each time the request
//     shape that fills it best along the direction of the pending demand (a vector bin
//     packing heuristic), until nothing fits.
//  3. Pods that failed are retried (their affinity may be met now), each relaxation
//     level in turn, as Karpenter relaxes preferences.
// At the end every new node offers every type that holds its pods, cheapest first.
//
// Exactness: resources are checked per node against allocatable (existing nodes) or the
// usable capacity of a concrete type (new nodes: allocatable minus the DaemonSets that
// would run there); taints, node selectors and affinity, pod affinity and anti-affinity
// (both directions) and topology spread are checked against per-domain counts that are
// updated as pods are placed. A new node whose zone (or other topology label) matters
// to a pod it holds, or to a group that counts the pod, is pinned to one value, so the
// counts stay exact. verify.ts checks results independently.

import type { Pod } from '../api/k8s.ts';
import { compatibleOfferings } from '../catalog/compatibility.ts';
import type { Offering } from '../catalog/instance-types.ts';
import { formatResourceQuantity } from '../resources/quantity.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { CPU, fits, MEMORY, PODS, ResourceIndex } from './resource-vector.ts';
import { relaxations, PodClassBuilder, type LabelClass, type OwnedConstraint, type PodClass, type Relaxation } from './pod-class.ts';
import { ValueSet, type Requirement } from './requirements.ts';
import { formatTaint, untoleratedTaint } from './taints.ts';
import {
  daemonSetLandsOnNode,
  parseDaemonSets,
  PoolState,
  TemplateStore,
  type DaemonSetPod,
  type Template,
} from './templates.ts';
import { Topology, type TopologyGroup } from './topology.ts';
import type { ExistingNode, InstanceTypeOption, NewNode, SolveInput, SolveResult, UnschedulablePod } from './types.ts';
import { LABEL_INSTANCE_TYPE } from '../labels/well-known.ts';

const OK = 0;
const PERMANENT = 1;
const TEMPORARY = 2;

/** A node of the plan being built: existing (fixed allocatable) or new (a template and a target type). */
interface PlannedNode {
  readonly index: number;
  readonly name: string;
  readonly existing: ExistingNode | undefined;
  /** Existing nodes: allocatable minus bound pods and missing DaemonSet pods is cap - used. New: the target's usable. */
  cap: Float64Array;
  readonly used: Float64Array;
  /** Existing nodes: domain id per topology key (-1 = no label). */
  readonly domains: Int32Array | undefined;
  pool: PoolState | undefined;
  template: Template | undefined;
  /** New nodes: pool type index of the size target. */
  target: number;
  /** New nodes: filled; its free capacity no longer counts as open for the pool's demand. */
  closed: boolean;
  readonly pods: Pod[];
}

type Failure = typeof PERMANENT | typeof TEMPORARY;

/**
 * Where a pod goes: the node and, for a new node, the template and size target the node
 * takes with the pod (pinned labels and a larger type may be needed). Only a successful
 * check creates one, so failed checks in the hot loops allocate nothing.
 */
interface Fit {
  readonly node: PlannedNode;
  readonly template: Template | undefined;
  readonly target: number;
}

interface NodeShape {
  readonly options: InstanceTypeOption[];
  readonly requirements: Requirement[];
  readonly labels: Record<string, string>;
}

/** A relaxation level of a class with its caches. */
interface Attempt {
  readonly cls: PodClass;
  readonly relax: Relaxation;
  readonly req: Float64Array;
  readonly hostConstraints: OwnedConstraint[];
  readonly labelConstraints: OwnedConstraint[];
  /** Per label constraint: eligible domains (spread only). */
  readonly eligible: (Uint8Array | undefined)[];
  /** Per label constraint, per placement: the global minimum (spread only). */
  readonly minCount: Int32Array;
  /** First node index that is not known to reject the class for good. */
  ptr: number;
  /** Per existing node: 0 unknown, 1 compatible (labels, taints), -1 not. */
  existingCompat: Int8Array;
  /** Per template id: the template narrowed by the class's requirements, null if incompatible. */
  readonly narrowed: (Template | null | undefined)[];
  readonly poolTaintOk: boolean[];
  canOpen: boolean;
  hostMin: number;
}

export function solve(input: SolveInput): SolveResult {
  return new Solver(input).run();
}

class Solver {
  private readonly res = new ResourceIndex();
  private readonly topology = new Topology();
  private readonly builder = new PodClassBuilder(this.topology);
  private readonly templates = new TemplateStore();
  private readonly pools: PoolState[] = [];
  private readonly nodes: PlannedNode[] = [];
  private readonly daemonSets: DaemonSetPod[];
  private readonly keyIndex = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly groupKey: Int32Array;
  private readonly attempts = new Map<PodClass, Attempt[]>();
  private readonly templateDomains = new Map<Template, Int32Array>();
  private readonly preferNoSchedule: boolean;
  private readonly maxOptions: number;
  private readonly prefix: string;
  private newNodeCount = 0;
  private readonly cursor: Int32Array;
  private readonly homePool: Int32Array;
  private readonly level: Int32Array;
  private readonly classReject: Int32Array;
  private readonly shapeOf: Int32Array;
  private readonly shapes: { req: Float64Array; classes: PodClass[]; pending: number; first: number }[] = [];
  private shapeReject = new Int32Array(0);
  private readonly optionCache = new Map<string, InstanceTypeOption>();
  private readonly nodeShapes = new Map<string, NodeShape>();
  // Scratch of one topology check: the labels a new node must be pinned to. Reused so that
  // a check allocates nothing; it never outlives the check (pinnedForTopology).
  private readonly pinKeys: number[] = [];
  private readonly pinValues: string[] = [];

  constructor(private readonly input: SolveInput) {
    this.maxOptions = input.options?.maxInstanceTypeOptions ?? 60;
    this.prefix = input.options?.newNodeNamePrefix ?? 'new';
    for (const pod of input.pods) this.builder.add(pod);
    for (const cls of this.builder.classes) for (const k of Object.keys(cls.requests)) this.res.add(k);
    this.daemonSets = parseDaemonSets(input.daemonSets);
    const live = input.nodes.filter((n) => !n.markedForDeletion);
    const bound = live.map((n) => n.pods.map((p) => this.builder.addBound(p)));
    this.builder.linkGroups();
    for (const g of this.topology.groups) {
      if (!g.hostname && !this.keyIndex.has(g.key)) {
        this.keyIndex.set(g.key, this.keys.length);
        this.keys.push(g.key);
      }
    }
    this.groupKey = Int32Array.from(this.topology.groups, (g) => (g.hostname ? -1 : this.keyIndex.get(g.key)!));

    const sortedPools = [...input.nodePools].sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    sortedPools.forEach((p, i) => {
      const state = new PoolState(i, p, this.res, this.daemonSets, input.poolUsage?.[p.name]);
      state.base = this.templates.base(state);
      this.pools.push(state);
    });
    this.preferNoSchedule =
      sortedPools.some((p) => p.taints.some((t) => t.effect === 'PreferNoSchedule')) ||
      live.some((n) => n.taints.some((t) => t.effect === 'PreferNoSchedule'));

    live.forEach((n, i) => this.addExisting(n, bound[i]!));
    const classes = this.builder.classes.length;
    this.cursor = new Int32Array(classes);
    this.homePool = new Int32Array(classes);
    this.level = new Int32Array(classes);
    this.classReject = new Int32Array(classes);
    this.shapeOf = new Int32Array(classes);
    this.initDemand();
  }

  private addExisting(n: ExistingNode, bound: { labelClass: LabelClass; antiAffinity: TopologyGroup[] }[]): void {
    const cap = this.res.vector(n.allocatable);
    const used = new Float64Array(this.res.size);
    for (const p of n.pods) {
      const v = this.res.vector(safeRequests(p));
      for (let r = 0; r < v.length; r++) used[r] = used[r]! + v[r]!;
    }
    // DaemonSet pods that will land on the node but are not there yet (in-flight nodes).
    for (const ds of this.daemonSets) {
      if (!daemonSetLandsOnNode(ds, n.labels, n.taints)) continue;
      const present = n.pods.some((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === ds.name));
      if (present) continue;
      const v = this.res.vector(ds.requests);
      for (let r = 0; r < v.length; r++) used[r] = used[r]! + v[r]!;
    }
    const domains = Int32Array.from(this.keys, (k) => {
      const v = n.labels[k];
      return v === undefined ? -1 : this.topology.registry(k).id(v);
    });
    const node: PlannedNode = {
      index: this.nodes.length,
      name: n.name,
      existing: n,
      cap,
      used,
      domains,
      pool: undefined,
      template: undefined,
      target: -1,
      closed: true,
      pods: [],
    };
    this.nodes.push(node);
    for (const b of bound) {
      for (const g of b.labelClass.countedBy) {
        const d = this.domainOf(node, g, undefined);
        if (d >= 0) g.record(d, 1);
      }
      for (const g of b.antiAffinity) {
        const d = this.domainOf(node, g, undefined);
        if (d >= 0) g.recordOwner(d, 1);
      }
    }
  }

  /**
   * Each class's home pool: the heaviest pool a new node could be opened in for it. Its
   * pending pods count in that pool's demand (which sizes the pool's new nodes), and only
   * new nodes of that pool are filled with them.
   */
  private initDemand(): void {
    for (const cls of this.builder.classes) {
      const a = this.attemptsOf(cls)[0];
      this.homePool[cls.id] = -1;
      if (!a) continue;
      const home = this.pools.find((p) => this.canOpenIn(a, p));
      if (home) this.moveHome(cls, home);
    }
  }

  private canOpenIn(a: Attempt, pool: PoolState): boolean {
    if (!a.poolTaintOk[pool.index]) return false;
    const t = this.narrowFor(a, pool.base);
    if (!t) return false;
    for (const k of t.entries) if (fits(pool.types[k]!.usable, undefined, a.req)) return true;
    return false;
  }

  /** Moves the class's pending demand to `pool`. */
  private moveHome(cls: PodClass, pool: PoolState): void {
    const old = this.homePool[cls.id]!;
    if (old === pool.index) return;
    const req = this.attemptsOf(cls)[0]?.req;
    if (!req) return;
    const count = this.pending(cls);
    const shift = (p: PoolState, sign: number) => {
      for (let r = 0; r < req.length; r++) p.remaining[r] = p.remaining[r]! + sign * count * req[r]!;
      if (cls.exclusiveGroup) p.exclusive.set(cls.exclusiveGroup, (p.exclusive.get(cls.exclusiveGroup) ?? 0) + sign * count);
    };
    if (old >= 0) shift(this.pools[old]!, -1);
    shift(pool, 1);
    this.homePool[cls.id] = pool.index;
  }

  /** One pod of the class is placed (or given up): it no longer counts in its home pool's demand. */
  private settleDemand(cls: PodClass): void {
    const home = this.homePool[cls.id]!;
    const req = this.attemptsOf(cls)[0]?.req;
    if (home < 0 || !req) return;
    const pool = this.pools[home]!;
    for (let r = 0; r < req.length; r++) pool.remaining[r] = pool.remaining[r]! - req[r]!;
    if (cls.exclusiveGroup) pool.exclusive.set(cls.exclusiveGroup, pool.exclusive.get(cls.exclusiveGroup)! - 1);
  }

  private attemptsOf(cls: PodClass): Attempt[] {
    let list = this.attempts.get(cls);
    if (list) return list;
    const req = this.res.vector(cls.requests);
    list = cls.invalid ? [] : relaxations(cls, this.preferNoSchedule).map((relax) => this.makeAttempt(cls, relax, req));
    this.attempts.set(cls, list);
    return list;
  }

  private makeAttempt(cls: PodClass, relax: Relaxation, req: Float64Array): Attempt {
    const hostConstraints = relax.constraints.filter((c) => c.group.hostname);
    const labelConstraints = relax.constraints.filter((c) => !c.group.hostname);
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
      poolTaintOk: this.pools.map(
        (p) => untoleratedTaint(p.pool.taints, cls.tolerations, { includePreferNoSchedule: !relax.toleratePreferNoSchedule }) === undefined,
      ),
      canOpen: false,
      hostMin: 0,
    };
    a.canOpen = this.pools.some((p) => {
      if (!a.poolTaintOk[p.index]) return false;
      const t = this.narrowFor(a, p.base);
      if (!t) return false;
      for (const k of t.entries) if (fits(p.types[k]!.usable, undefined, req)) return true;
      return false;
    });
    for (const c of labelConstraints) a.eligible.push(c.group.kind === 'spread' ? this.eligibleDomains(a, c.group) : undefined);
    return a;
  }

  /** Spread: the domains of `g.key` the pod could be placed in, per the node inclusion policies. */
  private eligibleDomains(a: Attempt, g: TopologyGroup): Uint8Array {
    const reg = this.topology.registry(g.key);
    const ids: number[] = [];
    for (const n of this.nodes) {
      const ex = n.existing;
      if (!ex) continue;
      if (g.nodeAffinityPolicy === 'Honor' && !a.relax.reqs.matches(ex.labels)) continue;
      if (g.nodeTaintsPolicy === 'Honor' && untoleratedTaint(ex.taints, a.cls.tolerations)) continue;
      const v = ex.labels[g.key];
      if (v !== undefined) ids.push(reg.id(v));
    }
    for (const p of this.pools) {
      if (g.nodeTaintsPolicy === 'Honor' && !a.poolTaintOk[p.index]) continue;
      const t = g.nodeAffinityPolicy === 'Honor' ? this.narrowFor(a, p.base) : p.base;
      if (!t) continue;
      for (const v of t.possibleValues(g.key)) ids.push(reg.id(v));
    }
    const mask = new Uint8Array(reg.size);
    for (const i of ids) mask[i] = 1;
    return mask;
  }

  private narrowFor(a: Attempt, t: Template): Template | null {
    let n = a.narrowed[t.id];
    if (n === undefined) {
      n = a.poolTaintOk[t.pool.index] ? this.templates.narrow(t, a.relax.reqs) : null;
      a.narrowed[t.id] = n;
    }
    return n;
  }

  /** Domain id of node `n` for group `g`: node index for hostname; -1 when absent or not yet pinned. */
  private domainOf(n: PlannedNode, g: TopologyGroup, t: Template | undefined): number {
    if (g.hostname) return n.index;
    const k = this.groupKey[g.id]!;
    if (n.domains) return n.domains[k]!;
    return this.templateDomain(t ?? n.template!, k);
  }

  private templateDomain(t: Template, k: number): number {
    let ids = this.templateDomains.get(t);
    if (!ids) {
      ids = new Int32Array(this.keys.length).fill(-2);
      this.templateDomains.set(t, ids);
    }
    let d = ids[k]!;
    if (d === -2) {
      const v = t.pinned(this.keys[k]!);
      d = v === undefined ? -1 : this.topology.registry(this.keys[k]!).id(v);
      ids[k] = d;
    }
    return d;
  }

  run(): SolveResult {
    // Largest first, by the dominant share of the total demand (so that CPU-heavy and
    // memory-heavy pods interleave and nodes fill evenly in both).
    const total = new Float64Array(this.res.size);
    for (const cls of this.builder.classes) {
      const req = this.res.vector(cls.requests);
      for (let r = 0; r < req.length; r++) total[r] = total[r]! + cls.pods.length * req[r]!;
    }
    const size = new Map<PodClass, number>();
    for (const cls of this.builder.classes) {
      const req = this.res.vector(cls.requests);
      let s = 0;
      for (let r = 0; r < req.length; r++) if (r !== PODS && total[r]! > 0) s = Math.max(s, req[r]! / total[r]!);
      size.set(cls, s);
    }
    const order = this.builder.classes.slice().sort((a, b) => {
      if (a.priority !== b.priority) return b.priority - a.priority;
      const ea = a.exclusiveGroup ? 1 : 0;
      const eb = b.exclusiveGroup ? 1 : 0;
      if (ea !== eb) return eb - ea;
      const sa = size.get(a)!;
      const sb = size.get(b)!;
      if (sa !== sb) return sb - sa;
      return a.id - b.id;
    });
    this.initShapes(order);
    this.shapeReject = new Int32Array(this.shapes.length);
    const failed: { cls: PodClass; pod: Pod }[] = [];
    // 1. Existing and in-flight nodes first, first fit.
    if (this.nodes.length > 0) {
      for (const cls of order) {
        const a = this.attemptsOf(cls)[0];
        if (!a) continue;
        while (this.pending(cls) > 0) {
          this.prepare(a);
          const fit = this.firstFit(a);
          if (!fit) break; // identical pods fail alike
          this.commit(a, this.take(cls), fit);
          this.settleDemand(cls);
        }
      }
    }
    // 2. New nodes: open one for the next pod, then fill it with the pods that complement it best.
    for (const cls of order) {
      while (this.pending(cls) > 0) {
        const attempts = this.attemptsOf(cls);
        let placed = false;
        for (let level = this.level[cls.id]!; level < attempts.length && !placed; level++) {
          const a = attempts[level]!;
          this.level[cls.id] = level;
          this.prepare(a);
          const fit = level > 0 ? this.firstFit(a) : undefined;
          if (fit) {
            this.commit(a, this.take(cls), fit);
            placed = true;
          } else {
            const fresh = this.openNode(a, this.peek(cls));
            if (fresh) {
              this.take(cls);
              this.fill(fresh);
              this.close(fresh);
              placed = true;
            }
          }
        }
        this.settleDemand(cls);
        if (!placed) failed.push({ cls, pod: this.take(cls) });
      }
    }
    // 3. Pods that failed may fit now (e.g. affinity to pods placed after them).
    let still = failed;
    while (still.length > 0) {
      const next: { cls: PodClass; pod: Pod }[] = [];
      for (const f of still) if (!this.placeAnywhere(f.cls, f.pod)) next.push(f);
      if (next.length === still.length) break;
      still = next;
    }
    const unschedulable: UnschedulablePod[] = [];
    const reasons = new Map<PodClass, string>();
    for (const f of still) {
      let reason = reasons.get(f.cls);
      if (reason === undefined) {
        reason = this.explain(f.cls);
        reasons.set(f.cls, reason);
      }
      unschedulable.push({ pod: f.pod, reason });
    }
    const bindings = [];
    for (const n of this.nodes) if (n.existing) for (const pod of n.pods) bindings.push({ pod, node: n.name });
    return { bindings, newNodes: this.finalize(), unschedulable };
  }

  // Pending pods of each class are consumed in input order.
  private pending(cls: PodClass): number {
    return cls.pods.length - this.cursor[cls.id]!;
  }

  private peek(cls: PodClass): Pod {
    return cls.pods[this.cursor[cls.id]!]!;
  }

  private take(cls: PodClass): Pod {
    const pod = cls.pods[this.cursor[cls.id]!]!;
    this.cursor[cls.id] = this.cursor[cls.id]! + 1;
    const shape = this.shapeOf[cls.id]!;
    this.shapes[shape]!.pending--;
    return pod;
  }

  /** Groups classes by request vector: the fill loop chooses a shape, then a class of it that fits. */
  private initShapes(order: readonly PodClass[]): void {
    const index = new Map<string, number>();
    for (const cls of order) {
      const a = this.attemptsOf(cls)[0];
      const req = a ? a.req : this.res.vector(cls.requests);
      const key = req.join(',');
      let s = index.get(key);
      if (s === undefined) {
        s = this.shapes.length;
        index.set(key, s);
        this.shapes.push({ req, classes: [], pending: 0, first: 0 });
      }
      this.shapeOf[cls.id] = s;
      if (a) {
        this.shapes[s]!.classes.push(cls);
        this.shapes[s]!.pending += cls.pods.length;
      }
    }
  }

  /**
   * Fills a new node: repeatedly adds a pending pod of the shape that scores best, until
   * none fits. The score favours large pods (the sum of the cpu and memory fill after
   * adding it) and penalises drifting from the direction of the pending demand, the
   * more so the fuller the node (a vector bin packing heuristic: big items first, keep
   * the free space shaped like what is left to place).
   */
  private fill(n: PlannedNode): void {
    const stamp = n.index + 1;
    // The memory-to-cpu ratio of the pool's pending pods, relative to the node's: the
    // node should fill along it, so that what stays free suits the pods still to come.
    const pending = n.pool!.remaining;
    const direction =
      n.cap[CPU]! > 0 && n.cap[MEMORY]! > 0 && pending[CPU]! > 0 && pending[MEMORY]! > 0
        ? pending[MEMORY]! / n.cap[MEMORY]! / (pending[CPU]! / n.cap[CPU]!)
        : 1;
    for (;;) {
      let best = -1;
      let bestScore = -Infinity;
      const cap = n.cap;
      for (let s = 0; s < this.shapes.length; s++) {
        const shape = this.shapes[s]!;
        if (shape.pending === 0 || this.shapeReject[s] === stamp) continue;
        const req = shape.req;
        if (!fits(cap, n.used, req)) continue;
        const fc = cap[CPU]! > 0 ? (n.used[CPU]! + req[CPU]!) / cap[CPU]! : 1;
        const fm = cap[MEMORY]! > 0 ? (n.used[MEMORY]! + req[MEMORY]!) / cap[MEMORY]! : 1;
        const imbalance = direction <= 1 ? Math.abs(fm - direction * fc) : Math.abs(fc - fm / direction);
        const score = fc + fm - imbalance * Math.max(fc, fm);
        if (score > bestScore) {
          best = s;
          bestScore = score;
        }
      }
      if (best < 0) return;
      let placed = false;
      const shape = this.shapes[best]!;
      while (shape.first < shape.classes.length && this.pending(shape.classes[shape.first]!) === 0) shape.first++;
      for (let i = shape.first; i < shape.classes.length; i++) {
        const cls = shape.classes[i]!;
        if (this.pending(cls) === 0 || this.classReject[cls.id] === stamp) continue;
        if (this.homePool[cls.id] !== n.pool!.index) {
          this.classReject[cls.id] = stamp;
          continue;
        }
        const a = this.attemptsOf(cls)[this.level[cls.id]!]!;
        this.prepare(a);
        const fit = this.tryNode(a, n);
        if (typeof fit !== 'number') {
          this.commit(a, this.take(cls), fit);
          this.settleDemand(cls);
          placed = true;
          break;
        }
        this.classReject[cls.id] = stamp;
      }
      if (!placed) this.shapeReject[best] = stamp;
    }
  }

  /** The node is full for now: its free capacity stops counting against the pool's pending demand. */
  private close(n: PlannedNode): void {
    if (n.closed) return;
    const free = n.pool!.openFree;
    for (let r = 0; r < free.length; r++) free[r] = free[r]! - (n.cap[r]! - n.used[r]!);
    n.closed = true;
  }

  /** The first node (existing first, then new in order) that takes the pod. */
  private firstFit(a: Attempt): Fit | undefined {
    const nodes = this.nodes;
    for (let i = a.ptr; i < nodes.length; i++) {
      const r = this.tryNode(a, nodes[i]!);
      if (typeof r !== 'number') return r;
      if (r === PERMANENT && i === a.ptr) a.ptr++;
    }
    return undefined;
  }

  /** Retry of a failed pod: every relaxation level, any node, else a new node. */
  private placeAnywhere(cls: PodClass, pod: Pod): boolean {
    for (const a of this.attemptsOf(cls)) {
      this.prepare(a);
      const fit = this.firstFit(a);
      if (fit) {
        this.commit(a, pod, fit);
        return true;
      }
      const fresh = this.openNode(a, pod);
      if (fresh) return true;
    }
    return false;
  }

  /** Per-placement state: the spread minimums. */
  private prepare(a: Attempt): void {
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
    if (!a.canOpen && a.hostConstraints.some((c) => c.group.kind === 'spread')) a.hostMin = -1;
  }

  /**
   * Hostname spread minimum when no new node can be opened for the pod: over the nodes
   * that count as domains under the constraint's node inclusion policies.
   */
  private hostMinimum(a: Attempt, g: TopologyGroup): number {
    let min = Infinity;
    for (const n of this.nodes) {
      if (n.existing) {
        const ex = n.existing;
        if (g.nodeAffinityPolicy === 'Honor' && !a.relax.reqs.matches(ex.labels)) continue;
        if (g.nodeTaintsPolicy === 'Honor' && untoleratedTaint(ex.taints, a.cls.tolerations)) continue;
      } else {
        const t = g.nodeAffinityPolicy === 'Honor' ? this.templates.narrow(n.template!, a.relax.reqs) : n.template!;
        if (!t) continue;
        if (g.nodeTaintsPolicy === 'Honor' && !a.poolTaintOk[n.pool!.index]) continue;
      }
      const v = g.count(n.index);
      if (v < min) min = v;
    }
    return min === Infinity ? 0 : min;
  }

  private existingCompatible(a: Attempt, n: PlannedNode): number {
    if (a.existingCompat.length <= n.index) {
      const grown = new Int8Array(Math.max(this.nodes.length, 16));
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

  /** Whether node `n` takes a pod of the attempt, and if so how; PERMANENT: never at this level. */
  private tryNode(a: Attempt, n: PlannedNode): Fit | Failure {
    const req = a.req;
    if (n.existing) {
      if (this.existingCompatible(a, n) < 0) return PERMANENT;
      if (!fits(n.cap, n.used, req)) return PERMANENT;
      const topo = this.topologyOk(a, n, undefined);
      return topo === OK ? { node: n, template: undefined, target: -1 } : topo;
    }
    const t = this.narrowFor(a, n.template!);
    if (!t) return PERMANENT;
    const pool = n.pool!;
    let target = n.target;
    if (t.pos[target]! < 0) {
      target = this.retarget(pool, t, n.used, req, n.target);
      if (target < 0) return PERMANENT;
    } else if (!fits(pool.types[target]!.usable, n.used, req)) {
      return PERMANENT;
    }
    const chosen = this.pinnedForTopology(a, n, t);
    if (typeof chosen === 'number') return chosen;
    if (chosen.pos[target]! < 0) {
      target = this.retarget(pool, chosen, n.used, req, n.target);
      if (target < 0) return TEMPORARY;
    }
    return { node: n, template: chosen, target };
  }

  /** New node `n` with template `t`: the template pinned as the attempt's topology needs, or why not. */
  private pinnedForTopology(a: Attempt, n: PlannedNode, t: Template): Template | Failure {
    const topo = this.topologyOk(a, n, t);
    if (topo !== OK) return topo;
    let chosen: Template | null = t;
    for (let i = 0; i < this.pinKeys.length && chosen; i++) chosen = this.templates.pin(chosen, this.keys[this.pinKeys[i]!]!, this.pinValues[i]!);
    return chosen ?? TEMPORARY;
  }

  /** The cheapest type of `t` that holds used + req within the pool's limits (replacing `previous`). */
  private retarget(pool: PoolState, t: Template, used: Float64Array | undefined, req: Float64Array, previous: number): number {
    for (const k of t.entries) {
      if (fits(pool.types[k]!.usable, used, req) && pool.withinLimits(k, previous < 0 ? undefined : previous)) return k;
    }
    return -1;
  }

  /**
   * Topology constraints of the attempt on node `n` (new nodes: with template `t`).
   * Fills pinKeys/pinValues with the labels a new node must be pinned to.
   */
  private topologyOk(a: Attempt, n: PlannedNode, t: Template | undefined): typeof OK | Failure {
    this.pinKeys.length = 0;
    this.pinValues.length = 0;
    for (const c of a.hostConstraints) {
      const g = c.group;
      const d = n.index;
      switch (g.kind) {
        case 'spread': {
          if (a.hostMin < 0) a.hostMin = this.hostMinimum(a, g);
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
      let d = this.domainOf(n, g, t);
      if (d < 0 && t) d = this.pendingPin(g);
      if (d >= 0) {
        if (!this.allowed(a, i, c, d)) return TEMPORARY;
        continue;
      }
      if (n.existing) {
        if (g.kind === 'anti-affinity') continue;
        return TEMPORARY;
      }
      const v = this.choosePin(a, i, c, t!);
      if (v === undefined) {
        if (g.kind === 'anti-affinity' && t!.possibleValues(g.key).length === 0) continue;
        return TEMPORARY;
      }
      this.pinKeys.push(this.groupKey[g.id]!);
      this.pinValues.push(v);
    }
    for (const g of a.cls.labelClass.repelledBy) {
      if (g.hostname) {
        if (g.ownerCount(n.index) > 0) return PERMANENT;
        continue;
      }
      let d = this.domainOf(n, g, t);
      if (d < 0 && t) d = this.pendingPin(g);
      if (d >= 0) {
        if (g.ownerCount(d) > 0) return TEMPORARY;
        continue;
      }
      if (n.existing) continue;
      const reg = this.topology.registry(g.key);
      const values = t!.possibleValues(g.key);
      if (values.length === 0) continue;
      const v = values.find((x) => g.ownerCount(reg.id(x)) === 0);
      if (v === undefined) return TEMPORARY;
      this.pinKeys.push(this.groupKey[g.id]!);
      this.pinValues.push(v);
    }
    return OK;
  }

  /** The domain a new node is about to be pinned to for g's key in this check, or -1. */
  private pendingPin(g: TopologyGroup): number {
    const k = this.groupKey[g.id]!;
    const i = this.pinKeys.indexOf(k);
    return i < 0 ? -1 : this.topology.registry(g.key).id(this.pinValues[i]!);
  }

  private allowed(a: Attempt, i: number, c: OwnedConstraint, d: number): boolean {
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
  private choosePin(a: Attempt, i: number, c: OwnedConstraint, t: Template): string | undefined {
    const g = c.group;
    const reg = this.topology.registry(g.key);
    let best: string | undefined;
    let bestCount = 0;
    for (const v of t.possibleValues(g.key)) {
      const d = reg.id(v);
      if (!this.allowed(a, i, c, d)) continue;
      const count = g.count(d);
      const better = best === undefined || (g.kind === 'affinity' ? count > bestCount : count < bestCount);
      if (better) {
        best = v;
        bestCount = count;
      }
    }
    return best;
  }

  private commit(a: Attempt, pod: Pod, fit: Fit): void {
    const n = fit.node;
    if (!n.existing) {
      if (fit.target !== n.target) this.setTarget(n, fit.target);
      n.template = fit.template;
      this.pinCounted(a, n);
      if (!n.closed) {
        const free = n.pool!.openFree;
        for (let r = 0; r < a.req.length; r++) free[r] = free[r]! - a.req[r]!;
      }
    }
    const req = a.req;
    for (let r = 0; r < req.length; r++) n.used[r] = n.used[r]! + req[r]!;
    n.pods.push(pod);
    const lc = a.cls.labelClass;
    for (const g of lc.countedBy) {
      const d = this.domainOf(n, g, undefined);
      if (d >= 0) g.record(d, 1);
    }
    for (const c of a.cls.antiAffinity) {
      if (!c.required) continue;
      const d = this.domainOf(n, c.group, undefined);
      if (d >= 0) c.group.recordOwner(d, 1);
    }
  }

  /**
   * A pod counted by zone-keyed (or other label-keyed) groups pins its new node's label,
   * so that the counts are exact: to the value with the fewest matching pods.
   */
  private pinCounted(a: Attempt, n: PlannedNode): void {
    const lc = a.cls.labelClass;
    const groups: TopologyGroup[] = [];
    for (const g of lc.countedBy) if (!g.hostname) groups.push(g);
    for (const c of a.cls.antiAffinity) if (c.required && !c.group.hostname) groups.push(c.group);
    for (const g of groups) {
      const t = n.template!;
      if (this.domainOf(n, g, undefined) >= 0) continue;
      const reg = this.topology.registry(g.key);
      const values = t.possibleValues(g.key);
      let chosen: Template | null = null;
      let chosenTarget = -1;
      let bestCount = Infinity;
      for (const v of values) {
        const count = g.count(reg.id(v));
        if (count >= bestCount) continue;
        const pinned = this.templates.pin(t, g.key, v);
        if (!pinned) continue;
        const target = pinned.pos[n.target]! >= 0 ? n.target : this.retarget(n.pool!, pinned, n.used, a.req, n.target);
        if (target < 0) continue;
        chosen = pinned;
        chosenTarget = target;
        bestCount = count;
      }
      if (!chosen) continue;
      if (chosenTarget !== n.target) this.setTarget(n, chosenTarget);
      n.template = chosen;
    }
  }

  /** Changes a new node's size target (pool type index), keeping limits and free capacity in step. */
  private setTarget(n: PlannedNode, target: number): void {
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

  private openNode(a: Attempt, pod: Pod): PlannedNode | undefined {
    for (const pool of this.pools) {
      if (!a.poolTaintOk[pool.index]) continue;
      const t = this.narrowFor(a, pool.base);
      if (!t) continue;
      const node: PlannedNode = {
        index: this.nodes.length,
        name: '',
        existing: undefined,
        cap: new Float64Array(0),
        used: new Float64Array(this.res.size),
        domains: undefined,
        pool,
        template: t,
        target: -1,
        closed: false,
        pods: [],
      };
      const chosen = this.pinnedForTopology(a, node, t);
      if (typeof chosen === 'number') continue;
      const target = this.chooseTarget(pool, chosen, a.req);
      if (target < 0) continue;
      this.moveHome(a.cls, pool);
      const named: PlannedNode = { ...node, name: `${this.prefix}-${pool.name}-${this.newNodeCount++}`, template: chosen };
      this.setTarget(named, target);
      this.nodes.push(named);
      this.commit(a, pod, { node: named, template: chosen, target });
      return named;
    }
    return undefined;
  }

  /**
   * The size target of a new node: among the types that hold the pod, the one covering
   * the pool's remaining demand at the least cost (price x nodes needed, at least one
   * node). With pods that need a node each, the demand is shared among those nodes.
   * Ties go to the larger type.
   */
  private chooseTarget(pool: PoolState, t: Template, req: Float64Array): number {
    const R = req.length;
    const nodesNeeded = Math.max(1, pool.exclusiveRemaining());
    let best = -1;
    let bestMetric = Infinity;
    let bestN = Infinity;
    for (let p = 0; p < t.entries.length; p++) {
      // Entries are cheapest first and the metric is at least the price: nothing later can win.
      if (t.price[p]! > bestMetric * (1 + 1e-9)) break;
      const k = t.entries[p]!;
      const u = pool.types[k]!.usable;
      if (!fits(u, undefined, req) || !pool.withinLimits(k)) continue;
      let n = 0;
      for (let r = 0; r < R; r++) {
        if (req[r]! <= 0) continue;
        const uncovered = Math.max(pool.remaining[r]! - pool.openFree[r]!, 0);
        const share = Math.max(uncovered / nodesNeeded, req[r]!);
        const x = share / u[r]!;
        if (x > n) n = x;
      }
      const metric = t.price[p]! * Math.max(n, 1);
      if (metric < bestMetric * (1 - 1e-9) || (metric <= bestMetric * (1 + 1e-9) && n < bestN)) {
        best = k;
        bestMetric = metric;
        bestN = n;
      }
    }
    return best;
  }

  private finalize(): NewNode[] {
    const fresh = this.nodes.filter((n) => !n.existing);
    // Right-size: the cheapest type that holds the pods. Then share what is left of each
    // pool's limits among its nodes, so that any option of any node keeps the pool within.
    const cheapest = new Map<PlannedNode, number>();
    const allowance = new Map<PoolState, Float64Array>();
    for (const pool of this.pools) {
      if (!pool.hasLimits) continue;
      const base = Float64Array.from(pool.limitKeys, (k) => this.input.poolUsage?.[pool.name]?.[k] ?? 0);
      const mine = fresh.filter((n) => n.pool === pool);
      for (const n of mine) {
        const k = this.retarget(pool, n.template!, undefined, n.used, -1);
        cheapest.set(n, k < 0 ? n.target : k);
        const cap = pool.types[cheapest.get(n)!]!.limitCapacity;
        for (let i = 0; i < cap.length; i++) base[i] = base[i]! + cap[i]!;
      }
      allowance.set(
        pool,
        Float64Array.from(base, (b, i) => Math.max(0, pool.limit[i]! - b) / Math.max(1, mine.length)),
      );
    }
    const minValues = (t: Template): boolean => {
      for (const [, set] of t.reqs.entries()) if (set.minValues !== undefined) return true;
      return false;
    };
    return fresh.map((n) => {
      const pool = n.pool!;
      const t = n.template!;
      const options: { k: number; price: number }[] = [];
      const allow = allowance.get(pool);
      const base = allow ? pool.types[cheapest.get(n) ?? n.target]!.limitCapacity : undefined;
      const enough = minValues(t) ? Infinity : this.maxOptions;
      for (let p = 0; p < t.entries.length && options.length < enough; p++) {
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
      const chosen = this.withMinValues(t, options);
      const shared = this.sharedShape(t, chosen);
      const first = chosen[0] ?? { k: n.target, price: Infinity };
      const requests = this.res.list(n.used);
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

  /**
   * The options, requirements and labels of a new node, shared (frozen) between the nodes
   * with the same template and options: thousands of nodes often have the same ones.
   */
  private sharedShape(t: Template, chosen: readonly { k: number; price: number }[]): NodeShape {
    const key = `${t.id}|${chosen.map((c) => c.k).join(',')}`;
    let shape = this.nodeShapes.get(key);
    if (!shape) {
      const options = chosen.map(({ k, price }) => {
        const okey = `${t.id}|${k}`;
        let o = this.optionCache.get(okey);
        if (!o) {
          const type = t.pool.types[k]!.type;
          const offerings = compatibleOfferings(type, t.reqs)
            .sort((x, y) => x.price - y.price || (x.zone < y.zone ? -1 : x.zone > y.zone ? 1 : 0))
            .map((x) => Object.freeze({ ...x }));
          o = Object.freeze({ name: type.name, price, offerings: Object.freeze(offerings) as Offering[] });
          this.optionCache.set(okey, o);
        }
        return o;
      });
      const reqs = t.reqs.with(LABEL_INSTANCE_TYPE, ValueSet.of(options.map((o) => o.name)));
      shape = {
        options: Object.freeze(options) as InstanceTypeOption[],
        requirements: Object.freeze(reqs.toArray().map((r) => Object.freeze({ ...r, ...(r.values ? { values: Object.freeze(r.values) as string[] } : {}) }))) as Requirement[],
        labels: Object.freeze(t.reqs.pinnedLabels()),
      };
      this.nodeShapes.set(key, shape);
    }
    return shape;
  }

  /** The first maxOptions options, extended until every minValues requirement is met. */
  private withMinValues(t: Template, options: { k: number; price: number }[]): { k: number; price: number }[] {
    const head = options.slice(0, this.maxOptions);
    for (const [key, set] of t.reqs.entries()) {
      if (set.minValues === undefined) continue;
      const valuesOf = (k: number): string[] => {
        const type = t.pool.types[k]!.type;
        if (key === 'topology.kubernetes.io/zone') return compatibleOfferings(type, t.reqs).map((o) => o.zone);
        if (key === 'karpenter.sh/capacity-type') return compatibleOfferings(type, t.reqs).map((o) => o.capacityType);
        const v = type.labels[key];
        return v === undefined ? [] : [v];
      };
      const seen = new Set<string>();
      for (const o of head) for (const v of valuesOf(o.k)) seen.add(v);
      for (const o of options.slice(this.maxOptions)) {
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

  /** Why a class could not be placed, in words a person can act on. */
  private explain(cls: PodClass): string {
    if (cls.invalid) return `invalid pod spec: ${cls.invalid}`;
    const attempts = this.attemptsOf(cls);
    const a = attempts[attempts.length - 1]!;
    const parts: string[] = [];
    const existing = this.nodes.filter((n) => n.existing);
    if (existing.length > 0) {
      const causes = new Map<string, number>();
      const bump = (k: string) => causes.set(k, (causes.get(k) ?? 0) + 1);
      for (const n of existing) {
        const ex = n.existing!;
        const taint = untoleratedTaint(ex.taints, cls.tolerations, { includePreferNoSchedule: !a.relax.toleratePreferNoSchedule });
        if (taint) bump(`taint ${formatTaint(taint)} not tolerated`);
        else if (!a.relax.reqs.matches(ex.labels)) bump('node selector or affinity not matched');
        else if (!fits(n.cap, n.used, a.req)) bump(`not enough ${this.short(n.cap, n.used, a.req).join(', ')}`);
        else bump('topology constraints');
      }
      const summary = [...causes.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${v} ${k}`);
      parts.push(`no existing node fits (${existing.length}: ${summary.join('; ')})`);
    }
    if (this.pools.length === 0) parts.push('no NodePool to create a node from');
    for (const pool of this.pools) parts.push(`NodePool ${pool.name}: ${this.explainPool(a, pool)}`);
    const relaxed = a.relax.relaxed.length > 0 ? ` (after relaxing ${a.relax.relaxed.join(', ')})` : '';
    return parts.join('; ') + relaxed;
  }

  private explainPool(a: Attempt, pool: PoolState): string {
    const taint = untoleratedTaint(pool.pool.taints, a.cls.tolerations, { includePreferNoSchedule: !a.relax.toleratePreferNoSchedule });
    if (taint) return `taint ${formatTaint(taint)} not tolerated`;
    const incompatible = pool.reqs.incompatibility(a.relax.reqs);
    if (incompatible) return incompatible;
    if (pool.types.length === 0) return 'its requirements allow no instance type with an available offering';
    const t = this.templates.narrow(pool.base, a.relax.reqs);
    if (!t) return 'no instance type it allows satisfies the pod\'s node selector and affinity';
    const R = this.res.size;
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
          const name = this.res.names[r]!;
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

  private short(cap: Float64Array, used: Float64Array, req: Float64Array): string[] {
    const out: string[] = [];
    for (let r = 0; r < req.length; r++) if (used[r]! + req[r]! > cap[r]!) out.push(this.res.names[r]!);
    return out;
  }
}

function safeRequests(pod: Pod): ResourceList {
  try {
    return podRequests(pod);
  } catch {
    return { pods: 1 };
  }
}
