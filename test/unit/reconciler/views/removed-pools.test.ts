// Which nodes belong to a NodePool that is going away: gone from the intent, or its object
// being deleted; only NodeClaims joinery launched (labelled with the policy commit).
import type { NodeClaim } from '../../../../core/api/karpenter.ts';
import { LABEL_NODEPOOL, LABEL_POLICY_COMMIT } from '../../../../core/contract/index.ts';
import type { StateNode } from '../../../../reconciler/views/cluster-state.ts';
import { indexIntent } from '../../../../reconciler/views/drift.ts';
import { deletingNodePools, poolRemoval } from '../../../../reconciler/views/removed-pools.ts';
import { newWorld, nodeClass, nodePool } from '../../behaviour/fixtures.ts';

function node(pool: string, joinery = true): StateNode {
  const claim = { metadata: { name: `${pool}-x`, labels: { [LABEL_NODEPOOL]: pool, ...(joinery ? { [LABEL_POLICY_COMMIT]: 'a1' } : {}) } }, spec: { nodeClassRef: { name: 'default' } } } as unknown as NodeClaim;
  return { name: claim.metadata.name!, claim, nodePool: pool } as StateNode;
}

test('a pool gone from the intent, or whose object is being deleted; never a claim joinery did not launch', () => {
  const world = newWorld();
  const intent = world.intent.accept({ commit: 'a1b2c3d4e5f6a7', nodePools: [nodePool('general'), nodePool('batch')], nodeClasses: [nodeClass()] });
  const idx = indexIntent(intent);
  expect(poolRemoval(node('general'), idx, new Set())).toBeUndefined();
  expect(poolRemoval(node('gone'), idx, new Set())).toBe('NodePool gone is not in the intent in force (commit a1b2c3d4e5f6)');
  expect(poolRemoval(node('batch'), idx, new Set(['batch']))).toBe('NodePool batch is being deleted');
  // Upstream Karpenter's claim of a pool joinery does not know: not joinery's to remove.
  expect(poolRemoval(node('karpenters', false), idx, new Set())).toBeUndefined();
});

test('deletingNodePools: the NodePool objects carrying a deletionTimestamp', () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general'), nodePool('batch')], nodeClasses: [nodeClass()] });
  expect([...deletingNodePools(world.api.cache)]).toEqual([]);
  world.api.update('NodePool', 'batch', undefined, (p) => {
    p.metadata.finalizers = ['x'];
  });
  world.api.delete('NodePool', 'batch');
  expect([...deletingNodePools(world.api.cache)]).toEqual(['batch']);
});
