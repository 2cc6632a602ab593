// The hash controller: NodeClaims whose hash version is not the reconciler's (launched
// before joinery changed what it hashes, or by upstream Karpenter) are re-annotated with
// the current hash, not drifted; claims of the current version are left alone.
import type { NodeClaim } from '../../../../../core/api/karpenter.ts';
import { ANNOTATION_DISRUPTION } from '../../../../../core/contract/index.ts';
import { nodeClassHash, nodePoolHash, NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION } from '../../../../../core/disruption/drift.ts';
import { hashUpdate } from '../../../../../reconciler/controllers/hash/controller.ts';
import { indexIntent } from '../../../../../reconciler/views/drift.ts';
import { restoreFleet } from '../../../../../reconciler/scenario/fleet.ts';
import { newWorld, nodeClass, nodePool, startReconciler, HOUR, MINUTE, START } from '../../../behaviour/fixtures.ts';

const pool = nodePool('general');
const cls = nodeClass();
const idx = indexIntent({ commit: 'x', nodePools: [pool], nodeClasses: [cls], acceptedAt: START });

function claim(annotations: Record<string, string>): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: 'a', labels: { 'karpenter.sh/nodepool': 'general' }, annotations },
    spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, requirements: [] },
  };
}

const OLD = {
  'karpenter.sh/nodepool-hash': '123',
  'karpenter.sh/nodepool-hash-version': 'joinery-v1',
  'karpenter.k8s.aws/ec2nodeclass-hash': '456',
  'karpenter.k8s.aws/ec2nodeclass-hash-version': 'v4',
};

test('hashUpdate: an old or foreign version gets the current hash and version; the current version nothing', () => {
  expect(hashUpdate(claim(OLD), idx)).toEqual({
    'karpenter.sh/nodepool-hash': nodePoolHash(pool),
    'karpenter.sh/nodepool-hash-version': NODEPOOL_HASH_VERSION,
    'karpenter.k8s.aws/ec2nodeclass-hash': nodeClassHash(cls),
    'karpenter.k8s.aws/ec2nodeclass-hash-version': NODECLASS_HASH_VERSION,
  });
  const current = { ...OLD, 'karpenter.sh/nodepool-hash-version': NODEPOOL_HASH_VERSION, 'karpenter.k8s.aws/ec2nodeclass-hash-version': NODECLASS_HASH_VERSION };
  expect(hashUpdate(claim(current), idx)).toBeUndefined();
  // A pool no longer in the intent: nothing to hash against.
  expect(hashUpdate({ ...claim(OLD), metadata: { ...claim(OLD).metadata, labels: { 'karpenter.sh/nodepool': 'gone' } } }, idx)).toEqual({
    'karpenter.k8s.aws/ec2nodeclass-hash': nodeClassHash(cls),
    'karpenter.k8s.aws/ec2nodeclass-hash-version': NODECLASS_HASH_VERSION,
  });
});

test('a fleet annotated with the previous hash version is re-annotated, not drifted', async () => {
  const world = newWorld();
  // No consolidation: only drift could disrupt these empty nodes.
  const quiet = nodePool('general', { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
  world.intent.accept({ commit: 'a1', nodePools: [quiet], nodeClasses: [cls] });
  expect(restoreFleet(world, world.intent.current()!, [{ nodePool: 'general', instanceType: 'm6i.large', capacityType: 'on-demand', zone: world.ec2.zones[0]!, count: 4, ageMs: HOUR }], 'test')).toBe(4);
  const names = world.api.cache.list('NodeClaim').map((c) => c.metadata.name!);
  // As a reconciler of the previous version wrote them (a different hash, joinery-v1).
  for (const n of names) await world.api.patchNodeClaim(n, { annotations: { 'karpenter.sh/nodepool-hash': '123', 'karpenter.sh/nodepool-hash-version': 'joinery-v1' } });
  // One already marked for disruption is left as it is.
  await world.api.patchNodeClaim(names[0]!, { annotations: { [ANNOTATION_DISRUPTION]: 'x' } });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(MINUTE);
  const claims = world.api.cache.list('NodeClaim');
  for (const n of names.slice(1)) {
    const c = claims.find((x) => x.metadata.name === n)!;
    expect(c.metadata.deletionTimestamp).toBeUndefined();
    expect(c.metadata.annotations?.['karpenter.sh/nodepool-hash']).toBe(nodePoolHash(quiet));
    expect(c.metadata.annotations?.['karpenter.sh/nodepool-hash-version']).toBe(NODEPOOL_HASH_VERSION);
  }
  expect(claims.find((x) => x.metadata.name === names[0])?.metadata.annotations?.['karpenter.sh/nodepool-hash-version']).toBe('joinery-v1');
  expect(h.decisions.filter((d) => d.controller === 'disruption')).toEqual([]);
  expect(h.errors).toEqual([]);
  await h.reconciler.stop();
}, 60_000);
