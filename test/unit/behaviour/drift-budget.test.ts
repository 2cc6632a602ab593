// A drift rollout of a large pool stays within its percentage budget the whole way: the
// replacements booting during the rollout do not raise the pool's total (issue 22: with
// 80 drifting nodes under 10%, 9 were disrupted at once where 8 were allowed).
import { ANNOTATION_DISRUPTION } from '../../../core/contract/index.ts';
import { restoreFleet } from '../../../reconciler/scenario/fleet.ts';
import { poolDisruption, ScenarioRecorder } from '../../../reconciler/scenario/recorder.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE } from './fixtures.ts';

const family = (f: string) => [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: [f] },
];

test('80 drifting nodes under a 10% budget: never more than 8 disrupting at once', async () => {
  const world = newWorld();
  const before = nodePool('general', { requirements: family('m6i'), budgets: [{ nodes: '10%' }], consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
  world.intent.accept({ commit: 'a1', nodePools: [before], nodeClasses: [nodeClass()] });
  expect(restoreFleet(world, world.intent.current()!, [{ nodePool: 'general', instanceType: 'm6i.large', capacityType: 'on-demand', zone: world.ec2.zones[0]!, count: 80, ageMs: HOUR }], 'test')).toBe(80);
  // Nothing but drift disrupts here (no consolidation). One pod per node (two 1-CPU pods do not fit a large's allocatable).
  deployment(world, 'web', 80, { cpu: '1', memory: '2Gi' });
  const recorder = new ScenarioRecorder(world);
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(MINUTE);
  expect(podsOf(world, 'web').filter((p) => p.spec.nodeName)).toHaveLength(80);
  const oldClaims = new Set(world.api.cache.list('NodeClaim').map((c) => c.metadata.name!));
  expect(oldClaims.size).toBe(80);

  const after = nodePool('general', { requirements: family('m7i'), budgets: [{ nodes: '10%' }], consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
  world.intent.accept({ commit: 'b2', nodePools: [after], nodeClasses: [nodeClass()] });

  let maxDisrupting = 0;
  let samples = 0;
  let overCap = 0;
  let last = 0;
  const deadline = world.clock.now() + 3 * HOUR;
  while (world.clock.now() < deadline) {
    await world.clock.advance(5_000);
    const claims = world.api.cache.list('NodeClaim');
    const { disrupting, cap } = poolDisruption(after, claims, 'Drifted', world.clock.now());
    samples += 1;
    maxDisrupting = Math.max(maxDisrupting, disrupting);
    // Over budget: more disrupting than allowed, and more than before (a pool shrinking under
    // nodes already draining, their replacements being fewer and larger, starts nothing).
    if (disrupting > cap && disrupting > last) overCap += 1;
    last = disrupting;
    const oldLeft = claims.filter((c) => oldClaims.has(c.metadata.name!)).length;
    if (oldLeft === 0 && !claims.some((c) => c.metadata.annotations?.[ANNOTATION_DISRUPTION] || c.metadata.deletionTimestamp)) break;
  }
  recorder.stop();
  const [watch] = recorder.rolloutWatches();
  // eslint-disable-next-line no-console
  console.log(`drift rollout of 80 nodes under 10%: at most ${maxDisrupting} disrupting at once over ${samples} samples of 5 s; recorder: at most ${watch?.maxConcurrent} (budget ${watch?.capAtMax}), ${watch?.violations} violation(s)`);

  const claims = world.api.cache.list('NodeClaim');
  expect(claims.filter((c) => oldClaims.has(c.metadata.name!))).toEqual([]);
  for (const c of claims) expect(c.metadata.labels?.['karpenter.k8s.aws/instance-family']).toBe('m7i');
  expect(podsOf(world, 'web').every((p) => p.spec.nodeName)).toBe(true);
  expect(maxDisrupting).toBeGreaterThan(1); // the budget was used, not only one node at a time
  expect(maxDisrupting).toBeLessThanOrEqual(8);
  expect(overCap).toBe(0);
  expect(watch?.violations).toBe(0);
  expect(watch?.maxConcurrent).toBeLessThanOrEqual(8);
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 120_000);
