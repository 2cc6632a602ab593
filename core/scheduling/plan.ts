// The state of one solve that its phases share, and how it is built from the input: the
// nodes of the plan (existing and in-flight ones first, then new ones in the order they
// are opened), the pools, the pod classes with their relaxation levels, and the topology
// domain of each node. The phases are plain functions over this state (attempts.ts,
// placement.ts, commit.ts, open-node.ts, demand.ts, fill.ts, finalize.ts, explain.ts).

import type { Pod } from '../api/k8s.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { hostPortsOf, type HostPort } from './host-ports.ts';
import { PodClassBuilder, type LabelClass, type OwnedConstraint, type PodClass, type Relaxation } from './pod-class.ts';
import { ResourceIndex } from './resource-vector.ts';
import { daemonSetLandsOnNode, parseDaemonSets, PoolState, TemplateStore, type DaemonSetPod, type Template } from './templates.ts';
import { Topology, type TopologyGroup } from './topology.ts';
import type { ExistingNode, SolveInput } from './types.ts';
import { VolumeIndex } from './volumes.ts';
import { AttachedVolumes, attachableVolumes, hasVolumeLimits } from './volume-limits.ts';

/** A node of the plan being built: existing (fixed allocatable) or new (a template and a target type). */
export interface PlannedNode {
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
  /** Host ports taken on the node (bound pods, DaemonSet pods, pods placed); undefined when none. Copied on write. */
  ports: readonly HostPort[] | undefined;
  /** Existing nodes with CSI attach limits: the volumes attached (bound pods, pods placed). */
  volumes?: AttachedVolumes;
}

/** A relaxation level of a class with its caches. */
export interface Attempt {
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
  /** Per pool: a new node of it may hold the pod (taints tolerated, no DaemonSet host port conflict, not hostname-pinned). */
  readonly poolOk: boolean[];
  /** The pod requires a kubernetes.io/hostname from a list: no new node can have it. */
  readonly hostnamePinned: boolean;
  canOpen: boolean;
  hostMin: number;
}

export interface Plan {
  readonly input: SolveInput;
  readonly res: ResourceIndex;
  readonly topology: Topology;
  readonly templates: TemplateStore;
  /** Heaviest first (then by name): the order in which new nodes are tried. */
  readonly pools: readonly PoolState[];
  readonly nodes: PlannedNode[];
  readonly classes: readonly PodClass[];
  /** Per class id: its relaxation levels, built on first use (attemptsOf). */
  readonly attempts: (Attempt[] | undefined)[];
  /** Whether any pool or node has a PreferNoSchedule taint (a relaxation level tolerates them). */
  readonly preferNoSchedule: boolean;
  /** The label keys of the non-hostname topology groups: a node's domains are numbered per key. */
  readonly keys: readonly string[];
  /** Per topology group id: its key's index in `keys`, -1 for hostname groups. */
  readonly groupKey: Int32Array;
  /** Per template: domain id per key of the label it pins (-1 none, -2 not computed yet). */
  readonly templateDomains: Map<Template, Int32Array>;
  readonly newNodePrefix: string;
  /** How a new node's size target is chosen (open-node.ts's chooseTarget). */
  readonly sizing: Sizing;
  /** Whether to record which other sizings would have sized some new node differently (diverged). */
  readonly track: boolean;
  /** Bit i: sizing SIZINGS[i] chose another target than the plan's own for some node (track only). */
  diverged: number;
  // Scratch of chooseTarget, per sizing.
  readonly bestK: Int32Array;
  readonly bestMetric: Float64Array;
  readonly bestN: Float64Array;
  newNodeCount: number;
  /** Every pod placed so far, in placement order (commit.ts appends). */
  readonly placed: Pod[];
  // Scratch of one topology check: the labels a new node must be pinned to. Reused so
  // that a check allocates nothing; it never outlives one call of pinnedForTopology.
  readonly pinKeys: number[];
  readonly pinValues: string[];
}

/**
 * How a new node's size target is chosen: `cover`, the type covering the pool's pending
 * demand at the least cost; `residual`, the type whose price plus a lower bound of what
 * the demand it leaves would cost on the pool's cheapest types per resource is least (a
 * node opened by a pod that only few, dear types take, a GPU pod, is then sized for
 * itself rather than for every pod of the pool); `whole`, as `cover` counting whole
 * nodes (a type needing 1.2 nodes costs two), so the last pods of a pool go to one node
 * that holds them all rather than to a row of small ones; `padded`, as `residual` with
 * the bound counted 1.6 times (what is left rarely packs at the cheapest rates), so a
 * node holds more of the demand than under `residual`. Small batches try them all
 * (solver.ts); larger ones use `cover`.
 */
export type Sizing = 'cover' | 'residual' | 'whole' | 'padded';
/** Every sizing, in the order small batches try them (ties keep the earlier). */
export const SIZINGS: readonly Sizing[] = ['cover', 'residual', 'whole', 'padded'];

export function createPlan(input: SolveInput, sizing: Sizing = 'cover', track = false): Plan {
  const res = new ResourceIndex();
  const topology = new Topology();
  const volumeIndex = input.volumes ? new VolumeIndex(input.volumes) : undefined;
  const attachLimits = volumeIndex !== undefined && input.nodes.some((n) => !n.markedForDeletion && hasVolumeLimits(n.volumeLimits));
  const builder = new PodClassBuilder(topology, input.namespaces, volumeIndex, attachLimits);
  for (const pod of input.pods) builder.add(pod);
  for (const cls of builder.classes) for (const k of Object.keys(cls.requests)) res.add(k);
  const daemonSets = parseDaemonSets(input.daemonSets);
  const live = input.nodes.filter((n) => !n.markedForDeletion);
  const bound = live.map((n) => n.pods.map((p) => builder.addBound(p)));
  builder.linkGroups();
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  for (const g of topology.groups) {
    if (!g.hostname && !keyIndex.has(g.key)) {
      keyIndex.set(g.key, keys.length);
      keys.push(g.key);
    }
  }
  const groupKey = Int32Array.from(topology.groups, (g) => (g.hostname ? -1 : keyIndex.get(g.key)!));

  const templates = new TemplateStore();
  const sortedPools = [...input.nodePools].sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pools = sortedPools.map((p, i) => {
    const state = new PoolState(i, p, res, daemonSets, input.poolUsage?.[p.name]);
    state.base = templates.base(state);
    return state;
  });
  const plan: Plan = {
    input,
    res,
    topology,
    templates,
    pools,
    nodes: [],
    classes: builder.classes,
    attempts: [],
    preferNoSchedule:
      sortedPools.some((p) => p.taints.some((t) => t.effect === 'PreferNoSchedule')) ||
      live.some((n) => n.taints.some((t) => t.effect === 'PreferNoSchedule')),
    keys,
    groupKey,
    templateDomains: new Map(),
    newNodePrefix: input.options?.newNodeNamePrefix ?? 'new',
    sizing,
    track,
    diverged: 0,
    bestK: new Int32Array(SIZINGS.length),
    bestMetric: new Float64Array(SIZINGS.length),
    bestN: new Float64Array(SIZINGS.length),
    newNodeCount: 0,
    placed: [],
    pinKeys: [],
    pinValues: [],
  };
  live.forEach((n, i) => addExisting(plan, daemonSets, n, bound[i]!, attachLimits ? volumeIndex : undefined));
  return plan;
}

function addExisting(
  plan: Plan,
  daemonSets: readonly DaemonSetPod[],
  n: ExistingNode,
  bound: { labelClass: LabelClass; antiAffinity: TopologyGroup[] }[],
  volumeIndex: VolumeIndex | undefined,
): void {
  const res = plan.res;
  const cap = res.vector(n.allocatable);
  const used = new Float64Array(res.size);
  let ports: HostPort[] | undefined;
  for (const p of n.pods) {
    const v = res.vector(safeRequests(p));
    for (let r = 0; r < v.length; r++) used[r] = used[r]! + v[r]!;
    const hp = hostPortsOf(p.spec);
    if (hp.length > 0) (ports ??= []).push(...hp);
  }
  // DaemonSet pods that will land on the node but are not there yet (in-flight nodes).
  for (const ds of daemonSets) {
    if (!daemonSetLandsOnNode(ds, n.labels, n.taints)) continue;
    const present = n.pods.some((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === ds.name));
    if (present) continue;
    const v = res.vector(ds.requests);
    for (let r = 0; r < v.length; r++) used[r] = used[r]! + v[r]!;
    if (ds.hostPorts.length > 0) (ports ??= []).push(...ds.hostPorts);
  }
  const domains = Int32Array.from(plan.keys, (k) => {
    const v = n.labels[k];
    return v === undefined ? -1 : plan.topology.registry(k).id(v);
  });
  const node: PlannedNode = {
    index: plan.nodes.length,
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
    ports,
  };
  if (volumeIndex && hasVolumeLimits(n.volumeLimits)) {
    node.volumes = new AttachedVolumes(n.volumeLimits);
    for (const p of n.pods) node.volumes.add(attachableVolumes(volumeIndex, p));
  }
  plan.nodes.push(node);
  for (const b of bound) {
    for (const g of b.labelClass.countedBy) {
      const d = domainOf(plan, node, g, undefined);
      if (d >= 0) g.record(d, 1);
    }
    for (const g of b.antiAffinity) {
      const d = domainOf(plan, node, g, undefined);
      if (d >= 0) g.recordOwner(d, 1);
    }
  }
}

/** Domain id of node `n` for group `g`: node index for hostname; -1 when absent or not yet pinned. */
export function domainOf(plan: Plan, n: PlannedNode, g: TopologyGroup, t: Template | undefined): number {
  if (g.hostname) return n.index;
  const k = plan.groupKey[g.id]!;
  if (n.domains) return n.domains[k]!;
  return templateDomain(plan, t ?? n.template!, k);
}

function templateDomain(plan: Plan, t: Template, k: number): number {
  let ids = plan.templateDomains.get(t);
  if (!ids) {
    ids = new Int32Array(plan.keys.length).fill(-2);
    plan.templateDomains.set(t, ids);
  }
  let d = ids[k]!;
  if (d === -2) {
    const v = t.pinned(plan.keys[k]!);
    d = v === undefined ? -1 : plan.topology.registry(plan.keys[k]!).id(v);
    ids[k] = d;
  }
  return d;
}

// A bound pod whose requests cannot be parsed still occupies a pod slot on its node.
function safeRequests(pod: Pod): ResourceList {
  try {
    return podRequests(pod);
  } catch {
    return { pods: 1 };
  }
}
