// consolidationPolicy: Balanced on the simulator: empty nodes go as under any policy; a
// move with pods is taken only when the share of the pool's cost it saves is at least half
// the share of the pool's disruption cost it causes (Karpenter v1.14, k = 2).
//
// Each world is a restored fleet: a candidate node in us-east-1a whose pods are pinned to
// that zone (so they cannot move to the other nodes and only a replacement can take them),
// and nodes in us-east-1b that carry the rest of the pool's cost and disruption.
import type { NodePool } from '../../../core/api/karpenter.ts';
import { LABEL_ZONE } from '../../../core/contract/index.ts';
import type { InMemoryWorld } from '../../../reconciler/adapters/in-memory/world.ts';
import { restoreFleet } from '../../../reconciler/scenario/fleet.ts';
import type { FleetNodes } from '../../../reconciler/scenario/scenario.ts';
import { newWorld, nodeClass, nodePool, podsOf, startReconciler, HOUR, MINUTE } from './fixtures.ts';

type Policy = 'Balanced' | 'WhenEmptyOrUnderutilized';

function pool(consolidationPolicy: Policy): NodePool {
  return nodePool('general', {
    consolidationPolicy,
    requirements: [
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i', 'c7i'] },
    ],
  });
}

function fleet(entries: [string, string, number][]): FleetNodes[] {
  return entries.map(([instanceType, zone, count]) => ({ nodePool: 'general', instanceType, capacityType: 'on-demand', zone, count, ageMs: HOUR }));
}

function pinned(world: InMemoryWorld, name: string, replicas: number, zone: string, requests: Record<string, string>): void {
  world.workloads.applyDeployment({
    name,
    namespace: 'default',
    replicas,
    template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { [LABEL_ZONE]: zone }, containers: [{ name: 'main', resources: { requests } }] } },
  });
}

function nodesIn(world: InMemoryWorld, zone: string): { name: string; type: string }[] {
  return world.api.cache
    .list('Node')
    .filter((n) => n.metadata.labels?.[LABEL_ZONE] === zone && !n.metadata.deletionTimestamp)
    .map((n) => ({ name: n.metadata.name!, type: n.metadata.labels?.['node.kubernetes.io/instance-type'] ?? '' }));
}

async function world(policy: Policy, nodes: [string, string, number][]) {
  const w = newWorld();
  w.intent.accept({ commit: 'a1', nodePools: [pool(policy)], nodeClasses: [nodeClass()] });
  restoreFleet(w, w.intent.current()!, fleet(nodes), 'balanced.test');
  return w;
}

const claims = new Map<string, string>();
/** The NodeClaim of a node (remembered: it outlives the node in this test). */
function claimOf(w: InMemoryWorld, node: string): string {
  const found = w.api.cache.list('NodeClaim').find((c) => c.status?.nodeName === node)?.metadata.name;
  if (found) claims.set(node, found);
  return claims.get(node) ?? '';
}

/** The Balanced score a decision message reports, and its threshold. */
function scoreOf(message: string): { score: number; threshold: number } | undefined {
  const m = /Balanced score ([\d.]+) [<>]=? threshold ([\d.]+)/.exec(message);
  return m ? { score: Number(m[1]), threshold: Number(m[2]) } : undefined;
}

describe('consolidationPolicy Balanced', () => {
  test('deletes empty nodes (emptiness is not scored)', async () => {
    const w = await world('Balanced', [['m6i.large', 'us-east-1a', 2], ['m6i.xlarge', 'us-east-1b', 1]]);
    const h = await startReconciler(w);
    await w.clock.advance(10 * MINUTE);
    expect(w.api.cache.list('Node').filter((n) => !n.metadata.deletionTimestamp)).toEqual([]);
    const deleted = h.decisions.filter((d) => d.action === 'delete' && d.controller === 'disruption');
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((d) => /^emptiness/.test(d.message))).toBe(true);
    await h.reconciler.stop();
  }, 60_000);

  test('approves a replacement that saves about 40% of the pool while moving few of its pods', async () => {
    // Pool: m6i.2xlarge ($0.384, 2 pods) in 1a + m6i.large ($0.096, 1 pod) in 1b = $0.48/h.
    // The 2 pods fit c7i capacity at $0.1785/h (one xlarge or two large): saves $0.2055/h, 43% of the pool, for 3 of its
    // 5 units of disruption (60%): score 0.71 >= 0.5.
    const w = await world('Balanced', [['m6i.2xlarge', 'us-east-1a', 1], ['m6i.large', 'us-east-1b', 1]]);
    pinned(w, 'app', 2, 'us-east-1a', { cpu: '1', memory: '1Gi' });
    pinned(w, 'filler', 1, 'us-east-1b', { cpu: '1', memory: '1Gi' });
    const h = await startReconciler(w);
    const [candidate] = nodesIn(w, 'us-east-1a');
    expect(candidate?.type).toBe('m6i.2xlarge');
    await w.clock.advance(15 * MINUTE);

    const replace = h.decisions.find((d) => d.action === 'replace' && d.controller === 'disruption');
    expect(replace?.message).toMatch(/saves \$0\.2055\/h/);
    const s = scoreOf(replace!.message)!;
    expect(s.threshold).toBe(0.5);
    expect(s.score).toBeGreaterThanOrEqual(0.5);
    expect(replace!.message).toMatch(/saves 42\.8% of the pool's cost .* for 60\.0% of its disruption cost/);
    // The candidate is gone, its pods run on the cheaper node, and the marginal 1b node stayed.
    expect(replace!.message).toMatch(/at \$0\.1785\/h/);
    expect(nodesIn(w, 'us-east-1a').every((n) => n.type === 'c7i.xlarge' || n.type === 'c7i.large')).toBe(true);
    expect(podsOf(w, 'app').every((p) => p.status?.phase === 'Running' && p.spec.nodeName !== candidate!.name)).toBe(true);
    expect(nodesIn(w, 'us-east-1b').map((n) => n.type)).toEqual(['m6i.large']);
    await h.reconciler.stop();
  }, 60_000);

  // Pool: m6i.2xlarge ($0.384; one pod of 7 CPU and 12 of 50m) in 1a + 3 m6i.4xlarge ($2.304,
  // one 14-CPU pod each) in 1b = $2.688/h. The 13 pods fit one c7i.2xlarge ($0.357; any split
  // costs more): saves $0.027/h, 1% of the pool, for 14 of its 20 units of disruption (70%):
  // score 0.014.
  const marginal: [string, string, number][] = [['m6i.2xlarge', 'us-east-1a', 1], ['m6i.4xlarge', 'us-east-1b', 3]];
  function marginalWorkload(w: InMemoryWorld): void {
    pinned(w, 'app', 1, 'us-east-1a', { cpu: '7', memory: '4Gi' });
    pinned(w, 'sidecar', 12, 'us-east-1a', { cpu: '50m', memory: '64Mi' });
    pinned(w, 'big', 3, 'us-east-1b', { cpu: '14', memory: '8Gi' });
  }

  test('rejects a replacement that saves 1% of the pool while moving many pods, and says why', async () => {
    const w = await world('Balanced', marginal);
    marginalWorkload(w);
    const h = await startReconciler(w);
    const [candidate] = nodesIn(w, 'us-east-1a');
    claimOf(w, candidate!.name);
    await w.clock.advance(30 * MINUTE);

    expect(h.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'))).toEqual([]);
    expect(nodesIn(w, 'us-east-1a')).toEqual([candidate]);
    expect(podsOf(w, 'app').every((p) => p.spec.nodeName === candidate!.name)).toBe(true);
    const skip = h.decisions.find((d) => d.action === 'skip' && d.reason === 'balanced-score' && d.nodeClaims?.[0] === claimOf(w, candidate!.name));
    expect(skip?.message).toMatch(/saves 1\.0% of the pool's cost \(\$0\.0270\/h\) for 70\.0% of its disruption cost \(14\.00\)/);
    const s = scoreOf(skip!.message)!;
    expect(s.score).toBeLessThan(s.threshold);
    await h.reconciler.stop();
  }, 60_000);

  test('the same marginal replacement is taken under WhenEmptyOrUnderutilized', async () => {
    const w = await world('WhenEmptyOrUnderutilized', marginal);
    marginalWorkload(w);
    const h = await startReconciler(w);
    const [candidate] = nodesIn(w, 'us-east-1a');
    claimOf(w, candidate!.name);
    await w.clock.advance(30 * MINUTE);
    const claim = claimOf(w, candidate!.name);
    expect(h.decisions.some((d) => d.action === 'replace' && d.nodeClaims?.includes(claim))).toBe(true);
    expect(nodesIn(w, 'us-east-1a').map((n) => n.name)).not.toContain(candidate!.name);
    expect(podsOf(w, 'app').every((p) => p.status?.phase === 'Running' && p.spec.nodeName !== candidate!.name)).toBe(true);
    await h.reconciler.stop();
  }, 60_000);
});
