// Each NodePool's usage for its limits (poolUsage): every claim counts, in flight and deleting
// included, by its recorded capacity (else what it was asked for). A consolidation pass asks
// for it in every simulation and removes its candidates from the copy it gets: that must
// never leak into the next simulation's figures.

import type { NodeClaim } from '../../../../core/api/karpenter.ts';
import { InMemoryApiServer } from '../../../../reconciler/adapters/in-memory/apiserver.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { buildClusterState, clusterState } from '../../../../reconciler/views/cluster-state.ts';
import { poolUsage } from '../../../../reconciler/views/scheduling.ts';
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
