// Static NodePools (spec.replicas; Karpenter's StaticCapacity): a fixed node count, whatever
// the pods. A thin driver over two steps, each per pool, backed off per pool: scale-up
// (provisioning.ts: the missing NodeClaims, within limits.nodes) and scale-down
// (deprovisioning.ts: the surplus, within the disruption budgets). No pod is provisioned
// for in a static pool and its nodes are never consolidated (views/scheduling.ts keeps
// static pools out of the solver's pools); drifted and expired nodes are replaced one at a
// time by the disruption controller (disruption/static-replacement.ts). A NodePool being
// deleted, or gone from the intent, leaves through disruption's removal instead.

import type { WatchEvent } from '../../ports/cluster.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { clusterState } from '../../views/cluster-state.ts';
import { indexIntent } from '../../views/drift.ts';
import { deletingNodePools } from '../../views/removed-pools.ts';
import { schedulingPools } from '../../views/scheduling.ts';
import { isStaticPool, staticPoolCount } from '../../views/static-pools.ts';
import { BudgetTracker } from '../disruption/budgets.ts';
import { scaleDown } from './deprovisioning.ts';
import { scaleUp } from './provisioning.ts';

export type StaticDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'decisions' | 'metrics' | 'logger' | 'catalog'> & {
  readonly options: Pick<ReconcilerOptions, 'maxInstanceTypesPerClaim'>;
};

/** Even with nothing observed, look again this often (budget windows open, limits held). */
const RESYNC_MS = 30_000;

export class StaticController implements Controller {
  readonly name = 'static';
  private readonly backoff: KeyedBackoff;
  /** What each pool was last held by, so it is reported once, not every reconcile. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly ctx: StaticDeps) {
    this.backoff = new KeyedBackoff(ctx.clock);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    // Claims come and go (launch failures, interruptions, deletions); a pool object may appear.
    if (event.kind === 'NodeClaim' || event.kind === 'NodePool') wake(0);
  }

  onIntent(event: IntentEvent, wake: Wake): void {
    if (event.type === 'accepted') wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { clock, cluster, intent, logger } = this.ctx;
    const current = intent.current();
    if (!current) return {};
    const deleting = deletingNodePools(cluster.cache);
    const pools = current.nodePools.filter((p) => isStaticPool(p) && !deleting.has(p.metadata.name!));
    this.backoff.retainOnly(new Set(pools.map((p) => p.metadata.name!)));
    if (pools.length === 0) return {};
    const idx = indexIntent(current);
    const view = await schedulingPools(this.ctx, current);
    const now = clock.now();
    let next = RESYNC_MS;
    for (const manifest of pools) {
      const name = manifest.metadata.name!;
      const wait = this.backoff.waitMs(name);
      if (wait > 0) {
        next = Math.min(next, wait);
        continue;
      }
      try {
        const pool = view.staticPools.get(name);
        if (!pool) {
          const problem = view.problems.find((p) => p.nodePool === name);
          this.report(name, 'nodeclass-not-ready', `static NodePool ${name} launches nothing: ${problem?.message ?? 'its EC2NodeClass is not resolved'}`);
          continue;
        }
        // Counted afresh for each pool: the previous pool's claims are in the cache already.
        const state = clusterState(cluster);
        const count = staticPoolCount(state, manifest);
        const up = await scaleUp(this.ctx, manifest, pool, count, idx);
        const down = await scaleDown(this.ctx, name, count, new BudgetTracker(state, idx.pools, now), now);
        const held = up.held ?? down.held;
        if (held) this.report(name, held.reason, held.message);
        else this.reported.delete(name);
        this.backoff.succeeded(name);
      } catch (e) {
        const delay = this.backoff.failed(name);
        next = Math.min(next, delay);
        logger.warn('static NodePool reconcile failed; retrying with backoff', { nodePool: name, error: (e as Error).message, retryInMs: delay });
      }
    }
    return { requeueAfterMs: next };
  }

  private report(pool: string, reason: string, message: string): void {
    if (this.reported.get(pool) === message) return;
    this.reported.set(pool, message);
    this.ctx.decisions.record({ controller: this.name, action: reason === 'nodepool-limit' ? 'limit-reached' : 'skip', reason, message, nodePool: pool });
  }
}
