// Everything the controllers may use between them: the ports, the observability sinks,
// the shared caches and the options. Each controller's constructor declares the part it
// uses (a Pick of this), so what a controller may touch is read off its signature.
//
// Not everything a controller shares comes through here: the views memoise per object
// in module-level WeakMaps (harmless: keyed by immutable cached objects, never read as
// state); nothing else is module-global.

import type { ClaimsCreatedHere } from './claims-created-here.ts';
import type { MinValuesPolicy } from '../../core/catalog/min-values.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { Cluster } from '../ports/cluster.ts';
import type { IntentSource } from '../ports/intent.ts';
import type { EventQueue } from '../ports/events.ts';
import type { DecisionLog } from '../observability/decisions.ts';
import type { Logger } from '../observability/log.ts';
import type { ReconcilerMetrics } from '../observability/metrics.ts';
import type { InstanceTypeCatalog } from '../cache/instance-types.ts';
import type { UnavailableOfferings } from '../cache/unavailable-offerings.ts';
import type { BatchWindowOptions } from './batcher.ts';

export interface ReconcilerOptions {
  /** Tags instances `kubernetes.io/cluster/<name>: owned`. */
  readonly clusterName: string;
  readonly batchWindow: BatchWindowOptions;
  /** A NodeClaim whose node has not registered by then is terminated (default 15 min). */
  readonly registrationTimeoutMs: number;
  /** Candidates are re-checked after this long before acting (default 15 s). */
  readonly stabilizationMs: number;
  /** How often disruption looks for candidates (default 10 s, as Karpenter polls). */
  readonly disruptionPollMs: number;
  /** Orphans (instances without claims, claims without instances) older than this are collected. */
  readonly gcGraceMs: number;
  readonly gcIntervalMs: number;
  /** Spot-to-spot consolidation replaces a spot node with a cheaper spot node (Karpenter's feature gate). */
  readonly spotToSpotConsolidation: boolean;
  /** Replacement spot candidates must include at least this many cheaper types (diversity). */
  readonly spotToSpotMinTypes: number;
  /** Most instance types a NodeClaim carries as options (Karpenter: 60). */
  readonly maxInstanceTypesPerClaim: number;
  /** Consolidation (multi- and single-node) runs at most this often; drift, expiration and emptiness every poll. */
  readonly consolidationIntervalMs: number;
  /**
   * A pool that launched a node for pending pods this recently is still ramping up: its
   * nodes are not consolidated yet (controllers/disruption/ramp.ts). 0 (the default) turns
   * the hold off: measured on bench:days, 10 min lowered pods moved on the default day under
   * WhenEmptyOrUnderutilized (957 -> 621) but raised cost there (+1.0%) and on the spiky day
   * (+6.6%, more pods moved), so it is not on by default (README, Benchmarks).
   */
  readonly consolidationRampHoldMs: number;
  /**
   * While a pool launched a node for pending pods this recently (its demand is rising), a
   * consolidation replacement of its nodes must save at least the share of the pool's cost
   * that it disrupts of the pool's disruption cost (Balanced's score with k = 1); deletions
   * and replacements that pay are not held (controllers/disruption/ramp.ts). 0 turns it off.
   * Measured (README, Benchmarks): with sizeForArrivingDemand it lowers cost and pods moved on
   * the default day, but raises cost on the spiky day of short bursts.
   */
  readonly consolidationRampReplacementMs: number;
  /**
   * Provisioning sizes new nodes for one more step of a ReplicaSet whose pods arrive in
   * steps (two earlier steps within 15 minutes; controllers/provisioning/arriving-demand.ts),
   * without launching nodes for pods that do not exist yet.
   */
  readonly sizeForArrivingDemand: boolean;
  /** Multi-node consolidation considers at most this many candidates. */
  readonly multiNodeConsolidationMaxCandidates: number;
  /** Concurrent launches per lifecycle reconcile. */
  readonly launchConcurrency: number;
  /** Each NodeClaim's AMI, subnet and security groups are checked against what its class resolves to now at most this often. */
  readonly cloudDriftIntervalMs: number;
  /** Rebalance recommendations are recorded only (Karpenter); true also replaces the node. */
  readonly interruptionActOnRebalance: boolean;
  /** Karpenter's NodeRepair feature gate: auto-repair runs for NodePools that opt in. */
  readonly nodeRepair: boolean;
  /**
   * Karpenter's PodDeletionCostManagement feature gate: the reconciler writes
   * controller.kubernetes.io/pod-deletion-cost on ReplicaSet pods of its nodes, ranked so that a
   * scale-in empties the node consolidation would remove first (controllers/deletion-cost/).
   */
  readonly podDeletionCostManagement: boolean;
  /** How often the pod deletion costs are re-ranked and written (Karpenter: once a minute). */
  readonly podDeletionCostIntervalMs: number;
  /**
   * Karpenter's `--min-values-policy`: Strict (a NodeClaim whose options cannot keep minValues
   * distinct values is not launched; its pods say why) or BestEffort (minValues relaxed to
   * what the options offer, logged and counted).
   */
  readonly minValuesPolicy: MinValuesPolicy;
  /** Which node conditions make a node unhealthy, and for how long each is tolerated. */
  readonly repairPolicies: readonly RepairPolicy[];
}

/** A node condition that, held longer than its toleration, gets the node repaired (Karpenter's RepairPolicy). */
export interface RepairPolicy {
  readonly conditionType: string;
  readonly status: 'False' | 'Unknown' | 'True';
  readonly tolerationMs: number;
}

/** Karpenter's AWS provider's repair policies: the kubelet's Ready and the EKS node monitoring agent's conditions. */
export const DEFAULT_REPAIR_POLICIES: readonly RepairPolicy[] = [
  { conditionType: 'Ready', status: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'Ready', status: 'Unknown', tolerationMs: 30 * 60_000 },
  { conditionType: 'AcceleratedHardwareReady', status: 'False', tolerationMs: 10 * 60_000 },
  { conditionType: 'StorageReady', status: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'NetworkingReady', status: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'KernelReady', status: 'False', tolerationMs: 30 * 60_000 },
  { conditionType: 'ContainerRuntimeReady', status: 'False', tolerationMs: 30 * 60_000 },
];

export const DEFAULT_OPTIONS: ReconcilerOptions = {
  clusterName: 'joinery',
  batchWindow: { idleMs: 1_000, maxMs: 1_000 },
  registrationTimeoutMs: 15 * 60_000,
  stabilizationMs: 15_000,
  disruptionPollMs: 10_000,
  gcGraceMs: 60_000,
  gcIntervalMs: 2 * 60_000,
  spotToSpotConsolidation: false,
  spotToSpotMinTypes: 15,
  maxInstanceTypesPerClaim: 60,
  consolidationIntervalMs: 30_000,
  consolidationRampHoldMs: 0,
  consolidationRampReplacementMs: 10 * 60_000,
  sizeForArrivingDemand: true,
  multiNodeConsolidationMaxCandidates: 100,
  launchConcurrency: 20,
  cloudDriftIntervalMs: 60_000,
  interruptionActOnRebalance: false,
  nodeRepair: false,
  podDeletionCostManagement: false,
  podDeletionCostIntervalMs: 60_000,
  minValuesPolicy: 'Strict',
  repairPolicies: DEFAULT_REPAIR_POLICIES,
};

export interface ControllerContext {
  readonly clock: Clock;
  readonly cluster: Cluster;
  readonly cloud: CloudProvider;
  readonly intent: IntentSource;
  readonly logger: Logger;
  readonly metrics: ReconcilerMetrics;
  readonly decisions: DecisionLog;
  readonly catalog: InstanceTypeCatalog;
  readonly unavailable: UnavailableOfferings;
  readonly options: ReconcilerOptions;
  /** The interruption queue, when one is configured (Karpenter's settings.interruptionQueue). */
  readonly events?: EventQueue;
  /** NodeClaims this process created and has not tried to launch (their first launch needs no lookup). */
  readonly claimsCreatedHere?: ClaimsCreatedHere;
}
