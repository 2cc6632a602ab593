// NodeOverlay status: whether each overlay of the intent in force is valid
// (ValidationSucceeded) and applied (Ready), as Karpenter's nodeoverlay controller writes it.
// An overlay whose spec cannot be applied says which field and why; one left out because
// another of the same weight sets the same thing differently (the earlier in name order
// wins, fail open) says which overlay and what it conflicts on. The judgement is the one
// provisioning and consolidation use (views/scheduling.ts over core/catalog/overlays.ts).

import type { NodeOverlay } from '../../../core/api/node-overlay.ts';
import type { StatusCondition } from '../../../core/api/karpenter.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import type { OverlayOutcome } from '../../../core/catalog/overlays.ts';
import { CONDITION_READY, CONDITION_VALIDATION_SUCCEEDED, REASON_OVERLAY_CONFLICT, REASON_VALIDATION_FAILED } from '../../../core/contract/index.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import { schedulingPools } from '../../views/scheduling.ts';
import { setCondition } from '../shared/conditions.ts';

export type NodeOverlayStatusDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'logger' | 'catalog'>;

/** Conflicts depend on the catalogs (prices change): judged again this often. */
const RESYNC_MS = 5 * 60_000;
/**
 * An overlay of the intent not yet in the cluster (the reconciler read the commit before
 * Argo CD or Flux applied it): its status is written this soon after.
 */
export const NOT_YET_APPLIED_RETRY_MS = 10_000;

/** The status an overlay's outcome means (pure). */
export function nodeOverlayStatus(outcome: OverlayOutcome, previous: readonly StatusCondition[] | undefined, generation: number | undefined, nowIso: string): NonNullable<NodeOverlay['status']> {
  let conditions = [...(previous ?? [])];
  if (outcome.problems.length > 0) {
    const message = outcome.problems.map((p) => `${p.field}: ${p.message}; fix: ${p.fix}`).join('; ');
    conditions = setCondition(conditions, CONDITION_VALIDATION_SUCCEEDED, 'False', REASON_VALIDATION_FAILED, message, nowIso, generation);
    conditions = setCondition(conditions, CONDITION_READY, 'False', REASON_VALIDATION_FAILED, message, nowIso, generation);
    return { conditions };
  }
  conditions = setCondition(conditions, CONDITION_VALIDATION_SUCCEEDED, 'True', CONDITION_VALIDATION_SUCCEEDED, '', nowIso, generation);
  conditions = outcome.conflictsWith
    ? setCondition(
        conditions,
        CONDITION_READY,
        'False',
        REASON_OVERLAY_CONFLICT,
        `conflicts with NodeOverlay ${outcome.conflictsWith} (same weight) on ${outcome.conflictDetail}; not applied; fix: give one of them a higher weight, or make their requirements disjoint`,
        nowIso,
        generation,
      )
    : setCondition(conditions, CONDITION_READY, 'True', CONDITION_READY, '', nowIso, generation);
  return { conditions };
}

export class NodeOverlayStatusController implements Controller {
  readonly name = 'nodeoverlay-status';
  private readonly written = new Map<string, string>();

  constructor(private readonly ctx: NodeOverlayStatusDeps) {}

  onIntent(_event: IntentEvent, wake: Wake): void {
    wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, clock, intent, logger } = this.ctx;
    const current = intent.current();
    const overlays = current?.nodeOverlays ?? [];
    if (!current || overlays.length === 0) return {};
    const view = await schedulingPools(this.ctx, current);
    const nowIso = new Date(clock.now()).toISOString();
    const byName = new Map(overlays.map((o) => [o.metadata.name ?? '', o]));
    let notYetApplied = false;
    for (const outcome of view.overlays.outcomes) {
      const overlay = byName.get(outcome.name);
      const status = nodeOverlayStatus(outcome, overlay?.status?.conditions, overlay?.metadata.generation, nowIso);
      const signature = canonicalJson(status.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })));
      if (this.written.get(outcome.name) === signature) continue;
      const ready = status.conditions?.find((c) => c.type === CONDITION_READY);
      if (ready?.status === 'False') logger.warn('NodeOverlay not applied', { nodeOverlay: outcome.name, reason: ready.reason, message: ready.message });
      try {
        if (await cluster.patchNodeOverlayStatus(outcome.name, status)) this.written.set(outcome.name, signature);
        else notYetApplied = true;
      } catch (err) {
        notYetApplied = true;
        logger.warn('could not write NodeOverlay status; tried again later', { nodeOverlay: outcome.name, error: (err as Error).message });
      }
    }
    for (const name of [...this.written.keys()]) if (!byName.has(name)) this.written.delete(name);
    return { requeueAfterMs: notYetApplied ? NOT_YET_APPLIED_RETRY_MS : RESYNC_MS };
  }
}
