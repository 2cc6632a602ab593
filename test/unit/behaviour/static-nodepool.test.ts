// A static NodePool (spec.replicas) on the whole reconciler, in-memory: it keeps exactly
// replicas nodes without any pod; more and fewer as replicas changes in the intent; its
// empty nodes are never consolidated (consolidateAfter 30s under WhenEmpty); pending pods do
// not grow it; a drift rollout replaces its nodes one at a time, replacement first, never
// below replicas in service; an expired node at limits.nodes is deleted first and refilled;
// a budget of 0 holds a scale-down; NodePool status says desired and current.
import type { NodeClaim, NodePool } from '../../../core/api/karpenter.ts';
import { ANNOTATION_DISRUPTION, CONDITION_INITIALIZED, CONDITION_REPLICAS_READY, LABEL_NODEPOOL } from '../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

const m6i = [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: ['m6i'] },
];

function fixed(replicas: number, o: { limit?: number; budgets?: { nodes: string }[]; expireAfter?: string; label?: string } = {}): NodePool {
  const p = nodePool('fixed', { requirements: m6i, consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', budgets: o.budgets ?? [{ nodes: '100%' }], ...(o.expireAfter ? { expireAfter: o.expireAfter } : {}) });
  return {
    ...p,
    spec: {
      ...p.spec,
      replicas,
      ...(o.limit !== undefined ? { limits: { nodes: o.limit } } : {}),
      template: { ...p.spec.template, ...(o.label ? { metadata: { labels: { 'example.com/rev': o.label } } } : {}) },
    },
  };
}

const claims = (world: InMemoryWorld): NodeClaim[] => world.api.cache.list('NodeClaim').filter((c) => c.metadata.labels?.[LABEL_NODEPOOL] === 'fixed');
const initialized = (c: NodeClaim) => c.status?.conditions?.some((x) => x.type === CONDITION_INITIALIZED && x.status === 'True') ?? false;
const leaving = (c: NodeClaim) => Boolean(c.metadata.deletionTimestamp || c.metadata.annotations?.[ANNOTATION_DISRUPTION]);
const inService = (world: InMemoryWorld) => claims(world).filter((c) => initialized(c) && !leaving(c));

async function until(world: InMemoryWorld, what: string, done: () => boolean, withinMs: number, each?: () => void): Promise<void> {
  const deadline = world.clock.now() + withinMs;
  while (!done()) {
    if (world.clock.now() >= deadline) throw new Error(`not within ${withinMs / MINUTE} min: ${what}`);
    await world.clock.advance(5_000);
    each?.();
  }
}

describe('a static NodePool', () => {
  test('keeps replicas nodes without pods, follows replicas up and down, never consolidates them, and reports desired and current', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [fixed(2, { limit: 4 })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    await until(world, '2 nodes in service', () => inService(world).length === 2, 5 * MINUTE);
    expect(claims(world)).toHaveLength(2);
    const launch = h.decisions.find((d) => d.controller === 'static' && d.action === 'launch')!;
    expect(launch).toMatchObject({ reason: 'static-replicas', nodePool: 'fixed' });
    expect(launch.nodeClaims).toHaveLength(2);

    // Empty for 10 minutes under WhenEmpty/30s: not consolidated, nothing more launched.
    const first = claims(world).map((c) => c.metadata.name).sort();
    await world.clock.advance(10 * MINUTE);
    expect(claims(world).map((c) => c.metadata.name).sort()).toEqual(first);
    expect(h.decisions.filter((d) => d.controller === 'disruption' && d.action !== 'skip')).toEqual([]);
    const status = world.api.cache.get('NodePool', 'fixed')!.status!;
    expect(status.nodes).toBe(2);
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: CONDITION_REPLICAS_READY, status: 'True', message: 'desired 2, current 2 in service (0 launching, 0 leaving)' }));

    // Pending pods are not provisioned for in the static pool: they fill its nodes, the rest stay pending.
    deployment(world, 'web', 12, { cpu: '1', memory: '1Gi' });
    await world.clock.advance(3 * MINUTE);
    expect(claims(world)).toHaveLength(2);
    expect(podsOf(world, 'web').filter((p) => p.spec.nodeName).length).toBeGreaterThan(0);
    expect(podsOf(world, 'web').some((p) => !p.spec.nodeName)).toBe(true);
    world.workloads.applyDeployment({ name: 'web', namespace: 'default', replicas: 0, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', resources: { requests: { cpu: '1' } } }] } } });
    await world.clock.advance(MINUTE);

    // Up: 2 -> 4 (limits.nodes 4).
    world.intent.accept({ commit: 'b2', nodePools: [fixed(4, { limit: 4 })], nodeClasses: [nodeClass()] });
    await until(world, '4 nodes in service', () => inService(world).length === 4, 5 * MINUTE);
    // Down: 4 -> 1, empty nodes first; the survivors stay.
    world.intent.accept({ commit: 'c3', nodePools: [fixed(1, { limit: 4 })], nodeClasses: [nodeClass()] });
    await until(world, 'one node left', () => claims(world).length === 1, 5 * MINUTE);
    const down = h.decisions.filter((d) => d.controller === 'static' && d.reason === 'static-scale-down');
    expect(down.flatMap((d) => d.nodeClaims ?? [])).toHaveLength(3);
    await world.clock.advance(10 * MINUTE);
    expect(inService(world)).toHaveLength(1);
    await world.clock.advance(MINUTE); // status is written at most every 30 s
    expect(world.api.cache.get('NodePool', 'fixed')!.status!.nodes).toBe(1);
    expect(world.api.cache.get('NodePool', 'fixed')!.status!.conditions).toContainEqual(expect.objectContaining({ type: CONDITION_REPLICAS_READY, status: 'True', message: 'desired 1, current 1 in service (0 launching, 0 leaving)' }));
    expect(h.errors).toEqual([]);
  });

  test('a budget of 0 holds the scale-down (and says so); limits.nodes caps the scale-up', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [fixed(3, { limit: 2, budgets: [{ nodes: '0' }] })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    await until(world, '2 nodes in service', () => inService(world).length === 2, 5 * MINUTE);
    await world.clock.advance(5 * MINUTE);
    expect(claims(world)).toHaveLength(2);
    expect(h.decisions).toContainEqual(expect.objectContaining({ controller: 'static', action: 'limit-reached', reason: 'nodepool-limit', nodePool: 'fixed' }));
    world.intent.accept({ commit: 'b2', nodePools: [fixed(1, { limit: 2, budgets: [{ nodes: '0' }] })], nodeClasses: [nodeClass()] });
    await world.clock.advance(5 * MINUTE);
    expect(claims(world)).toHaveLength(2);
    const held = h.decisions.find((d) => d.controller === 'static' && d.reason === 'budget')!;
    expect(held.message).toMatch(/1 node\(s\) above replicas 1 wait for the disruption budget/);
    world.intent.accept({ commit: 'c3', nodePools: [fixed(1, { limit: 2, budgets: [{ nodes: '1' }] })], nodeClasses: [nodeClass()] });
    await until(world, 'one node left', () => claims(world).length === 1, 5 * MINUTE);
  });

  test('drift replaces the nodes one at a time, replacement first, never fewer than replicas in service', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [fixed(3, { limit: 4, label: 'a' })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    await until(world, '3 nodes in service', () => inService(world).length === 3, 5 * MINUTE);
    const old = new Set(claims(world).map((c) => c.metadata.name!));
    world.intent.accept({ commit: 'b2', nodePools: [fixed(3, { limit: 4, label: 'b' })], nodeClasses: [nodeClass()] });
    let maxLeaving = 0;
    let minInService = Infinity;
    let maxClaims = 0;
    await until(
      world,
      'every node replaced',
      () => claims(world).length === 3 && claims(world).every((c) => !old.has(c.metadata.name!) && initialized(c)),
      60 * MINUTE,
      () => {
        maxLeaving = Math.max(maxLeaving, claims(world).filter(leaving).length);
        // A node marked for replacement still serves until its replacement is up.
        minInService = Math.min(minInService, claims(world).filter((c) => initialized(c) && !c.metadata.deletionTimestamp).length);
        maxClaims = Math.max(maxClaims, claims(world).length);
      },
    );
    expect(maxLeaving).toBe(1);
    expect(minInService).toBeGreaterThanOrEqual(3);
    expect(maxClaims).toBeLessThanOrEqual(4);
    for (const c of claims(world)) expect(c.metadata.labels?.['example.com/rev']).toBe('b');
    const replaced = h.decisions.filter((d) => d.controller === 'disruption' && d.action === 'replace' && d.reason === 'drifted');
    expect(replaced).toHaveLength(3);
    for (const d of replaced) expect(d.message).toMatch(/static NodePool fixed: drifted/);
  });

  test('at limits.nodes an expired node is deleted first and refilled; a drifted one waits and says why', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [fixed(2, { limit: 2, expireAfter: '1h' })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { stabilizationMs: 0 });
    await until(world, '2 nodes in service', () => inService(world).length === 2, 5 * MINUTE);
    const old = new Set(claims(world).map((c) => c.metadata.name!));
    // Later claims must not expire within the test.
    world.intent.accept({ commit: 'b2', nodePools: [fixed(2, { limit: 2, expireAfter: '720h' })], nodeClasses: [nodeClass()] });
    // The expireAfter change drifts both nodes, but no replacement fits under limits.nodes 2.
    await world.clock.advance(5 * MINUTE);
    expect(claims(world).every((c) => old.has(c.metadata.name!) && !leaving(c))).toBe(true);
    expect(h.decisions).toContainEqual(expect.objectContaining({ controller: 'disruption', action: 'skip', reason: 'nodepool-limit', message: expect.stringMatching(/raise limits.nodes above replicas 2/) }));
    let maxClaims = 0;
    let maxLeaving = 0;
    await until(world, 'both expired nodes replaced', () => inService(world).length === 2 && claims(world).every((c) => !old.has(c.metadata.name!)), 2 * 60 * MINUTE, () => {
      maxClaims = Math.max(maxClaims, claims(world).length);
      maxLeaving = Math.max(maxLeaving, claims(world).filter(leaving).length);
    });
    expect(maxClaims).toBeLessThanOrEqual(2);
    expect(maxLeaving).toBe(1);
    const expired = h.decisions.filter((d) => d.controller === 'disruption' && d.reason === 'expired');
    expect(expired.map((d) => d.action)).toEqual(['delete', 'delete']);
  });
});
