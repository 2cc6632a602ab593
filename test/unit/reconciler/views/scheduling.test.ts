// Each NodePool's usage for its limits (poolUsage): every claim counts, in flight and deleting
// included, by its recorded capacity (else what it was asked for). A consolidation pass asks
// for it in every simulation and removes its candidates from the copy it gets: that must
// never leak into the next simulation's figures.

import type { NodeClaim } from '../../../../core/api/karpenter.ts';
import { InMemoryApiServer } from '../../../../reconciler/adapters/in-memory/apiserver.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { buildClusterState, clusterState } from '../../../../reconciler/views/cluster-state.ts';
import { existingNodes, nodesWithRoom, poolUsage, volumeLimits } from '../../../../reconciler/views/scheduling.ts';
import type { Node, Pod } from '../../../../core/api/k8s.ts';
import { parseQuantity } from '../../../../core/resources/quantity.ts';
import { LABEL_NODEPOOL } from '../../../../core/contract/index.ts';

const START = Date.parse('2026-03-03T00:00:00Z');

function claim(name: string, pool: string, status: NodeClaim['status'] | undefined, requests?: Record<string, string>): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, labels: { [LABEL_NODEPOOL]: pool } },
    spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [], ...(requests ? { resources: { requests } } : {}) },
    ...(status ? { status } : {}),
  } as NodeClaim;
}

describe('poolUsage', () => {
  test('sums each pool’s claims by capacity (in-flight claims by their requests) and counts them as nodes', () => {
    const api = new InMemoryApiServer(new VirtualClock(START));
    api.create('NodeClaim', claim('a1', 'a', { capacity: { cpu: '16', memory: '64Gi' } }));
    api.create('NodeClaim', claim('a2', 'a', { capacity: { cpu: '8', memory: '32Gi' } }));
    api.create('NodeClaim', claim('b1', 'b', undefined, { cpu: '3', memory: '4Gi' }));
    const usage = poolUsage(buildClusterState(api.cache));
    expect(usage.a).toEqual({ cpu: 24_000, memory: parseQuantity('96Gi'), nodes: 2 });
    expect(usage.b).toEqual({ cpu: 3_000, memory: parseQuantity('4Gi'), nodes: 1 });
  });

  test('a caller that takes its candidates out of the usage it got does not change what the next caller gets', () => {
    const api = new InMemoryApiServer(new VirtualClock(START));
    api.create('NodeClaim', claim('a1', 'a', { capacity: { cpu: '16', memory: '64Gi' } }));
    api.create('NodeClaim', claim('a2', 'a', { capacity: { cpu: '8', memory: '32Gi' } }));
    const state = clusterState(api);
    const first = poolUsage(state);
    first.a = { cpu: 8_000, memory: parseQuantity('32Gi'), nodes: 1 }; // as a simulation removing a1 does
    delete first.b;
    expect(poolUsage(state).a).toEqual({ cpu: 24_000, memory: parseQuantity('96Gi'), nodes: 2 });
    // A new claim is a new state: counted at once.
    api.create('NodeClaim', claim('a3', 'a', { capacity: { cpu: '4', memory: '16Gi' } }));
    expect(poolUsage(clusterState(api)).a).toEqual({ cpu: 28_000, memory: parseQuantity('112Gi'), nodes: 3 });
  });
});

// The room the solver sees on each node, counted as kube-scheduler counts it: a Terminating
// pod (deletionTimestamp set, still bound) holds its requests until the object is gone; a
// Succeeded or Failed pod holds nothing. Otherwise a pending pod is planned onto room
// kube-scheduler still sees taken (and no node is launched for it), or a node is launched
// for room kube-scheduler sees free.
describe('existingNodes: the pods that hold each node’s room', () => {
  const node = (name: string, extra: Record<string, unknown> = {}): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { ...(extra.providerID ? { providerID: extra.providerID as string } : {}) },
    status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' } },
  });
  const pod = (name: string, nodeName: string, cpu: string, over: { terminating?: boolean; phase?: string } = {}): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(over.terminating ? { deletionTimestamp: new Date(START).toISOString(), finalizers: ['example.com/hold'] } : {}) },
    spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' } } }] },
    ...(over.phase ? { status: { phase: over.phase } } : {}),
  });

  function world(): InMemoryApiServer {
    const api = new InMemoryApiServer(new VirtualClock(START));
    // A managed node (its NodeClaim names its providerID) and one managed by something else.
    api.create('NodeClaim', claim('managed', 'a', { providerID: 'aws:///us-east-1a/i-1', nodeName: 'managed-node', capacity: { cpu: '4', memory: '16Gi' } }));
    api.create('Node', node('managed-node', { providerID: 'aws:///us-east-1a/i-1' }));
    api.create('Node', node('other-node'));
    for (const n of ['managed-node', 'other-node']) {
      api.create('Pod', pod(`${n}-leaving`, n, '3', { terminating: true }));
      api.create('Pod', pod(`${n}-done`, n, '1', { phase: 'Succeeded' }));
    }
    return api;
  }

  test('Terminating pods count on managed and unmanaged nodes; Succeeded and Failed pods do not', () => {
    const api = world();
    const nodes = existingNodes(buildClusterState(api.cache), undefined, (n) => api.cache.podsOnNode(n));
    const podsBy = Object.fromEntries(nodes.map((n) => [n.name, n.pods.map((p) => p.metadata.name).sort()]));
    expect(podsBy).toEqual({ 'managed-node': ['managed-node-leaving'], 'other-node': ['other-node-leaving'] });
  });

  test('a node whose only free room is held by a Terminating pod has no room for a pending pod', () => {
    const api = world();
    const nodes = existingNodes(buildClusterState(api.cache), undefined, (n) => api.cache.podsOnNode(n));
    // 1 CPU free on each (the terminating 3-CPU pod counts, the finished 1-CPU pod does not).
    expect(nodesWithRoom(nodes, [pod('fits-in-one', '', '1')]).map((n) => n.name).sort()).toEqual(['managed-node', 'other-node']);
    expect(nodesWithRoom(nodes, [pod('needs-two', '', '2')])).toEqual([]);
  });

  test("each registered node carries its CSINode's attach limits (drivers without a count are unlimited); without a CSINode, none", () => {
    const api = world();
    api.create('CSINode', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: 'managed-node' },
      spec: { drivers: [{ name: 'ebs.csi.aws.com', nodeID: 'i-1', allocatable: { count: 25 } }, { name: 'efs.csi.aws.com', nodeID: 'i-1' }] },
    });
    api.create('CSINode', { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'other-node' }, spec: { drivers: [{ name: 'ebs.csi.aws.com', allocatable: { count: 1 } }] } });
    const nodes = existingNodes(buildClusterState(api.cache), undefined, (n) => api.cache.podsOnNode(n), api.cache);
    expect(Object.fromEntries(nodes.map((n) => [n.name, n.volumeLimits]))).toEqual({ 'managed-node': { 'ebs.csi.aws.com': 25 }, 'other-node': { 'ebs.csi.aws.com': 1 } });
    expect(volumeLimits(api.cache, 'nowhere')).toBeUndefined();
    // Without the cache to read CSINodes from, no limits.
    expect(existingNodes(buildClusterState(api.cache), undefined, (n) => api.cache.podsOnNode(n)).map((n) => n.volumeLimits)).toEqual([undefined, undefined]);
  });
});
