// Hash versions (Karpenter's nodepool.hash controller, and the AWS provider's
// EC2NodeClass one): a NodeClaim whose karpenter.sh/nodepool-hash-version (or
// karpenter.k8s.aws/ec2nodeclass-hash-version) is not the version the reconciler hashes
// with (a claim joinery launched before it changed what it hashes) is re-annotated with the current hash and version of its pool (or class), so a change
// of what is hashed never drifts the fleet; from then on it drifts when its pool or class
// changes. Claims being deleted or marked for disruption are left as they are (already
// on their way out, as Karpenter leaves a claim already Drifted). Only joinery's own claims
// (labelled with the policy commit they came from) are touched: a claim upstream Karpenter
// launched keeps Karpenter's annotations and is judged by its requirements alone.

import type { NodeClaim } from '../../../core/api/karpenter.ts';
import { NODECLASS_HASH_VERSION, NODEPOOL_HASH_VERSION } from '../../../core/disruption/drift.ts';
import {
  ANNOTATION_DISRUPTION,
  ANNOTATION_NODECLASS_HASH,
  ANNOTATION_NODECLASS_HASH_VERSION,
  ANNOTATION_NODEPOOL_HASH,
  ANNOTATION_NODEPOOL_HASH_VERSION,
  LABEL_NODEPOOL,
  LABEL_POLICY_COMMIT,
} from '../../../core/contract/index.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';
import { indexIntent, type IntentIndex } from '../../views/drift.ts';

/** What the hash controller may touch: NodeClaim annotations, read against the intent in force. */
export type HashDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'logger'>;

/** The annotations to write on `claim` so its hash versions are current; undefined when they are. */
export function hashUpdate(claim: NodeClaim, idx: IntentIndex): Record<string, string> | undefined {
  const a = claim.metadata.annotations ?? {};
  const out: Record<string, string> = {};
  const pool = claim.metadata.labels?.[LABEL_NODEPOOL];
  const poolHash = pool ? idx.poolHashes.get(pool) : undefined;
  if (poolHash && a[ANNOTATION_NODEPOOL_HASH_VERSION] !== NODEPOOL_HASH_VERSION) {
    out[ANNOTATION_NODEPOOL_HASH] = poolHash;
    out[ANNOTATION_NODEPOOL_HASH_VERSION] = NODEPOOL_HASH_VERSION;
  }
  const classHash = idx.classHashes.get(claim.spec.nodeClassRef?.name ?? '');
  if (classHash && a[ANNOTATION_NODECLASS_HASH_VERSION] !== NODECLASS_HASH_VERSION) {
    out[ANNOTATION_NODECLASS_HASH] = classHash;
    out[ANNOTATION_NODECLASS_HASH_VERSION] = NODECLASS_HASH_VERSION;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export class HashController implements Controller {
  readonly name = 'hash';
  private readonly backoff: KeyedBackoff;

  constructor(private readonly ctx: HashDeps) {
    this.backoff = new KeyedBackoff(ctx.clock);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind === 'NodeClaim' && event.type !== 'DELETED') wake(0);
  }

  onIntent(_event: unknown, wake: Wake): void {
    wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, intent, logger } = this.ctx;
    const current = intent.current();
    if (!current) return {};
    const idx = indexIntent(current);
    const claims = cluster.cache.list('NodeClaim');
    this.backoff.retainOnly(new Set(claims.map((c) => c.metadata.name!)));
    let retryMs: number | undefined;
    for (const claim of claims) {
      const name = claim.metadata.name!;
      if (!claim.metadata.labels?.[LABEL_POLICY_COMMIT]) continue;
      if (claim.metadata.deletionTimestamp || claim.metadata.annotations?.[ANNOTATION_DISRUPTION]) continue;
      const update = hashUpdate(claim, idx);
      if (!update) continue;
      const wait = this.backoff.waitMs(name);
      if (wait > 0) {
        retryMs = Math.min(retryMs ?? wait, wait);
        continue;
      }
      try {
        await cluster.patchNodeClaim(name, { annotations: update });
        this.backoff.succeeded(name);
        logger.info('re-annotated NodeClaim with the current drift hash version', { nodeClaim: name, ...update });
      } catch (err) {
        const delay = this.backoff.failed(name);
        retryMs = Math.min(retryMs ?? delay, delay);
        logger.warn('re-annotating NodeClaim hash failed', { nodeClaim: name, error: String(err) });
      }
    }
    return retryMs !== undefined ? { requeueAfterMs: retryMs } : {};
  }
}
