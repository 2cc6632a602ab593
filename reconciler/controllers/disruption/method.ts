// The shape every disruption method shares, after Karpenter's disruption.Method: a method
// says which candidates it would disrupt at all (shouldDisrupt) and turns the candidates
// into at most one command (computeCommand). The controller tries the methods in order
// (pass.ts) and acts on the first command; `joinery explain` runs the same pass without acting.

import type { DisruptionReason } from '../../../core/contract/disruption.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import type { DisruptionMethod } from '../../../core/contract/index.ts';
import type { BalancedScore, PoolTotals } from '../../../core/disruption/balanced.ts';
import type { BudgetTracker } from './budgets.ts';
import type { Candidate, Rejection } from './candidates.ts';
import type { SimulationResult } from './scheduling-simulation.ts';
import type { StaticPoolCount } from '../../views/static-pools.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import type { MinValuesPolicy, MinValuesShortfall } from '../../../core/catalog/min-values.ts';

export type CommandReason = DisruptionReason | 'Expired' | 'Removed';

export interface Command {
  readonly method: DisruptionMethod;
  /** Budget reason (Drifted, Empty, Underutilized), Expired (not budgeted), or Removed (the removal rate). */
  readonly reason: CommandReason;
  readonly candidates: readonly Candidate[];
  readonly replacements: readonly NewNode[];
  /** USD per hour saved (negative when a replacement costs more, as drift may). */
  readonly savings: number;
  readonly explanation: string;
  /** The Balanced score of each Balanced pool of the candidates, when one is. */
  readonly balanced?: readonly BalancedScore[];
  /**
   * --min-values-policy BestEffort: the replacements (by new node name) whose minValues were
   * lowered to what their cheaper options offer, and what fell short.
   */
  readonly minValuesRelaxed?: ReadonlyMap<string, readonly MinValuesShortfall[]>;
}

/** What one pass gives every method (built once per pass by pass.ts). */
export interface MethodContext {
  readonly now: number;
  /** SimulateScheduling over the cluster as this pass sees it: where the candidates' pods would go if they left. */
  readonly simulate: (candidates: readonly Candidate[], withNodePools?: boolean) => SimulationResult;
  readonly budgets: BudgetTracker;
  readonly spotToSpot: boolean;
  readonly spotToSpotMinTypes: number;
  readonly multiNodeMax: number;
  /**
   * --min-values-policy and each pool's instance types (their labels give the values a
   * requirement's minValues counts): a replacement restricted to cheaper types must still
   * offer minValues distinct values (Strict: else no replacement; BestEffort: relaxed).
   * Unset: replacements are not checked.
   */
  readonly minValues?: { readonly policy: MinValuesPolicy; readonly poolTypes: ReadonlyMap<string, readonly InstanceType[]> };
  /** Each NodePool's cost and disruption cost, over its nodes: what Balanced scores a move against. */
  readonly poolTotals?: ReadonlyMap<string, PoolTotals>;
  /** Pools still growing (ramp.ts), with their last launch for pending pods: not consolidated yet. */
  readonly rampingPools?: ReadonlyMap<string, number>;
  /** The hold that defines rampingPools (options.consolidationRampHoldMs). */
  readonly rampHoldMs?: number;
  /** Pools whose demand is rising (ramp.ts, options.consolidationRampReplacementMs): a replacement of their nodes must pay for its disruption. */
  readonly risingPools?: ReadonlyMap<string, number>;
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
  readonly reject: (r: Rejection) => void;
  /** Static NodePools in force, by name: their counts and replacement (static-replacement.ts). */
  readonly statics?: ReadonlyMap<string, StaticPoolPass>;
}

/** What the static methods know of each static pool in a pass (static-replacement.ts; built by pass.ts). */
export interface StaticPoolPass {
  readonly count: StaticPoolCount;
  /** A node of the pool's template, or undefined when its requirements admit no available offering. */
  readonly replacement: () => NewNode | undefined;
}

export interface Method {
  /** What its commands are recorded as: the NodeClaim's disruption mark, the metric label. */
  readonly method: DisruptionMethod;
  /** The budget its commands count against ('Expired': none; 'Removed': the removal rate). */
  readonly reason: CommandReason;
  /**
   * 'graceful' commands honour budgets, do-not-disrupt and PDBs and are re-checked after
   * the stabilisation delay before acting; 'eventual' ones (drift, removal) too, except that
   * a pod's do-not-disrupt or PDB does not hold back a node whose NodeClaim has a
   * terminationGracePeriod (the drain forces it at the deadline; Karpenter's
   * EventualDisruptionClass); 'forceful' ones (expiration) act at once.
   */
  readonly class: 'graceful' | 'eventual' | 'forceful';
  /** Whether this method would disrupt the candidate at all, before budgets, blocks and simulation. */
  shouldDisrupt(c: Candidate, m: MethodContext): boolean;
  /** At most one command; the candidates it turns down are reported through `m.reject`. */
  computeCommand(candidates: readonly Candidate[], m: MethodContext): Command | undefined;
}
