// Drift is Karpenter's eventual disruption: a pod that a PodDisruptionBudget protects (or
// that is annotated do-not-disrupt) holds back its drifted node, unless the node's
// NodeClaim has a terminationGracePeriod: then the node is replaced anyway, its drain
// honours the PDB until the grace period runs out, and the pod is deleted then.
import type { NodePool } from '../../../core/api/karpenter.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

const family = (f: string) => [
  { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] },
  { key: 'karpenter.k8s.aws/instance-family', operator: 'In' as const, values: [f] },
];
const pool = (f: string, tgp?: string): NodePool =>
  nodePool('general', { requirements: family(f), budgets: [{ nodes: '100%' }], consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', ...(tgp ? { terminationGracePeriod: tgp } : {}) });

async function driftedBehindPdb(tgp: string | undefined, blocker: 'pdb' | 'do-not-disrupt') {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [pool('m6i', tgp)], nodeClasses: [nodeClass()] });
  const h = await startReconciler(world, { stabilizationMs: 0 });
  deployment(world, 'db', 1, { cpu: '1', memory: '2Gi' }, blocker === 'do-not-disrupt' ? { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } } : {});
  if (blocker === 'pdb') {
    world.workloads.applyPodDisruptionBudget({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'db' } }, maxUnavailable: 0 },
    });
  }
  await world.clock.advance(5 * MINUTE);
  const dbNode = podsOf(world, 'db')[0]!.spec.nodeName!;
  expect(dbNode).toBeDefined();
  // The commit that drifts the pool (m6i -> m7i), same grace period.
  world.intent.accept({ commit: 'b2', nodePools: [pool('m7i', tgp)], nodeClasses: [nodeClass()] });
  return { world, h, dbNode };
}

describe.each(['pdb', 'do-not-disrupt'] as const)('a drifted node whose pod is protected (%s)', (blocker) => {
  test('without terminationGracePeriod: drift skips it and says why; the node stays', async () => {
    const { world, h, dbNode } = await driftedBehindPdb(undefined, blocker);
    await world.clock.advance(60 * MINUTE);
    expect(world.api.cache.get('Node', dbNode)).toBeDefined();
    expect(h.decisions.some((d) => d.action === 'skip' && d.reason === blocker && d.message.includes('drift blocked'))).toBe(true);
    expect(h.decisions.some((d) => d.controller === 'disruption' && d.reason === 'drifted' && d.action === 'replace')).toBe(false);
    await h.reconciler.stop();
  }, 60_000);

  test('with terminationGracePeriod 30m: replaced anyway (replacement first); the drain waits for the pod until the grace period, then it moves', async () => {
    const { world, h, dbNode } = await driftedBehindPdb('30m', blocker);
    await world.clock.advance(10 * MINUTE);
    // Replaced (the replacement is up), being drained: the pod is still there, held by its protection.
    expect(h.decisions.some((d) => d.controller === 'disruption' && d.reason === 'drifted' && d.action === 'replace')).toBe(true);
    const claim = world.api.cache.list('NodeClaim').find((c) => c.status?.nodeName === dbNode)!;
    expect(claim.metadata.deletionTimestamp).toBeDefined();
    expect(podsOf(world, 'db')[0]!.spec.nodeName).toBe(dbNode);
    expect(h.decisions.some((d) => d.action === 'drain-blocked' && d.reason === blocker)).toBe(true);
    // At the grace period the pod is deleted, and runs on the replacement.
    await world.clock.advance(30 * MINUTE);
    expect(world.api.cache.get('Node', dbNode)).toBeUndefined();
    const db = podsOf(world, 'db');
    expect(db).toHaveLength(1);
    expect(db[0]!.spec.nodeName).toBeDefined();
    expect(db[0]!.spec.nodeName).not.toBe(dbNode);
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);
});
