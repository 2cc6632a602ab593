// Drift and expiration of static NodePools' nodes (Karpenter's StaticDrift): a static node
// is replaced by a node of its pool's template, not by nodes sized for its pods (pods are
// never provisioned for in a static pool), one node of a pool at a time: nothing starts
// while another node of the pool is leaving or a claim of it is still launching, nor while
// the pool is above its replicas (scale-down first). The replacement is launched first when
// limits.nodes leaves room for it (counting every claim of the pool). At the limit a drifted
// node stays, reported (Karpenter's default: raise limits.nodes above replicas to let drift
// through), and an expired one is deleted first: expiry is forceful, and the static
// controller refills the pool once the claim is being deleted.
//
// Drift is eventual and counts against the pool's Drifted budget; expiration is forceful
// and not budgeted, as for dynamic pools. Neither ever consolidates a static node:
// pass.ts gives static nodes only to these methods and to removal.

import type { NewNode } from '../../../core/scheduling/types.ts';
import { orderByDisruptionCost } from '../../../core/disruption/ordering.ts';
import { isStaticPool } from '../../views/static-pools.ts';
import type { Candidate } from './candidates.ts';
import { rejectBlocked } from './eligibility.ts';
import type { Command, Method, MethodContext, StaticPoolPass } from './method.ts';

/** A node of a static pool that stays in the intent: only the static methods (and expiry) take it. */
export function isStaticCandidate(c: Candidate): boolean {
  return c.removed === undefined && isStaticPool(c.pool);
}

/** Why no node of the pool may start being replaced now, if something holds it back. */
function oneAtATime(pool: string, s: StaticPoolPass): string | undefined {
  const { count } = s;
  if (count.staying.length > count.desired) return `static NodePool ${pool} is scaling down to ${count.desired} first`;
  if (count.leaving > 0 || count.launching > 0) return `static NodePool ${pool} replaces one node at a time: ${count.leaving} leaving, ${count.launching} launching`;
  return undefined;
}

function command(method: Method, c: Candidate, replacements: readonly NewNode[], explanation: string): Command {
  return {
    method: method.method,
    reason: method.reason,
    candidates: [c],
    replacements,
    savings: c.price - replacements.reduce((s, n) => s + n.price, 0),
    explanation,
  };
}

/** The command replacing `c` (replacement first when limits.nodes allows), or why not. */
function replace(method: Method, c: Candidate, s: StaticPoolPass, why: string, deleteFirstAtLimit: boolean): Command | { readonly reason: string; readonly message: string } {
  const pool = c.state.nodePool;
  if (s.count.claims + 1 > s.count.limit) {
    if (!deleteFirstAtLimit) {
      return { reason: 'nodepool-limit', message: `static NodePool ${pool} is at limits.nodes ${s.count.limit} (${s.count.claims} NodeClaims) and cannot launch a replacement first; raise limits.nodes above replicas ${s.count.desired} to let drift through` };
    }
    return command(method, c, [], `static NodePool ${pool}: ${why}; at limits.nodes ${s.count.limit}, deleted first and refilled by the static controller`);
  }
  const replacement = s.replacement();
  if (!replacement) return { reason: 'no-instance-types', message: `static NodePool ${pool} admits no instance type with an available offering for a replacement` };
  return command(method, c, [replacement], `static NodePool ${pool}: ${why}; a node of the pool's template launched first`);
}

function computeStatic(method: Method, cands: readonly Candidate[], m: MethodContext, deleteFirstAtLimit: boolean, why: (c: Candidate) => string): Command | undefined {
  const mine = orderByDisruptionCost(cands.filter((c) => method.shouldDisrupt(c, m)), m.now);
  const eligible = method.class === 'forceful' ? mine : rejectBlocked(mine, m, `static ${method.method}`, method.class);
  const seen = new Set<string>();
  for (const c of eligible) {
    const pool = c.state.nodePool;
    if (seen.has(pool)) continue;
    seen.add(pool);
    const s = m.statics?.get(pool);
    if (!s) continue;
    const held = oneAtATime(pool, s);
    if (held) {
      m.reject({ name: c.name, nodePool: pool, reason: 'static-one-at-a-time', message: `${why(c)}, but ${held}` });
      continue;
    }
    if (method.reason !== 'Expired' && method.reason !== 'Removed' && m.budgets.allowed(pool, method.reason) <= 0) {
      m.reject({ name: c.name, nodePool: pool, reason: 'budget', message: `static ${method.method} blocked by the ${method.reason} budget of NodePool ${pool}: ${m.budgets.describe(pool, method.reason)}` });
      continue;
    }
    const out = replace(method, c, s, why(c), deleteFirstAtLimit);
    if ('method' in out) return out;
    m.reject({ name: c.name, nodePool: pool, reason: out.reason, message: `${why(c)}, but ${out.message}` });
  }
  return undefined;
}

export const staticDrift: Method = {
  method: 'drift',
  reason: 'Drifted',
  class: 'eventual',
  shouldDisrupt: (c) => isStaticCandidate(c) && c.drift !== undefined,
  computeCommand: (cands, m) => computeStatic(staticDrift, cands, m, false, (c) => `drifted (${c.drift!.detail})`),
};

export const staticExpiration: Method = {
  method: 'expiration',
  reason: 'Expired',
  class: 'forceful',
  shouldDisrupt: (c, m) => isStaticCandidate(c) && m.now - c.createdAtMs >= c.expireAfterMs,
  computeCommand: (cands, m) => computeStatic(staticExpiration, cands, m, true, (c) => `past expireAfter (${((m.now - c.createdAtMs) / 3_600_000).toFixed(1)}h old)`),
};

/** The stabilisation re-check of a static drift command: still drifted, still one at a time; the replacement is the pool's template again. */
export function revalidateStatic(cmd: Command, fresh: readonly Candidate[], m: MethodContext): Command | string {
  const c = fresh[0]!;
  if (fresh.length !== 1 || !c.drift) return 'the node is no longer drifted';
  const s = m.statics?.get(c.state.nodePool);
  if (!s) return `NodePool ${c.state.nodePool} is no longer static`;
  const held = oneAtATime(c.state.nodePool, s);
  if (held) return held;
  if (cmd.replacements.length === 0) return { ...cmd, candidates: fresh };
  const out = replace(staticDrift, c, s, `drifted (${c.drift.detail})`, false);
  return 'method' in out ? out : out.message;
}
