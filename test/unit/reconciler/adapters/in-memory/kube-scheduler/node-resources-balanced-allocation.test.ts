// NodeResourcesBalancedAllocation: prefer the node where CPU and memory end up used in equal shares.
import { nodeResourcesBalancedAllocation } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-resources-balanced-allocation.ts';
import { cluster, node, pod } from './cluster.ts';

test('a CPU-heavy pod prefers the node already heavy on memory', () => {
  const c = cluster([node('mem-heavy', { cpu: '4', memory: '16Gi' }), node('cpu-heavy', { cpu: '4', memory: '16Gi' })], {
    'mem-heavy': [pod('cache', { cpu: '0', memory: '8Gi' })],
    'cpu-heavy': [pod('encoder', { cpu: '2', memory: '0' })],
  });
  const scores = nodeResourcesBalancedAllocation.score(pod('batch', { cpu: '2', memory: '1Gi' }), c, c.nodes)!;
  // mem-heavy: cpu 0.5, memory 9/16 -> std 0.03125 -> 96; cpu-heavy: cpu 1, memory 1/16 -> std 0.46875 -> 53.
  expect(scores).toEqual([96, 53]);
});

test('a pod that requests neither CPU nor memory is not scored', () => {
  const c = cluster([node('a')]);
  expect(nodeResourcesBalancedAllocation.score(pod('best-effort'), c, c.nodes)).toBeUndefined();
});
