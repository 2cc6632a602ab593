// The scheduling cycle: filters in order, kube-scheduler's FitError message, scoring with
// the default weights, the seeded tie-break, the queue order and how many nodes are searched.
import { SchedulingFramework, addPod, feasibleNodesToFind, queueOrder } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/framework.ts';
import { mulberry32 } from '../../../../../../reconciler/adapters/in-memory/random.ts';
import { cluster, node, pod, zone } from './cluster.ts';

const framework = (seed = 1) => new SchedulingFramework({ random: mulberry32(seed) });
const gpuTaint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

test('a pod that fits nowhere: "0/5 nodes are available: ..." with each reason counted, sorted', () => {
  const c = cluster([node('a', { cpu: '2' }), node('b', { cpu: '2' }), node('c', { cpu: '2' }), node('g1', { taints: [gpuTaint] }), node('g2', { taints: [gpuTaint] })]);
  const r = framework().schedule(pod('web', { cpu: '3' }), c);
  expect(r).toEqual({ message: '0/5 nodes are available: 2 node(s) had untolerated taint {nvidia.com/gpu: true}, 3 Insufficient cpu.' });
});

test('a node is charged to the first filter that rejects it; NodeResourcesFit lists every resource short', () => {
  const c = cluster([node('cordoned', { unschedulable: true, cpu: '1' }), node('small', { cpu: '1', memory: '1Gi' })]);
  const r = framework().schedule(pod('web', { cpu: '2', memory: '2Gi' }), c);
  expect(r).toEqual({ message: '0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable.' });
});

test('the emptiest node wins by LeastAllocated and BalancedAllocation', () => {
  const c = cluster([node('busy'), node('idle'), node('half')], { busy: [pod('x', { cpu: '3', memory: '12Gi' })], half: [pod('y', { cpu: '2', memory: '8Gi' })] });
  const r = framework().schedule(pod('web', { cpu: '500m', memory: '1Gi' }), c);
  expect('node' in r && r.node.name).toBe('idle');
});

test('TaintToleration (weight 3) outweighs a better fit: a PreferNoSchedule node is avoided', () => {
  const c = cluster([node('spot', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }), node('busy')], { busy: [pod('x', { cpu: '2', memory: '8Gi' })] });
  const r = framework().schedule(pod('web', { cpu: '500m', memory: '1Gi' }), c);
  expect('node' in r && r.node.name).toBe('busy');
});

test('pods bound one after another spread over equal nodes (the scores see each bind)', () => {
  const c = cluster([node('a', { labels: zone('a') }), node('b', { labels: zone('b') }), node('c', { labels: zone('c') })]);
  const f = framework(7);
  const chosen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const p = pod(`web-${i}`, { cpu: '500m', memory: '1Gi' });
    const r = f.schedule(p, c);
    if (!('node' in r)) throw new Error(r.message);
    addPod(r.node, p);
    chosen.push(r.node.name);
  }
  expect(chosen.filter((n) => n === 'a')).toHaveLength(2);
  expect(chosen.filter((n) => n === 'b')).toHaveLength(2);
  expect(chosen.filter((n) => n === 'c')).toHaveLength(2);
});

test('ties are broken at random, the same way for the same seed', () => {
  const names = (seed: number) => {
    const c = cluster([node('a'), node('b'), node('c'), node('d')]);
    const f = framework(seed);
    return Array.from({ length: 8 }, (_, i) => {
      const r = f.schedule(pod(`p${i}`), c);
      return 'node' in r ? r.node.name : '';
    });
  };
  expect(names(3)).toEqual(names(3));
  const picked = new Set([1, 2, 3, 4, 5, 6].map((s) => names(s)[0]));
  expect(picked.size).toBeGreaterThan(1);
});

test('queue order: higher priority first, then the older pod', () => {
  const late = pod('late');
  const early = { ...pod('early'), metadata: { ...pod('early').metadata, creationTimestamp: '2025-01-01T00:00:00Z' } };
  const urgent = pod('urgent', { priority: 1000 });
  expect([late, urgent, early].sort(queueOrder).map((p) => p.metadata.name)).toEqual(['urgent', 'early', 'late']);
});

test('percentageOfNodesToScore: all nodes below 100, then 50% - nodes/125 (at least 5%), never fewer than 100', () => {
  expect(feasibleNodesToFind(50)).toBe(50);
  expect(feasibleNodesToFind(150)).toBe(100);
  expect(feasibleNodesToFind(1000)).toBe(420);
  expect(feasibleNodesToFind(5000)).toBe(500);
  expect(feasibleNodesToFind(10000)).toBe(500);
  expect(feasibleNodesToFind(1000, 100)).toBe(1000);
});

test('no nodes at all', () => {
  expect(framework().schedule(pod('web'), cluster([]))).toEqual({ message: 'no nodes available to schedule pods' });
});
