// Why is this pod not running yet? Read from what the reconciler already wrote about it:
// provisioning's Events on the pod (Nominated: a NodeClaim was created for it;
// MinValuesNotMet, NodePoolLimitReached, FailedProvisioning: it was not provisioned for,
// and why) and kube-scheduler's PodScheduled condition. The latest provisioning Event is the
// verdict. A MinValuesNotMet Event is read back into its parts (NodePool, requirement key,
// minValues asked, values offered), so the answer names them as data as well as in words.
// Reads only.

import type { Pod } from '../../core/api/k8s.ts';
import { parseShortfalls, type NamedShortfall } from '../../core/catalog/min-values.ts';
import { podKey } from '../views/cluster-state.ts';

/** An Event on the pod, as the cluster holds it. */
export interface PodEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  /** When it last happened (ms). */
  readonly timeMs: number;
}

export type PodVerdict =
  /** Bound to a node. */
  | 'scheduled'
  /** A NodeClaim was created for it and is coming up. */
  | 'nominated'
  /** Provisioning looked at it and launches nothing for it; `reasons` says why. */
  | 'not-provisioned'
  /** Pending, and provisioning has said nothing about it yet. */
  | 'pending';

export interface PodCheck {
  readonly check: 'min-values' | 'limit' | 'provisioning' | 'nominated' | 'scheduler';
  readonly status: 'ok' | 'blocks' | 'info';
  readonly message: string;
}

export interface PodExplanation {
  /** namespace/name */
  readonly pod: string;
  readonly node: string | undefined;
  readonly verdict: PodVerdict;
  readonly summary: string;
  readonly reasons: readonly string[];
  readonly checks: readonly PodCheck[];
  /** Under --min-values-policy Strict: what the pod's NodePool asked and the instance types offered. */
  readonly minValues: readonly NamedShortfall[];
  /** The provisioning Events the answer was read from, oldest first. */
  readonly events: readonly PodEvent[];
}

export class PodNotFoundError extends Error {
  constructor(readonly pod: string) {
    super(`no pod ${pod} in the cluster; list them with: kubectl get pods -n ${pod.split('/')[0]}`);
    this.name = 'PodNotFoundError';
  }
}

/** Provisioning's verdicts on a pod (controllers/provisioning/controller.ts writes them). */
const NOT_PROVISIONED: Readonly<Record<string, PodCheck['check']>> = {
  MinValuesNotMet: 'min-values',
  NodePoolLimitReached: 'limit',
  FailedProvisioning: 'provisioning',
};
const NOMINATED = 'Nominated';
/** Karpenter's FailedScheduling that provisioning writes beside its own verdict, with the same words. */
const KARPENTER_FAILED = 'Failed to schedule pod, ';

function scheduled(pod: Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c?.message ? `kube-scheduler: ${c.reason ? `${c.reason}: ` : ''}${c.message}` : undefined;
}

export function explainPod(pod: Pod, events: readonly PodEvent[]): PodExplanation {
  const name = podKey(pod);
  const ours = events
    .filter((e) => e.reason in NOT_PROVISIONED || e.reason === NOMINATED)
    .slice()
    .sort((a, b) => a.timeMs - b.timeMs);
  const base = { pod: name, events: ours };
  const node = pod.spec.nodeName;
  if (node) {
    return { ...base, node, verdict: 'scheduled', summary: `running on node ${node}`, reasons: [], checks: [], minValues: [] };
  }
  const checks: PodCheck[] = [];
  const scheduler = scheduled(pod);
  const schedulerFailed = events.filter((e) => e.reason === 'FailedScheduling' && !e.message.startsWith(KARPENTER_FAILED));
  if (scheduler) checks.push({ check: 'scheduler', status: 'info', message: scheduler });
  else if (schedulerFailed.length > 0) checks.push({ check: 'scheduler', status: 'info', message: `kube-scheduler: ${schedulerFailed[schedulerFailed.length - 1]!.message}` });
  const last = ours[ours.length - 1];
  if (!last) {
    return {
      ...base,
      node: undefined,
      verdict: 'pending',
      summary: 'pending; provisioning has not reported on it yet (it is batched within seconds of being marked unschedulable)',
      reasons: [],
      checks,
      minValues: [],
    };
  }
  if (last.reason === NOMINATED) {
    const claim = /nodeclaim\/(\S+)/.exec(last.message)?.[1];
    const message = `${claim ? `NodeClaim ${claim}` : 'a NodeClaim'} was created for it at ${new Date(last.timeMs).toISOString()}; it schedules there once the node is ready`;
    return { ...base, node: undefined, verdict: 'nominated', summary: message, reasons: [], checks: [{ check: 'nominated', status: 'ok', message }, ...checks], minValues: [] };
  }
  const minValues = last.reason === 'MinValuesNotMet' ? parseShortfalls(last.message) : [];
  const own: PodCheck[] = [{ check: NOT_PROVISIONED[last.reason]!, status: 'blocks', message: last.message }];
  for (const s of minValues) {
    own.push({
      check: 'min-values',
      status: 'blocks',
      message: `NodePool ${s.nodePool}: ${s.key} needs at least ${s.minValues} distinct values (minValues); the instance types that fit offer ${s.offered.length}${s.offered.length > 0 ? `: ${s.offered.join(', ')}` : ''} (--min-values-policy Strict launches no NodeClaim short of it)`,
    });
  }
  return {
    ...base,
    node: undefined,
    verdict: 'not-provisioned',
    summary: `not provisioned for (${last.reason}, ${new Date(last.timeMs).toISOString()}): ${last.message}`,
    reasons: [last.message],
    checks: [...own, ...checks],
    minValues,
  };
}
