// SimulateScheduling, in Karpenter's words: "if these nodes went away, where would their
// pods go?" One call to core's solver with the candidates marked for deletion: the same
// question provisioning asks, so consolidation and provisioning never disagree about what
// fits. (Not to be confused with reconciler/adapters/in-memory, the in-memory cluster and EC2,
// nor reconciler/scenario, which plays a simulated day.)

import type { Pod } from '../../../core/api/k8s.ts';
import { solve } from '../../../core/index.ts';
import type { NewNode, UnschedulablePod } from '../../../core/scheduling/types.ts';
import { parseResourceList, subtractResources, type ResourceList } from '../../../core/resources/resource-list.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import type { ClusterState } from '../../views/cluster-state.ts';
import { existingNodes, namespaceLabels, volumeObjects, nodesWithRoom, poolUsage, poolsFor, toExistingNode, type SchedulingView } from '../../views/scheduling.ts';
import type { Candidate } from './candidates.ts';

export interface SimulationInput {
  readonly state: ClusterState;
  readonly cache: ClusterCache;
  readonly view: SchedulingView;
  readonly maxInstanceTypeOptions: number;
}

export interface SimulationResult {
  readonly newNodes: readonly NewNode[];
  readonly unschedulable: readonly UnschedulablePod[];
}

function unbound(p: Pod): Pod {
  return { ...p, spec: { ...p.spec, nodeName: undefined } };
}

/**
 * Simulations run and their wall time, counted by whoever owns the object (the disruption
 * controller keeps one for its lifetime; `npm run bench:consolidation` reads it).
 */
export interface SimulationStats {
  runs: number;
  wallMs: number;
}

/**
 * `withNodePools: false` asks only whether the pods fit on the other nodes (a delete):
 * much cheaper, since the solver then builds no launch templates for the pools.
 */
export function simulateScheduling(input: SimulationInput, candidates: readonly Candidate[], withNodePools = true, stats?: SimulationStats): SimulationResult {
  const started = performance.now();
  try {
    return simulate(input, candidates, withNodePools);
  } finally {
    if (stats) {
      stats.runs += 1;
      stats.wallMs += performance.now() - started;
    }
  }
}

function simulate(input: SimulationInput, candidates: readonly Candidate[], withNodePools: boolean): SimulationResult {
  const { state, cache, view } = input;
  const removed = new Set(candidates.map((c) => c.name));
  // Pods must move to nodes that are up now: a node still launching or initializing may
  // never come up (Karpenter's rule), so it receives nothing in the simulation.
  const nodes = existingNodes(state, removed, (n) => cache.podsOnNode(n), cache).map((n) => (n.inFlight && !n.markedForDeletion ? { ...n, markedForDeletion: true } : n));
  for (const c of candidates) nodes.push(toExistingNode(c.state, true));
  const usage = poolUsage(state);
  // The candidates leave: their capacity no longer counts against their pool's limits.
  for (const c of candidates) {
    const cap: ResourceList = parseResourceList(c.state.claim.status?.capacity as Record<string, string> | undefined);
    usage[c.state.nodePool] = subtractResources(usage[c.state.nodePool] ?? {}, { ...cap, nodes: 1 });
  }
  const pods = candidates.flatMap((c) => c.reschedulable.map(unbound));
  const result = solve({
    pods,
    nodes: nodesWithRoom(nodes, pods),
    nodePools: withNodePools ? poolsFor(pods, view.pools) : [],
    daemonSets: [...cache.list('DaemonSet')],
    namespaces: namespaceLabels(cache),
    volumes: volumeObjects(cache),
    poolUsage: usage,
    options: { maxInstanceTypeOptions: input.maxInstanceTypeOptions },
  });
  return { newNodes: result.newNodes, unschedulable: result.unschedulable };
}
