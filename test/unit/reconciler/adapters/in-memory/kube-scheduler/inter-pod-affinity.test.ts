// InterPodAffinity: required affinity and anti-affinity of the incoming pod, the existing
// pods' anti-affinity (symmetry), namespaces, and preferred terms as score.
import type { Pod, PodAffinityTerm } from '../../../../../../core/api/k8s.ts';
import {
  ERR_AFFINITY,
  ERR_ANTI_AFFINITY,
  ERR_EXISTING_ANTI_AFFINITY,
  interPodAffinity,
} from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/inter-pod-affinity.ts';
import { accepted, cluster, node, pod, zone } from './cluster.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const term = (app: string, topologyKey = HOST, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const antiTo = (name: string, app: string, t: PodAffinityTerm, labels: Record<string, string> = { app }): Pod =>
  pod(name, { labels, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } } });
const affineTo = (name: string, labels: Record<string, string>, t: PodAffinityTerm): Pod => pod(name, { labels, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } } });

const nodes = [node('a1', { labels: zone('a') }), node('a2', { labels: zone('a') }), node('b1', { labels: zone('b') })];

test('one replica per node: required anti-affinity to itself on the hostname', () => {
  const c = cluster(nodes, { a1: [antiTo('redis-0', 'redis', term('redis'))] });
  const f = interPodAffinity.prepareFilter(antiTo('redis-1', 'redis', term('redis')), c);
  expect(f(c.byName('a1'))).toEqual([ERR_ANTI_AFFINITY]);
  expect(accepted(f, c)).toEqual(['a2', 'b1']);
});

test("an existing pod's anti-affinity keeps out a pod that has no rule of its own (symmetry)", () => {
  const c = cluster(nodes, { a1: [antiTo('loner', 'loner', term('noisy', ZONE))] });
  const f = interPodAffinity.prepareFilter(pod('noisy-1', { labels: { app: 'noisy' } }), c);
  expect(f(c.byName('a2'))).toEqual([ERR_EXISTING_ANTI_AFFINITY]);
  expect(accepted(f, c)).toEqual(['b1']);
});

test('required affinity: only nodes in a zone where a matching pod runs', () => {
  const c = cluster(nodes, { a2: [pod('cache-0', { labels: { app: 'cache' } })] });
  const f = interPodAffinity.prepareFilter(affineTo('web', { app: 'web' }, term('cache', ZONE)), c);
  expect(accepted(f, c)).toEqual(['a1', 'a2']);
  expect(f(c.byName('b1'))).toEqual([ERR_AFFINITY]);
});

test('the first pod of a group with affinity to itself may go anywhere; a pod with affinity to absent pods nowhere', () => {
  const c = cluster(nodes);
  expect(accepted(interPodAffinity.prepareFilter(affineTo('etl-0', { app: 'etl' }, term('etl', ZONE)), c), c)).toEqual(['a1', 'a2', 'b1']);
  expect(accepted(interPodAffinity.prepareFilter(affineTo('web', { app: 'web' }, term('cache', ZONE)), c), c)).toEqual([]);
});

test('terms select the pod’s own namespace unless namespaces or a namespaceSelector say otherwise', () => {
  const c = cluster(nodes, { a1: [pod('cache-0', { labels: { app: 'cache' }, namespace: 'shared' })] });
  const own = affineTo('web', { app: 'web' }, term('cache'));
  expect(accepted(interPodAffinity.prepareFilter(own, c), c)).toEqual([]);
  const listed = affineTo('web', { app: 'web' }, term('cache', HOST, { namespaces: ['shared'] }));
  expect(accepted(interPodAffinity.prepareFilter(listed, c), c)).toEqual(['a1']);
  const all = affineTo('web', { app: 'web' }, term('cache', HOST, { namespaceSelector: {} }));
  expect(accepted(interPodAffinity.prepareFilter(all, c), c)).toEqual(['a1']);
  const byName = affineTo('web', { app: 'web' }, term('cache', HOST, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shared' } } }));
  expect(accepted(interPodAffinity.prepareFilter(byName, c), c)).toEqual(['a1']);
});

test('a term without a labelSelector selects no pod', () => {
  const c = cluster(nodes, { a1: [pod('x', { labels: { app: 'x' } })] });
  const p = antiTo('y', 'y', { topologyKey: HOST });
  expect(accepted(interPodAffinity.prepareFilter(p, c), c)).toEqual(['a1', 'a2', 'b1']);
});

test('preferred anti-affinity scores nodes away from the pods it names; preferred affinity towards them', () => {
  const c = cluster(nodes, { a1: [pod('web-0', { labels: { app: 'web' } })] });
  const away = pod('web-1', { labels: { app: 'web' }, affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term('web', ZONE) }] } } });
  expect(interPodAffinity.score(away, c, c.nodes)).toEqual([0, 0, 100]);
  const near = pod('api', { labels: { app: 'api' }, affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('web') }] } } });
  expect(interPodAffinity.score(near, c, c.nodes)).toEqual([100, 0, 0]);
});

test('no preferred terms and no pod with affinity anywhere: not scored', () => {
  const c = cluster(nodes, { a1: [pod('web-0', { labels: { app: 'web' } })] });
  expect(interPodAffinity.score(pod('x'), c, c.nodes)).toBeUndefined();
});
