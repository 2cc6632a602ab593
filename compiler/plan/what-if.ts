// The what-if: a recorded workload scheduled under base and under head by the scheduling
// core. The snapshot's Karpenter-managed nodes (those of pools the policies define) are
// re-provisioned under each policy, as if the pools had launched the fleet from scratch:
// their pods are placed again, on new nodes the pools allow. Every other node (managed
// node groups, Fargate, pools defined elsewhere) stays as it is, with its pods. The result
// per side: new nodes, their $/h, and the pods that fit nowhere, each with the solver's
// reason; then the pods that fit under base and not under head.
import type { Node, Pod } from '../../core/api/k8s.ts';
import type { NodePool } from '../../core/api/karpenter.ts';
import type { InstanceType } from '../../core/catalog/instance-types.ts';
import { nodeClassHash, nodePoolHash, requirementsDrifted } from '../../core/disruption/drift.ts';
import { LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from '../../core/contract/labels.ts';
import { parseResourceList } from '../../core/resources/resource-list.ts';
import { nodePoolFromManifest, type NodePoolManifest, type SchedulingNodePool } from '../../core/scheduling/nodepool.ts';
import { solve } from '../../core/scheduling/solver.ts';
import type { ExistingNode } from '../../core/scheduling/types.ts';
import type { IntentModel } from '../intent.ts';
import type { SimulationOutcome, StrandedPod, WhatIf } from './types.ts';
import type { WorkloadSnapshot } from './workload.ts';
import { byName } from './words.ts';

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? '(unnamed)'}`;
}

function ownedByDaemonSet(pod: Pod): boolean {
  return pod.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet') ?? false;
}

function isMirror(pod: Pod): boolean {
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

function terminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The snapshot split into nodes kept as they are and pods to place under each policy. */
export interface WorkloadSplit {
  kept: ExistingNode[];
  /** Karpenter nodes of the policies' pools: re-provisioned in the simulation. */
  reprovisioned: Node[];
  podsToPlace: Pod[];
}

export function splitWorkload(snapshot: WorkloadSnapshot, poolNames: ReadonlySet<string>): WorkloadSplit {
  const reprovisioned: Node[] = [];
  const keptByName = new Map<string, ExistingNode>();
  for (const node of snapshot.nodes) {
    const pool = node.metadata.labels?.[LABEL_NODEPOOL];
    if (pool !== undefined && poolNames.has(pool)) {
      reprovisioned.push(node);
      continue;
    }
    const name = node.metadata.name ?? '';
    keptByName.set(name, {
      name,
      labels: { ...node.metadata.labels },
      taints: [...(node.spec?.taints ?? [])],
      allocatable: parseResourceList(node.status?.allocatable ?? node.status?.capacity),
      pods: [],
      ...(pool !== undefined ? { nodePool: pool } : {}),
      ...(node.spec?.unschedulable ? { markedForDeletion: true } : {}),
    });
  }
  const podsToPlace: Pod[] = [];
  for (const pod of snapshot.pods) {
    if (terminal(pod) || pod.metadata.deletionTimestamp) continue;
    const kept = pod.spec.nodeName !== undefined ? keptByName.get(pod.spec.nodeName) : undefined;
    if (kept) {
      kept.pods.push(pod);
      continue;
    }
    // DaemonSet and static pods come with the node; the DaemonSets themselves are overhead.
    if (ownedByDaemonSet(pod) || isMirror(pod)) continue;
    const { nodeName: _bound, ...spec } = pod.spec;
    podsToPlace.push({ ...pod, spec, status: { phase: 'Pending' } });
  }
  return { kept: [...keptByName.values()], reprovisioned, podsToPlace };
}

function schedulingPools(model: IntentModel, catalog: readonly InstanceType[]): SchedulingNodePool[] {
  const nodeClasses = new Set(model.ec2NodeClasses.map((c) => c.name));
  // A pool whose EC2NodeClass is not defined never becomes ready, so it launches nothing.
  return model.nodePools
    .filter((p) => nodeClasses.has(p.manifest.spec.template.spec.nodeClassRef?.name ?? ''))
    .map((p) => nodePoolFromManifest(p.manifest as unknown as NodePoolManifest, catalog));
}

function simulate(model: IntentModel | undefined, split: WorkloadSplit, daemonSets: WorkloadSnapshot['daemonSets'], catalog: readonly InstanceType[]): SimulationOutcome {
  const empty: SimulationOutcome = { nodes: 0, nodesByPool: {}, hourlyCost: 0, podsPlaced: 0, unschedulable: [] };
  if (!model) return { ...empty, error: 'the policies at this ref did not compile' };
  let nodePools: SchedulingNodePool[];
  try {
    nodePools = schedulingPools(model, catalog);
  } catch (error) {
    return { ...empty, error: (error as Error).message };
  }
  const result = solve({ pods: split.podsToPlace, nodes: split.kept, nodePools, daemonSets });
  const nodesByPool: Record<string, number> = {};
  for (const node of result.newNodes) nodesByPool[node.nodePool] = (nodesByPool[node.nodePool] ?? 0) + 1;
  const unschedulable: StrandedPod[] = result.unschedulable.map((u) => ({ pod: podKey(u.pod), reason: u.reason })).sort((a, b) => byName(a.pod, b.pod));
  return {
    nodes: result.newNodes.length,
    nodesByPool: Object.fromEntries(Object.entries(nodesByPool).sort(([a], [b]) => byName(a, b))),
    hourlyCost: Math.round(result.newNodes.reduce((sum, n) => sum + n.price, 0) * 1e4) / 1e4,
    podsPlaced: result.bindings.length + result.newNodes.reduce((sum, n) => sum + n.pods.length, 0),
    unschedulable,
  };
}

/** What the snapshot's re-provisioned nodes cost now, priced from the catalog by their labels. */
function currentFleet(nodes: readonly Node[], catalog: readonly InstanceType[]): WhatIf['current'] {
  const types = new Map(catalog.map((t) => [t.name, t]));
  let hourlyCost = 0;
  let unpriced = 0;
  for (const node of nodes) {
    const labels = node.metadata.labels ?? {};
    const type = types.get(labels[LABEL_INSTANCE_TYPE] ?? '');
    const offering =
      type?.offerings.find((o) => o.zone === labels[LABEL_ZONE] && o.capacityType === labels[LABEL_CAPACITY_TYPE]) ??
      type?.offerings.find((o) => o.capacityType === (labels[LABEL_CAPACITY_TYPE] ?? 'on-demand'));
    if (offering) hourlyCost += offering.price;
    else unpriced += 1;
  }
  return { nodes: nodes.length, hourlyCost: Math.round(hourlyCost * 1e4) / 1e4, unpriced };
}

/** Snapshot nodes that head would replace, per pool, with the reason. */
function driftingNodes(nodes: readonly Node[], base: IntentModel | undefined, head: IntentModel | undefined): WhatIf['drifting'] {
  if (!base || !head) return [];
  const pool = (m: IntentModel, name: string): NodePool | undefined => m.nodePools.find((p) => p.name === name)?.manifest;
  const nodeClassChanged = (name: string | undefined): boolean => {
    const b = base.ec2NodeClasses.find((c) => c.name === name)?.manifest;
    const a = head.ec2NodeClasses.find((c) => c.name === name)?.manifest;
    return b !== undefined && a !== undefined && nodeClassHash(b) !== nodeClassHash(a);
  };
  const counts = new Map<string, { nodePool: string; nodes: number; total: number; reason: string }>();
  for (const node of nodes) {
    const name = node.metadata.labels?.[LABEL_NODEPOOL] ?? '';
    const before = pool(base, name);
    const after = pool(head, name);
    if (!before) continue;
    let reason: string | undefined;
    if (!after) reason = 'the NodePool is removed';
    else if (nodePoolHash(before) !== nodePoolHash(after)) reason = 'the NodePool template changed';
    else if (nodeClassChanged(after.spec.template.spec.nodeClassRef?.name)) reason = `EC2NodeClass ${after.spec.template.spec.nodeClassRef?.name} changed`;
    else {
      const violated = requirementsDrifted(node.metadata.labels ?? {}, after.spec.template.spec.requirements ?? []);
      if (violated) reason = `its labels no longer meet the requirement on ${violated.key}`;
    }
    const entry = counts.get(name) ?? { nodePool: name, nodes: 0, total: 0, reason: '' };
    entry.total += 1;
    if (reason) {
      entry.nodes += 1;
      if (!entry.reason.includes(reason)) entry.reason = entry.reason ? `${entry.reason}; ${reason}` : reason;
    }
    counts.set(name, entry);
  }
  return [...counts.values()].filter((c) => c.nodes > 0).sort((a, b) => byName(a.nodePool, b.nodePool));
}

export function whatIf(snapshot: WorkloadSnapshot, base: IntentModel | undefined, head: IntentModel | undefined, catalog: readonly InstanceType[]): WhatIf {
  const poolNames = new Set([...(base?.nodePools ?? []), ...(head?.nodePools ?? [])].map((p) => p.name));
  const split = splitWorkload(snapshot, poolNames);
  const baseOutcome = simulate(base, split, snapshot.daemonSets, catalog);
  const headOutcome = simulate(head, split, snapshot.daemonSets, catalog);
  const strandedBefore = new Set(baseOutcome.unschedulable.map((u) => u.pod));
  const strandedAfter = new Set(headOutcome.unschedulable.map((u) => u.pod));
  const comparable = baseOutcome.error === undefined && headOutcome.error === undefined;
  return {
    source: snapshot.source,
    pods: split.podsToPlace.length,
    karpenterNodes: split.reprovisioned.length,
    otherNodes: split.kept.length,
    daemonSets: snapshot.daemonSets.length,
    current: currentFleet(split.reprovisioned, catalog),
    drifting: driftingNodes(split.reprovisioned, base, head),
    base: baseOutcome,
    head: headOutcome,
    noLongerFit: comparable ? headOutcome.unschedulable.filter((u) => !strandedBefore.has(u.pod)) : [],
    nowFit: comparable ? baseOutcome.unschedulable.filter((u) => !strandedAfter.has(u.pod)).map((u) => u.pod) : [],
  };
}
