// The solver's view of the cluster, shared by provisioning and consolidation so both
// ask core's one solver the same question: NodePools (with their catalogs and the
// offerings currently believed available), existing and in-flight nodes with their
// pods, each pool's usage for its limits, and the DaemonSets.

import type { Pod, Taint } from '../../core/api/k8s.ts';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../core/api/karpenter.ts';
import { nodePoolFromManifest, type SchedulingNodePool } from '../../core/scheduling/nodepool.ts';
import type { ExistingNode } from '../../core/scheduling/types.ts';
import { addResources, parseResourceList, type ResourceList } from '../../core/resources/resource-list.ts';
import type { ControllerContext } from '../runtime/context.ts';
import type { ClusterState, StateNode } from './cluster-state.ts';
import { indexIntent } from './drift.ts';
import { PriceBook } from './pricing.ts';
import type { Intent } from '../ports/intent.ts';
import { TAINT_DISRUPTED, TAINT_UNREGISTERED } from './well-known.ts';

/** Taints that go away on their own; a node carrying them is still capacity to count on. */
const EPHEMERAL_TAINT_KEYS = new Set([
  TAINT_UNREGISTERED.key,
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.cloudprovider.kubernetes.io/uninitialized',
]);

export interface PoolProblem {
  readonly nodePool: string;
  readonly message: string;
}

export interface SchedulingView {
  readonly pools: SchedulingNodePool[];
  readonly poolManifests: ReadonlyMap<string, NodePool>;
  readonly nodeClasses: ReadonlyMap<string, EC2NodeClass>;
  readonly prices: PriceBook;
  readonly problems: readonly PoolProblem[];
}

/** NodePools of the intent as the solver sees them, heaviest weight first. */
export async function schedulingPools(ctx: ControllerContext, intent: Intent): Promise<SchedulingView> {
  const idx = indexIntent(intent);
  const pools: SchedulingNodePool[] = [];
  const problems: PoolProblem[] = [];
  const allTypes = [];
  for (const pool of intent.nodePools) {
    const name = pool.metadata.name!;
    const className = pool.spec.template.spec.nodeClassRef.name;
    const nodeClass = idx.classes.get(className);
    if (!nodeClass) {
      problems.push({ nodePool: name, message: `spec.template.spec.nodeClassRef names EC2NodeClass ${className}, which is not in commit ${intent.commit.slice(0, 12)}` });
      continue;
    }
    if (pool.spec.replicas !== undefined) {
      problems.push({ nodePool: name, message: 'spec.replicas (static capacity) is not supported by the joinery reconciler yet; the pool is skipped' });
      continue;
    }
    const types = await ctx.catalog.forNodeClass(nodeClass);
    allTypes.push(...types);
    try {
      pools.push(nodePoolFromManifest(pool, types));
    } catch (e) {
      problems.push({ nodePool: name, message: (e as Error).message });
    }
  }
  pools.sort((a, b) => b.weight - a.weight || (a.name < b.name ? -1 : 1));
  return { pools, poolManifests: idx.pools, nodeClasses: idx.classes, prices: new PriceBook(allTypes), problems };
}

function schedulableTaints(taints: readonly Taint[] | undefined, startupTaints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter(
    (t) => !EPHEMERAL_TAINT_KEYS.has(t.key) && !(startupTaints ?? []).some((s) => s.key === t.key && s.effect === t.effect),
  );
}

/** What a claim will give to pods: its recorded allocatable, else what its pods asked for. */
function claimAllocatable(claim: NodeClaim): ResourceList {
  const recorded = claim.status?.allocatable as Record<string, string> | undefined;
  if (recorded && Object.keys(recorded).length > 0) return parseResourceList(recorded);
  return parseResourceList(claim.spec.resources?.requests as Record<string, string> | undefined);
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

/** Every node pods can use: managed (and in-flight) nodes and nodes that are not ours. */
export function existingNodes(state: ClusterState, exclude?: ReadonlySet<string>, podsOn?: (nodeName: string) => readonly Pod[]): ExistingNode[] {
  const out: ExistingNode[] = [];
  for (const n of state.nodes) {
    if (exclude?.has(n.name)) continue;
    out.push(toExistingNode(n));
  }
  for (const node of state.unmanagedNodes) {
    if (node.metadata.deletionTimestamp) continue;
    const name = node.metadata.name!;
    out.push({
      name,
      labels: { ...(node.metadata.labels ?? {}) },
      taints: schedulableTaints(node.spec?.taints, undefined),
      allocatable: parseResourceList(node.status?.allocatable as Record<string, string> | undefined),
      pods: podsOn ? [...podsOn(name)] : [],
      markedForDeletion: Boolean(node.spec?.unschedulable),
    });
  }
  return out;
}

/** Resources (and `nodes`) each pool already holds, in flight and deleting included, for limits. */
export function poolUsage(state: ClusterState): Record<string, ResourceList> {
  const usage: Record<string, ResourceList> = {};
  for (const n of state.nodes) {
    const capacity = n.claim.status?.capacity as Record<string, string> | undefined;
    const r = capacity && Object.keys(capacity).length > 0 ? parseResourceList(capacity) : claimAllocatable(n.claim);
    usage[n.nodePool] = addResources(usage[n.nodePool] ?? {}, { ...r, nodes: 1 });
  }
  return usage;
}
