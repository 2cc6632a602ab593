// Pod deletion cost management (Karpenter's PodDeletionCostManagement feature gate, off by
// default): once a minute, rank joinery's nodes by how much consolidation wants them gone
// (ranking.ts) and write each node's rank as controller.kubernetes.io/pod-deletion-cost on
// its ReplicaSet pods (annotations.ts), so that a Deployment scaling in deletes the pods of
// the node ranked first and leaves it empty for consolidation, instead of taking one pod
// from each node. Writes only what changed; a user's own cost is never overwritten.

import type { ControllerContext } from '../../runtime/context.ts';
import type { Controller, ReconcileResult } from '../../runtime/controller.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';
import { clusterState } from '../../views/cluster-state.ts';
import { indexIntent } from '../../views/drift.ts';
import { podAction, type PodAction } from './annotations.ts';
import { rankNodes } from './ranking.ts';

export type DeletionCostDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'logger'> & {
  readonly options: Pick<ControllerContext['options'], 'podDeletionCostIntervalMs'>;
};

export interface DeletionCostPass {
  readonly written: number;
  readonly cleared: number;
  readonly released: number;
  readonly failed: number;
}

export class PodDeletionCostController implements Controller {
  readonly name = 'pod-deletion-cost';
  /** What this reconciler last wrote on each pod (by uid): a different value there is a third party's. */
  private readonly lastWritten = new Map<string, string>();
  private readonly backoff: KeyedBackoff;

  constructor(private readonly deps: DeletionCostDeps) {
    this.backoff = new KeyedBackoff(deps.clock);
  }

  async reconcile(): Promise<ReconcileResult> {
    const every = { requeueAfterMs: this.deps.options.podDeletionCostIntervalMs };
    const current = this.deps.intent.current();
    if (!current) return every;
    await this.pass(indexIntent(current));
    return every;
  }

  /** One ranking and the writes it calls for. */
  async pass(idx: ReturnType<typeof indexIntent>): Promise<DeletionCostPass> {
    const { clock, cluster, logger } = this.deps;
    const now = clock.now();
    const { ranked, unranked } = rankNodes(clusterState(cluster).nodes, idx, now);
    const rankOf = new Map<string, number | undefined>([...ranked.map((r) => [r.node, r.rank] as const), ...unranked.map((u) => [u.node, undefined] as const)]);
    const seen = new Set<string>();
    const out = { written: 0, cleared: 0, released: 0, failed: 0 };
    for (const [nodeName, rank] of rankOf) {
      for (const pod of cluster.cache.podsOnNode(nodeName)) {
        if (pod.metadata.deletionTimestamp) continue;
        const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
        seen.add(uid);
        const action = podAction(pod, rank, this.lastWritten.get(uid));
        if (action.kind === 'none' || this.backoff.waitMs(uid) > 0) continue;
        const ok = await this.apply(pod.metadata.namespace ?? 'default', pod.metadata.name!, pod.metadata.resourceVersion, uid, action);
        if (!ok) out.failed += 1;
        else if (action.kind === 'write') out.written += 1;
        else if (action.kind === 'clear') out.cleared += 1;
        else out.released += 1;
      }
    }
    for (const uid of this.lastWritten.keys()) if (!seen.has(uid)) this.lastWritten.delete(uid);
    this.backoff.retainOnly(seen);
    if (out.written + out.cleared + out.released + out.failed > 0) {
      logger.info('pod deletion costs updated', { ...out, rankedNodes: ranked.length, first: ranked[0]?.node });
    }
    return out;
  }

  private async apply(namespace: string, name: string, resourceVersion: string | undefined, uid: string, action: Exclude<PodAction, { kind: 'none' }>): Promise<boolean> {
    const { cluster, logger } = this.deps;
    try {
      const result = await cluster.patchPodAnnotations(namespace, name, action.annotations, resourceVersion);
      // A conflict: the pod changed since the cache saw it; the next pass judges the new copy.
      if (result === 'conflict') return false;
      this.backoff.succeeded(uid);
      if (action.kind === 'write' && result === 'patched') this.lastWritten.set(uid, action.value);
      else this.lastWritten.delete(uid);
      if (action.kind === 'release' && result === 'patched') {
        cluster.recordEvent({
          involved: { kind: 'Pod', name, namespace },
          type: 'Warning',
          reason: 'PodDeletionCostThirdPartyConflict',
          message: `controller.kubernetes.io/pod-deletion-cost is ${action.found}, not the ${action.wrote} joinery wrote: someone else manages it now, joinery no longer writes it on this pod`,
        });
      }
      return true;
    } catch (err) {
      const delayMs = this.backoff.failed(uid);
      logger.warn('writing pod-deletion-cost failed', { pod: `${namespace}/${name}`, error: String(err), retryInMs: delayMs });
      return false;
    }
  }
}
