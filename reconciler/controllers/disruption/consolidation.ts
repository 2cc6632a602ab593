// What single- and multi-node consolidation share (Karpenter's consolidation.go): which
// nodes may be consolidated (consolidationPolicy, consolidateAfter) and the attempt
// itself: delete the candidates when their pods fit on the other nodes, else replace them
// with cheaper nodes. Emptiness and `joinery explain` use the same policy and timing.

import { durationOr } from '../../../core/disruption/duration.ts';
import { describeScore, launchPaybackSavings, scoreBalancedMove, type BalancedScore } from '../../../core/disruption/balanced.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import { LABEL_INSTANCE_TYPE } from '../../../core/contract/index.ts';
import { describeShortfall, minValuesShortfalls, relaxMinValues, type MinValuesShortfall } from '../../../core/catalog/min-values.ts';
import { totalPrice, type Candidate } from './candidates.ts';
import { RAMP_K, risingMessage } from './ramp.ts';
import type { Command, MethodContext } from './method.ts';

/** A replacement must save at least this much to be worth a disruption (avoids flapping on noise). */
const MIN_SAVINGS_PER_HOUR = 0.001;
/** Replacing nodes with more nodes than before must save at least this fraction. */
const SPLIT_MIN_SAVINGS = 0.25;

/** The pool's consolidationPolicy, with Karpenter's default. */
export function consolidationPolicy(c: Candidate): string {
  return c.pool.spec.disruption?.consolidationPolicy ?? 'WhenEmptyOrUnderutilized';
}

/** The pool's consolidateAfter in ms (Infinity for Never; throws on a malformed duration). */
export function consolidateAfterMs(c: Candidate): number {
  return durationOr(c.pool.spec.disruption?.consolidateAfter, 0);
}

/** No pod arrived on or left the node for at least consolidateAfter (never, when it is Never). */
export function consolidatableNow(c: Candidate, now: number): boolean {
  const after = consolidateAfterMs(c);
  return Number.isFinite(after) && now - c.lastPodEventMs >= after;
}

/** Whether the pool's policy consolidates nodes that run pods (WhenEmptyOrUnderutilized, or Balanced when the move pays for itself). */
export function consolidatesUnderutilized(c: Candidate): boolean {
  const policy = consolidationPolicy(c);
  return policy === 'WhenEmptyOrUnderutilized' || policy === 'Balanced';
}

/** Whether consolidation (single- or multi-node) would consider the node: it runs pods, its pool allows it, and it has been quiet long enough. */
export function consolidatable(c: Candidate, now: number): boolean {
  return consolidatesUnderutilized(c) && c.reschedulable.length > 0 && consolidatableNow(c, now);
}

export type Attempt = { ok: true; command: Command } | { ok: false; reason: string; message: string; balanced?: readonly BalancedScore[] };

function signature(cs: readonly Candidate[]): string {
  return cs.map((c) => `${c.name}:${c.reschedulable.map((p) => p.metadata.uid).join(',')}`).join('|');
}

/** Delete the candidates (their pods fit elsewhere) or replace them with cheaper nodes; a failure is remembered in `m.memo`. */
export function consolidationCommand(cs: readonly Candidate[], m: MethodContext): Attempt {
  const key = m.memo ? signature(cs) : '';
  const remembered = m.memo?.get(key);
  if (remembered !== undefined) return { ok: false, reason: 'unchanged', message: remembered };
  const a = computeConsolidation(cs, m);
  // A ramp's hold passes with time, not with a change of the cluster: it is not remembered.
  if (!a.ok && m.memo && a.reason !== 'demand-rising') m.memo.set(key, a.message);
  return a;
}

/** Consolidation by deletion: the candidates' pods fit on the nodes that remain. */
function deleteWithoutReplacement(cs: readonly Candidate[], savings: number): Attempt {
  const pods = cs.reduce((n, c) => n + c.reschedulable.length, 0);
  return {
    ok: true,
    command: {
      method: 'consolidation',
      reason: 'Underutilized',
      candidates: cs,
      replacements: [],
      savings,
      explanation: `${pods} pod(s) of ${cs.length} node(s) fit on the other nodes`,
    },
  };
}

/**
 * Balanced pools take a move only when it pays for the disruption it causes (core's
 * scoreBalancedMove, Karpenter's k = 2), and a replacement only when its savings also
 * recover its own launch. Moves of other policies pass unchanged.
 */
function balancedGate(a: Attempt, m: MethodContext): Attempt {
  if (!a.ok) return a;
  const cmd = a.command;
  if (!cmd.candidates.some((c) => consolidationPolicy(c) === 'Balanced')) return a;
  const policyOf = new Map(cmd.candidates.map((c) => [c.state.nodePool, consolidationPolicy(c)]));
  const { approved, scores } = scoreBalancedMove(
    cmd.candidates.map((c) => ({ nodePool: c.state.nodePool, price: c.price, pods: c.reschedulable })),
    cmd.savings,
    m.poolTotals ?? new Map(),
    (pool) => policyOf.get(pool) === 'Balanced',
  );
  const words = scores.map(describeScore).join('; ');
  if (!approved) {
    return { ok: false, reason: 'balanced-score', message: `the move does not pay for its disruption: ${words}`, balanced: scores };
  }
  if (cmd.replacements.length > 0) {
    const price = cmd.replacements.reduce((s, n) => s + n.price, 0);
    const needed = launchPaybackSavings(price);
    if (cmd.savings < needed) {
      return {
        ok: false,
        reason: 'launch-payback',
        message: `the replacement does not pay for its own launch: it saves $${cmd.savings.toFixed(4)}/h, under the $${needed.toFixed(4)}/h that recovers running $${price.toFixed(4)}/h of new nodes beside the old ones while they boot and drain; ${words}`,
        balanced: scores,
      };
    }
  }
  return { ok: true, command: { ...cmd, explanation: `${cmd.explanation}; ${words}`, balanced: scores } };
}

/**
 * No churn on a ramp: while a candidate's pool is still launching nodes for pending pods
 * (m.risingPools), a replacement must save at least the share of the pool's cost that it
 * causes of the pool's disruption cost (Balanced's score with k = 1, under any policy).
 * The nodes of a ramp's last steps look under-used until the next step fills them; merging
 * them for a few cents an hour moves their pods again and again. Deletions pass.
 */
function rampGate(a: Attempt, m: MethodContext): Attempt {
  if (!a.ok || a.command.replacements.length === 0 || !m.risingPools || m.risingPools.size === 0) return a;
  const cmd = a.command;
  const rising = cmd.candidates.filter((c) => m.risingPools!.has(c.state.nodePool));
  if (rising.length === 0) return a;
  const { approved, scores } = scoreBalancedMove(
    cmd.candidates.map((c) => ({ nodePool: c.state.nodePool, price: c.price, pods: c.reschedulable })),
    cmd.savings,
    m.poolTotals ?? new Map(),
    (pool) => m.risingPools!.has(pool),
    RAMP_K,
  );
  if (approved) return a;
  const pool = rising[0]!.state.nodePool;
  return {
    ok: false,
    reason: 'demand-rising',
    message: `${risingMessage(pool, m.risingPools.get(pool)!, m.now)}; a replacement must save at least the share of the pool's cost it disrupts of its disruption cost: ${scores.map(describeScore).join('; ')}`,
    balanced: scores,
  };
}

function computeConsolidation(cs: readonly Candidate[], m: MethodContext): Attempt {
  return rampGate(balancedGate(computeMove(cs, m), m), m);
}

function computeMove(cs: readonly Candidate[], m: MethodContext): Attempt {
  const total = totalPrice(cs);
  const names = cs.map((c) => c.name);
  // Cheapest question first: do the pods fit on the other nodes as they are?
  const fit = m.simulate(cs, false);
  if (fit.unschedulable.length === 0) {
    return deleteWithoutReplacement(cs, total);
  }
  if (!m.spotToSpot && cs.every((c) => c.state.capacityType === 'spot')) {
    return { ok: false, reason: 'spot-to-spot-disabled', message: `its pods do not fit on the other nodes, and replacing spot with cheaper spot is off (enable spot-to-spot consolidation)` };
  }
  const sim = m.simulate(cs);
  if (sim.unschedulable.length > 0) {
    return { ok: false, reason: 'pods-fit-nowhere', message: `${sim.unschedulable.length} pod(s) would fit nowhere: ${sim.unschedulable[0]!.reason}` };
  }
  if (sim.newNodes.length === 0) {
    return deleteWithoutReplacement(cs, total);
  }
  // Replacements must cost less than the candidates. More nodes than candidates (a
  // split, e.g. when spread preferences place the pods in several zones) must save more,
  // as each node brings its own overhead and churn.
  const cheapest = sim.newNodes.reduce((s, n) => s + n.price, 0);
  const required = Math.max(MIN_SAVINGS_PER_HOUR, sim.newNodes.length > cs.length ? SPLIT_MIN_SAVINGS * total : 0);
  const margin = total - cheapest - required;
  if (margin <= 0) {
    return {
      ok: false,
      reason: 'no-cheaper-placement',
      message: `the cheapest placement of its pods costs $${cheapest.toFixed(4)}/h on ${sim.newNodes.length} new node(s), not enough below $${total.toFixed(4)}/h now`,
    };
  }
  // Each replacement may use any option up to its cheapest price plus an equal share of
  // the margin: whichever the cloud picks, the total stays below what the candidates cost.
  const share = margin / sim.newNodes.length;
  let replacements: NewNode[] = sim.newNodes.map((n) => {
    const options = n.instanceTypeOptions.filter((o) => o.price <= n.price + share);
    const names = new Set(options.map((o) => o.name));
    return {
      ...n,
      instanceTypeOptions: options,
      requirements: n.requirements.map((r) => (r.key === LABEL_INSTANCE_TYPE && r.operator === 'In' ? { ...r, values: (r.values ?? []).filter((v) => names.has(v)) } : r)),
    };
  });
  // The cheaper options must still offer each requirement's minValues distinct values
  // (Karpenter's RemoveInstanceTypeOptionsByPriceAndMinValues): Strict, no replacement;
  // BestEffort, the replacement's minValues are lowered to what they offer.
  const checked = checkMinValues(replacements, m);
  if (!checked.ok) return checked;
  const minValuesRelaxed = checked.relaxed;
  if (minValuesRelaxed) replacements = replacements.map((n) => (minValuesRelaxed.has(n.name) ? { ...n, requirements: relaxMinValues(n.requirements, minValuesRelaxed.get(n.name)!) } : n));
  const allSpot = cs.every((c) => c.state.capacityType === 'spot');
  const replacementSpot = replacements.some((n) => n.instanceTypeOptions.some((o) => o.offerings.some((x) => x.capacityType === 'spot')));
  if (allSpot && replacementSpot) {
    if (!m.spotToSpot) {
      return { ok: false, reason: 'spot-to-spot-disabled', message: 'replacing spot with cheaper spot is off (enable spot-to-spot consolidation)' };
    }
    const fewest = Math.min(...replacements.map((n) => n.instanceTypeOptions.length));
    if (cs.length === 1 && fewest < m.spotToSpotMinTypes) {
      return { ok: false, reason: 'spot-diversity', message: `only ${fewest} cheaper spot type(s); spot-to-spot needs ${m.spotToSpotMinTypes} to keep diversity` };
    }
  }
  const price = replacements.reduce((s, n) => s + n.price, 0);
  const what =
    replacements.length === 1
      ? `one ${replacements[0]!.instanceTypeOptions[0]!.name}`
      : `${replacements.length} nodes (${replacements.map((n) => n.instanceTypeOptions[0]!.name).join(', ')})`;
  return {
    ok: true,
    command: {
      method: 'consolidation',
      reason: 'Underutilized',
      candidates: cs,
      replacements,
      savings: total - price,
      explanation: `replace ${names.length} node(s) costing $${total.toFixed(4)}/h with ${what} at $${price.toFixed(4)}/h${minValuesRelaxed ? ` (minValues relaxed, --min-values-policy BestEffort: ${[...minValuesRelaxed].flatMap(([name, short]) => short.map((x) => describeShortfall(replacements.find((n) => n.name === name)!.nodePool, x))).join('; ')})` : ''}`,
      ...(minValuesRelaxed ? { minValuesRelaxed } : {}),
    },
  };
}

/**
 * Whether replacements restricted to cheaper options still meet their minValues. Strict: a
 * refusal naming what falls short; BestEffort: the shortfalls per replacement, to relax.
 */
function checkMinValues(
  replacements: readonly NewNode[],
  m: MethodContext,
): { ok: true; relaxed: Map<string, readonly MinValuesShortfall[]> | undefined } | { ok: false; reason: string; message: string } {
  const mv = m.minValues;
  if (!mv) return { ok: true, relaxed: undefined };
  const short = new Map<string, readonly MinValuesShortfall[]>();
  const words: string[] = [];
  for (const n of replacements) {
    if (!n.requirements.some((r) => r.minValues !== undefined)) continue;
    const byName = new Map((mv.poolTypes.get(n.nodePool) ?? []).map((t) => [t.name, t.labels]));
    const s = minValuesShortfalls(n.requirements, n.instanceTypeOptions, (name) => byName.get(name));
    if (s.length === 0) continue;
    short.set(n.name, s);
    for (const x of s) words.push(describeShortfall(n.nodePool, x));
  }
  if (short.size === 0) return { ok: true, relaxed: undefined };
  if (mv.policy === 'BestEffort') return { ok: true, relaxed: short };
  return {
    ok: false,
    reason: 'min-values',
    message: `minValues requirement not met by the cheaper replacement options: ${words.join('; ')} (--min-values-policy Strict)`,
  };
}
