// No churn on a ramp, by default (issue 19, reconciler/controllers/disruption/ramp.ts and
// consolidation.ts): while a pool is still launching nodes for pending pods, consolidation
// does not replace its nodes for savings that do not pay for the pods they move (Balanced's
// score with k = 1, under any policy). Each step of an autoscaler's ramp leaves a node that
// looks under-used until the next step arrives; merging those moved the same pods again and
// again. With options.consolidationRampReplacementMs = 0 the merges happen, which is what
// the control run below shows.
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { deployment, newWorld, nodeClass, nodePool, podsOf, startReconciler, MINUTE } from './fixtures.ts';

const STEP = 5 * MINUTE;
const REQUESTS = { cpu: '500m', memory: '1Gi' };

/** Replicas rising by 9 every 5 minutes for 50 minutes; returns the consolidation moves taken while they rose. */
async function ramp(options: Partial<ReconcilerOptions>) {
  const w = newWorld();
  w.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const h = await startReconciler(w, options);
  for (let replicas = 9; replicas <= 90; replicas += 9) {
    deployment(w, 'web', replicas, REQUESTS);
    await w.clock.advance(STEP);
  }
  const moves = h.decisions.filter((d) => d.controller === 'disruption' && (d.action === 'replace' || d.action === 'delete') && d.details?.method === 'consolidation');
  const running = podsOf(w, 'web').filter((p) => p.status?.phase === 'Running').length;
  await h.reconciler.stop();
  return { moves, podsMoved: moves.reduce((n, d) => n + Number(d.details?.pods ?? 0), 0), running };
}

describe('consolidation replacements on a ramp', () => {
  test('while replicas rise, nodes are not replaced for marginal savings: fewer pods move than with the guard off', async () => {
    const guarded = await ramp({});
    const unguarded = await ramp({ consolidationRampReplacementMs: 0 });
    // The control: without the guard the ramp's nodes are merged while it goes on.
    expect(unguarded.moves.filter((d) => d.action === 'replace').length).toBeGreaterThan(0);
    expect(unguarded.running).toBe(90);
    expect(guarded.running).toBe(90);
    expect(guarded.moves.filter((d) => d.action === 'replace')).toEqual([]);
    expect(guarded.podsMoved).toBeLessThan(unguarded.podsMoved);
  }, 120_000);
});
