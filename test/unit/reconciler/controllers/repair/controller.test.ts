// Node auto-repair on the in-memory cluster and EC2: a node whose Ready condition stays
// False past its toleration is force-terminated and its pods run elsewhere; a pool with
// more than 20% unhealthy nodes is left alone and says why; a pool that did not opt in is
// never repaired.
import type { NodePool } from '../../../../../core/api/karpenter.ts';
import { ANNOTATION_NODE_REPAIR, CONDITION_NODE_REPAIR_ALLOWED } from '../../../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../../../reconciler/adapters/in-memory/world.ts';
import { unhealthyCondition, unhealthyThreshold } from '../../../../../reconciler/controllers/repair/controller.ts';
import { DEFAULT_REPAIR_POLICIES } from '../../../../../reconciler/runtime/context.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from '../../../behaviour/fixtures.ts';

function pool(repair: boolean): NodePool {
  const p = nodePool('general', {
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6i.large'] },
    ],
    consolidateAfter: 'Never',
  });
  return repair ? { ...p, metadata: { ...p.metadata, annotations: { [ANNOTATION_NODE_REPAIR]: 'enabled' } } } : p;
}

/** One pod per node (1200m of a 1930m m6i.large). */
async function fleet(world: InMemoryWorld, nodes: number): Promise<string[]> {
  deployment(world, 'web', nodes, { cpu: '1200m', memory: '1Gi' });
  await world.clock.advance(4 * MINUTE);
  const names = world.api.cache.list('Node').map((n) => n.metadata.name!);
  expect(names).toHaveLength(nodes);
  return names;
}

function notReady(world: InMemoryWorld, node: string, status: 'False' | 'Unknown' = 'False'): void {
  world.api.update('Node', node, undefined, (n) => {
    n.status = { ...n.status, conditions: [{ type: 'Ready', status, reason: 'KubeletNotReady', message: 'PLEG is not healthy', lastTransitionTime: new Date(world.clock.now()).toISOString() }] };
  });
}

describe('node auto-repair', () => {
  test('a node NotReady past its 30 min toleration is force-terminated; its pod runs on a new node', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [pool(true)], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { nodeRepair: true });
    const nodes = await fleet(world, 5);
    const sick = nodes[0]!;
    notReady(world, sick);
    await world.clock.advance(29 * MINUTE);
    expect(world.api.cache.get('Node', sick)).toBeDefined();
    expect(h.decisions.some((d) => d.action === 'repair')).toBe(false);

    await world.clock.advance(5 * MINUTE);
    const repair = h.decisions.find((d) => d.action === 'repair');
    expect(repair?.nodes).toEqual([sick]);
    expect(repair?.message).toMatch(/Ready=False for 30\.\d min, past its toleration of 30 min: force-terminated without drain/);
    expect(world.api.cache.get('Node', sick)).toBeUndefined();
    const pods = podsOf(world, 'web');
    expect(pods).toHaveLength(5);
    expect(pods.every((p) => p.status?.phase === 'Running' && p.spec.nodeName !== sick)).toBe(true);
    const metric = (await h.reconciler.context.metrics.registry.getSingleMetric('joinery_node_repairs_total')!.get()).values;
    expect(metric).toEqual([expect.objectContaining({ value: 1, labels: { nodepool: 'general', condition: 'Ready' } })]);
    await h.reconciler.stop();
  }, 60_000);

  test('3 of 10 nodes NotReady (more than 20%): none is repaired; the NodePool status and a gauge say why', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [pool(true)], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { nodeRepair: true });
    const nodes = await fleet(world, 10);
    for (const n of nodes.slice(0, 3)) notReady(world, n, 'Unknown');
    await world.clock.advance(45 * MINUTE);
    expect(nodes.every((n) => world.api.cache.get('Node', n))).toBe(true);
    expect(h.decisions.some((d) => d.action === 'repair')).toBe(false);
    const blocked = h.decisions.filter((d) => d.action === 'repair-blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.message).toMatch(/3 of 10 nodes are unhealthy, more than 20%/);
    const condition = world.api.cache.get('NodePool', 'general')?.status?.conditions?.find((c) => c.type === CONDITION_NODE_REPAIR_ALLOWED);
    expect(condition).toMatchObject({ status: 'False', reason: 'TooManyUnhealthyNodes' });
    expect(condition?.message).toMatch(/3 of 10 nodes are unhealthy/);
    const gauge = (await h.reconciler.context.metrics.registry.getSingleMetric('joinery_node_repair_blocked')!.get()).values;
    expect(gauge).toEqual([expect.objectContaining({ value: 1, labels: { nodepool: 'general' } })]);

    // One recovers: 2 of 10 is within 20%, so both others are repaired.
    world.api.update('Node', nodes[0]!, undefined, (n) => {
      n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: new Date(world.clock.now()).toISOString() }] };
    });
    await world.clock.advance(2 * MINUTE);
    expect(h.decisions.filter((d) => d.action === 'repair').map((d) => d.nodes![0]).sort()).toEqual(nodes.slice(1, 3).sort());
    await h.reconciler.stop();
  }, 60_000);

  test('a pool that did not opt in is never repaired, even with the feature gate on', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [pool(false)], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world, { nodeRepair: true });
    const nodes = await fleet(world, 5);
    notReady(world, nodes[0]!);
    await world.clock.advance(60 * MINUTE);
    expect(world.api.cache.get('Node', nodes[0]!)).toBeDefined();
    expect(h.decisions.some((d) => d.action === 'repair')).toBe(false);
    await h.reconciler.stop();
  }, 60_000);

  test("Karpenter's policies: node monitoring agent conditions, AcceleratedHardwareReady after 10 min; 20% rounded up", () => {
    const at = (type: string, status: string, minutesAgo: number) => ({
      metadata: { name: 'n' },
      status: { conditions: [{ type, status, lastTransitionTime: new Date(100 * MINUTE - minutesAgo * MINUTE).toISOString() }] },
    });
    const now = 100 * MINUTE;
    expect(unhealthyCondition(at('AcceleratedHardwareReady', 'False', 11), DEFAULT_REPAIR_POLICIES, now)?.dueMs).toBeLessThanOrEqual(now);
    expect(unhealthyCondition(at('KernelReady', 'False', 11), DEFAULT_REPAIR_POLICIES, now)!.dueMs).toBeGreaterThan(now);
    expect(unhealthyCondition(at('KernelReady', 'True', 60), DEFAULT_REPAIR_POLICIES, now)).toBeUndefined();
    expect(unhealthyCondition(at('MemoryPressure', 'True', 60), DEFAULT_REPAIR_POLICIES, now)).toBeUndefined();
    expect([4, 5, 10, 11].map(unhealthyThreshold)).toEqual([1, 1, 2, 3]);
  });
});
