// Pod deletion cost management on the in-memory cluster (its ReplicaSet deletes the pods
// with the lowest controller.kubernetes.io/pod-deletion-cost first, as kube-controller-
// manager's does): with the PodDeletionCostManagement gate, a Deployment scaled in empties
// the node joinery ranked first, which then simply goes, with no pod evicted; without the
// gate the ReplicaSet takes a pod from a full node and consolidation has to move a pod. A
// cost the user set is kept; one another controller changes is released; nothing is written
// with the gate off.
import { ANNOTATION_DO_NOT_DISRUPT, ANNOTATION_MANAGED_DELETION_COST, ANNOTATION_POD_DELETION_COST } from '../../../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../../../reconciler/adapters/in-memory/world.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE, type Harness } from '../../../behaviour/fixtures.ts';

const pool = nodePool('general', {
  requirements: [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m6i.large'] },
  ],
  consolidateAfter: '30s',
});

/** 5 pods of 700m: two per m6i.large (1930m allocatable), so three nodes holding 2, 2 and 1. */
async function fiveOnThree(gate: boolean, annotations: Record<string, string> = {}): Promise<{ world: InMemoryWorld; h: Harness }> {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world, { podDeletionCostManagement: gate });
  deployment(world, 'web', 5, { cpu: '700m', memory: '512Mi' }, { annotations });
  await world.clock.advance(4 * MINUTE);
  return { world, h };
}

function podsByNode(world: InMemoryWorld): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of podsOf(world, 'web')) m.set(p.spec.nodeName!, [...(m.get(p.spec.nodeName!) ?? []), p.metadata.name!]);
  return m;
}

const cost = (world: InMemoryWorld, name: string) => world.api.cache.get('Pod', name, 'default')?.metadata.annotations ?? {};

describe('pod deletion cost management', () => {
  test('every pod carries its node rank: the lone pod\'s node is ranked first (-3), the full nodes after it', async () => {
    const { world, h } = await fiveOnThree(true);
    const byNode = podsByNode(world);
    expect([...byNode.values()].map((p) => p.length).sort()).toEqual([1, 2, 2]);
    const [lonely] = [...byNode].find(([, ps]) => ps.length === 1)!;
    for (const [node, ps] of byNode) {
      for (const p of ps) {
        expect(cost(world, p)[ANNOTATION_MANAGED_DELETION_COST]).toBe('true');
        if (node === lonely) expect(cost(world, p)[ANNOTATION_POD_DELETION_COST]).toBe('-3');
        else expect(['-2', '-1']).toContain(cost(world, p)[ANNOTATION_POD_DELETION_COST]);
      }
    }
    // Nothing changes: nothing is written again (one write per pod).
    const writes = world.api.writes.get('patch Pod');
    expect(writes).toBe(5);
    await world.clock.advance(5 * MINUTE);
    expect(world.api.writes.get('patch Pod')).toBe(writes);
    await h.reconciler.stop();
  }, 60_000);

  test('a scale-in empties the node ranked first: it goes, and no pod is evicted', async () => {
    const { world, h } = await fiveOnThree(true);
    const [lonely] = [...podsByNode(world)].find(([, ps]) => ps.length === 1)!;
    world.workloads.scaleDeployment('default', 'web', 4);
    await world.clock.advance(3 * MINUTE);
    expect(world.api.cache.get('Node', lonely)).toBeUndefined();
    expect([...podsByNode(world).values()].map((p) => p.length)).toEqual([2, 2]);
    expect(world.api.writes.get('create Eviction') ?? 0).toBe(0);
    await h.reconciler.stop();
  }, 60_000);

  test('without the gate nothing is written; the ReplicaSet takes a pod from a full node and consolidation then evicts one', async () => {
    const { world, h } = await fiveOnThree(false);
    expect(world.api.writes.get('patch Pod') ?? 0).toBe(0);
    expect(podsOf(world, 'web').every((p) => cost(world, p.metadata.name!)[ANNOTATION_POD_DELETION_COST] === undefined)).toBe(true);
    world.workloads.scaleDeployment('default', 'web', 4);
    await world.clock.advance(1_000);
    expect([...podsByNode(world).values()].map((p) => p.length).sort()).toEqual([1, 1, 2]);
    await world.clock.advance(5 * MINUTE);
    expect(podsByNode(world).size).toBe(2);
    expect(world.api.writes.get('create Eviction') ?? 0).toBeGreaterThan(0);
    await h.reconciler.stop();
  }, 60_000);

  test("a cost the user set is never overwritten; one another controller changes is released with a Warning, and kept", async () => {
    const { world, h } = await fiveOnThree(true, { [ANNOTATION_POD_DELETION_COST]: '100' });
    expect(podsOf(world, 'web').map((p) => cost(world, p.metadata.name!))).toEqual(Array(5).fill({ [ANNOTATION_POD_DELETION_COST]: '100' }));
    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(MINUTE);
    deployment(world, 'web', 5, { cpu: '700m', memory: '512Mi' });
    await world.clock.advance(4 * MINUTE);
    const victim = podsOf(world, 'web')[0]!.metadata.name!;
    expect(cost(world, victim)[ANNOTATION_MANAGED_DELETION_COST]).toBe('true');
    world.api.update('Pod', victim, 'default', (p) => {
      p.metadata.annotations = { ...p.metadata.annotations, [ANNOTATION_POD_DELETION_COST]: '777' };
    });
    await world.clock.advance(2 * MINUTE);
    expect(cost(world, victim)).toEqual({ [ANNOTATION_POD_DELETION_COST]: '777' });
    expect(world.api.events.filter((e) => e.reason === 'PodDeletionCostThirdPartyConflict').map((e) => e.involved.name)).toEqual([victim]);
    await world.clock.advance(2 * MINUTE);
    expect(cost(world, victim)).toEqual({ [ANNOTATION_POD_DELETION_COST]: '777' });
    await h.reconciler.stop();
  }, 60_000);

  test('a node that cannot be disrupted loses its managed costs (its pods are not offered to the ReplicaSet first)', async () => {
    const { world, h } = await fiveOnThree(true);
    const [lonely, [pod]] = [...podsByNode(world)].find(([, ps]) => ps.length === 1)! as [string, string[]];
    expect(cost(world, pod!)[ANNOTATION_POD_DELETION_COST]).toBe('-3');
    world.api.update('Node', lonely, undefined, (n) => {
      n.metadata.annotations = { ...n.metadata.annotations, [ANNOTATION_DO_NOT_DISRUPT]: 'true' };
    });
    await world.clock.advance(2 * MINUTE);
    expect(cost(world, pod!)[ANNOTATION_POD_DELETION_COST]).toBeUndefined();
    expect(cost(world, pod!)[ANNOTATION_MANAGED_DELETION_COST]).toBeUndefined();
    // The two full nodes are ranked -3 and -2 now that only two are ranked of three.
    const others = podsOf(world, 'web').filter((p) => p.spec.nodeName !== lonely).map((p) => cost(world, p.metadata.name!)[ANNOTATION_POD_DELETION_COST]);
    expect(new Set(others)).toEqual(new Set(['-3', '-2']));
    await h.reconciler.stop();
  }, 60_000);
});
