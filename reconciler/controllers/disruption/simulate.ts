// "If these nodes went away, where would their pods go?" One call to core's solver
// with the candidates marked for deletion: the same question provisioning asks, so
// consolidation and provisioning never disagree about what fits.

import type { Pod } from '../../../core/api/k8s.ts';
import { solve } from '../../../core/index.ts';
import type { NewNode, UnschedulablePod } from '../../../core/scheduling/types.ts';
import { parseResourceList, subtractResources, type ResourceList } from '../../../core/resources/resource-list.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import type { ClusterState } from '../../state/cluster-state.ts';
import { existingNodes, poolUsage, toExistingNode, type SchedulingView } from '../../state/scheduling.ts';
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

export function simulateRemoval(input: SimulationInput, candidates: readonly Candidate[]): SimulationResult {
  const { state, cache, view } = input;
  const removed = new Set(candidates.map((c) => c.name));
  const nodes = existingNodes(state, removed, (n) => cache.podsOnNode(n));
  for (const c of candidates) nodes.push(toExistingNode(c.state, true));
  const usage = poolUsage(state);
  // The candidates leave: their capacity no longer counts against their pool's limits.
  for (const c of candidates) {
    const cap: ResourceList = parseResourceList(c.state.claim.status?.capacity as Record<string, string> | undefined);
    usage[c.state.nodePool] = subtractResources(usage[c.state.nodePool] ?? {}, { ...cap, nodes: 1 });
  }
  const result = solve({
    pods: candidates.flatMap((c) => c.reschedulable.map(unbound)),
    nodes,
    nodePools: view.pools,
    daemonSets: [...cache.list('DaemonSet')],
    poolUsage: usage,
    options: { maxInstanceTypeOptions: input.maxInstanceTypeOptions },
  });
  return { newNodes: result.newNodes, unschedulable: result.unschedulable };
}
