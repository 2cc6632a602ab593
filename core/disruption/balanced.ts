// Karpenter's Balanced consolidation policy (v1.14): a consolidation move is taken only
// when the share of its NodePool's cost it saves is at least 1/k of the share of its
// NodePool's disruption cost it causes, k = 2:
//
//   score = (savings / pool cost) / (move disruption / pool disruption)   approved: score >= 1/k
//
// A node's disruption cost is 1 (draining a node at all: cordon, drain, API calls) plus the
// eviction cost of each pod that must move, counted only when positive (a cheap pod cannot
// discount the node). The per-pod eviction cost is core's `podEvictionCost` (1, plus the
// pod-deletion-cost annotation / 2^27, plus priority / 2^25, clamped to [-10, 10]), as
// Karpenter's disruptionutils.EvictionCost; Karpenter's Balanced score has no pod-age term
// and does not scale by the node's lifetime remaining (that only orders candidates).
//
// joinery adds one rule of its own: a replacement must pay for its own launch. While the
// replacement boots and the old node drains both are paid for; the hourly savings must
// recover that overlap within the payback window.

import type { Pod } from '../api/k8s.ts';
import { podEvictionCost } from './ordering.ts';

/** Karpenter's Balanced k: a move passes when its savings fraction is at least half its disruption fraction. */
export const BALANCED_K = 2;
/** The cost of disrupting a node with nothing to move (Karpenter's PerNodeBaseDisruptionCost). */
export const PER_NODE_DISRUPTION_COST = 1;
/** How long a replacement and the node it replaces both run: boot, join, initialize, drain. */
export const REPLACEMENT_OVERLAP_MS = 5 * 60_000;
/** The savings of a replacement must recover its launch overlap within this time. */
export const REPLACEMENT_PAYBACK_MS = 60 * 60_000;

/** 1 + the positive eviction costs of the pods that must move (Karpenter's RescheduleDisruptionCost). */
export function nodeDisruptionCost(pods: readonly Pod[]): number {
  let cost = PER_NODE_DISRUPTION_COST;
  for (const p of pods) cost += Math.max(0, podEvictionCost(p));
  return cost;
}

/** A NodePool's running cost (USD/h) and disruption cost, summed over its nodes. */
export interface PoolTotals {
  readonly cost: number;
  readonly disruptionCost: number;
}

export interface PoolNode {
  readonly nodePool: string;
  /** USD per hour; a node without a known price is left out of both totals, as Karpenter does. */
  readonly price: number;
  readonly pods: readonly Pod[];
}

export function poolTotals(nodes: Iterable<PoolNode>): Map<string, PoolTotals> {
  const out = new Map<string, { cost: number; disruptionCost: number }>();
  for (const n of nodes) {
    if (!(n.price > 0)) continue;
    const t = out.get(n.nodePool) ?? { cost: 0, disruptionCost: 0 };
    t.cost += n.price;
    t.disruptionCost += nodeDisruptionCost(n.pods);
    out.set(n.nodePool, t);
  }
  return out;
}

export interface BalancedScore {
  readonly nodePool: string;
  /** USD/h this pool's share of the move saves. */
  readonly savings: number;
  readonly disruptionCost: number;
  readonly savingsFraction: number;
  readonly disruptionFraction: number;
  /** savingsFraction / disruptionFraction (0 when nothing is saved, Infinity when nothing is disrupted). */
  readonly score: number;
  /** 1/k. */
  readonly threshold: number;
  readonly approved: boolean;
}

/** Karpenter's ScoreMove: the move's savings and disruption as fractions of its pool's totals. */
export function scoreMove(nodePool: string, savings: number, disruptionCost: number, totals: PoolTotals | undefined, k = BALANCED_K): BalancedScore {
  const threshold = 1 / k;
  if (!totals || totals.cost <= 0 || totals.disruptionCost <= 0) {
    return { nodePool, savings, disruptionCost, savingsFraction: 0, disruptionFraction: 0, score: 0, threshold, approved: false };
  }
  const savingsFraction = savings / totals.cost;
  const disruptionFraction = disruptionCost / totals.disruptionCost;
  const score = savingsFraction <= 0 ? 0 : disruptionFraction === 0 ? Infinity : savingsFraction / disruptionFraction;
  return { nodePool, savings, disruptionCost, savingsFraction, disruptionFraction, score, threshold, approved: score >= threshold };
}

export interface MoveCandidate {
  readonly nodePool: string;
  readonly price: number;
  readonly pods: readonly Pod[];
}

/**
 * Scores a move per source NodePool (each Balanced pool independently, with the net
 * savings split by each pool's share of the candidates' cost, as Karpenter does). Only the
 * pools `balanced` names are scored; the move passes when every one of them approves.
 */
export function scoreBalancedMove(
  candidates: readonly MoveCandidate[],
  savings: number,
  totals: ReadonlyMap<string, PoolTotals>,
  balanced: (nodePool: string) => boolean,
  k = BALANCED_K,
): { approved: boolean; scores: BalancedScore[] } {
  const byPool = new Map<string, MoveCandidate[]>();
  for (const c of candidates) byPool.set(c.nodePool, [...(byPool.get(c.nodePool) ?? []), c]);
  const sourceCost = candidates.reduce((s, c) => s + c.price, 0);
  const scores: BalancedScore[] = [];
  for (const [pool, cs] of [...byPool].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!balanced(pool)) continue;
    const poolCost = cs.reduce((s, c) => s + c.price, 0);
    const share = byPool.size > 1 && sourceCost > 0 ? poolCost / sourceCost : 1;
    const disruption = cs.reduce((s, c) => s + nodeDisruptionCost(c.pods), 0);
    scores.push(scoreMove(pool, savings * share, disruption, totals.get(pool), k));
  }
  return { approved: scores.every((s) => s.approved), scores };
}

/** The hourly savings a replacement costing `replacementPrice` USD/h must reach to pay for its launch overlap. */
export function launchPaybackSavings(replacementPrice: number): number {
  return (replacementPrice * REPLACEMENT_OVERLAP_MS) / REPLACEMENT_PAYBACK_MS;
}

export function describeScore(s: BalancedScore): string {
  const score = Number.isFinite(s.score) ? s.score.toFixed(2) : 'infinite';
  return (
    `Balanced score ${score} ${s.approved ? '>=' : '<'} threshold ${s.threshold.toFixed(2)} in NodePool ${s.nodePool}: ` +
    `saves ${(s.savingsFraction * 100).toFixed(1)}% of the pool's cost ($${s.savings.toFixed(4)}/h) for ` +
    `${(s.disruptionFraction * 100).toFixed(1)}% of its disruption cost (${s.disruptionCost.toFixed(2)})`
  );
}
