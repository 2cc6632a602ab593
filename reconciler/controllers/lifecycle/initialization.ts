// Initialization (Karpenter's lifecycle/initialization.go): a registered node is
// Initialized once it is Ready, its startup taints are gone and the extended resources
// its claim asked for are advertised. Disruption waits for this before it counts a
// replacement as up, so a node that cannot run pods yet never replaces one that can.

import type { Node } from '../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { nodeReady } from '../../views/cluster-state.ts';
import { CONDITION_INITIALIZED, LABEL_INITIALIZED, TAINT_UNREGISTERED } from '../../../core/contract/index.ts';
import { setCondition } from '../shared/conditions.ts';

export type InitializationDeps = Pick<ControllerContext, 'clock' | 'cluster'>;

export class Initialization {
  constructor(private readonly deps: InitializationDeps) {}

  /** Marks the claim Initialized when its node is ready for pods; otherwise does nothing (the next Node event retries). */
  async maybeInitialize(claim: NodeClaim, node: Node): Promise<void> {
    if (!nodeReady(node)) return;
    const taints = node.spec?.taints ?? [];
    if (taints.some((t) => t.key === TAINT_UNREGISTERED.key)) return;
    // Startup taints are removed by their own agents, never by us.
    if ((claim.spec.startupTaints ?? []).some((s) => taints.some((t) => t.key === s.key && t.effect === s.effect))) return;
    // Extended resources the claim asked for (GPUs) must be advertised before pods can use them.
    const requested = claim.spec.resources?.requests ?? {};
    const allocatable = node.status?.allocatable ?? {};
    for (const k of Object.keys(requested)) {
      if (k.includes('/') && !allocatable[k]) return;
    }
    const { cluster, clock } = this.deps;
    await cluster.patchNode(node.metadata.name!, { labels: { [LABEL_INITIALIZED]: 'true' } });
    await cluster.patchNodeClaimStatus(claim.metadata.name!, {
      conditions: setCondition(claim.status?.conditions, CONDITION_INITIALIZED, 'True', 'Initialized', 'node ready, startup taints removed', new Date(clock.now()).toISOString()),
    });
  }
}
