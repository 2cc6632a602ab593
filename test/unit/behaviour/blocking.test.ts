// What blocks voluntary disruption: karpenter.sh/do-not-disrupt on a pod or a node, and
// PodDisruptionBudgets; and what does not: expiry is forceful, but its drain still
// honours PDBs until the node's terminationGracePeriod runs out.
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

describe('disruption is blocked by', () => {
  test('a pod annotated karpenter.sh/do-not-disrupt: its node stays, the others are consolidated', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 24, { cpu: '1', memory: '2Gi' });
    deployment(world, 'pinned', 1, { cpu: '1', memory: '2Gi' }, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    await world.clock.advance(5 * MINUTE);
    const pinnedNode = podsOf(world, 'pinned')[0]!.spec.nodeName!;
    expect(pinnedNode).toBeDefined();
    const nodesBefore = world.api.cache.list('Node').length;

    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(20 * MINUTE);

    const nodes = world.api.cache.list('Node').map((n) => n.metadata.name);
    expect(nodes).toContain(pinnedNode);
    expect(nodes.length).toBeLessThan(nodesBefore);
    const skip = h.decisions.find((d) => d.action === 'skip' && d.reason === 'do-not-disrupt');
    expect(skip?.message).toMatch(/default\/pinned-.* is annotated karpenter\.sh\/do-not-disrupt/);
    await h.reconciler.stop();
  }, 60_000);

  test('a node annotated karpenter.sh/do-not-disrupt', async () => {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 4, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    const node = world.api.cache.list('Node')[0]!.metadata.name!;
    await world.api.patchNode(node, { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(10 * MINUTE);
    expect(world.api.cache.get('Node', node)).toBeDefined();
    expect(h.decisions.some((d) => d.reason === 'do-not-disrupt' && d.message.includes('node is annotated'))).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test('a PDB that allows no eviction: consolidation skips the node, and an expiring node drains only at its terminationGracePeriod', async () => {
    const world = newWorld();
    const pool = nodePool('general', { expireAfter: '1h', terminationGracePeriod: '30m' });
    world.intent.accept({ commit: 'a1', nodePools: [pool], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'db', 2, { cpu: '1', memory: '2Gi' });
    world.workloads.applyPodDisruptionBudget({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'db' } }, maxUnavailable: 0 },
    });
    deployment(world, 'web', 10, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(5 * MINUTE);
    const dbNodes = new Set(podsOf(world, 'db').map((p) => p.spec.nodeName!));
    world.workloads.scaleDeployment('default', 'web', 0);
    await world.clock.advance(15 * MINUTE);

    // Consolidation never touched the db pods' nodes, and said why.
    for (const n of dbNodes) expect(world.api.cache.get('Node', n)).toBeDefined();
    expect(h.decisions.some((d) => d.action === 'skip' && d.reason === 'pdb' && /PodDisruptionBudget default\/db/.test(d.message))).toBe(true);

    // At 1h the nodes expire (forceful), but the drain is refused by the PDB ...
    await world.clock.advance(50 * MINUTE);
    expect(h.decisions.some((d) => d.action === 'replace' && d.reason === 'expired')).toBe(true);
    expect(h.decisions.some((d) => d.action === 'drain-blocked' && d.reason === 'pdb')).toBe(true);
    const claimsOf = (nodes: Set<string>) => world.api.cache.list('NodeClaim').filter((c) => nodes.has(c.status?.nodeName ?? ''));
    expect(claimsOf(dbNodes).length).toBe(dbNodes.size);
    for (const c of claimsOf(dbNodes)) expect(c.metadata.deletionTimestamp).toBeDefined();
    expect(podsOf(world, 'db').filter((p) => dbNodes.has(p.spec.nodeName!)).length).toBe(2);

    // ... until terminationGracePeriod (30m) forces it; the pods move to the replacement.
    await world.clock.advance(35 * MINUTE);
    for (const n of dbNodes) expect(world.api.cache.get('Node', n)).toBeUndefined();
    const db = podsOf(world, 'db');
    expect(db.length).toBe(2);
    expect(db.every((p) => p.spec.nodeName && !dbNodes.has(p.spec.nodeName))).toBe(true);
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);
});
