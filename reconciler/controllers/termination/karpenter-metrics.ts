// Termination's part of Karpenter's metrics: karpenter_nodeclaims_terminated_total and,
// when the claim had a Node, karpenter_nodes_terminated_total, once the instance is gone
// and the finalizers are removed (where Karpenter counts them).

import type { Node } from '../../../core/api/k8s.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import { LABEL_CAPACITY_TYPE, LABEL_NODEPOOL, LABEL_ZONE } from '../../../core/contract/index.ts';
import type { KarpenterMetrics } from '../../observability/karpenter-metrics.ts';

export function recordTerminated(metrics: KarpenterMetrics, claim: NodeClaim, node: Node | undefined): void {
  const labels = { ...(claim.metadata.labels ?? {}), ...(node?.metadata.labels ?? {}) };
  const nodepool = labels[LABEL_NODEPOOL] ?? '';
  const zone = labels[LABEL_ZONE] ?? '';
  metrics.nodeClaimsTerminated.inc({ nodepool, capacity_type: labels[LABEL_CAPACITY_TYPE] ?? '', zone });
  if (node) metrics.nodesTerminated.inc({ nodepool, zone });
}
