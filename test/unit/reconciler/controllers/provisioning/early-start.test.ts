// Early start: which pods kube-scheduler has not judged yet fit on no Node, so provisioning
// may solve for them at once. A pod is let through only when every Node refuses it (a taint,
// a nodeSelector label, too little room, no pod slot); pods of one shape are tested once and
// a pod larger than the roomiest node is refused without testing each node, which must never
// change the answer for a pod of another shape.

import type { Node, Pod, Taint } from '../../../../../core/api/k8s.ts';
import { InMemoryApiServer } from '../../../../../reconciler/adapters/in-memory/apiserver.ts';
import { VirtualClock } from '../../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { fitNowhere } from '../../../../../reconciler/controllers/provisioning/early-start.ts';
import { START } from '../../../behaviour/fixtures.ts';

function node(name: string, allocatable: Record<string, string>, extra: { labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } }, spec: { taints: extra.taints ?? [] }, status: { allocatable } };
}

function pod(name: string, cpu: string, extra: Partial<Pod['spec']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' } } }], ...extra } };
}

function cluster(nodes: Node[], bound: Pod[] = []): InMemoryApiServer {
  const api = new InMemoryApiServer(new VirtualClock(START));
  for (const n of nodes) api.create('Node', n);
  for (const p of bound) api.create('Pod', p);
  return api;
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata.name).sort();

describe('fitNowhere', () => {
  test('a pod that fits on one node of many waits for kube-scheduler; one larger than every node is provisioned for at once', () => {
    const nodes = Array.from({ length: 50 }, (_, i) => node(`n${i}`, { cpu: '4', memory: '16Gi', pods: '110' }));
    // Every node but the last is nearly full: 3.5 of 4 vCPU taken.
    const bound = nodes.slice(0, 49).map((n, i) => ({ ...pod(`b${i}`, '3500m'), spec: { ...pod(`b${i}`, '3500m').spec, nodeName: n.metadata.name } }));
    const api = cluster(nodes, bound);
    const candidates = [pod('fits-on-n49', '2'), pod('too-big', '5'), pod('fits-on-n49-too', '2')];
    expect(names(fitNowhere(candidates, api.cache))).toEqual(['too-big']);
  });

  test('replicas of one shape get one answer; a pod of the same requests but another nodeSelector or tolerations is judged on its own', () => {
    const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const api = cluster([node('tainted', { cpu: '8', memory: '32Gi', pods: '110' }, { labels: { pool: 'gpu' }, taints: [taint] })]);
    const replicas = Array.from({ length: 20 }, (_, i) => pod(`web-${i}`, '1'));
    const tolerating = pod('tolerating', '1', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    const elsewhere = pod('selects-other-pool', '1', { tolerations: tolerating.spec.tolerations, nodeSelector: { pool: 'general' } });
    const result = fitNowhere([...replicas, tolerating, elsewhere], api.cache);
    // The replicas tolerate nothing and the only node is tainted; the tolerating pod fits there;
    // the same pod selecting another pool does not.
    expect(names(result)).toEqual(names([...replicas, elsewhere]));
  });

  test('a node with no pod slot left takes nothing, however small the pod', () => {
    const api = cluster([node('full', { cpu: '8', memory: '32Gi', pods: '1' })], [{ ...pod('b0', '100m'), spec: { ...pod('b0', '100m').spec, nodeName: 'full' } }]);
    expect(names(fitNowhere([pod('tiny', '10m')], api.cache))).toEqual(['tiny']);
    // With a slot free elsewhere, it waits for kube-scheduler.
    const roomy = cluster([node('full', { cpu: '8', memory: '32Gi', pods: '1' }), node('free', { cpu: '1', memory: '2Gi', pods: '10' })], [{ ...pod('b0', '100m'), spec: { ...pod('b0', '100m').spec, nodeName: 'full' } }]);
    expect(fitNowhere([pod('tiny', '10m')], roomy.cache)).toEqual([]);
  });

  test('room is per node: a pod fits nowhere when no single node has both its CPU and its memory, though some node has each', () => {
    const api = cluster([node('cpu-rich', { cpu: '16', memory: '2Gi', pods: '110' }), node('memory-rich', { cpu: '1', memory: '64Gi', pods: '110' })]);
    const p = { ...pod('both', '4'), spec: { containers: [{ name: 'c', resources: { requests: { cpu: '4', memory: '8Gi' } } }] } };
    expect(names(fitNowhere([p, pod('cpu-only', '4')], api.cache))).toEqual(['both']);
  });

  test('with no Node at all, every candidate fits nowhere', () => {
    expect(names(fitNowhere([pod('a', '1'), pod('b', '0')], cluster([]).cache))).toEqual(['a', 'b']);
  });

  test('a pod with room only by preempting lower-priority pods waits for kube-scheduler; one that may not preempt them is provisioned for at once', () => {
    const bind = (p: Pod, nodeName: string): Pod => ({ ...p, spec: { ...p.spec, nodeName } });
    // The only node is full: a 3-CPU pod of priority 10 holds 3 of its 4 CPUs.
    const api = cluster([node('full', { cpu: '4', memory: '16Gi', pods: '110' })], [bind(pod('victim', '3', { priority: 10 }), 'full')]);
    const preemptor = pod('preemptor', '2', { priority: 1000 });
    const never = pod('never', '2', { priority: 1000, preemptionPolicy: 'Never' });
    const equal = pod('equal', '2', { priority: 10 });
    const tooBig = pod('too-big-even-so', '5', { priority: 1000 });
    // kube-scheduler would evict the victim for the preemptor (and nominate the node); the
    // others fit nowhere: Never preempts nothing, equal priority evicts nothing, 5 CPUs exceed the node.
    expect(names(fitNowhere([preemptor, never, equal, tooBig], api.cache))).toEqual(['equal', 'never', 'too-big-even-so']);
  });

  test('a Terminating pod holds its room: a pod of its priority that fits only in that room fits nowhere', () => {
    const leaving: Pod = { ...pod('leaving', '3'), metadata: { name: 'leaving', namespace: 'default', deletionTimestamp: new Date(START).toISOString(), finalizers: ['example.com/hold'] }, spec: { ...pod('leaving', '3').spec, nodeName: 'n' } };
    const api = cluster([node('n', { cpu: '4', memory: '16Gi', pods: '110' })], [leaving]);
    expect(names(fitNowhere([pod('next', '2')], api.cache))).toEqual(['next']);
  });
});
