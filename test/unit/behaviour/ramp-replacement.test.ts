// No churn on a ramp, by default (issue 19). Each step of an autoscaler's ramp used to get
// nodes sized for that step alone, leaving nodes that look under-used until the next step
// arrives; consolidation merged them and moved the same pods again and again.
// - Provisioning sizes new nodes for one more step of a ReplicaSet that showed a sustained
//   ramp (two earlier steps within 15 minutes), no larger than its smallest recent step; a
//   burst of two steps buys nothing for a third (controllers/provisioning/arriving-demand.ts;
//   options.sizeForArrivingDemand).
// - While a pool is still launching nodes for pending pods, consolidation does not replace
//   its nodes for savings that do not pay for the pods they move (Balanced's score with
//   k = 1, under any policy; controllers/disruption/ramp.ts and consolidation.ts;
//   options.consolidationRampReplacementMs).
// Each test runs the same ramp with its feature off as the control.
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
  const launches = h.decisions.filter((d) => d.controller === 'provisioning' && d.action === 'launch').length;
  const running = podsOf(w, 'web').filter((p) => p.status?.phase === 'Running').length;
  await h.reconciler.stop();
  return { moves, podsMoved: moves.reduce((n, d) => n + Number(d.details?.pods ?? 0), 0), running, launches };
}

/** A burst in two 5-minute steps (10 -> 19 -> 28 replicas) twenty minutes after the Deployment settled; its launches and their hourly price. */
async function burst(options: Partial<ReconcilerOptions>) {
  const w = newWorld();
  w.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  const h = await startReconciler(w, options);
  deployment(w, 'web', 10, REQUESTS);
  await w.clock.advance(4 * STEP);
  const before = h.decisions.length;
  for (const replicas of [19, 28]) {
    deployment(w, 'web', replicas, REQUESTS);
    await w.clock.advance(STEP);
  }
  const launches = h.decisions.slice(before).filter((d) => d.controller === 'provisioning' && d.action === 'launch');
  const running = podsOf(w, 'web').filter((p) => p.status?.phase === 'Running').length;
  await h.reconciler.stop();
  return { running, launches: launches.length, pricePerHour: launches.reduce((s, d) => s + Number(d.details?.pricePerHour ?? 0), 0) };
}

describe('consolidation replacements on a ramp', () => {
  test('while replicas rise, nodes are not replaced for marginal savings: fewer pods move than with the guard off', async () => {
    const guarded = await ramp({ sizeForArrivingDemand: false });
    const unguarded = await ramp({ sizeForArrivingDemand: false, consolidationRampReplacementMs: 0 });
    // The control: without the guard the ramp's nodes are merged while it goes on.
    expect(unguarded.moves.filter((d) => d.action === 'replace').length).toBeGreaterThan(0);
    expect(unguarded.running).toBe(90);
    expect(guarded.running).toBe(90);
    expect(guarded.moves.filter((d) => d.action === 'replace')).toEqual([]);
    expect(guarded.podsMoved).toBeLessThan(unguarded.podsMoved);
  }, 120_000);

  test('a rising ReplicaSet gets nodes sized for its next step: fewer launches than nodes sized for each step alone, and no replacement while it rises', async () => {
    const sized = await ramp({});
    const perStep = await ramp({ sizeForArrivingDemand: false });
    expect(sized.running).toBe(90);
    expect(perStep.running).toBe(90);
    expect(sized.launches).toBeLessThan(perStep.launches);
    expect(sized.moves.filter((d) => d.action === 'replace')).toEqual([]);
  }, 120_000);

  test('a burst of two steps is not taken for a ramp: its second step buys no room for a third that never comes', async () => {
    const sized = await burst({});
    const perStep = await burst({ sizeForArrivingDemand: false });
    expect(sized.running).toBe(28);
    expect(perStep.running).toBe(28);
    expect(perStep.launches).toBeGreaterThan(0);
    expect(sized.pricePerHour).toBeCloseTo(perStep.pricePerHour, 6);
    expect(sized.launches).toBe(perStep.launches);
  }, 120_000);
});
