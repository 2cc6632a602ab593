// Karpenter's state metrics, computed from the informer caches as Karpenter's metrics
// controllers compute them from its cluster state: karpenter_nodes_allocatable per node and
// resource, karpenter_pods_state per pod, karpenter_nodepools_usage and _limit per NodePool
// and resource, karpenter_nodes_created_total when a Node of a NodeClaim appears, and
// karpenter_pods_startup_duration_seconds when a pod turns Ready (creation to Ready).
// Per-pod and per-node series are written only when they change and removed when their
// object goes (a deleted pod or node leaves no series behind); NodePool gauges are rebuilt.
// Objects already there when the reconciler starts are not counted as created or started.

import type { Node, Pod } from '../../../core/api/k8s.ts';
import { LABEL_ARCH, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE, LABEL_NODEPOOL, LABEL_OS, LABEL_REGION, LABEL_ZONE } from '../../../core/contract/index.ts';
import { GaugeSeries } from '../../observability/gauge-series.ts';
import { karpenterResourceType } from '../../observability/karpenter-metrics.ts';
import { addResources, parseResourceList, RESOURCE_CPU, type ResourceList } from '../../../core/resources/resource-list.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { clusterState, timestampMs } from '../../views/cluster-state.ts';

export type KarpenterMetricsDeps = Pick<ControllerContext, 'cluster' | 'intent' | 'metrics'>;

/**
 * Gauges follow changes within this long: one pass for every burst of watch events (each
 * pass reads every node and pod; Karpenter's node metrics controller runs every 5 s, and
 * Prometheus scrapes every 30 s or so).
 */
const DEBOUNCE_MS = 10_000;
const RESYNC_MS = 60_000;

/** Karpenter's units: cpu in cores, everything else in its canonical unit (bytes, counts). */
export function karpenterQuantity(resource: string, canonical: number): number {
  return resource === RESOURCE_CPU ? canonical / 1000 : canonical;
}

function podReadyAtMs(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  return ready ? timestampMs(ready.lastTransitionTime as string | Date | undefined) : undefined;
}

/** The objects' resourceVersions together (undefined when one has none: always rebuilt). */
function versionOf(a: { metadata: { resourceVersion?: string } }, b: { metadata: { resourceVersion?: string } } | undefined): string | undefined {
  const va = a.metadata.resourceVersion;
  if (va === undefined) return undefined;
  if (!b) return `${va}/`;
  const vb = b.metadata.resourceVersion;
  return vb === undefined ? undefined : `${va}/${vb}`;
}

export class KarpenterMetricsController implements Controller {
  readonly name = 'karpenter-metrics';
  private primed = false;
  private readonly knownNodes = new Set<string>();
  private readonly readyPods = new Set<string>();
  private readonly nodeSeries: GaugeSeries;
  private readonly podSeries: GaugeSeries;

  constructor(private readonly ctx: KarpenterMetricsDeps) {
    this.nodeSeries = new GaugeSeries(ctx.metrics.karpenter.nodesAllocatable);
    this.podSeries = new GaugeSeries(ctx.metrics.karpenter.podsState);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind === 'Pod' || event.kind === 'Node' || event.kind === 'NodeClaim' || event.kind === 'NodePool') wake(DEBOUNCE_MS);
  }

  onIntent(_event: unknown, wake: Wake): void {
    wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, intent, metrics } = this.ctx;
    const k = metrics.karpenter;
    const state = clusterState(cluster);

    // Nodes: allocatable, and created (a managed Node seen for the first time).
    this.nodeSeries.beginPass();
    const usage = new Map<string, ResourceList>();
    const liveNodes = new Set<string>();
    for (const n of state.nodes) {
      const capacity = parseResourceList((n.claim.status?.capacity ?? {}) as Record<string, string>);
      usage.set(n.nodePool, addResources(usage.get(n.nodePool) ?? {}, capacity));
      if (!n.node) continue;
      const nodeName = n.node.metadata.name!;
      liveNodes.add(nodeName);
      if (!this.knownNodes.has(nodeName)) {
        this.knownNodes.add(nodeName);
        if (this.primed) k.nodesCreated.inc({ nodepool: n.nodePool, zone: n.zone ?? '' });
      }
      // Karpenter's node labels: the node's name and phase, and its well-known labels by their snake_case suffix.
      const node = n.node;
      this.nodeSeries.put(nodeName, versionOf(node, n.claim), () => {
        const labels = {
          node_name: nodeName,
          phase: (node.status as { phase?: string } | undefined)?.phase ?? '',
          nodepool: n.nodePool,
          instance_type: n.instanceType ?? '',
          capacity_type: n.capacityType ?? '',
          zone: n.zone ?? '',
          region: n.labels[LABEL_REGION] ?? '',
          arch: n.labels[LABEL_ARCH] ?? '',
          os: n.labels[LABEL_OS] ?? '',
        };
        return Object.entries(n.allocatable).map(([resource, value]) => ({
          labels: { ...labels, resource_type: karpenterResourceType(resource) },
          value: karpenterQuantity(resource, value),
        }));
      });
    }
    this.nodeSeries.endPass();
    for (const name of this.knownNodes) if (!liveNodes.has(name)) this.knownNodes.delete(name);

    // NodePools: usage (the capacity of their NodeClaims) and limits.
    k.nodePoolsUsage.reset();
    k.nodePoolsLimit.reset();
    const current = intent.current();
    for (const pool of current?.nodePools ?? []) {
      const name = pool.metadata.name!;
      if (!usage.has(name)) usage.set(name, {});
      const limits = parseResourceList((pool.spec.limits ?? {}) as Record<string, string>);
      for (const [resource, value] of Object.entries(limits)) k.nodePoolsLimit.set({ nodepool: name, resource_type: karpenterResourceType(resource) }, karpenterQuantity(resource, value));
    }
    for (const [nodepool, resources] of usage) {
      for (const resource of ['cpu', 'memory', 'nvidia.com/gpu', ...Object.keys(resources)]) {
        k.nodePoolsUsage.set({ nodepool, resource_type: karpenterResourceType(resource) }, karpenterQuantity(resource, resources[resource] ?? 0));
      }
    }

    // Pods: state, and startup duration when one turns Ready.
    this.podSeries.beginPass();
    const nodesByName = new Map<string, Node>(cluster.cache.list('Node').map((n) => [n.metadata.name!, n]));
    const livePods = new Set<string>();
    for (const pod of cluster.cache.list('Pod')) {
      const key = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
      livePods.add(key);
      const node = pod.spec.nodeName ? nodesByName.get(pod.spec.nodeName) : undefined;
      this.podSeries.put(key, versionOf(pod, node), () => {
        const nodeLabels = node?.metadata.labels ?? {};
        const owner = pod.metadata.ownerReferences?.[0];
        return [
        {
          labels: {
            name: pod.metadata.name ?? '',
            namespace: pod.metadata.namespace ?? '',
            owner: owner ? `${owner.kind}/${owner.name}` : '',
            node: pod.spec.nodeName ?? '',
            nodepool: nodeLabels[LABEL_NODEPOOL] ?? '',
            zone: nodeLabels[LABEL_ZONE] ?? '',
            arch: nodeLabels[LABEL_ARCH] ?? '',
            capacity_type: nodeLabels[LABEL_CAPACITY_TYPE] ?? '',
            instance_type: nodeLabels[LABEL_INSTANCE_TYPE] ?? '',
            phase: pod.status?.phase ?? 'Pending',
          },
          value: 1,
        },
        ];
      });
      const readyAt = podReadyAtMs(pod);
      if (readyAt === undefined || this.readyPods.has(key)) continue;
      this.readyPods.add(key);
      const createdAt = timestampMs(pod.metadata.creationTimestamp as string | Date | undefined);
      if (this.primed && createdAt !== undefined) k.podsStartupDuration.observe(Math.max(0, (readyAt - createdAt) / 1000));
    }
    for (const key of this.readyPods) if (!livePods.has(key)) this.readyPods.delete(key);
    this.podSeries.endPass();

    this.primed = true;
    return { requeueAfterMs: RESYNC_MS };
  }
}
