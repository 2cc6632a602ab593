// The cluster bench:scale holds, seeded straight into the simulator rather than provisioned
// pod by pod (kube-scheduler's pass over 100,000 pods and 10,000 nodes alone would take
// longer than everything measured): the nodes are restored as a scenario's initial fleet is
// (reconciler/scenario/fleet.ts: NodeClaim launched, registered and initialized, a running
// instance, a Ready Node), the workload pods are created bound and Running, owned by the
// ReplicaSets of Deployments the simulator's workload controller keeps, and the DaemonSet
// pods are created by that controller. Nothing of the reconciler is bypassed: it starts
// afterwards and finds the cluster as a restarted reconciler would.

import type { Pod } from '../../core/api/k8s.ts';
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import { EC2NODECLASS_KIND, KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION, KARPENTER_AWS_GROUP, LABEL_CAPACITY_TYPE, LABEL_INSTANCE_TYPE } from '../../core/contract/index.ts';
import type { InMemoryWorld } from '../../reconciler/adapters/in-memory/world.ts';
import type { Intent } from '../../reconciler/ports/intent.ts';
import { restoreFleet } from '../../reconciler/scenario/fleet.ts';
import type { FleetNodes } from '../../reconciler/scenario/scenario.ts';

export const INSTANCE_TYPE = 'm6i.4xlarge';
/** Workload pods per node (1.5 vCPU, 5 GiB each: ten fill an m6i.4xlarge beside two DaemonSet pods). */
export const PODS_PER_NODE = 10;
export const DEPLOYMENTS = 50;
const REQUESTS = { cpu: '1500m', memory: '5Gi' };

/** The NodePool of the cluster: one instance type, on-demand, consolidation on. */
export const pool: NodePool = {
  apiVersion: KARPENTER_API_VERSION,
  kind: 'NodePool',
  metadata: { name: 'scale' },
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: KARPENTER_AWS_GROUP, kind: EC2NODECLASS_KIND, name: 'default' },
        requirements: [
          { key: LABEL_INSTANCE_TYPE, operator: 'In', values: [INSTANCE_TYPE] },
          { key: LABEL_CAPACITY_TYPE, operator: 'In', values: ['on-demand'] },
        ],
        expireAfter: '720h',
      },
    },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] },
  },
};
export const nodeClass: EC2NodeClass = {
  apiVersion: KARPENTER_AWS_API_VERSION,
  kind: 'EC2NodeClass',
  metadata: { name: 'default' },
  spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }], role: 'KarpenterNodeRole', subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }] } as EC2NodeClass['spec'],
};

/** Replicas of Deployment `d` (of DEPLOYMENTS) when `pods` workload pods are spread over them. */
export function replicasOf(d: number, pods: number): number {
  return Math.floor(pods / DEPLOYMENTS) + (d < pods % DEPLOYMENTS ? 1 : 0);
}

export function workloadTemplate(app: string, team: string): { metadata: { labels: Record<string, string> }; spec: Pod['spec'] } {
  return {
    metadata: { labels: { app, team } },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { ...REQUESTS } } }] },
  };
}

/** Restores `nodes` nodes of the pool (spread over the zones) and binds `pods` pods to them, ten a node. */
export function seedCluster(world: InMemoryWorld, intent: Intent, nodePool: string, pods: number): { nodes: number } {
  const nodes = Math.ceil(pods / PODS_PER_NODE);
  const zones = world.ec2.zones;
  const fleet: FleetNodes[] = zones.map((zone, i) => ({
    nodePool,
    instanceType: INSTANCE_TYPE,
    capacityType: 'on-demand',
    zone,
    count: Math.floor(nodes / zones.length) + (i < nodes % zones.length ? 1 : 0),
    ageMs: 60 * 60_000,
  }));
  restoreFleet(world, intent, fleet, 'bench/scale.ts');
  const nodeNames = world.api.cache.list('Node').map((n) => n.metadata.name!);
  const now = new Date(world.clock.now()).toISOString();
  let slot = 0;
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const replicas = replicasOf(d, pods);
    const name = `svc-${d}`;
    const namespace = `team-${d % 10}`;
    const template = workloadTemplate(name, namespace);
    for (let r = 0; r < replicas; r++) {
      const nodeName = nodeNames[Math.floor(slot++ / PODS_PER_NODE)]!;
      world.api.create('Pod', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${r}`,
          namespace,
          labels: { ...template.metadata.labels },
          // As InMemoryWorkloads names a Deployment's ReplicaSet, so it counts these replicas as its own.
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-rs`, uid: `ReplicaSet-${namespace}-${name}-rs`, controller: true }],
        },
        spec: { ...template.spec, nodeName },
        status: {
          phase: 'Running',
          startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
        },
      });
    }
    world.workloads.applyDeployment({ name, namespace, replicas, template });
  }
  return { nodes };
}
