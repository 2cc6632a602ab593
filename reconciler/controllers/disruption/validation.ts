// The stabilisation re-check (Karpenter's validation): a graceful command decided one
// stabilisation delay ago acts only if it still holds against the cluster as it is now,
// its candidates still candidates and not blocked, the budgets still allowing them, and
// its method still reaching the same answer. A forceful one (expiration) only needs its
// candidates to exist.

import { podKey } from '../../views/cluster-state.ts';
import type { Candidate } from './candidates.ts';
import { consolidationCommand } from './consolidation.ts';
import type { Command, Method, MethodContext } from './method.ts';
import { blockFor } from './eligibility.ts';
import { isStaticCandidate, revalidateStatic } from './static-replacement.ts';

function methodClass(method: Command['method']): Method['class'] {
  if (method === 'expiration') return 'forceful';
  return method === 'drift' || method === 'removal' ? 'eventual' : 'graceful';
}

/** The command with fresh candidates (and replacements) when it still holds, else why not. */
export function revalidate(cmd: Command, candidates: readonly Candidate[], m: MethodContext): Command | string {
  const byName = new Map(candidates.map((c) => [c.name, c]));
  const fresh: Candidate[] = [];
  for (const c of cmd.candidates) {
    const f = byName.get(c.name);
    if (!f) return `node ${c.name} is no longer a candidate (deleted, disrupted or not initialized)`;
    const block = blockFor(f, methodClass(cmd.method));
    if (block) return block;
    fresh.push(f);
  }
  if (cmd.reason === 'Removed') {
    const perPool = new Map<string, number>();
    for (const c of fresh) perPool.set(c.state.nodePool, (perPool.get(c.state.nodePool) ?? 0) + 1);
    for (const [pool, n] of perPool) {
      if (m.budgets.allowedRemoval(pool) < n) return `the removal rate of NodePool ${pool} no longer allows it: ${m.budgets.describeRemoval(pool)}`;
    }
  } else if (cmd.reason !== 'Expired') {
    const perPool = new Map<string, number>();
    for (const c of fresh) perPool.set(c.state.nodePool, (perPool.get(c.state.nodePool) ?? 0) + 1);
    for (const [pool, n] of perPool) {
      if (m.budgets.allowed(pool, cmd.reason) < n) return `the ${cmd.reason} budget of NodePool ${pool} no longer allows it: ${m.budgets.describe(pool, cmd.reason)}`;
    }
  }
  switch (cmd.method) {
    case 'removal': {
      if (fresh.some((c) => !c.removed)) return 'the NodePool is back in the intent';
      if (fresh.every((c) => c.reschedulable.length === 0)) return { ...cmd, candidates: fresh };
      if (cmd.replacements.length === 0 && fresh.some((c) => c.reschedulable.length > 0)) return 'a node that was empty now runs pods';
      const sim = m.simulate(fresh);
      if (sim.unschedulable.length > 0) return `${sim.unschedulable.length} pod(s) would now fit nowhere`;
      return { ...cmd, candidates: fresh, replacements: sim.newNodes };
    }
    case 'drift': {
      if (fresh.some(isStaticCandidate)) return revalidateStatic(cmd, fresh, m);
      if (fresh.some((c) => !c.drift)) return 'a node is no longer drifted';
      if (fresh.every((c) => c.reschedulable.length === 0)) {
        if (fresh.some((c) => c.reschedulable.length > 0)) return 'a node that was empty now runs pods';
        return { ...cmd, candidates: fresh };
      }
      const sim = m.simulate(fresh);
      if (sim.unschedulable.length > 0) return `${sim.unschedulable.length} pod(s) would now fit nowhere`;
      return { ...cmd, candidates: fresh, replacements: sim.newNodes };
    }
    case 'emptiness':
      if (fresh.some((c) => c.reschedulable.length > 0)) return `a node now runs pods (${podKey(fresh.find((c) => c.reschedulable.length > 0)!.reschedulable[0]!)})`;
      return { ...cmd, candidates: fresh };
    case 'consolidation': {
      const a = consolidationCommand(fresh, m);
      if (!a.ok) return a.message;
      if (a.command.replacements.length !== cmd.replacements.length) return 'the placement of the pods changed';
      if (a.command.savings + 1e-9 < Math.min(cmd.savings, cmd.savings * 0.99)) return 'the savings shrank';
      return a.command;
    }
    case 'expiration':
      return { ...cmd, candidates: fresh };
  }
}
