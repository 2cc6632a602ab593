// NodePool termination: joinery's finalizer (joinery.dev/termination) on each NodePool
// object of the intent in force, removed once the object is being deleted and no NodeClaim
// of the pool is left. The NodeClaims carry an ownerReference to their NodePool (as
// Karpenter's do), so without the finalizer a GitOps prune or `kubectl delete nodepool`
// with the default background propagation would have the garbage collector delete every
// NodeClaim of the pool at once; with it the object stays Terminating while the disruption
// controller's removal method (disruption/removal.ts) replaces and removes the nodes at the
// removal rate, then the object goes and the garbage collector finds nothing left to delete.
//
// Foreground deletion (Argo CD's default prune propagation) deletes the dependents at once
// whatever finalizer the owner carries: the nodes are then drained together, PDBs honoured,
// as in Karpenter. README "Removing a NodePool" says which to use.
//
// A NodePool that is not in the intent (upstream Karpenter's, or one removed from git that
// never had the finalizer) is never given one.

import { FINALIZER_NODEPOOL_TERMINATION, LABEL_NODEPOOL } from '../../../core/contract/index.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';

/** What the controller touches: NodePool finalizers, read against the NodeClaims and the intent. */
export type NodePoolTerminationDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'logger' | 'decisions'>;

export class NodePoolTerminationController implements Controller {
  readonly name = 'nodepool-termination';
  private readonly backoff: KeyedBackoff;

  constructor(private readonly ctx: NodePoolTerminationDeps) {
    this.backoff = new KeyedBackoff(ctx.clock);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind === 'NodePool' || (event.kind === 'NodeClaim' && event.type === 'DELETED')) wake(0);
  }

  onIntent(_event: unknown, wake: Wake): void {
    wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, intent, logger, decisions } = this.ctx;
    const current = intent.current();
    const inIntent = new Set((current?.nodePools ?? []).map((p) => p.metadata.name!));
    const claimsByPool = new Map<string, number>();
    for (const c of cluster.cache.list('NodeClaim')) {
      const pool = c.metadata.labels?.[LABEL_NODEPOOL];
      if (pool) claimsByPool.set(pool, (claimsByPool.get(pool) ?? 0) + 1);
    }
    const pools = cluster.cache.list('NodePool');
    this.backoff.retainOnly(new Set(pools.map((p) => p.metadata.name!)));
    let retryMs: number | undefined;
    for (const pool of pools) {
      const name = pool.metadata.name!;
      const has = (pool.metadata.finalizers ?? []).includes(FINALIZER_NODEPOOL_TERMINATION);
      const deleting = Boolean(pool.metadata.deletionTimestamp);
      let patch: { addFinalizers?: string[]; removeFinalizers?: string[] } | undefined;
      if (!deleting && !has && current && inIntent.has(name)) patch = { addFinalizers: [FINALIZER_NODEPOOL_TERMINATION] };
      else if (deleting && has && (claimsByPool.get(name) ?? 0) === 0) patch = { removeFinalizers: [FINALIZER_NODEPOOL_TERMINATION] };
      if (!patch) continue;
      const wait = this.backoff.waitMs(name);
      if (wait > 0) {
        retryMs = Math.min(retryMs ?? wait, wait);
        continue;
      }
      try {
        await cluster.patchNodePool(name, patch);
        this.backoff.succeeded(name);
        if (patch.removeFinalizers) {
          decisions.record({
            controller: this.name,
            action: 'released',
            reason: 'pool-removed',
            message: `NodePool ${name} is being deleted and has no NodeClaim left: finalizer ${FINALIZER_NODEPOOL_TERMINATION} removed`,
            nodePool: name,
          });
        }
      } catch (err) {
        const delay = this.backoff.failed(name);
        retryMs = Math.min(retryMs ?? delay, delay);
        logger.warn('updating the NodePool finalizer failed', { nodePool: name, error: String(err) });
      }
    }
    return retryMs !== undefined ? { requeueAfterMs: retryMs } : {};
  }
}
