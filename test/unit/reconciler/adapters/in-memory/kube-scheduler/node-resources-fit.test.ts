// NodeResourcesFit: requests against what allocatable leaves, a pod slot, extended
// resources; LeastAllocated scoring.
import { nodeResourcesFit } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/node-resources-fit.ts';
import { accepted, cluster, node, pod } from './cluster.ts';

test('Insufficient cpu and memory, in kube-scheduler words, and only on the nodes that lack them', () => {
  const c = cluster([node('small', { cpu: '2', memory: '4Gi' }), node('busy', { cpu: '8', memory: '32Gi' }), node('big', { cpu: '8', memory: '32Gi' })], {
    busy: [pod('hog', { cpu: '7', memory: '30Gi' })],
  });
  const f = nodeResourcesFit.prepareFilter(pod('web', { cpu: '3', memory: '6Gi' }), c);
  expect(f(c.byName('small'))).toEqual(['Insufficient cpu', 'Insufficient memory']);
  expect(f(c.byName('busy'))).toEqual(['Insufficient cpu', 'Insufficient memory']);
  expect(accepted(f, c)).toEqual(['big']);
});

test('exactly full fits; one millicore more does not', () => {
  const c = cluster([node('n', { cpu: '4' })], { n: [pod('a', { cpu: '3' })] });
  expect(nodeResourcesFit.prepareFilter(pod('b', { cpu: '1' }), c)(c.nodes[0]!)).toBeUndefined();
  expect(nodeResourcesFit.prepareFilter(pod('b', { cpu: '1001m' }), c)(c.nodes[0]!)).toEqual(['Insufficient cpu']);
});

test('a pod without requests still needs a pod slot: Too many pods', () => {
  const c = cluster([node('n', { pods: '2' })], { n: [pod('a'), pod('b')] });
  expect(nodeResourcesFit.prepareFilter(pod('c'), c)(c.nodes[0]!)).toEqual(['Too many pods']);
});

test('extended resources: a GPU pod on a node without GPUs', () => {
  const c = cluster([node('cpu-only'), node('gpu', { extra: { 'nvidia.com/gpu': '1' } })]);
  const p = pod('train', { containers: [{ name: 't', resources: { requests: { 'nvidia.com/gpu': '1' } } }] });
  const f = nodeResourcesFit.prepareFilter(p, c);
  expect(f(c.byName('cpu-only'))).toEqual(['Insufficient nvidia.com/gpu']);
  expect(accepted(f, c)).toEqual(['gpu']);
});

test('LeastAllocated: the emptier node scores higher, (free after the pod) * 100 / allocatable averaged over cpu and memory', () => {
  const c = cluster([node('empty', { cpu: '4', memory: '16Gi' }), node('half', { cpu: '4', memory: '16Gi' })], { half: [pod('a', { cpu: '2', memory: '8Gi' })] });
  const scores = nodeResourcesFit.score(pod('web', { cpu: '1', memory: '4Gi' }), c, c.nodes);
  // empty: cpu (4-1)/4 = 75, memory (16-4)/16 = 75; half: cpu 25, memory 25.
  expect(scores).toEqual([75, 25]);
});

test('LeastAllocated counts 100m CPU and 200Mi for a pod that requests nothing', () => {
  const c = cluster([node('n', { cpu: '1', memory: '1000Mi' })]);
  expect(nodeResourcesFit.score(pod('best-effort'), c, c.nodes)).toEqual([Math.trunc((90 + 80) / 2)]);
});
