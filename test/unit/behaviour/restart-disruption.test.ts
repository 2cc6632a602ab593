// A drift rollout survives a restart: the decision (which nodes, which replacements) is
// on the NodeClaims, so a new reconciler waits for the same replacements and then drains
// the same nodes, launching nothing twice.
import { ANNOTATION_DISRUPTION, ANNOTATION_REPLACES } from '../../../core/contract/index.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

test('a reconciler restarted while drift replacements are launching resumes the same command', async () => {
  const world = newWorld();
  const before = nodePool('general', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] },
    ],
    budgets: [{ nodes: '1' }],
  });
  world.intent.accept({ commit: 'a1', nodePools: [before], nodeClasses: [nodeClass()] });
  const first = await startReconciler(world, { stabilizationMs: 0 });
  deployment(world, 'web', 12, { cpu: '1', memory: '2Gi' });
  await world.clock.advance(5 * MINUTE);
  const oldClaims = world.api.cache.list('NodeClaim').map((c) => c.metadata.name!);
  expect(oldClaims.length).toBeGreaterThan(1);

  const after = nodePool('general', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m7i'] },
    ],
    budgets: [{ nodes: '1' }],
  });
  world.intent.accept({ commit: 'b2', nodePools: [after], nodeClasses: [nodeClass()] });
  // Until the first drift command is decided and its replacement is launching.
  for (let i = 0; i < 60 && !world.api.cache.list('NodeClaim').some((c) => c.metadata.annotations?.[ANNOTATION_DISRUPTION]); i++) await world.clock.advance(1_000);
  const marked = world.api.cache.list('NodeClaim').filter((c) => c.metadata.annotations?.[ANNOTATION_DISRUPTION]);
  expect(marked).toHaveLength(1);
  const replacementsBefore = world.api.cache.list('NodeClaim').filter((c) => c.metadata.annotations?.[ANNOTATION_REPLACES]).map((c) => c.metadata.name);
  expect(replacementsBefore.length).toBeGreaterThan(0);
  expect(marked[0]!.metadata.deletionTimestamp).toBeUndefined();

  void first.reconciler.stop(); // the process dies here
  const second = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(3 * MINUTE);
  // The same replacements were kept (not launched again), and the marked node is draining or gone.
  const replacementsAfter = world.api.cache.list('NodeClaim').filter((c) => c.metadata.annotations?.[ANNOTATION_REPLACES]?.includes(marked[0]!.metadata.name!));
  expect(replacementsAfter.map((c) => c.metadata.name).sort()).toEqual([...replacementsBefore].sort());
  const m = world.api.cache.get('NodeClaim', marked[0]!.metadata.name!);
  expect(m === undefined || m.metadata.deletionTimestamp !== undefined).toBe(true);

  // And the rollout completes: every old node replaced, every pod running, one instance per claim.
  await world.clock.advance(60 * MINUTE);
  const claims = world.api.cache.list('NodeClaim');
  for (const old of oldClaims) expect(claims.map((c) => c.metadata.name)).not.toContain(old);
  for (const c of claims) expect(c.metadata.labels?.['karpenter.k8s.aws/instance-family']).toBe('m7i');
  expect(podsOf(world, 'web').every((p) => p.spec.nodeName)).toBe(true);
  const live = world.ec2.allInstances().filter((r) => r.instance.state !== 'terminated');
  expect(live.length).toBe(claims.length);
  expect(second.errors).toEqual([]);
  await second.reconciler.stop();
}, 60_000);
