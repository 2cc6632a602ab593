// No churn on a ramp (issue 19, reconciler/controllers/disruption/ramp.ts): while an
// autoscaler adds replicas in steps, each step's nodes look under-used until the next step
// arrives; consolidation waits while the pool is still launching for pending pods, so it
// does not merge nodes the next step needs. Once the ramp is over, a scale-down is
// consolidated as before. (The hold is off by default: options.consolidationRampHoldMs.)
import { RAMP_HOLD_MS } from '../../../reconciler/controllers/disruption/ramp.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

const STEP = 5 * MINUTE;
const REQUESTS = { cpu: '1', memory: '2Gi' };

describe('consolidation on a ramp', () => {
  test('no node is consolidated while replicas rise in 5-minute steps; the nodes wait and say why; the scale-down after is consolidated', async () => {
    const w = newWorld();
    w.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
    const h = await startReconciler(w, { consolidationRampHoldMs: RAMP_HOLD_MS });
    const consolidations = () => h.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete'));
    // Five steps of 7 pods: each step launches capacity sized for its batch.
    for (let replicas = 7; replicas <= 35; replicas += 7) {
      deployment(w, 'web', replicas, REQUESTS);
      await w.clock.advance(STEP);
    }
    expect(podsOf(w, 'web').filter((p) => p.status?.phase === 'Running')).toHaveLength(35);
    const launchedOnRamp = w.api.cache.list('NodeClaim').length;
    expect(launchedOnRamp).toBeGreaterThan(1);
    // Nothing was consolidated while the ramp went on, and the nodes said why they waited.
    expect(consolidations()).toEqual([]);
    const waited = h.decisions.find((d) => d.controller === 'disruption' && d.action === 'skip' && d.reason === 'demand-rising');
    expect(waited?.message).toMatch(/consolidation waits while NodePool general is still growing: it launched a node for pending pods \d+ s ago; waits \d+ s more \(10 min after its last launch\)/);

    // The ramp is over: a scale-down to 8 pods is consolidated once the hold has passed.
    deployment(w, 'web', 8, REQUESTS);
    await w.clock.advance(RAMP_HOLD_MS + 15 * MINUTE);
    expect(consolidations().length).toBeGreaterThan(0);
    expect(w.api.cache.list('Node').filter((n) => !n.metadata.deletionTimestamp).length).toBeLessThan(launchedOnRamp);
    expect(podsOf(w, 'web').filter((p) => p.status?.phase === 'Running')).toHaveLength(8);
    await h.reconciler.stop();
  }, 120_000);
});
