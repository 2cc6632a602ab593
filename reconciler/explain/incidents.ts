// Why a node is going away when nothing in the disruption pass chose it: the interruption
// controller took it (a spot interruption warning, a scheduled change, a state change; it
// writes ANNOTATION_INTERRUPTION on the NodeClaim), or node auto-repair did (a condition
// held past its toleration; ANNOTATION_REPAIR). And, for a node still there, whether it
// is unhealthy and when auto-repair replaces it (or why it does not).

import type { Node } from '../../core/api/k8s.ts';
import type { NodeClaim, NodePool } from '../../core/api/karpenter.ts';
import { formatDuration } from '../../core/disruption/duration.ts';
import { ANNOTATION_INTERRUPTION, ANNOTATION_REPAIR } from '../../core/contract/index.ts';
import { repairEnabled, unhealthyCondition } from '../controllers/repair/controller.ts';
import type { RepairPolicy } from '../runtime/context.ts';

export interface Cause {
  readonly check: 'interruption' | 'repair' | 'health';
  /** A few words for the summary ("interrupted: spot interruption warning ..."). */
  readonly short: string;
  /** The whole story, for the checks. */
  readonly message: string;
}

const KINDS: Readonly<Record<string, string>> = {
  spot_interrupted: 'spot interruption warning',
  rebalance_recommendation: 'rebalance recommendation',
  scheduled_change: 'scheduled change (AWS Health: instance retirement or maintenance)',
  instance_stopped: 'instance stopping',
  instance_terminated: 'instance terminating',
};

function json(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Why this NodeClaim was deleted by the interruption controller or by node auto-repair, if one of them did. */
export function terminationCause(claim: NodeClaim, policies: readonly RepairPolicy[]): Cause | undefined {
  const interruption = json(claim.metadata.annotations?.[ANNOTATION_INTERRUPTION]);
  if (interruption) {
    const kind = str(interruption.kind) ?? 'interruption event';
    const what = KINDS[kind] ?? kind;
    const instance = str(interruption.instanceId);
    const at = str(interruption.at);
    const ids = [str(interruption.eventId) ? `EventBridge event ${str(interruption.eventId)}` : undefined, str(interruption.messageId) ? `queue message ${str(interruption.messageId)}` : undefined].filter(Boolean).join(', ');
    const spot = kind === 'spot_interrupted' ? '; its offering is avoided for the ICE cooldown, and EC2 reclaims the instance two minutes after the warning' : '';
    return {
      check: 'interruption',
      short: `interrupted: ${what}${instance ? ` for instance ${instance}` : ''}${at ? ` at ${at}` : ''}`,
      message: `the interruption controller received a ${what}${instance ? ` for instance ${instance}` : ''}${ids ? ` (${ids})` : ''}${at ? ` at ${at}` : ''}: the node was cordoned, replacements for its pods were launched, and its NodeClaim deleted (drained honouring PDBs)${spot}`,
    };
  }
  const repair = json(claim.metadata.annotations?.[ANNOTATION_REPAIR]);
  if (repair) {
    const condition = `${str(repair.condition) ?? '?'}=${str(repair.status) ?? '?'}`;
    const since = Date.parse(str(repair.since) ?? '');
    const at = Date.parse(str(repair.at) ?? '');
    const policy = policies.find((p) => p.conditionType === repair.condition && p.status === repair.status);
    const held = Number.isFinite(since) && Number.isFinite(at) ? ` for ${formatDuration(at - since)}` : '';
    const toleration = policy ? `, past its toleration of ${formatDuration(policy.tolerationMs)}` : '';
    return {
      check: 'repair',
      short: `repaired: ${condition}${held}${toleration}`,
      message: `node auto-repair: the node had ${condition} since ${str(repair.since) ?? '?'}${held}${toleration}; at ${str(repair.at) ?? '?'} it was force-terminated without drain (its pods deleted, not evicted: PDBs do not hold a broken node) and its pods recreated elsewhere`,
    };
  }
  return undefined;
}

/** A node with a failing condition: when node auto-repair replaces it, or why it does not. */
export function healthCause(node: Node | undefined, pool: NodePool | undefined, gate: boolean, policies: readonly RepairPolicy[], now: number): Cause | undefined {
  if (!node) return undefined;
  const u = unhealthyCondition(node, policies, now);
  if (!u) return undefined;
  const condition = `${u.policy.conditionType}=${u.policy.status}`;
  const head = `${condition} since ${new Date(u.sinceMs).toISOString()} (${formatDuration(Math.max(0, now - u.sinceMs))})`;
  const poolName = pool?.metadata.name ?? '?';
  let then: string;
  if (!gate) then = 'not repaired: the reconciler runs without the NodeRepair feature gate';
  else if (!pool || !repairEnabled(pool)) then = `not repaired: NodePool ${poolName} does not opt in to node auto-repair (nodeRepair: true)`;
  else if (u.dueMs > now) then = `node auto-repair force-terminates it at ${new Date(u.dueMs).toISOString()} (toleration ${formatDuration(u.policy.tolerationMs)}), unless more than 20% of NodePool ${poolName}'s nodes are unhealthy`;
  else then = `past its toleration of ${formatDuration(u.policy.tolerationMs)}: node auto-repair force-terminates it unless more than 20% of NodePool ${poolName}'s nodes are unhealthy (see the NodePool's joinery.dev/NodeRepairAllowed condition)`;
  return { check: 'health', short: `unhealthy: ${head}; ${then}`, message: `${head}: ${then}` };
}
