// A NodeClaim carries an ownerReference to its NodePool object, as Karpenter's do, when the
// cluster holds the object (and it is not being deleted).
import { nodePoolUid } from '../../../../../reconciler/controllers/shared/nodeclaim.ts';
import { newWorld, nodeClass, nodePool, onDemandClaim } from '../../../behaviour/fixtures.ts';
import { nodeClaimFor } from '../../../../../reconciler/controllers/shared/nodeclaim.ts';
import { indexIntent } from '../../../../../reconciler/views/drift.ts';

test('ownerReference to the NodePool object (blockOwnerDeletion), none without a uid', () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const uid = nodePoolUid(world.api.cache, 'general');
  expect(uid).toBe(world.api.cache.get('NodePool', 'general')!.metadata.uid);
  const intent = world.intent.current()!;
  const base = onDemandClaim(world, 'c1');
  const owned = nodeClaimFor({ newNode: { name: 'c1', nodePool: 'general', requirements: [], labels: {}, instanceTypeOptions: [], pods: [], requests: {}, price: 0 }, pool: intent.nodePools[0]!, intent: indexIntent(intent), poolUid: uid });
  expect(owned.metadata.ownerReferences).toEqual([{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'general', uid, blockOwnerDeletion: true }]);
  expect(base.metadata.ownerReferences).toBeUndefined();
  expect(nodePoolUid(world.api.cache, 'missing')).toBeUndefined();
});

test('the in-memory garbage collector: deleting the owner deletes its claims (their finalizers still hold them)', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const intent = world.intent.current()!;
  const uid = nodePoolUid(world.api.cache, 'general');
  const claim = await world.api.createNodeClaim(
    nodeClaimFor({ newNode: { name: 'c1', nodePool: 'general', requirements: [], labels: {}, instanceTypeOptions: [], pods: [], requests: {}, price: 0 }, pool: intent.nodePools[0]!, intent: indexIntent(intent), poolUid: uid }),
  );
  world.api.delete('NodePool', 'general');
  expect(world.api.cache.get('NodeClaim', claim.metadata.name!)?.metadata.deletionTimestamp).toBeDefined();
});
