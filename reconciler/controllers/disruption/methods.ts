// The disruption methods, in Karpenter's order: drift, expiration, emptiness,
// multi-node consolidation, single-node consolidation. Each looks at the candidates and
// proposes at most one command (what to remove, what to launch first), or says why not.

import { durationOr } from '../../../core/disruption/duration.ts';
import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import type { DisruptionMethod } from '../../../core/contract/index.ts';
import { LABEL_INSTANCE_TYPE } from '../../../core/contract/index.ts';
import type { BudgetTracker } from './budgets.ts';
import type { Candidate, Rejection } from './candidates.ts';
import { simulateRemoval, type SimulationInput } from './simulate.ts';

export interface Command {
  readonly method: DisruptionMethod;
  /** Budget reason (Drifted, Empty, Underutilized), or Expired (not budgeted). */
  readonly reason: DisruptionReason | 'Expired';
  readonly candidates: readonly Candidate[];
  readonly replacements: readonly NewNode[];
  /** USD per hour saved (negative when a replacement costs more, as drift may). */
  readonly savings: number;
  readonly explanation: string;
}

export interface MethodContext {
  readonly now: number;
  readonly sim: SimulationInput;
  readonly budgets: BudgetTracker;
  readonly spotToSpot: boolean;
  readonly spotToSpotMinTypes: number;
  readonly multiNodeMax: number;
  /**
   * Whether consolidation (multi- and single-node) runs in this pass; the controller
   * paces it (each pass costs scheduling simulations). Default true.
   */
  readonly consolidate?: boolean;
  /**
   * Consolidation attempts that failed since the cluster last freed capacity, by
   * candidate set signature: they would fail again, so they are not simulated again.
   */
  readonly memo?: Map<string, string>;
  /** See clusterSettled: informational, no method waits for it. */
  readonly settled: boolean;
  readonly reject: (r: Rejection) => void;
}

/** Single-node consolidation simulates at most this many candidates per pass (the rest wait for the next). */
const SINGLE_NODE_MAX_EVALUATIONS = 10;
/** A replacement must save at least this much to be worth a disruption (avoids flapping on noise). */
const MIN_SAVINGS_PER_HOUR = 0.001;
/** Replacing nodes with more nodes than before must save at least this fraction. */
const SPLIT_MIN_SAVINGS = 0.25;

function sum(cs: readonly Candidate[]): number {
  return cs.reduce((s, c) => s + c.price, 0);
}

function consolidationPolicy(c: Candidate): string {
  return c.pool.spec.disruption?.consolidationPolicy ?? 'WhenEmptyOrUnderutilized';
}

function consolidateAfterMs(c: Candidate): number {
  return durationOr(c.pool.spec.disruption?.consolidateAfter, 0);
}

function consolidatableNow(c: Candidate, now: number): boolean {
  const after = consolidateAfterMs(c);
  return Number.isFinite(after) && now - c.lastPodEventMs >= after;
}

/** Takes candidates in order while each one's pool budget for `reason` allows another. */
function withinBudget(cs: readonly Candidate[], reason: DisruptionReason, m: MethodContext, methodName: string): Candidate[] {
  const used = new Map<string, number>();
  const out: Candidate[] = [];
  for (const c of cs) {
    const pool = c.state.nodePool;
    const allowed = m.budgets.allowed(pool, reason) - (used.get(pool) ?? 0);
    if (allowed <= 0) {
      m.reject({ name: c.name, nodePool: pool, reason: 'budget', message: `${methodName} blocked by the ${reason} budget of NodePool ${pool}: ${m.budgets.describe(pool, reason)}` });
      continue;
    }
    used.set(pool, (used.get(pool) ?? 0) + 1);
    out.push(c);
  }
  return out;
}

function rejectBlocked(cs: readonly Candidate[], m: MethodContext, methodName: string): Candidate[] {
  return cs.filter((c) => {
    if (!c.blocked) return true;
    m.reject({ name: c.name, nodePool: c.state.nodePool, reason: c.blocked.includes('PodDisruptionBudget') ? 'pdb' : 'do-not-disrupt', message: `${methodName} blocked: ${c.blocked}` });
    return false;
  });
}

export function drift(cands: readonly Candidate[], m: MethodContext): Command | undefined {
  const drifted = rejectBlocked(orderByDisruptionCost(cands.filter((c) => c.drift), m.now), m, 'drift');
  if (drifted.length === 0) return undefined;
  // Empty drifted nodes go together (nothing to move); the others one at a time.
  const empty = withinBudget(drifted.filter((c) => c.reschedulable.length === 0), 'Drifted', m, 'drift');
  if (empty.length > 0) {
    return {
      method: 'drift',
      reason: 'Drifted',
      candidates: empty,
      replacements: [],
      savings: sum(empty),
      explanation: `${empty.length} empty drifted node(s): ${empty[0]!.drift!.detail}`,
    };
  }
  // Non-empty drifted nodes: as many as the budgets allow at once, simulated together;
  // when their pods cannot all be placed together, one at a time.
  const batch = withinBudget(drifted.filter((c) => c.reschedulable.length > 0), 'Drifted', m, 'drift replacement');
  if (batch.length === 0) return undefined;
  if (batch.length > 1) {
    const sim = simulateRemoval(m.sim, batch);
    if (sim.unschedulable.length === 0) return driftCommand(batch, sim.newNodes);
  }
  for (const c of batch) {
    const sim = simulateRemoval(m.sim, [c]);
    if (sim.unschedulable.length > 0) {
      m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'pods-fit-nowhere', message: `drifted, but ${sim.unschedulable.length} pod(s) would fit nowhere: ${sim.unschedulable[0]!.reason}` });
      continue;
    }
    return driftCommand([c], sim.newNodes);
  }
  return undefined;
}

function driftCommand(cs: readonly Candidate[], replacements: readonly NewNode[]): Command {
  const newPrice = replacements.reduce((s, n) => s + n.price, 0);
  return {
    method: 'drift',
    reason: 'Drifted',
    candidates: cs,
    replacements,
    savings: sum(cs) - newPrice,
    explanation: cs[0]!.drift!.detail,
  };
}

export function expiration(cands: readonly Candidate[], m: MethodContext): Command | undefined {
  // Forceful: not limited by budgets, do-not-disrupt or PDBs at this stage (the drain
  // still honours PDBs until the node's terminationGracePeriod runs out).
  const expired = cands.filter((c) => m.now - c.createdAtMs >= c.expireAfterMs);
  if (expired.length === 0) return undefined;
  const sim = simulateRemoval(m.sim, expired);
  const newPrice = sim.newNodes.reduce((s, n) => s + n.price, 0);
  const oldest = Math.max(...expired.map((c) => m.now - c.createdAtMs));
  return {
    method: 'expiration',
    reason: 'Expired',
    candidates: expired,
    replacements: sim.newNodes,
    savings: sum(expired) - newPrice,
    explanation: `${expired.length} node(s) past expireAfter (oldest ${(oldest / 3_600_000).toFixed(1)}h)${sim.unschedulable.length > 0 ? `; ${sim.unschedulable.length} pod(s) have no replacement and wait pending` : ''}`,
  };
}

export function emptiness(cands: readonly Candidate[], m: MethodContext): Command | undefined {
  const empty = cands.filter(
    (c) =>
      c.reschedulable.length === 0 &&
      (consolidationPolicy(c) === 'WhenEmpty' || consolidationPolicy(c) === 'WhenEmptyOrUnderutilized') &&
      consolidatableNow(c, m.now),
  );
  const ok = withinBudget(rejectBlocked(empty, m, 'emptiness'), 'Empty', m, 'emptiness');
  if (ok.length === 0) return undefined;
  return {
    method: 'emptiness',
    reason: 'Empty',
    candidates: ok,
    replacements: [],
    savings: sum(ok),
    explanation: `${ok.length} node(s) ran no pods but DaemonSets for at least consolidateAfter`,
  };
}

type Attempt = { ok: true; command: Command } | { ok: false; reason: string; message: string };

function signature(cs: readonly Candidate[]): string {
  return cs.map((c) => `${c.name}:${c.reschedulable.map((p) => p.metadata.uid).join(',')}`).join('|');
}

/** Delete the candidates (their pods fit elsewhere) or replace them with one cheaper node. */
export function consolidationCommand(cs: readonly Candidate[], m: MethodContext): Attempt {
  const key = m.memo ? signature(cs) : '';
  const remembered = m.memo?.get(key);
  if (remembered !== undefined) return { ok: false, reason: 'unchanged', message: remembered };
  const a = computeConsolidation(cs, m);
  if (!a.ok && m.memo) m.memo.set(key, a.message);
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

function computeConsolidation(cs: readonly Candidate[], m: MethodContext): Attempt {
  const total = sum(cs);
  const names = cs.map((c) => c.name);
  // Cheapest question first: do the pods fit on the other nodes as they are?
  const fit = simulateRemoval(m.sim, cs, false);
  if (fit.unschedulable.length === 0) {
    return deleteWithoutReplacement(cs, total);
  }
  if (!m.spotToSpot && cs.every((c) => c.state.capacityType === 'spot')) {
    return { ok: false, reason: 'spot-to-spot-disabled', message: `its pods do not fit on the other nodes, and replacing spot with cheaper spot is off (enable spot-to-spot consolidation)` };
  }
  const sim = simulateRemoval(m.sim, cs);
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
  const replacements: NewNode[] = sim.newNodes.map((n) => {
    const options = n.instanceTypeOptions.filter((o) => o.price <= n.price + share);
    const names = new Set(options.map((o) => o.name));
    return {
      ...n,
      instanceTypeOptions: options,
      requirements: n.requirements.map((r) => (r.key === LABEL_INSTANCE_TYPE && r.operator === 'In' ? { ...r, values: (r.values ?? []).filter((v) => names.has(v)) } : r)),
    };
  });
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
      explanation: `replace ${names.length} node(s) costing $${total.toFixed(4)}/h with ${what} at $${price.toFixed(4)}/h`,
    },
  };
}

function consolidatable(cands: readonly Candidate[], m: MethodContext): Candidate[] {
  return cands.filter((c) => consolidationPolicy(c) === 'WhenEmptyOrUnderutilized' && c.reschedulable.length > 0 && consolidatableNow(c, m.now));
}

export function multiNodeConsolidation(cands: readonly Candidate[], m: MethodContext): Command | undefined {
  if (m.consolidate === false) return undefined;
  const ordered = withinBudget(orderByDisruptionCost(rejectBlockedQuiet(consolidatable(cands, m)), m.now), 'Underutilized', m, 'consolidation').slice(0, m.multiNodeMax);
  if (ordered.length < 2) return undefined;
  // Karpenter's search: the longest prefix (cheapest to disrupt first) that consolidates.
  let lo = 2;
  let hi = ordered.length;
  let best: Command | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = consolidationCommand(ordered.slice(0, mid), m);
    if (a.ok && a.command.savings > 0) {
      best = a.command;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function rejectBlockedQuiet(cs: readonly Candidate[]): Candidate[] {
  return cs.filter((c) => !c.blocked);
}

export function singleNodeConsolidation(cands: readonly Candidate[], m: MethodContext): Command | undefined {
  if (m.consolidate === false) return undefined;
  // One node per command: each candidate only needs one slot of its pool's budget.
  const eligible = orderByDisruptionCost(rejectBlocked(consolidatable(cands, m), m, 'consolidation'), m.now).filter((c) => {
    if (m.budgets.allowed(c.state.nodePool, 'Underutilized') > 0) return true;
    m.reject({ name: c.name, nodePool: c.state.nodePool, reason: 'budget', message: `consolidation blocked by the Underutilized budget of NodePool ${c.state.nodePool}: ${m.budgets.describe(c.state.nodePool, 'Underutilized')}` });
    return false;
  });
  let evaluated = 0;
  for (const c of eligible) {
    if (evaluated++ >= SINGLE_NODE_MAX_EVALUATIONS) break;
    const a = consolidationCommand([c], m);
    if (a.ok) return a.command;
    if (a.reason === 'unchanged') {
      evaluated -= 1; // remembered, not simulated
      continue;
    }
    m.reject({ name: c.name, nodePool: c.state.nodePool, reason: a.reason, message: `not consolidated: ${a.message}` });
  }
  return undefined;
}
