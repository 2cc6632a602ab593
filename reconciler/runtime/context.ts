// Everything the controllers may use between them: the ports, the observability sinks,
// the shared caches and the options. Each controller's constructor declares the part it
// uses (a Pick of this), so what a controller may touch is read off its signature.
//
// Not everything a controller shares comes through here: the views memoise per object
// in module-level WeakMaps (harmless: keyed by immutable cached objects, never read as
// state); nothing else is module-global.

import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { Cluster } from '../ports/cluster.ts';
import type { IntentSource } from '../ports/intent.ts';
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
  /** Multi-node consolidation considers at most this many candidates. */
  readonly multiNodeConsolidationMaxCandidates: number;
  /** Concurrent launches per lifecycle reconcile. */
  readonly launchConcurrency: number;
  /** Each NodeClaim's AMI, subnet and security groups are checked against what its class resolves to now at most this often. */
  readonly cloudDriftIntervalMs: number;
}

export const DEFAULT_OPTIONS: ReconcilerOptions = {
  clusterName: 'joinery',
  batchWindow: { idleMs: 1_000, maxMs: 10_000 },
  registrationTimeoutMs: 15 * 60_000,
  stabilizationMs: 15_000,
  disruptionPollMs: 10_000,
  gcGraceMs: 60_000,
  gcIntervalMs: 2 * 60_000,
  spotToSpotConsolidation: false,
  spotToSpotMinTypes: 15,
  maxInstanceTypesPerClaim: 60,
  consolidationIntervalMs: 30_000,
  multiNodeConsolidationMaxCandidates: 100,
  launchConcurrency: 20,
  cloudDriftIntervalMs: 60_000,
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
}
