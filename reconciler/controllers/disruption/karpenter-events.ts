// Karpenter's Events for the disruption steps joinery takes the same way (reasons and
// messages as Karpenter's disruption events): DisruptionLaunching on a candidate NodeClaim
// when its replacements are launched, DisruptionTerminating on the candidate's Node and
// NodeClaim when it is deleted, with the disruption reason (Drifted, Empty, Underutilized,
// and joinery's Expired and Removed); DisruptionBlocked on a candidate's Node and NodeClaim
// when a PodDisruptionBudget keeps it (not for do-not-disrupt, an intentional block, for
// which Karpenter records none either), and on a NodePool whose budget allows no disruption
// now; Unconsolidatable on a Node and NodeClaim that consolidation looked at and left, with
// why. (The Cluster port's EventRecorder drops an identical Event within its dedupe period.)

import type { Cluster } from '../../ports/cluster.ts';

export function disruptionLaunching(cluster: Pick<Cluster, 'recordEvent'>, claimName: string, reason: string): void {
  cluster.recordEvent({ involved: { kind: 'NodeClaim', name: claimName }, type: 'Normal', reason: 'DisruptionLaunching', message: `Launching NodeClaim: ${reason}` });
}

export function disruptionTerminating(cluster: Pick<Cluster, 'recordEvent'>, claimName: string, nodeName: string | undefined, reason: string): void {
  if (nodeName) cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Normal', reason: 'DisruptionTerminating', message: `Disrupting Node: ${reason}` });
  cluster.recordEvent({ involved: { kind: 'NodeClaim', name: claimName }, type: 'Normal', reason: 'DisruptionTerminating', message: `Disrupting NodeClaim: ${reason}` });
}

export function disruptionBlocked(cluster: Pick<Cluster, 'recordEvent'>, claimName: string, nodeName: string | undefined, message: string): void {
  if (nodeName) cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Normal', reason: 'DisruptionBlocked', message });
  cluster.recordEvent({ involved: { kind: 'NodeClaim', name: claimName }, type: 'Normal', reason: 'DisruptionBlocked', message });
}

/** Karpenter's NodePoolBlocked: the pool's budget allows no disruption now. */
export function nodePoolDisruptionBlocked(cluster: Pick<Cluster, 'recordEvent'>, pool: string): void {
  cluster.recordEvent({ involved: { kind: 'NodePool', name: pool }, type: 'Normal', reason: 'DisruptionBlocked', message: 'No allowed disruptions due to blocking budget' });
}

/** Karpenter's Unconsolidatable: consolidation looked at the node and left it, saying why. */
export function unconsolidatable(cluster: Pick<Cluster, 'recordEvent'>, claimName: string, nodeName: string | undefined, message: string): void {
  if (nodeName) cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Normal', reason: 'Unconsolidatable', message });
  cluster.recordEvent({ involved: { kind: 'NodeClaim', name: claimName }, type: 'Normal', reason: 'Unconsolidatable', message });
}
