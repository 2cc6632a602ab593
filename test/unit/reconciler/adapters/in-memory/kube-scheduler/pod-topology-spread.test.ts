// PodTopologySpread: the cases of the Kubernetes documentation's "Pod Topology Spread
// Constraints" page, and the policies and fields around them.
import type { Pod, TopologySpreadConstraint } from '../../../../../../core/api/k8s.ts';
import { ERR_SPREAD, ERR_SPREAD_MISSING_LABEL, podTopologySpread } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/pod-topology-spread.ts';
import { accepted, cluster, node, pod, zone } from './cluster.ts';

const ZONE = 'topology.kubernetes.io/zone';
const spread = (o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: ZONE,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'web' } },
  ...o,
});
const web = (name: string, c: TopologySpreadConstraint[] = [], extra: Record<string, string> = {}): Pod => pod(name, { labels: { app: 'web', ...extra }, topologySpreadConstraints: c });

// Four nodes in two zones, as the documentation's example: 2 pods in zone A, 1 in zone B... here 2 and 0.
const nodes = [node('a1', { labels: zone('a') }), node('a2', { labels: zone('a') }), node('b1', { labels: zone('b') }), node('b2', { labels: zone('b') })];

test('zone A holds 2 matching pods, zone B none: with maxSkew 1 the next pod must go to zone B', () => {
  const c = cluster(nodes, { a1: [web('w1')], a2: [web('w2')] });
  const f = podTopologySpread.prepareFilter(web('w3', [spread()]), c);
  expect(accepted(f, c)).toEqual(['b1', 'b2']);
  expect(f(c.byName('a1'))).toEqual([ERR_SPREAD]);
});

test('maxSkew 2 allows a third pod in zone A; pods of other apps and namespaces do not count', () => {
  const c = cluster(nodes, { a1: [web('w1'), pod('db', { labels: { app: 'db' } })], a2: [pod('other', { labels: { app: 'web' }, namespace: 'team-b' })] });
  // zone A: 1 matching pod in default; B: 0. Skew in A would be 2 > 1.
  expect(accepted(podTopologySpread.prepareFilter(web('w2', [spread()]), c), c)).toEqual(['b1', 'b2']);
  expect(accepted(podTopologySpread.prepareFilter(web('w2', [spread({ maxSkew: 2 })]), c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
});

test('a node without the topology key is rejected as missing the label', () => {
  const c = cluster([...nodes, node('unlabelled')], {});
  const f = podTopologySpread.prepareFilter(web('w', [spread()]), c);
  expect(f(c.byName('unlabelled'))).toEqual([ERR_SPREAD_MISSING_LABEL]);
});

test('minDomains: with fewer zones than minDomains the minimum counts as 0', () => {
  const c = cluster(nodes, { a1: [web('w1')], b1: [web('w2')] });
  // 1 and 1: skew would be 1 anywhere, allowed; with minDomains 3 only 2 zones exist: global minimum 0, so 1 + 1 - 0 = 2 > 1.
  expect(accepted(podTopologySpread.prepareFilter(web('w3', [spread()]), c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
  expect(accepted(podTopologySpread.prepareFilter(web('w3', [spread({ minDomains: 3 })]), c), c)).toEqual([]);
});

test('nodeAffinityPolicy Honor (default): zones the pod cannot use do not hold the minimum down; Ignore: they do', () => {
  const c = cluster([...nodes, node('c1', { labels: zone('c') })], { a1: [web('w1')], b1: [web('w2')] });
  const honor = web('w3', [spread()]);
  honor.spec.nodeSelector = {};
  honor.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['a', 'b'] }] }] } } };
  expect(accepted(podTopologySpread.prepareFilter(honor, c), c)).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);
  const ignore = { ...honor, spec: { ...honor.spec, topologySpreadConstraints: [spread({ nodeAffinityPolicy: 'Ignore' })] } };
  // zone c (empty) now counts: a and b would reach skew 2.
  expect(accepted(podTopologySpread.prepareFilter(ignore, c), c)).toEqual(['c1']);
});

test('nodeTaintsPolicy Honor: a tainted zone the pod does not tolerate is left out of the count', () => {
  const tainted = [node('a1', { labels: zone('a') }), node('b1', { labels: zone('b') }), node('g1', { labels: zone('g'), taints: [{ key: 'gpu', effect: 'NoSchedule' }] })];
  const c = cluster(tainted, { a1: [web('w1')] });
  expect(accepted(podTopologySpread.prepareFilter(web('w2', [spread()]), c), c)).toEqual(['b1', 'g1']);
  expect(accepted(podTopologySpread.prepareFilter(web('w2', [spread({ nodeTaintsPolicy: 'Honor' })]), c), c)).toEqual(['b1', 'g1']);
  const c2 = cluster(tainted, { a1: [web('w1')], b1: [web('w2')] });
  // Ignore (default): zone g with 0 holds the minimum at 0, so a and b are full.
  expect(accepted(podTopologySpread.prepareFilter(web('w3', [spread()]), c2), c2)).toEqual(['g1']);
  expect(accepted(podTopologySpread.prepareFilter(web('w3', [spread({ nodeTaintsPolicy: 'Honor' })]), c2), c2)).toEqual(['a1', 'b1', 'g1']);
});

test('matchLabelKeys: pods of an older revision (another pod-template-hash) are not counted', () => {
  const c = cluster(nodes, { a1: [web('old1', [], { 'pod-template-hash': 'v1' })], a2: [web('old2', [], { 'pod-template-hash': 'v1' })] });
  const rolling = web('new1', [spread({ matchLabelKeys: ['pod-template-hash'] })], { 'pod-template-hash': 'v2' });
  expect(accepted(podTopologySpread.prepareFilter(rolling, c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
  const plain = web('new1', [spread()], { 'pod-template-hash': 'v2' });
  expect(accepted(podTopologySpread.prepareFilter(plain, c), c)).toEqual(['b1', 'b2']);
});

test('a pod that does not match its own selector counts 0 for itself', () => {
  const c = cluster(nodes, { a1: [web('w1')] });
  const other = pod('sidecar', { labels: { app: 'other' }, topologySpreadConstraints: [spread()] });
  // zone a: 1 + 0 - 0 = 1 <= 1.
  expect(accepted(podTopologySpread.prepareFilter(other, c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
});

test('terminating pods do not count', () => {
  const leaving = web('w1');
  leaving.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  const c = cluster(nodes, { a1: [leaving, web('w2')] });
  expect(accepted(podTopologySpread.prepareFilter(web('w3', [spread({ maxSkew: 2 })]), c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
});

test('ScheduleAnyway does not filter; it scores the emptier zone highest', () => {
  const c = cluster(nodes, { a1: [web('w1'), web('w2')], a2: [web('w3')] });
  const p = web('w4', [spread({ whenUnsatisfiable: 'ScheduleAnyway' })]);
  expect(accepted(podTopologySpread.prepareFilter(p, c), c)).toEqual(['a1', 'a2', 'b1', 'b2']);
  const scores = podTopologySpread.score(p, c, c.nodes)!;
  // zone a: 3 pods * log(4) = 4.16 -> 4; zone b: 0 -> 0. 100 * (4 + 0 - s) / 4.
  expect(scores).toEqual([0, 0, 100, 100]);
});

test('ScheduleAnyway on hostname counts the pods on each node', () => {
  const c = cluster(nodes, { a1: [web('w1'), web('w2')], a2: [web('w3')] });
  const p = web('w4', [spread({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' })]);
  const scores = podTopologySpread.score(p, c, c.nodes)!;
  expect(scores[2]).toBe(100);
  expect(scores[3]).toBe(100);
  expect(scores[0]!).toBeLessThan(scores[1]!);
});
