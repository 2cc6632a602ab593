// One disruption pass, shared by the controller and `joinery explain` so that both decide
// the same way: the candidates, the budgets, the method context, and the methods in the
// order every pass tries them (Karpenter's: drift, expiration, emptiness, multi-node
// consolidation, single-node consolidation). The first method with a command wins.

import { poolTotals } from '../../../core/disruption/balanced.ts';
import type { CloudDrift } from '../../ports/cloud.ts';
import type { ClusterCache } from '../../ports/cluster.ts';
import type { ReconcilerOptions } from '../../runtime/context.ts';
import type { ClusterState } from '../../views/cluster-state.ts';
import type { IntentIndex } from '../../views/drift.ts';
import type { SchedulingView } from '../../views/scheduling.ts';
import { BudgetTracker } from './budgets.ts';
import { buildCandidates, reschedulablePods, type Candidate, type CandidateSet, type Rejection } from './candidates.ts';
import { drift } from './drift.ts';
import { removal } from './removal.ts';
import { deletingNodePools } from '../../views/removed-pools.ts';
import { emptiness } from './emptiness.ts';
import { expiration } from './expiration.ts';
import type { Command, Method, MethodContext, StaticPoolPass } from './method.ts';
import { multiNodeConsolidation } from './multi-node-consolidation.ts';
import { simulateScheduling, type SimulationInput, type SimulationStats } from './scheduling-simulation.ts';
import { singleNodeConsolidation } from './single-node-consolidation.ts';
import { rampingPools } from './ramp.ts';
import { isStaticCandidate, staticDrift, staticExpiration } from './static-replacement.ts';
import { isStaticPool, staticPoolCount } from '../../views/static-pools.ts';
import { staticNewNode } from '../../../core/scheduling/static-node.ts';

const DISRUPTION_METHODS: readonly Method[] = [removal, drift, staticDrift, expiration, staticExpiration, emptiness, multiNodeConsolidation, singleNodeConsolidation];
/** The methods that see the nodes of static NodePools in force (every other method sees none of them). */
const STATIC_METHODS: ReadonlySet<Method> = new Set([removal, staticDrift, staticExpiration]);

/** The reconciler settings that change what the methods decide. */
type DisruptionOptions = Pick<ReconcilerOptions, 'maxInstanceTypesPerClaim' | 'spotToSpotConsolidation' | 'spotToSpotMinTypes' | 'multiNodeConsolidationMaxCandidates' | 'consolidationRampHoldMs'> & Partial<Pick<ReconcilerOptions, 'consolidationRampReplacementMs' | 'minValuesPolicy'>>;

export interface PassInput {
  readonly now: number;
  readonly state: ClusterState;
  readonly cache: ClusterCache;
  readonly idx: IntentIndex;
  readonly view: SchedulingView;
  readonly options: DisruptionOptions;
  readonly reject: (r: Rejection) => void;
  /** The controller's pacing and memory of failed consolidations (see MethodContext); `explain` has neither. */
  readonly consolidate?: boolean;
  readonly memo?: Map<string, string>;
  /** Counts the pass's scheduling simulations. */
  readonly stats?: SimulationStats;
  /** Claims whose resolved values (AMI, subnet, security groups) drifted, by name (CloudDriftChecks). */
  readonly cloudDrift?: ReadonlyMap<string, CloudDrift>;
}

export interface Pass extends CandidateSet {
  readonly budgets: BudgetTracker;
  readonly context: MethodContext;
}

/** Candidates, budgets and the method context for one pass over the cluster as `state` holds it. */
export function preparePass(input: PassInput): Pass {
  const { now, state, cache, idx, view, options } = input;
  const built = buildCandidates(state, cache, idx, view.prices, now, input.cloudDrift);
  // A pool whose EC2NodeClass cannot be resolved cannot launch replacements: its nodes are
  // not disrupted until the class resolves again; the other pools' nodes are.
  const brokenClass = new Map(view.problems.filter((p) => p.nodeClass !== undefined).map((p) => [p.nodePool, p]));
  const candidates = built.candidates.filter((c) => !brokenClass.has(c.state.nodePool));
  const rejections: Rejection[] = [...built.rejections];
  for (const c of built.candidates) {
    const problem = brokenClass.get(c.state.nodePool);
    if (problem) rejections.push({ name: c.name, nodePool: c.state.nodePool, reason: 'nodeclass-not-ready', message: `EC2NodeClass ${problem.nodeClass} is not ready: ${problem.message}` });
  }
  const budgets = new BudgetTracker(state, idx.pools, now);
  // Pods move only to pools that stay: a NodePool being deleted launches nothing.
  const deleting = deletingNodePools(cache);
  const simView = deleting.size === 0 ? view : { ...view, pools: view.pools.filter((p) => !deleting.has(p.name)) };
  const sim: SimulationInput = { state, cache, view: simView, maxInstanceTypeOptions: options.maxInstanceTypesPerClaim };
  // What Balanced scores a move against: every running node of each pool, candidate or not.
  const totals = poolTotals(state.nodes.filter((n) => n.node && !n.deleting).map((n) => ({ nodePool: n.nodePool, price: view.prices.nodePrice(n), pods: reschedulablePods(n.pods) })));
  const statics = new Map<string, StaticPoolPass>();
  for (const [name, manifest] of idx.pools) {
    const pool = view.staticPools.get(name);
    if (!isStaticPool(manifest) || !pool || deleting.has(name)) continue;
    statics.set(name, { count: staticPoolCount(state, manifest), replacement: () => staticNewNode(pool, `${name}-replacement`, options.maxInstanceTypesPerClaim) });
  }
  const context: MethodContext = {
    now,
    statics,
    poolTotals: totals,
    rampingPools: rampingPools(state, now, options.consolidationRampHoldMs),
    rampHoldMs: options.consolidationRampHoldMs,
    risingPools: rampingPools(state, now, options.consolidationRampReplacementMs ?? 0),
    simulate: (cs, withNodePools) => simulateScheduling(sim, cs, withNodePools, input.stats),
    budgets,
    spotToSpot: options.spotToSpotConsolidation,
    spotToSpotMinTypes: options.spotToSpotMinTypes,
    multiNodeMax: options.multiNodeConsolidationMaxCandidates,
    minValues: { policy: options.minValuesPolicy ?? 'Strict', poolTypes: view.poolTypes },
    consolidate: input.consolidate,
    memo: input.memo,
    reject: input.reject,
  };
  return { candidates, rejections, budgets, context };
}

/** The command of the first method, in order, that has one. */
export function firstCommand(candidates: readonly Candidate[], m: MethodContext): { readonly method: Method; readonly command: Command } | undefined {
  // A removed pool's nodes leave through removal (or expire): they are not consolidated.
  // A static pool's nodes are only replaced when drifted or expired, one at a time.
  const dynamic = candidates.filter((c) => !isStaticCandidate(c));
  const staying = dynamic.filter((c) => c.removed === undefined);
  for (const method of DISRUPTION_METHODS) {
    const command = method.computeCommand(STATIC_METHODS.has(method) ? candidates : method === expiration ? dynamic : staying, m);
    if (command) return { method, command };
  }
  return undefined;
}
