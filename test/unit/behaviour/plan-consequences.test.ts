// Each consequence `joinery plan` states for running nodes (compiler/plan/consequences.ts),
// applied to a running simulated fleet: the plan is computed for the very change, its
// statement checked, then the reconciler is watched doing what it says, within the stated
// budget and time. The registry of which test backs which consequence kind is
// test/unit/compiler/plan/consequence-backing.test.ts; drift-template.test.ts (template
// drift, shortened expireAfter), drift-budget.test.ts (requirement drift) and
// removed-pool.test.ts (a removed pool) back the others.
import type { EC2NodeClass, NodePool } from '../../../core/api/karpenter.ts';
import { ANNOTATION_DISRUPTION, CONDITION_INSTANCE_TERMINATING, LABEL_NODEPOOL } from '../../../core/contract/index.ts';
import { buildInstanceTypes } from '../../../core/catalog/instance-types.ts';
import { loadShippedCatalog } from '../../../data/catalog.ts';
import { consequencesOf } from '../../../compiler/plan/consequences.ts';
import type { IntentModel } from '../../../compiler/intent.ts';
import type { Consequence } from '../../../compiler/plan/types.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { restoreFleet } from '../../../reconciler/scenario/fleet.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE, type Harness } from './fixtures.ts';

const catalog = buildInstanceTypes(loadShippedCatalog());

function model(pools: NodePool[], classes: EC2NodeClass[]): IntentModel {
  const source = { file: 'policies/test.ts', line: 1, column: 1 };
  return {
    nodePools: pools.map((p) => ({ kind: 'NodePool', name: p.metadata.name!, manifest: p, source, policyFile: 'policies/test.ts' })),
    ec2NodeClasses: classes.map((c) => ({ kind: 'EC2NodeClass', name: c.metadata.name!, manifest: c, source, policyFile: 'policies/test.ts' })),
  } as IntentModel;
}

/** What `joinery plan` prints for the change, one line per consequence: `kind: summary`. */
function plan(before: { pools: NodePool[]; classes: EC2NodeClass[] }, after: { pools: NodePool[]; classes: EC2NodeClass[] }): Consequence[] {
  return consequencesOf(model(before.pools, before.classes), model(after.pools, after.classes), [], catalog);
}

const m6i = [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m6i'] },
];

function leaving(world: InMemoryWorld, pool = 'general'): number {
  return world.api.cache
    .list('NodeClaim')
    .filter((c) => c.metadata.labels?.[LABEL_NODEPOOL] === pool && (c.metadata.annotations?.[ANNOTATION_DISRUPTION] || c.metadata.deletionTimestamp))
    .filter((c) => !c.status?.conditions?.some((x) => x.type === CONDITION_INSTANCE_TERMINATING && x.status === 'True')).length;
}

async function runningFleet(pool: NodePool, classes: EC2NodeClass[], nodes: number, instanceType = 'm6i.large', pods = nodes): Promise<Harness> {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: classes });
  expect(restoreFleet(world, world.intent.current()!, [{ nodePool: 'general', instanceType, capacityType: 'on-demand', zone: world.ec2.zones[0]!, count: nodes, ageMs: HOUR }], 'test')).toBe(nodes);
  deployment(world, 'web', pods, { cpu: '1', memory: '2Gi' });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(MINUTE);
  expect(podsOf(world, 'web').filter((p) => p.spec.nodeName)).toHaveLength(pods);
  return h;
}

/** Applies the commit and advances until `done`, recording how many nodes were leaving at once. */
async function watch(h: Harness, after: { pools: NodePool[]; classes: EC2NodeClass[] }, within: number, done: (w: InMemoryWorld) => boolean) {
  const { world } = h;
  world.intent.accept({ commit: 'b2', nodePools: after.pools, nodeClasses: after.classes });
  const at = world.clock.now();
  let maxLeaving = 0;
  while (world.clock.now() - at < within) {
    await world.clock.advance(5_000);
    maxLeaving = Math.max(maxLeaving, leaving(world));
    if (done(world)) return { elapsedMs: world.clock.now() - at, maxLeaving };
  }
  return { elapsedMs: Infinity, maxLeaving };
}

const claimsOf = (w: InMemoryWorld) => w.api.cache.list('NodeClaim').filter((c) => c.metadata.labels?.[LABEL_NODEPOOL] === 'general');
/**
 * Every old node replaced: none of `old` left, none leaving, every pod bound, and at most `n`
 * nodes (replacements of several drifted nodes planned together may share a larger node
 * when that is cheaper, so the count may fall).
 */
const settled = (old: Set<string>, n: number) => (w: InMemoryWorld) => {
  const claims = claimsOf(w);
  return (
    claims.length > 0 &&
    claims.length <= n &&
    claims.every((c) => !old.has(c.metadata.name!) && !c.metadata.deletionTimestamp && !c.metadata.annotations?.[ANNOTATION_DISRUPTION]) &&
    podsOf(w, 'web').every((p) => p.spec.nodeName)
  );
};

test('EC2NodeClass drift: the plan says every node of the pools using the class drifts and is replaced; all 6 are, within the budget of 2, within an hour', async () => {
  const pool = nodePool('general', { requirements: m6i, budgets: [{ nodes: '2' }], consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
  const before = { pools: [pool], classes: [nodeClass('default', 'v20260101')] };
  const after = { pools: [pool], classes: [nodeClass('default', 'v20260201')] };
  const stated = plan(before, after);
  expect(stated.map((c) => `${c.kind}: ${c.summary}`)).toEqual(['drift: EC2NodeClass default: amiSelectorTerms changed, so every node of NodePool general drifts and is replaced']);

  const h = await runningFleet(pool, before.classes, 6);
  const old = new Set(claimsOf(h.world).map((c) => c.metadata.name!));
  const r = await watch(h, after, HOUR, settled(old, 6));
  await h.reconciler.stop();
  expect(r.elapsedMs).toBeLessThanOrEqual(HOUR);
  expect(r.maxLeaving).toBe(2);
  expect(h.decisions.filter((d) => d.controller === 'disruption' && d.action === 'replace').every((d) => d.reason === 'drifted')).toBe(true);
  expect(podsOf(h.world, 'web').every((p) => p.spec.nodeName)).toBe(true);
  expect(h.errors).toEqual([]);
}, 120_000);

describe('budget changes on a drifted pool held at 0', () => {
  // The pool's nodes drifted under a budget of 0 (nothing moves); then the budget changes.
  const drifted = (budgets: NodePool['spec']['disruption'] extends infer D ? D extends { budgets?: infer B } ? B : never : never) =>
    nodePool('general', { requirements: m6i, budgets, consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' });
  const classesA = [nodeClass('default', 'v20260101')];
  const classesB = [nodeClass('default', 'v20260201')];

  async function heldFleet(nodes: number): Promise<{ h: Harness; old: Set<string> }> {
    const h = await runningFleet(drifted([{ nodes: '0' }]), classesA, nodes);
    const old = new Set(claimsOf(h.world).map((c) => c.metadata.name!));
    h.world.intent.accept({ commit: 'a2', nodePools: [drifted([{ nodes: '0' }])], nodeClasses: classesB });
    await h.world.clock.advance(10 * MINUTE);
    expect(leaving(h.world)).toBe(0); // drifted, held by the budget of 0
    return { h, old };
  }

  test('budget weakened 0 -> 3 nodes: the plan says so; the held rollout proceeds 3 at a time, never more', async () => {
    const before = { pools: [drifted([{ nodes: '0' }])], classes: classesB };
    const after = { pools: [drifted([{ nodes: '3' }])], classes: classesB };
    expect(plan(before, after).map((c) => `${c.kind}: ${c.summary}`)).toEqual([
      'budget-weakened: NodePool general: disruption budget weakened for every reason: 0 nodes -> 3 nodes (on a pool of 1 node: 0 -> 1 at once)',
    ]);
    const { h, old } = await heldFleet(9);
    const r = await watch(h, after, HOUR, settled(old, 9));
    await h.reconciler.stop();
    expect(r.elapsedMs).toBeLessThanOrEqual(HOUR);
    expect(r.maxLeaving).toBe(3);
    expect(h.errors).toEqual([]);
  }, 120_000);

  test("all budgets removed: the plan says Karpenter's default (10% of nodes) applies; 20 held nodes go 2 at a time, never more", async () => {
    const withoutBudgets = (): NodePool => {
      const p = drifted([{ nodes: '0' }]);
      delete p.spec.disruption!.budgets;
      return p;
    };
    const before = { pools: [drifted([{ nodes: '0' }])], classes: classesB };
    const after = { pools: [withoutBudgets()], classes: classesB };
    const stated = plan(before, after).map((c) => `${c.kind}: ${c.summary}`);
    expect(stated).toContain("budget-removed: NodePool general: all disruption budgets removed; Karpenter's default (10% of nodes at once) applies");
    const { h, old } = await heldFleet(20);
    const r = await watch(h, after, 2 * HOUR, settled(old, 20));
    await h.reconciler.stop();
    expect(r.elapsedMs).toBeLessThanOrEqual(2 * HOUR);
    expect(r.maxLeaving).toBe(2);
    expect(h.errors).toEqual([]);
  }, 180_000);

  test('a scheduled budget window removed: the plan says which; outside any other window the held rollout proceeds', async () => {
    // Base: 2 at a time, but 0 in a window that covers the whole day; head drops the window.
    const window = { nodes: '0', schedule: '0 0 * * *', duration: '24h' };
    const before = { pools: [drifted([{ nodes: '2' }, window])], classes: classesB };
    const after = { pools: [drifted([{ nodes: '2' }])], classes: classesB };
    expect(plan(before, after).map((c) => `${c.kind}: ${c.summary}`)).toEqual(['budget-removed: NodePool general: budget removed: 0 nodes during "0 0 * * *" for 24h']);
    const h = await runningFleet(drifted([{ nodes: '2' }, window]), classesA, 6);
    const old = new Set(claimsOf(h.world).map((c) => c.metadata.name!));
    h.world.intent.accept({ commit: 'a2', nodePools: before.pools, nodeClasses: classesB });
    await h.world.clock.advance(10 * MINUTE);
    expect(leaving(h.world)).toBe(0); // held by the window
    const r = await watch(h, after, HOUR, settled(old, 6));
    await h.reconciler.stop();
    expect(r.elapsedMs).toBeLessThanOrEqual(HOUR);
    expect(r.maxLeaving).toBe(2);
    expect(h.errors).toEqual([]);
  }, 120_000);
});

test('consolidation made more aggressive (WhenEmpty -> WhenEmptyOrUnderutilized): the plan says nodes with pods are now consolidated; under-used nodes are, within 30 minutes', async () => {
  const pool = (policy: 'WhenEmpty' | 'WhenEmptyOrUnderutilized') => nodePool('general', { requirements: m6i, budgets: [{ nodes: '100%' }], consolidationPolicy: policy, consolidateAfter: '1m' });
  const cls = [nodeClass()];
  expect(plan({ pools: [pool('WhenEmpty')], classes: cls }, { pools: [pool('WhenEmptyOrUnderutilized')], classes: cls }).map((c) => `${c.kind}: ${c.summary}`)).toEqual([
    'consolidation-more-aggressive: NodePool general: consolidation is more aggressive: consolidationPolicy WhenEmpty -> WhenEmptyOrUnderutilized (nodes with pods are now consolidated too)',
  ]);
  // 12 one-pod apps of 600m on m6i.large (3 fit a node); then on each node all apps but one
  // are scaled to 0: every node left runs one pod, under-used. WhenEmpty removes the nodes
  // left empty, and then nothing.
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [pool('WhenEmpty')], nodeClasses: cls });
  const apps = Array.from({ length: 12 }, (_, i) => `web${i}`);
  for (const a of apps) deployment(world, a, 1, { cpu: '600m', memory: '1Gi' });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  await world.clock.advance(5 * MINUTE);
  const web = () => world.api.cache.list('Pod').filter((p) => p.metadata.labels?.app?.startsWith('web'));
  expect(web().every((p) => p.spec.nodeName)).toBe(true);
  const kept = new Set<string>();
  for (const n of world.api.cache.list('Node')) {
    const onNode = web().filter((p) => p.spec.nodeName === n.metadata.name);
    onNode.slice(1).forEach((p) => world.workloads.scaleDeployment('default', p.metadata.labels!.app!, 0));
    if (onNode[0]) kept.add(onNode[0].metadata.labels!.app!);
  }
  const count = () => world.api.cache.list('Node').length;
  await world.clock.advance(15 * MINUTE);
  const settledCount = count();
  await world.clock.advance(10 * MINUTE);
  expect(count()).toBe(settledCount);
  expect(settledCount).toBeGreaterThanOrEqual(3);
  expect(settledCount).toBe(kept.size); // one pod per node
  const needed = Math.ceil(kept.size / 3);
  const r = await watch(h, { pools: [pool('WhenEmptyOrUnderutilized')], classes: cls }, 30 * MINUTE, (w) => w.api.cache.list('Node').length <= needed && web().every((p) => p.spec.nodeName) && leaving(w) === 0);
  await h.reconciler.stop();
  // eslint-disable-next-line no-console
  console.log(`consolidation: ${settledCount} nodes each running a pod -> ${count()} nodes in ${Math.round(r.elapsedMs / MINUTE)} min`);
  expect(r.elapsedMs).toBeLessThanOrEqual(30 * MINUTE);
  expect(h.decisions.some((d) => d.controller === 'disruption' && d.reason === 'underutilized')).toBe(true);
  expect(h.errors).toEqual([]);
}, 120_000);
