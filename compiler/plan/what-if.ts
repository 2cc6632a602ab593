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
import type { VolumeObjects } from '../../core/scheduling/volumes.ts';
import type { IntentModel } from '../intent.ts';
import type { SimulationOutcome, StrandedGroup, StrandedPod, WhatIf } from './types.ts';
import { defaultPriceModel, type PriceModel } from './spot-prices.ts';
import type { WorkloadSnapshot } from './workload.ts';
import { byName } from './words.ts';

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? '(unnamed)'}`;
}

/** The workload a pod belongs to, as a reviewer names it: a ReplicaSet's Deployment, a Job's CronJob. */
export function ownerOf(pod: Pod): string {
  const ns = pod.metadata.namespace ?? 'default';
  const ref = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!ref) return `Pod ${ns}/${pod.metadata.name ?? '(unnamed)'}`;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (ref.kind === 'ReplicaSet') {
    if (hash && ref.name.endsWith(`-${hash}`)) return `Deployment ${ns}/${ref.name.slice(0, -hash.length - 1)}`;
    // Without the label, a ReplicaSet name ending in a template hash still names its Deployment.
    const m = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/.exec(ref.name);
    if (m) return `Deployment ${ns}/${m[1]}`;
  }
  if (ref.kind === 'Job') {
    // A CronJob names its Jobs <cronjob>-<scheduled minutes since the epoch>.
    const m = /^(.+)-[0-9]{8,}$/.exec(ref.name);
    if (m) return `CronJob ${ns}/${m[1]}`;
  }
  return `${ref.kind} ${ns}/${ref.name}`;
}

/** Stranded pods grouped by owner and reason: the largest group first, then by owner. */
export function groupByOwner(pods: readonly StrandedPod[]): StrandedGroup[] {
  const groups = new Map<string, StrandedGroup>();
  for (const p of pods) {
    const key = `${p.owner}\u0000${p.reason}`;
    const g = groups.get(key) ?? { owner: p.owner, pods: [], reason: p.reason };
    g.pods.push(p.pod);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.pods.length - a.pods.length || byName(a.owner, b.owner));
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
  /** The snapshot's claims, volumes and classes, when it lists any (the pods' volume topology). */
  volumes?: VolumeObjects;
}

export function splitWorkload(snapshot: WorkloadSnapshot, poolNames: ReadonlySet<string>): WorkloadSplit {
  const reprovisioned: Node[] = [];
  const keptByName = new Map<string, ExistingNode>();
  // A kept node's CSI attach limits, from its CSINode (drivers with a count).
  const limits = new Map<string, Record<string, number>>();
  for (const c of snapshot.csiNodes ?? []) {
    for (const d of c.spec?.drivers ?? []) {
      if (typeof d.allocatable?.count === 'number' && c.metadata.name) limits.set(c.metadata.name, { ...limits.get(c.metadata.name), [d.name]: d.allocatable.count });
    }
  }
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
      ...(limits.has(name) ? { volumeLimits: limits.get(name)! } : {}),
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
  const hasStorage = [snapshot.claims, snapshot.volumes, snapshot.storageClasses].some((l) => (l?.length ?? 0) > 0);
  const volumes = hasStorage ? { claims: snapshot.claims ?? [], volumes: snapshot.volumes ?? [], storageClasses: snapshot.storageClasses ?? [] } : undefined;
  return { kept: [...keptByName.values()], reprovisioned, podsToPlace, ...(volumes ? { volumes } : {}) };
}

function schedulingPools(model: IntentModel, catalog: readonly InstanceType[]): SchedulingNodePool[] {
  const nodeClasses = new Set(model.ec2NodeClasses.map((c) => c.name));
  // A pool whose EC2NodeClass is not defined never becomes ready, so it launches nothing.
  return model.nodePools
    .filter((p) => nodeClasses.has(p.manifest.spec.template.spec.nodeClassRef?.name ?? ''))
    .map((p) => nodePoolFromManifest(p.manifest as unknown as NodePoolManifest, catalog));
}

function simulate(model: IntentModel | undefined, split: WorkloadSplit, daemonSets: WorkloadSnapshot['daemonSets'], catalog: readonly InstanceType[]): SimulationOutcome {
  const empty: SimulationOutcome = { nodes: 0, nodesByPool: {}, hourlyCost: 0, podsPlaced: 0, costPerPlacedPod: null, unschedulable: [] };
  if (!model) return { ...empty, error: 'the policies at this ref did not compile' };
  let nodePools: SchedulingNodePool[];
  try {
    nodePools = schedulingPools(model, catalog);
  } catch (error) {
    return { ...empty, error: (error as Error).message };
  }
  const result = solve({ pods: split.podsToPlace, nodes: split.kept, nodePools, daemonSets, ...(split.volumes ? { volumes: split.volumes } : {}) });
  const nodesByPool: Record<string, number> = {};
  for (const node of result.newNodes) nodesByPool[node.nodePool] = (nodesByPool[node.nodePool] ?? 0) + 1;
  const unschedulable: StrandedPod[] = result.unschedulable.map((u) => ({ pod: podKey(u.pod), reason: u.reason, owner: ownerOf(u.pod) })).sort((a, b) => byName(a.pod, b.pod));
  const hourlyCost = Math.round(result.newNodes.reduce((sum, n) => sum + n.price, 0) * 1e4) / 1e4;
  const podsPlaced = result.bindings.length + result.newNodes.reduce((sum, n) => sum + n.pods.length, 0);
  return {
    nodes: result.newNodes.length,
    nodesByPool: Object.fromEntries(Object.entries(nodesByPool).sort(([a], [b]) => byName(a, b))),
    hourlyCost,
    podsPlaced,
    costPerPlacedPod: podsPlaced > 0 ? Math.round((hourlyCost / podsPlaced) * 1e6) / 1e6 : null,
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

function money(n: number): string {
  return `$${Math.abs(n) < 0.01 && n !== 0 ? n.toFixed(4) : n.toFixed(2)}`;
}

/**
 * The cost change in words. When head strands pods base placed, a lower $/h is not a
 * saving: the pods are simply not running; the comparison is then per placed pod.
 */
export function costVerdict(base: SimulationOutcome, head: SimulationOutcome, noLongerFit: number, nowFit: number): string {
  if (base.error || head.error) return 'no comparison: a side cannot be simulated';
  const delta = Math.round((head.hourlyCost - base.hourlyCost) * 1e4) / 1e4;
  const perPod = (o: SimulationOutcome) => (o.costPerPlacedPod === null ? 'n/a' : `$${o.costPerPlacedPod.toFixed(4)}/h`);
  const perPodWords = `per placed pod ${perPod(base)} -> ${perPod(head)}`;
  if (noLongerFit > 0) {
    const pods = `${noLongerFit} pod${noLongerFit === 1 ? '' : 's'} no longer fit${noLongerFit === 1 ? 's' : ''}`;
    if (delta < 0) return `not cheaper: ${money(-delta)}/h less only because ${pods} and ${noLongerFit === 1 ? 'is' : 'are'} not placed; ${perPodWords}`;
    return `${pods}, and the pods that do fit cost ${delta === 0 ? 'the same' : `${money(Math.abs(delta))}/h ${delta > 0 ? 'more' : 'less'}`}; ${perPodWords}`;
  }
  if (nowFit > 0 && delta > 0) return `${money(delta)}/h more, for ${nowFit} more pod${nowFit === 1 ? '' : 's'} placed; ${perPodWords}`;
  if (delta === 0) return `the same $/h (${money(head.hourlyCost)}/h)`;
  return `${delta < 0 ? 'cheaper' : 'dearer'}: ${money(Math.abs(delta))}/h ${delta < 0 ? 'less' : 'more'} for the same pods; ${perPodWords}`;
}

export function whatIf(
  snapshot: WorkloadSnapshot,
  base: IntentModel | undefined,
  head: IntentModel | undefined,
  catalog: readonly InstanceType[],
  priceModel: PriceModel = defaultPriceModel(),
): WhatIf {
  const poolNames = new Set([...(base?.nodePools ?? []), ...(head?.nodePools ?? [])].map((p) => p.name));
  const split = splitWorkload(snapshot, poolNames);
  const baseOutcome = simulate(base, split, snapshot.daemonSets, catalog);
  const headOutcome = simulate(head, split, snapshot.daemonSets, catalog);
  const strandedBefore = new Set(baseOutcome.unschedulable.map((u) => u.pod));
  const strandedAfter = new Set(headOutcome.unschedulable.map((u) => u.pod));
  const comparable = baseOutcome.error === undefined && headOutcome.error === undefined;
  const noLongerFit = comparable ? headOutcome.unschedulable.filter((u) => !strandedBefore.has(u.pod)) : [];
  const nowFit = comparable ? baseOutcome.unschedulable.filter((u) => !strandedAfter.has(u.pod)).map((u) => u.pod) : [];
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
    noLongerFit,
    noLongerFitByOwner: groupByOwner(noLongerFit),
    nowFit,
    priceModel,
    costVerdict: costVerdict(baseOutcome, headOutcome, noLongerFit.length, nowFit.length),
  };
}
