// joinery's finalizer on the NodePools of its intent: added, held while the deleted pool
// still has NodeClaims, removed once it has none; never added to a NodePool not in the intent.
import { FINALIZER_NODEPOOL_TERMINATION } from '../../../../../core/contract/index.ts';
import type { NodePool } from '../../../../../core/api/karpenter.ts';
import { newWorld, nodeClass, nodePool, onDemandClaim, startReconciler, MINUTE } from '../../../behaviour/fixtures.ts';

test('added to the pools of the intent only; removed from a deleted pool once its last NodeClaim is gone', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  // Upstream Karpenter's NodePool, not in joinery's intent.
  world.api.create('NodePool', { ...nodePool('karpenters'), status: undefined } as NodePool);
  const h = await startReconciler(world);
  await world.clock.advance(MINUTE);
  expect(world.api.cache.get('NodePool', 'general')!.metadata.finalizers).toEqual([FINALIZER_NODEPOOL_TERMINATION]);
  expect(world.api.cache.get('NodePool', 'karpenters')!.metadata.finalizers ?? []).toEqual([]);

  // A claim of the pool with a finalizer of its own keeps the deleted pool.
  const claim = world.api.create('NodeClaim', { ...onDemandClaim(world, 'held'), metadata: { ...onDemandClaim(world, 'held').metadata, finalizers: ['test/hold'] } });
  world.api.delete('NodePool', 'general');
  await world.clock.advance(MINUTE);
  expect(world.api.cache.get('NodePool', 'general')?.metadata.deletionTimestamp).toBeDefined();
  await world.api.patchNodeClaim(claim.metadata.name!, { removeFinalizers: ['test/hold'] });
  await world.api.deleteNodeClaim(claim.metadata.name!);
  await world.clock.advance(MINUTE);
  expect(world.api.cache.get('NodePool', 'general')).toBeUndefined();
  expect(h.decisions.some((d) => d.controller === 'nodepool-termination' && d.action === 'released' && d.nodePool === 'general')).toBe(true);
  await h.reconciler.stop();
});
