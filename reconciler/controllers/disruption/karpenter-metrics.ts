// The disruption controller's part of Karpenter's metrics (karpenter_voluntary_disruption_*,
// karpenter_nodeclaims_disrupted_total), with Karpenter's label values: reasons lower-case
// (drifted, empty, underutilized; joinery's expiration and removal as expired and removed),
// consolidation_type empty, single or multi (empty for the other methods).

import type { KarpenterMetrics } from '../../observability/karpenter-metrics.ts';
import type { Candidate } from './candidates.ts';
import type { Command } from './method.ts';

export function karpenterReason(command: Pick<Command, 'reason'>): string {
  return command.reason.toLowerCase();
}

export function consolidationType(command: Pick<Command, 'method' | 'candidates'>): string {
  if (command.method === 'emptiness') return 'empty';
  if (command.method === 'consolidation') return command.candidates.length > 1 ? 'multi' : 'single';
  return '';
}

/** A command the orchestrator starts: one decision, and each candidate disrupted. */
export function recordDisruptionDecision(metrics: KarpenterMetrics, command: Command, decision: 'replace' | 'delete'): void {
  const reason = karpenterReason(command);
  metrics.disruptionDecisions.inc({ decision, reason, consolidation_type: consolidationType(command) });
  for (const c of command.candidates) {
    metrics.nodeClaimsDisrupted.inc({ reason, nodepool: c.state.nodePool, capacity_type: c.state.capacityType ?? '' });
  }
}

/**
 * karpenter_voluntary_disruption_eligible_nodes{reason}: the candidates each voluntary
 * reason could act on now (not blocked by do-not-disrupt or a PDB; drift also takes a node
 * held back only by its pods when the NodeClaim has a terminationGracePeriod).
 */
export function recordEligibleNodes(metrics: KarpenterMetrics, candidates: readonly Candidate[]): void {
  let drifted = 0;
  let empty = 0;
  let underutilized = 0;
  for (const c of candidates) {
    const eventual = c.blocked === undefined || (c.blockedBy === 'pod' && c.state.claim.spec.terminationGracePeriod !== undefined);
    if (c.drift && eventual) drifted++;
    if (c.blocked !== undefined) continue;
    if (c.reschedulable.length === 0) empty++;
    if (c.pool.spec.disruption?.consolidationPolicy !== 'WhenEmpty') underutilized++;
  }
  metrics.disruptionEligibleNodes.set({ reason: 'drifted' }, drifted);
  metrics.disruptionEligibleNodes.set({ reason: 'empty' }, empty);
  metrics.disruptionEligibleNodes.set({ reason: 'underutilized' }, underutilized);
}
