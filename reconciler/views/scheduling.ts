// The solver's view of the cluster, shared by provisioning and consolidation so both
// ask core's one solver the same question: NodePools (with their catalogs and the
// offerings currently believed available), existing and in-flight nodes with their
// pods, each pool's usage for its limits, the DaemonSets, the namespaces' labels, and
// the claims, volumes and storage classes that restrict where pods with volumes run.

import type { Pod, Taint, Toleration } from '../../core/api/k8s.ts';
import { toleratesAll } from '../../core/scheduling/taints.ts';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../core/api/karpenter.ts';
import { nodePoolFromManifest, type SchedulingNodePool } from '../../core/scheduling/nodepool.ts';
import type { ExistingNode } from '../../core/scheduling/types.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import { applyOverlays, resolveOverlays, type OverlayPool, type ResolvedOverlays } from '../../core/catalog/overlays.ts';
import { parseResourceList, podRequests, type ResourceList } from '../../core/resources/resource-list.ts';
import type { InstanceTypeCatalog } from '../cache/instance-types.ts';
import { isTerminal, type ClusterState, type StateNode } from './cluster-state.ts';
import { indexIntent } from './drift.ts';
import { PriceBook } from '../cache/pricing.ts';
import type { Intent } from '../ports/intent.ts';
import type { ClusterCache } from '../ports/cluster.ts';
import type { VolumeObjects } from '../../core/scheduling/volumes.ts';
import { TAINT_DISRUPTED, TAINT_UNREGISTERED } from '../../core/contract/index.ts';
import { isStaticPool } from './static-pools.ts';

/**
 * The pools that could host at least one of `pods`: a pool whose taints none of them
 * tolerates cannot, so the solver need not prepare its templates (they are costly).
 */
export function poolsFor(pods: readonly Pod[], pools: readonly SchedulingNodePool[]): SchedulingNodePool[] {
  const seen = new Set<string>();
  const tolerationSets: (readonly Toleration[] | undefined)[] = [];
  for (const p of pods) {
    const key = JSON.stringify(p.spec.tolerations ?? []);
    if (seen.has(key)) continue;
    seen.add(key);
    tolerationSets.push(p.spec.tolerations);
  }
  return pools.filter((pool) => tolerationSets.some((t) => toleratesAll(pool.taints, t)));
}

/** Pod requests, computed once per pod object (cached objects are replaced, never mutated). */
const requestCache = new WeakMap<Pod, ResourceList>();
function cachedPodRequests(pod: Pod): ResourceList {
  let r = requestCache.get(pod);
  if (!r) requestCache.set(pod, (r = podRequests(pod)));
  return r;
}

/** Whether any pod has a hard constraint that counts pods on other nodes (spread, affinity). */
function hasRequiredTopology(pods: readonly Pod[]): boolean {
  return pods.some(
    (p) =>
      (p.spec.topologySpreadConstraints ?? []).some((t) => t.whenUnsatisfiable === 'DoNotSchedule') ||
      (p.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
      (p.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0,
  );
}

/**
 * The existing nodes that matter for placing `pods`: those with room for at least the
 * smallest of them (per resource) and not being deleted. Nodes without room only count
 * pods for topology, so all of them are kept when a pod has a hard topology constraint.
 * With hundreds of full nodes this keeps the solver's input small.
 */
export function nodesWithRoom(nodes: readonly ExistingNode[], pods: readonly Pod[]): ExistingNode[] {
  if (pods.length === 0 || hasRequiredTopology(pods)) return [...nodes];
  const min: ResourceList = {};
  const keys = new Set<string>();
  pods.forEach((p, i) => {
    const r = cachedPodRequests(p);
    for (const k of Object.keys(r)) keys.add(k);
    for (const k of keys) min[k] = i === 0 ? (r[k] ?? 0) : Math.min(min[k] ?? 0, r[k] ?? 0);
  });
  return nodes.filter((n) => {
    if (n.markedForDeletion) return false;
    for (const [k, need] of Object.entries(min)) {
      if (need <= 0) continue;
      let used = 0;
      for (const p of n.pods) used += cachedPodRequests(p)[k] ?? 0;
      if ((n.allocatable[k] ?? 0) - used < need) return false;
    }
    return true;
  });
}

/** Taints that go away on their own; a node carrying them is still capacity to count on. */
const EPHEMERAL_TAINT_KEYS = new Set([
  TAINT_UNREGISTERED.key,
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.cloudprovider.kubernetes.io/uninitialized',
]);

/**
 * Why a NodePool is left out of the view. `nodeClass` is set when the pool's EC2NodeClass
 * could not be resolved (discovery matched no subnet, security group or AMI): only that
 * class's pools are unavailable, every other pool keeps provisioning and consolidating.
 */
export interface PoolProblem {
  readonly nodePool: string;
  readonly message: string;
  readonly nodeClass?: string;
}

export interface SchedulingView {
  readonly pools: SchedulingNodePool[];
  readonly poolManifests: ReadonlyMap<string, NodePool>;
  readonly nodeClasses: ReadonlyMap<string, EC2NodeClass>;
  readonly prices: PriceBook;
  readonly problems: readonly PoolProblem[];
  /** The intent's NodeOverlays: which are applied, which are invalid or in conflict. */
  readonly overlays: ResolvedOverlays;
  /** Each pool's instance types as the solver sees them (NodeOverlays applied), by pool name. */
  readonly poolTypes: ReadonlyMap<string, readonly InstanceType[]>;
  /**
   * Static NodePools (spec.replicas), by name: kept at their node count by the static
   * controller, never in `pools` (no pod is provisioned for in them, nor moved to a new
   * node of theirs), so neither provisioning nor consolidation launches in them.
   */
  readonly staticPools: ReadonlyMap<string, SchedulingNodePool>;
}

/** The solver's view of each pool, per manifest object and catalog (both immutable). */
const poolCache = new WeakMap<NodePool, { types: readonly InstanceType[]; pool: SchedulingNodePool }>();

function schedulingPool(manifest: NodePool, types: readonly InstanceType[]): SchedulingNodePool {
  const hit = poolCache.get(manifest);
  if (hit && hit.types === types) return hit.pool;
  const pool = nodePoolFromManifest(manifest, types);
  poolCache.set(manifest, { types, pool });
  return pool;
}

/** Where the view reads each EC2NodeClass's instance types from (a controller passes its context). */
export interface SchedulingViewDeps {
  readonly catalog: InstanceTypeCatalog;
}

/** NodePools of the intent as the solver sees them, heaviest weight first. */
export async function schedulingPools(deps: SchedulingViewDeps, intent: Intent): Promise<SchedulingView> {
  const idx = indexIntent(intent);
  const pools: SchedulingNodePool[] = [];
  const problems: PoolProblem[] = [];
  const catalogs: (readonly InstanceType[])[] = [];
  const targets: { manifest: NodePool; pool: OverlayPool; types: readonly InstanceType[] }[] = [];
  for (const pool of intent.nodePools) {
    const name = pool.metadata.name!;
    const className = pool.spec.template.spec.nodeClassRef.name;
    const nodeClass = idx.classes.get(className);
    if (!nodeClass) {
      problems.push({ nodePool: name, message: `spec.template.spec.nodeClassRef names EC2NodeClass ${className}, which is not in commit ${intent.commit.slice(0, 12)}` });
      continue;
    }
    let types: readonly InstanceType[];
    try {
      types = await deps.catalog.forNodeClass(nodeClass);
    } catch (e) {
      // One broken EC2NodeClass stops only its own pools.
      problems.push({ nodePool: name, nodeClass: className, message: (e as Error).message });
      continue;
    }
    targets.push({ manifest: pool, pool: { name, labels: pool.spec.template.metadata?.labels ?? {} }, types });
  }
  const overlays = overlaid(intent.nodeOverlays ?? NO_OVERLAYS, targets);
  const poolTypes = new Map<string, readonly InstanceType[]>();
  const staticPools = new Map<string, SchedulingNodePool>();
  for (const { manifest, pool, types } of targets) {
    const adjusted = overlays.typesFor(pool, types);
    catalogs.push(adjusted);
    poolTypes.set(pool.name, adjusted);
    try {
      if (isStaticPool(manifest)) staticPools.set(pool.name, schedulingPool(manifest, adjusted));
      else pools.push(schedulingPool(manifest, adjusted));
    } catch (e) {
      problems.push({ nodePool: pool.name, message: (e as Error).message });
    }
  }
  pools.sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : 1));
  return { pools, poolManifests: idx.pools, nodeClasses: idx.classes, prices: new PriceBook(catalogs), problems, overlays: overlays.resolved, poolTypes, staticPools };
}

const NO_OVERLAYS: readonly NodeOverlay[] = [];

interface Overlaid {
  readonly resolved: ResolvedOverlays;
  /** The pool's instance types with the active overlays applied (the same array each time for the same input). */
  typesFor(pool: OverlayPool, types: readonly InstanceType[]): readonly InstanceType[];
}

/**
 * The overlays of one intent, resolved (validated, conflicts found) over the pools' catalogs,
 * and each pool's adjusted types; kept while the intent's overlays and the catalogs are the
 * same objects, so the solver's per-pool cache (keyed by the types array) keeps hitting.
 */
const overlayCache = new WeakMap<readonly NodeOverlay[], { catalogs: readonly (readonly InstanceType[])[]; resolved: ResolvedOverlays; adjusted: WeakMap<readonly InstanceType[], Map<string, readonly InstanceType[]>> }>();

function overlaid(overlays: readonly NodeOverlay[], targets: readonly { pool: OverlayPool; types: readonly InstanceType[] }[]): Overlaid {
  if (overlays.length === 0) return { resolved: { active: [], outcomes: [] }, typesFor: (_p, types) => types };
  const catalogs = targets.map((t) => t.types);
  let entry = overlayCache.get(overlays);
  if (!entry || entry.catalogs.length !== catalogs.length || entry.catalogs.some((c, i) => c !== catalogs[i])) {
    entry = { catalogs, resolved: resolveOverlays(overlays, targets), adjusted: new WeakMap() };
    overlayCache.set(overlays, entry);
  }
  const { resolved, adjusted } = entry;
  return {
    resolved,
    typesFor(pool, types) {
      let byPool = adjusted.get(types);
      if (!byPool) adjusted.set(types, (byPool = new Map()));
      const key = `${pool.name}|${JSON.stringify(pool.labels ?? {})}`;
      let out = byPool.get(key);
      if (!out) byPool.set(key, (out = applyOverlays(types, resolved.active, pool).types));
      return out;
    },
  };
}

function schedulableTaints(taints: readonly Taint[] | undefined, startupTaints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter(
    (t) => !EPHEMERAL_TAINT_KEYS.has(t.key) && !(startupTaints ?? []).some((s) => s.key === t.key && s.effect === t.effect),
  );
}

const parsed = new WeakMap<object, ResourceList>();
/** Quantity maps parsed once per object (cached objects are replaced, never mutated). */
function parsedQuantities(map: Record<string, string> | undefined): ResourceList {
  if (!map) return {};
  let r = parsed.get(map);
  if (!r) parsed.set(map, (r = parseResourceList(map)));
  return r;
}

/** What a claim will give to pods: its recorded allocatable, else what its pods asked for. */
function claimAllocatable(claim: NodeClaim): ResourceList {
  const recorded = claim.status?.allocatable as Record<string, string> | undefined;
  if (recorded && Object.keys(recorded).length > 0) return parsedQuantities(recorded);
  return parsedQuantities(claim.spec.resources?.requests as Record<string, string> | undefined);
}

/** A managed node (or in-flight claim) as the solver's ExistingNode. */
export function toExistingNode(n: StateNode, markedForDeletion = n.deleting || n.disruption !== undefined): ExistingNode {
  const inFlight = !n.initialized;
  const startup = n.claim.spec.startupTaints;
  const taints = n.node ? schedulableTaints(n.node.spec?.taints, startup) : schedulableTaints(n.claim.spec.taints, startup);
  return {
    name: n.node?.metadata.name ?? n.name,
    labels: { ...n.labels },
    taints: markedForDeletion ? taints : taints.filter((t) => t.key !== TAINT_DISRUPTED.key),
    allocatable: n.node ? n.allocatable : claimAllocatable(n.claim),
    pods: [...n.pods],
    nodePool: n.nodePool,
    inFlight,
    markedForDeletion,
  };
}

/**
 * A node's CSI attach limits from its CSINode (spec.drivers[].allocatable.count per
 * driver); undefined when the node has no CSINode or no driver states a count (no limit),
 * as kube-scheduler's NodeVolumeLimits and Karpenter read it.
 */
export function volumeLimits(cache: Pick<ClusterCache, 'get'>, nodeName: string): Readonly<Record<string, number>> | undefined {
  const csiNode = cache.get('CSINode', nodeName);
  let out: Record<string, number> | undefined;
  for (const d of csiNode?.spec?.drivers ?? []) {
    const count = d.allocatable?.count;
    if (typeof count === 'number' && count >= 0) (out ??= {})[d.name] = count;
  }
  return out;
}

/**
 * Every node pods can use: managed (and in-flight) nodes and nodes that are not ours.
 * With `csiNodes`, each registered node carries its CSINode's attach limits.
 */
export function existingNodes(state: ClusterState, exclude?: ReadonlySet<string>, podsOn?: (nodeName: string) => readonly Pod[], csiNodes?: Pick<ClusterCache, 'get'>): ExistingNode[] {
  const out: ExistingNode[] = [];
  const limited = (e: ExistingNode): ExistingNode => {
    const limits = csiNodes ? volumeLimits(csiNodes, e.name) : undefined;
    return limits ? { ...e, volumeLimits: limits } : e;
  };
  for (const n of state.nodes) {
    if (exclude?.has(n.name)) continue;
    const e = toExistingNode(n);
    out.push(n.node ? limited(e) : e);
  }
  for (const node of state.unmanagedNodes) {
    if (node.metadata.deletionTimestamp) continue;
    const name = node.metadata.name!;
    out.push(limited({
      name,
      labels: { ...(node.metadata.labels ?? {}) },
      taints: schedulableTaints(node.spec?.taints, undefined),
      allocatable: parsedQuantities(node.status?.allocatable as Record<string, string> | undefined),
      // As kube-scheduler counts them: Terminating pods hold their room until they are gone,
      // Succeeded and Failed pods hold none (StateNode.pods of managed nodes likewise).
      pods: podsOn ? podsOn(name).filter((p) => !isTerminal(p)) : [],
      markedForDeletion: Boolean(node.spec?.unschedulable),
    }));
  }
  return out;
}

/** Each state's pool usage, summed once: a consolidation pass asks for it in every simulation. */
const usageCache = new WeakMap<ClusterState, Readonly<Record<string, ResourceList>>>();

/**
 * Resources (and `nodes`) each pool already holds, in flight and deleting included, for
 * limits. A fresh record each call (callers replace a pool's entry, as a simulation that
 * removes candidates does); the lists in it are shared and never changed in place.
 */
export function poolUsage(state: ClusterState): Record<string, ResourceList> {
  let cached = usageCache.get(state);
  if (!cached) {
    const usage: Record<string, ResourceList> = {};
    for (const n of state.nodes) {
      const capacity = n.claim.status?.capacity as Record<string, string> | undefined;
      const r = capacity && Object.keys(capacity).length > 0 ? parsedQuantities(capacity) : claimAllocatable(n.claim);
      const total = (usage[n.nodePool] ??= {});
      for (const [k, v] of Object.entries(r)) if (k !== 'nodes') total[k] = (total[k] ?? 0) + v;
      total.nodes = (total.nodes ?? 0) + 1;
    }
    usageCache.set(state, (cached = usage));
  }
  return { ...cached };
}

/** Labels of every namespace the cluster cache holds, for the namespaceSelector of pod affinity terms. */
export function namespaceLabels(cache: Pick<ClusterCache, 'list'>): Record<string, Readonly<Record<string, string>>> {
  const out: Record<string, Readonly<Record<string, string>>> = {};
  for (const ns of cache.list('Namespace')) if (ns.metadata.name) out[ns.metadata.name] = ns.metadata.labels ?? {};
  return out;
}

/** The claims, volumes and storage classes the cluster cache holds, for the pods' volume topology. */
export function volumeObjects(cache: Pick<ClusterCache, 'list'>): VolumeObjects {
  return { claims: cache.list('PersistentVolumeClaim'), volumes: cache.list('PersistentVolume'), storageClasses: cache.list('StorageClass') };
}
