// Registration (Karpenter's lifecycle/registration.go): when the Node of a launched
// claim appears (matched by providerID), hand the claim's labels and taints to it, add
// the termination finalizer, lift the unregistered taint, and mark the claim Registered
// with the node's name, which is how every other controller finds the node of a claim.

import type { Node } from '../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { CONDITION_REGISTERED, FINALIZER_TERMINATION, LABEL_REGISTERED, TAINT_UNREGISTERED } from '../../../core/contract/index.ts';
import { setCondition } from '../shared/conditions.ts';

export type RegistrationDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'logger'>;

export class Registration {
  constructor(private readonly deps: RegistrationDeps) {}

  async register(claim: NodeClaim, node: Node): Promise<void> {
    const { cluster, clock, logger } = this.deps;
    const name = claim.metadata.name!;
    const nodeName = node.metadata.name!;
    const labels: Record<string, string> = { ...(claim.metadata.labels ?? {}), [LABEL_REGISTERED]: 'true' };
    await cluster.patchNode(nodeName, {
      labels,
      addFinalizers: [FINALIZER_TERMINATION],
      addTaints: claim.spec.taints ?? [],
      removeTaints: [TAINT_UNREGISTERED],
    });
    await cluster.patchNodeClaimStatus(name, {
      nodeName,
      conditions: setCondition(claim.status?.conditions, CONDITION_REGISTERED, 'True', 'Registered', `node ${nodeName}`, new Date(clock.now()).toISOString()),
    });
    logger.debug('node registered', { nodeClaim: name, node: nodeName });
  }
}
