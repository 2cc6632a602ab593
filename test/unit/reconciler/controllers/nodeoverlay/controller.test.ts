import type { NodeOverlay } from '../../../../../core/api/node-overlay.ts';
import { NOT_YET_APPLIED_RETRY_MS, NodeOverlayStatusController, nodeOverlayStatus } from '../../../../../reconciler/controllers/nodeoverlay/controller.ts';
import { newWorld, nodeClass, nodePool, startReconciler } from '../../../behaviour/fixtures.ts';

const NOW = '2026-03-03T00:00:00.000Z';
const LATER = '2026-03-03T01:00:00.000Z';

describe('nodeOverlayStatus', () => {
  it('valid and applied: ValidationSucceeded and Ready True, with the generation judged', () => {
    const s = nodeOverlayStatus({ name: 'a', problems: [] }, undefined, 3, NOW);
    expect(s.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['ValidationSucceeded', 'True', 3],
      ['Ready', 'True', 3],
    ]);
  });

  it('a problem: both False with the field, message and fix', () => {
    const s = nodeOverlayStatus({ name: 'a', problems: [{ field: 'spec.priceAdjustment', message: 'bad', fix: 'write -10%' }] }, undefined, 1, NOW);
    expect(s.conditions?.find((c) => c.type === 'ValidationSucceeded')).toMatchObject({ status: 'False', reason: 'ValidationFailed', message: 'spec.priceAdjustment: bad; fix: write -10%' });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
  });

  it('a conflict: Ready False naming the other overlay and the fix; a transition keeps its time while nothing changes', () => {
    const s = nodeOverlayStatus({ name: 'b', problems: [], conflictsWith: 'a', conflictDetail: 'the price of m7i.large' }, undefined, 1, NOW);
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'Conflict', message: expect.stringContaining('conflicts with NodeOverlay a (same weight) on the price of m7i.large') });
    const again = nodeOverlayStatus({ name: 'b', problems: [], conflictsWith: 'a', conflictDetail: 'the price of m7i.large' }, s.conditions, 1, LATER);
    expect(again.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe(ready.lastTransitionTime);
  });
});

describe('NodeOverlayStatusController', () => {
  it('an overlay of the intent not yet in the cluster is retried in 10 s; once written, at the 5-minute resync', async () => {
    const world = newWorld();
    const overlay: NodeOverlay = { apiVersion: 'karpenter.sh/v1alpha1', kind: 'NodeOverlay', metadata: { name: 'discount' }, spec: { requirements: [], priceAdjustment: '-10%' } };
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()], nodeOverlays: [overlay] });
    const h = await startReconciler(world);
    const ctx = h.reconciler.context;
    let inCluster = false;
    const api = world.api;
    // The in-memory cluster holds every overlay of the intent; this one says the object is not there yet.
    const cluster = new Proxy(api, {
      get: (target, p) =>
        p === 'patchNodeOverlayStatus'
          ? async (name: string, status: NonNullable<NodeOverlay['status']>) => (inCluster ? target.patchNodeOverlayStatus(name, status) : false)
          : (Reflect.get(target, p) as unknown),
    });
    const controller = new NodeOverlayStatusController({ clock: ctx.clock, cluster, intent: ctx.intent, logger: ctx.logger, catalog: ctx.catalog });
    expect(await controller.reconcile()).toEqual({ requeueAfterMs: NOT_YET_APPLIED_RETRY_MS });
    expect(NOT_YET_APPLIED_RETRY_MS).toBe(10_000);
    inCluster = true;
    api.nodeOverlayStatuses.clear();
    expect(await controller.reconcile()).toEqual({ requeueAfterMs: 5 * 60_000 });
    expect(api.nodeOverlayStatuses.get('discount')?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    await h.reconciler.stop();
  });
});
