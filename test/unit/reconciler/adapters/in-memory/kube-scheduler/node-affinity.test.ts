// NodeAffinity: nodeSelector, required terms (ORed, expressions ANDed, every operator,
// matchFields), preferred terms as score.
import type { NodeSelectorTerm } from '../../../../../../core/api/k8s.ts';
import { ERR_NODE_AFFINITY, nodeAffinity } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-affinity.ts';
import { accepted, cluster, node, pod, zone } from './cluster.ts';

const nodes = [
  node('a1', { labels: { ...zone('us-east-1a'), disktype: 'ssd', cores: '8' } }),
  node('b1', { labels: { ...zone('us-east-1b'), disktype: 'hdd', cores: '16' } }),
  node('c1', { labels: { ...zone('us-east-1c'), cores: '64' } }),
];
const c = cluster(nodes);
const required = (...terms: NodeSelectorTerm[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } });

test('nodeSelector: every label must match', () => {
  const f = nodeAffinity.prepareFilter(pod('p', { nodeSelector: { disktype: 'ssd' } }), c);
  expect(accepted(f, c)).toEqual(['a1']);
  expect(f(c.byName('c1'))).toEqual([ERR_NODE_AFFINITY]);
});

test('terms are ORed, expressions within a term ANDed', () => {
  const p = pod('p', {
    affinity: required(
      { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a', 'us-east-1b'] }, { key: 'disktype', operator: 'In', values: ['hdd'] }] },
      { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1c'] }] },
    ),
  });
  expect(accepted(nodeAffinity.prepareFilter(p, c), c)).toEqual(['b1', 'c1']);
});

test('NotIn and DoesNotExist match nodes without the label; Gt and Lt compare integers', () => {
  const notIn = pod('p', { affinity: required({ matchExpressions: [{ key: 'disktype', operator: 'NotIn', values: ['hdd'] }] }) });
  expect(accepted(nodeAffinity.prepareFilter(notIn, c), c)).toEqual(['a1', 'c1']);
  const none = pod('p', { affinity: required({ matchExpressions: [{ key: 'disktype', operator: 'DoesNotExist' }] }) });
  expect(accepted(nodeAffinity.prepareFilter(none, c), c)).toEqual(['c1']);
  const gt = pod('p', { affinity: required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['10'] }, { key: 'cores', operator: 'Lt', values: ['64'] }] }) });
  expect(accepted(nodeAffinity.prepareFilter(gt, c), c)).toEqual(['b1']);
});

test('matchFields on metadata.name pins a node (how DaemonSet pods are placed); an empty term matches nothing', () => {
  const pinned = pod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c1'] }] }) });
  expect(accepted(nodeAffinity.prepareFilter(pinned, c), c)).toEqual(['c1']);
  const empty = pod('p', { affinity: required({}) });
  expect(accepted(nodeAffinity.prepareFilter(empty, c), c)).toEqual([]);
});

test('preferred terms: the weights of the terms a node matches, normalised to 100 for the best', () => {
  const p = pod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 80, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] } },
          { weight: 20, preference: { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['10'] }] } },
        ],
      },
    },
  });
  expect(nodeAffinity.score(p, c, c.nodes)).toEqual([100, 25, 25]);
  expect(nodeAffinity.score(pod('q'), c, c.nodes)).toBeUndefined();
});
