// How the pod deletion cost controller ranks nodes: nodes already leaving (deleting, marked
// for disruption, drifted) first, then the others in consolidation's order (fewest, cheapest
// pods first; nodes nearer expiry first), ranks from -(number of nodes) upwards; nodes that
// cannot be disrupted are not ranked; at most 50 nodes are ranked; nodes of pools outside
// the intent are left alone.
import type { Pod } from '../../../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../../../core/api/karpenter.ts';
import { ANNOTATION_DO_NOT_DISRUPT, ANNOTATION_NODEPOOL_HASH, ANNOTATION_NODEPOOL_HASH_VERSION } from '../../../../../core/contract/index.ts';
import { rankNodes } from '../../../../../reconciler/controllers/deletion-cost/ranking.ts';
import type { StateNode } from '../../../../../reconciler/views/cluster-state.ts';
import { indexIntent } from '../../../../../reconciler/views/drift.ts';
import { NODEPOOL_HASH_VERSION } from '../../../../../core/disruption/drift.ts';
import { nodeClass, nodePool, START } from '../../../behaviour/fixtures.ts';

const idx = indexIntent({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()], acceptedAt: START });

function pods(n: number, annotations: Record<string, string> = {}, priority?: number): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'default', annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs', controller: true }] },
    spec: { containers: [], ...(priority !== undefined ? { priority } : {}) },
    status: { phase: 'Running' },
  })) as Pod[];
}

function node(name: string, podCount: number, over: Partial<StateNode> & { claimAnnotations?: Record<string, string>; nodeAnnotations?: Record<string, string>; podList?: Pod[]; expireAfter?: string } = {}): StateNode {
  const claim = { metadata: { name: `claim-${name}`, annotations: over.claimAnnotations ?? {} }, spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [], expireAfter: over.expireAfter ?? '720h' } } as unknown as NodeClaim;
  return {
    name: `claim-${name}`,
    claim,
    node: { metadata: { name, annotations: over.nodeAnnotations ?? {} } } as StateNode['node'],
    nodePool: 'general',
    nodeClass: 'default',
    pods: over.podList ?? pods(podCount),
    instanceType: 'm6i.large',
    zone: 'us-east-1a',
    capacityType: 'on-demand',
    allocatable: {},
    labels: { 'karpenter.sh/capacity-type': 'on-demand', 'karpenter.k8s.aws/instance-family': 'm6i' },
    launched: true,
    registered: true,
    initialized: true,
    deleting: false,
    disruption: undefined,
    createdAtMs: START,
    ...over,
  };
}

describe('pod deletion cost: node ranking', () => {
  test('the node with the fewest pods first; ranks count up from minus the number of nodes; ties by name', () => {
    const r = rankNodes([node('c', 3), node('a', 1), node('b', 2), node('d', 1)], idx, START);
    expect(r.ranked.map((x) => [x.node, x.rank])).toEqual([['a', -4], ['d', -3], ['b', -2], ['c', -1]]);
    expect(r.unranked).toEqual([]);
  });

  test('consolidation order, not only pod count: high-priority pods make a node dearer, a node near expiry cheaper', () => {
    const important = node('important', 1, { podList: pods(1, {}, 1_000_000_000) });
    const plain = node('plain', 2);
    const expiring = node('expiring', 3, { expireAfter: '24h', createdAtMs: START - 23 * 3_600_000 });
    expect(rankNodes([important, plain, expiring], idx, START).ranked.map((x) => x.node)).toEqual(['expiring', 'plain', 'important']);
  });

  test('a cost the user wrote on pods counts (a high one keeps its node longer); a managed one does not', () => {
    const userKept = node('kept', 1, { podList: pods(1, { 'controller.kubernetes.io/pod-deletion-cost': '2147483647' }) });
    const managedHigh = node('managed', 1, { podList: pods(1, { 'controller.kubernetes.io/pod-deletion-cost': '2147483647', 'karpenter.sh/managed-deletion-cost': 'true' }) });
    expect(rankNodes([userKept, managedHigh, node('two', 2)], idx, START).ranked.map((x) => x.node)).toEqual(['managed', 'two', 'kept']);
  });

  test('nodes already leaving (deleting, marked for disruption, drifted) come before every other node, whatever their pods', () => {
    const drifted = node('drifted', 5, { claimAnnotations: { [ANNOTATION_NODEPOOL_HASH]: 'old', [ANNOTATION_NODEPOOL_HASH_VERSION]: NODEPOOL_HASH_VERSION } });
    const deleting = node('deleting', 4, { deleting: true });
    const r = rankNodes([node('small', 1), drifted, deleting], idx, START);
    expect(r.ranked.map((x) => [x.node, x.tier])).toEqual([['deleting', 'leaving'], ['drifted', 'leaving'], ['small', 'normal']]);
  });

  test('a node that cannot be disrupted (do-not-disrupt on the node, its claim or a pod) is not ranked', () => {
    const r = rankNodes(
      [node('free', 2), node('pinned-node', 1, { nodeAnnotations: { [ANNOTATION_DO_NOT_DISRUPT]: 'true' } }), node('pinned-claim', 1, { claimAnnotations: { [ANNOTATION_DO_NOT_DISRUPT]: 'true' } }), node('pinned-pod', 1, { podList: pods(1, { [ANNOTATION_DO_NOT_DISRUPT]: 'true' }) })],
      idx,
      START,
    );
    expect(r.ranked.map((x) => [x.node, x.rank])).toEqual([['free', -4]]);
    expect(r.unranked).toEqual([
      { node: 'pinned-claim', why: 'do-not-disrupt' },
      { node: 'pinned-node', why: 'do-not-disrupt' },
      { node: 'pinned-pod', why: 'do-not-disrupt' },
    ]);
  });

  test('at most the bound is ranked (50 by default, as Karpenter); the rest are listed to have managed costs removed', () => {
    const nodes = Array.from({ length: 5 }, (_, i) => node(`n${i}`, i + 1));
    const r = rankNodes(nodes, idx, START, 3);
    expect(r.ranked.map((x) => x.node)).toEqual(['n0', 'n1', 'n2']);
    expect(r.unranked).toEqual([{ node: 'n3', why: 'beyond-bound' }, { node: 'n4', why: 'beyond-bound' }]);
  });

  test("nodes of NodePools outside the intent, and claims without a Node, are neither ranked nor touched", () => {
    const other = { ...node('karpenter-node', 0), nodePool: 'someone-elses' };
    const unregistered = { ...node('booting', 0), node: undefined };
    const r = rankNodes([other, unregistered, node('mine', 1)], idx, START);
    expect(r.ranked.map((x) => [x.node, x.rank])).toEqual([['mine', -1]]);
    expect(r.unranked).toEqual([]);
  });
});
