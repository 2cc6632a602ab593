// karpenter.sh/do-not-disrupt: "2h" on a pod protects it for two hours after it started,
// then no longer: a drifted node is not replaced, and an expired node's drain does not
// evict the pod, before then; both happen after.
import { ANNOTATION_DISRUPTION } from '../../../core/contract/index.ts';
import type { Pod } from '../../../core/api/k8s.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE } from './fixtures.ts';

const family = (f: string) => [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: [f] },
];

function startedAt(p: Pod): number {
  const t = p.status?.startTime;
  expect(t).toBeDefined();
  return typeof t === 'string' ? Date.parse(t) : t!.getTime();
}

test('a drifted node running a pod annotated do-not-disrupt "2h" is replaced only after 2h from the pod start', async () => {
  const world = newWorld();
  const over = { budgets: [{ nodes: '100%' }], consolidationPolicy: 'WhenEmpty' as const, consolidateAfter: 'Never' };
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { requirements: family('m6i'), ...over })], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  deployment(world, 'batch', 1, { cpu: '1', memory: '2Gi' }, { annotations: { 'karpenter.sh/do-not-disrupt': '2h' } });
  await world.clock.advance(3 * MINUTE);
  const [pod] = podsOf(world, 'batch');
  expect(pod?.spec.nodeName).toBeDefined();
  const start = startedAt(pod!);
  const [claim] = world.api.cache.list('NodeClaim');

  world.intent.accept({ commit: 'b2', nodePools: [nodePool('general', { requirements: family('m7i'), ...over })], nodeClasses: [nodeClass()] });
  await world.clock.advance(start + 2 * HOUR - MINUTE - world.clock.now());
  // Still protected: the node is neither marked nor deleted, the pod not evicted.
  const held = world.api.cache.get('NodeClaim', claim!.metadata.name!);
  expect(held?.metadata.annotations?.[ANNOTATION_DISRUPTION]).toBeUndefined();
  expect(held?.metadata.deletionTimestamp).toBeUndefined();
  expect(world.api.cache.get('Pod', pod!.metadata.name!, 'default')?.metadata.deletionTimestamp).toBeUndefined();
  const until = new Date(start + 2 * HOUR).toISOString();
  expect(h.decisions.some((d) => d.reason === 'do-not-disrupt' && d.message.includes(`do-not-disrupt: 2h (until ${until})`))).toBe(true);

  // After 2h: replaced (the time trigger wakes the disruption controller; no event needed).
  await world.clock.advance(15 * MINUTE);
  expect(world.api.cache.get('NodeClaim', claim!.metadata.name!)).toBeUndefined();
  expect(world.api.cache.get('Pod', pod!.metadata.name!, 'default')).toBeUndefined();
  const claims = world.api.cache.list('NodeClaim');
  expect(claims.length).toBeGreaterThan(0);
  for (const c of claims) expect(c.metadata.labels?.['karpenter.k8s.aws/instance-family']).toBe('m7i');
  expect(podsOf(world, 'batch').every((p) => p.spec.nodeName)).toBe(true);
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);

test('an expired node drains a pod annotated do-not-disrupt "2h" only after 2h from the pod start', async () => {
  const world = newWorld();
  world.intent.accept({
    commit: 'a1',
    nodePools: [nodePool('general', { requirements: family('m6i'), budgets: [{ nodes: '100%' }], consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', expireAfter: '1h' })],
    nodeClasses: [nodeClass()],
  });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  deployment(world, 'batch', 1, { cpu: '1', memory: '2Gi' }, { annotations: { 'karpenter.sh/do-not-disrupt': '2h' } });
  await world.clock.advance(3 * MINUTE);
  const [pod] = podsOf(world, 'batch');
  const start = startedAt(pod!);
  const [claim] = world.api.cache.list('NodeClaim');

  // Expired at about 1h: the claim is deleted (expiration is forceful), but the drain waits for the pod.
  await world.clock.advance(start + 90 * MINUTE - world.clock.now());
  expect(world.api.cache.get('NodeClaim', claim!.metadata.name!)?.metadata.deletionTimestamp).toBeDefined();
  await world.clock.advance(start + 2 * HOUR - MINUTE - world.clock.now());
  expect(world.api.cache.get('NodeClaim', claim!.metadata.name!)).toBeDefined();
  const still = world.api.cache.get('Pod', pod!.metadata.name!, 'default');
  expect(still?.spec.nodeName).toBe(pod!.spec.nodeName);
  expect(still?.metadata.deletionTimestamp).toBeUndefined();
  expect(h.decisions.some((d) => d.action === 'drain-blocked' && d.message.includes(`until ${new Date(start + 2 * HOUR).toISOString()}`))).toBe(true);

  // After 2h: evicted, the node terminated, the pod's replacement running elsewhere.
  await world.clock.advance(10 * MINUTE);
  expect(world.api.cache.get('Pod', pod!.metadata.name!, 'default')).toBeUndefined();
  expect(world.api.cache.get('NodeClaim', claim!.metadata.name!)).toBeUndefined();
  expect(podsOf(world, 'batch').every((p) => p.spec.nodeName)).toBe(true);
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);
