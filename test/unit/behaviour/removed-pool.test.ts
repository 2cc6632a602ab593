// What `joinery plan` says of a NodePool removed from git (compiler/plan/consequences.ts,
// kind pool-removed: "its nodes are replaced in other NodePools and removed, replacements
// first, at most 10% of the pool's nodes at a time ... a node whose pods fit no other
// NodePool stays, reported ... The NodePool object is held by joinery's finalizer until its
// nodes are gone"), watched on the reconciler: a running fleet, the pool removed from the
// intent (and its object deleted, as a prune does), every node replaced and removed at the
// removal rate, the pods moved to the other pool, the object released at the end.
import type { NodeClaim, NodePool } from '../../../core/api/karpenter.ts';
import { ANNOTATION_DISRUPTION, CONDITION_INSTANCE_TERMINATING, FINALIZER_NODEPOOL_TERMINATION, LABEL_NODEPOOL } from '../../../core/contract/index.ts';
import { restoreFleet } from '../../../reconciler/scenario/fleet.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE } from './fixtures.ts';

const NODES = 20;
/** The removal rate: 10% of the pool's nodes at a time (2 of 20; fewer as the pool shrinks). */
const RATE = (total: number) => Math.ceil(total / 10);
/** The stated time in the behaviour registry: 20 nodes at 10% at a time are gone within this. */
export const REMOVAL_WITHIN = 2 * HOUR;

const quiet = { consolidationPolicy: 'WhenEmpty' as const, consolidateAfter: 'Never', budgets: [{ nodes: '0' }] };
const m6i = [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m6i'] },
];
const c7i = [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['c7i', 'm7i'] },
];

function terminating(c: NodeClaim): boolean {
  return c.status?.conditions?.some((x) => x.type === CONDITION_INSTANCE_TERMINATING && x.status === 'True') ?? false;
}

function poolClaims(world: InMemoryWorld, pool: string) {
  return world.api.cache.list('NodeClaim').filter((c) => c.metadata.labels?.[LABEL_NODEPOOL] === pool);
}

async function fleet(pools: NodePool[]) {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: pools, nodeClasses: [nodeClass()] });
  expect(restoreFleet(world, world.intent.current()!, [{ nodePool: 'general', instanceType: 'm6i.large', capacityType: 'on-demand', zone: world.ec2.zones[0]!, count: NODES, ageMs: HOUR }], 'test')).toBe(NODES);
  deployment(world, 'web', NODES, { cpu: '1', memory: '2Gi' });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(MINUTE);
  expect(podsOf(world, 'web').filter((p) => p.spec.nodeName)).toHaveLength(NODES);
  return { world, h };
}

test(`a NodePool removed from git: its ${NODES} nodes are replaced in the other pool and removed, at most 10% at a time, replacements first, within ${REMOVAL_WITHIN / HOUR}h; the NodePool object goes last`, async () => {
  const general = nodePool('general', { ...quiet, requirements: m6i });
  const other = nodePool('other', { ...quiet, requirements: c7i });
  const { world, h } = await fleet([general, other]);
  const generalObject = world.api.cache.get('NodePool', 'general')!;
  const old = poolClaims(world, 'general');
  expect(old).toHaveLength(NODES);
  // Karpenter's ownerReference, and joinery's finalizer on the pool object.
  for (const c of old) expect(c.metadata.ownerReferences).toEqual([{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'general', uid: generalObject.metadata.uid, blockOwnerDeletion: true }]);
  await world.clock.advance(MINUTE);
  expect(world.api.cache.get('NodePool', 'general')!.metadata.finalizers).toContain(FINALIZER_NODEPOOL_TERMINATION);
  // Nothing moves while the pool is in the intent (its budget allows nothing).
  await world.clock.advance(10 * MINUTE);
  expect(poolClaims(world, 'general').filter((c) => !c.metadata.deletionTimestamp)).toHaveLength(NODES);

  // The commit that removes the pool; the in-memory Argo CD deletes its object at once.
  world.intent.accept({ commit: 'b2', nodePools: [other], nodeClasses: [nodeClass()] });
  const removedAt = world.clock.now();
  expect(world.api.cache.get('NodePool', 'general')?.metadata.deletionTimestamp).toBeDefined();
  let maxOverRate = -Infinity;
  let maxLeaving = 0;
  let maxUnbound = 0;
  let doneAt: number | undefined;
  while (world.clock.now() - removedAt < 3 * HOUR) {
    await world.clock.advance(5_000);
    const claims = poolClaims(world, 'general');
    // Leaving, as budgets count it: marked or being deleted, until the instance is terminating.
    const leaving = claims.filter((c) => (c.metadata.annotations?.[ANNOTATION_DISRUPTION] || c.metadata.deletionTimestamp) && !terminating(c)).length;
    maxOverRate = Math.max(maxOverRate, leaving - RATE(NODES));
    maxLeaving = Math.max(maxLeaving, leaving);
    maxUnbound = Math.max(maxUnbound, podsOf(world, 'web').filter((p) => !p.spec.nodeName).length);
    if (claims.length > 0 || world.api.cache.get('NodePool', 'general')) continue;
    doneAt = world.clock.now();
    break;
  }
  const removals = h.decisions.filter((d) => d.controller === 'disruption' && d.reason === 'pool-removed');
  const released = h.decisions.find((d) => d.controller === 'nodepool-termination' && d.action === 'released');
  await h.reconciler.stop();
  // eslint-disable-next-line no-console
  console.log(`removed pool: ${removals.length} removal decision(s), at most ${maxLeaving} leaving at once, at most ${maxUnbound} web pod(s) unbound, done in ${doneAt === undefined ? 'never' : `${Math.round((doneAt - removedAt) / MINUTE)} min`}`);

  expect(doneAt).toBeDefined();
  expect(doneAt! - removedAt).toBeLessThanOrEqual(REMOVAL_WITHIN);
  expect(maxOverRate).toBeLessThanOrEqual(0);
  expect(maxLeaving).toBe(2); // 10% of 20: the rate was used, and never exceeded
  expect(removals.length).toBeGreaterThanOrEqual(NODES / 2);
  expect(removals.every((d) => d.action === 'replace')).toBe(true); // replacements first, every time
  expect(released?.nodePool).toBe('general');
  // Every pod runs, in the other pool; the replacements are owned by it.
  const web = podsOf(world, 'web');
  expect(web).toHaveLength(NODES);
  const otherNodes = new Set(poolClaims(world, 'other').map((c) => c.status?.nodeName));
  expect(web.every((p) => p.spec.nodeName && otherNodes.has(p.spec.nodeName))).toBe(true);
  const otherUid = world.api.cache.get('NodePool', 'other')!.metadata.uid;
  for (const c of poolClaims(world, 'other')) expect(c.metadata.ownerReferences?.[0]?.uid).toBe(otherUid);
  expect(h.errors).toEqual([]);
}, 180_000);

test('a removed pool whose pods fit no other NodePool: its nodes stay, and the reconciler says why', async () => {
  const general = nodePool('general', { ...quiet, requirements: m6i });
  // The only other pool is too small for the pods (limits: 1 CPU).
  const tiny = nodePool('tiny', { ...quiet, requirements: c7i, limits: { cpu: 1 } });
  const { world, h } = await fleet([general, tiny]);
  world.intent.accept({ commit: 'b2', nodePools: [tiny], nodeClasses: [nodeClass()] });
  await world.clock.advance(30 * MINUTE);
  const left = poolClaims(world, 'general').filter((c) => !c.metadata.deletionTimestamp);
  expect(left.length).toBeGreaterThan(NODES - 3);
  expect(podsOf(world, 'web').filter((p) => !p.spec.nodeName).length).toBe(0);
  expect(h.decisions.some((d) => d.reason === 'pods-fit-nowhere' && /NodePool general is not in the intent in force/.test(d.message))).toBe(true);
  // The object stays while its nodes do.
  expect(world.api.cache.get('NodePool', 'general')?.metadata.deletionTimestamp).toBeDefined();
  await h.reconciler.stop();
}, 120_000);
