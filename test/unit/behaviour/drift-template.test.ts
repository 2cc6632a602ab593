// What `joinery plan` says of an expireAfter or terminationGracePeriod change (compiler/plan/
// consequences.ts: "every existing node of the pool drifts and is replaced within the
// disruption budget"), watched on the reconciler: a running fleet, the change committed,
// the nodes drifted and replaced by the drift method, never more at once than the Drifted
// budget, none expired early, all within the stated time; the replacements carry the
// new value (a NodeClaim copies it from the pool at launch, as in Karpenter).
import type { NodePool } from '../../../core/api/karpenter.ts';
import { ANNOTATION_DISRUPTION } from '../../../core/contract/index.ts';
import { restoreFleet } from '../../../reconciler/scenario/fleet.ts';
import { poolDisruption } from '../../../reconciler/scenario/recorder.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE } from './fixtures.ts';

const NODES = 6;
const BUDGET = 2;
/** The stated time: a rollout of 6 nodes, 2 at a time, is done within this. */
const ROLLOUT_WITHIN = HOUR;

const family = [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m6i'] },
];
const quiet = { requirements: family, budgets: [{ nodes: String(BUDGET) }], consolidationPolicy: 'WhenEmpty' as const, consolidateAfter: 'Never' };

async function rollout(before: NodePool, after: NodePool, ageMs: number) {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [before], nodeClasses: [nodeClass()] });
  expect(restoreFleet(world, world.intent.current()!, [{ nodePool: 'general', instanceType: 'm6i.large', capacityType: 'on-demand', zone: world.ec2.zones[0]!, count: NODES, ageMs }], 'test')).toBe(NODES);
  deployment(world, 'web', NODES, { cpu: '1', memory: '2Gi' });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(MINUTE);
  expect(podsOf(world, 'web').filter((p) => p.spec.nodeName)).toHaveLength(NODES);
  const oldClaims = new Set(world.api.cache.list('NodeClaim').map((c) => c.metadata.name!));
  // Nothing happens while the pool is unchanged.
  await world.clock.advance(10 * MINUTE);
  expect(world.api.cache.list('NodeClaim').filter((c) => oldClaims.has(c.metadata.name!) && !c.metadata.deletionTimestamp)).toHaveLength(NODES);

  world.intent.accept({ commit: 'b2', nodePools: [after], nodeClasses: [nodeClass()] });
  const changedAt = world.clock.now();
  let maxDisrupting = 0;
  let doneAt: number | undefined;
  while (world.clock.now() - changedAt < 3 * HOUR) {
    await world.clock.advance(5_000);
    const claims = world.api.cache.list('NodeClaim');
    maxDisrupting = Math.max(maxDisrupting, poolDisruption(after, claims, 'Drifted', world.clock.now()).disrupting);
    if (claims.some((c) => oldClaims.has(c.metadata.name!)) || claims.some((c) => c.metadata.annotations?.[ANNOTATION_DISRUPTION] || c.metadata.deletionTimestamp)) continue;
    doneAt = world.clock.now();
    break;
  }
  const disruptions = h.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'));
  await h.reconciler.stop();
  // eslint-disable-next-line no-console
  console.log(`rollout: ${disruptions.length} drift decision(s), at most ${maxDisrupting} disrupting at once, done in ${doneAt === undefined ? 'never' : `${Math.round((doneAt - changedAt) / MINUTE)} min`}`);
  return { world, h, maxDisrupting, elapsedMs: doneAt === undefined ? Infinity : doneAt - changedAt, disruptions };
}

test(`expireAfter 720h -> 24h on a running pool: its ${NODES} nodes (2 days old) drift and are replaced, at most ${BUDGET} at once, within an hour; none expired early`, async () => {
  const r = await rollout(nodePool('general', { ...quiet, expireAfter: '720h' }), nodePool('general', { ...quiet, expireAfter: '24h' }), 48 * HOUR);
  expect(r.elapsedMs).toBeLessThanOrEqual(ROLLOUT_WITHIN);
  expect(r.maxDisrupting).toBeGreaterThan(1);
  expect(r.maxDisrupting).toBeLessThanOrEqual(BUDGET);
  expect(r.disruptions.length).toBeGreaterThan(0);
  expect(r.disruptions.every((d) => d.reason === 'drifted')).toBe(true);
  const claims = r.world.api.cache.list('NodeClaim');
  expect(claims).toHaveLength(NODES);
  for (const c of claims) expect(c.spec.expireAfter).toBe('24h');
  expect(podsOf(r.world, 'web').every((p) => p.spec.nodeName)).toBe(true);
  expect(r.h.errors).toEqual([]);
}, 120_000);

test(`terminationGracePeriod set on a running pool: its ${NODES} nodes drift and are replaced, at most ${BUDGET} at once, within an hour`, async () => {
  const r = await rollout(nodePool('general', quiet), nodePool('general', { ...quiet, terminationGracePeriod: '1h' }), HOUR);
  expect(r.elapsedMs).toBeLessThanOrEqual(ROLLOUT_WITHIN);
  expect(r.maxDisrupting).toBeLessThanOrEqual(BUDGET);
  expect(r.disruptions.every((d) => d.reason === 'drifted')).toBe(true);
  for (const c of r.world.api.cache.list('NodeClaim')) expect(c.spec.terminationGracePeriod).toBe('1h');
  expect(r.h.errors).toEqual([]);
}, 120_000);
