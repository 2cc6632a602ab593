// The plan report: what `joinery plan` found between two refs. One model, rendered as
// Markdown for a pull-request comment or printed as JSON for machines; every field is
// plain data (no classes, no Infinity: an unbounded amount is null).
import type { Diagnostic } from '../diagnostics.ts';

/** A compiler diagnostic (guardrail finding, type error, ...) of head, marked new when base lacks it. */
export type PlanFinding = Diagnostic & { new: boolean };

export type ObjectKind = 'NodePool' | 'EC2NodeClass';

/** A git ref as the user gave it and what it resolved to. */
export interface ResolvedRef {
  /** What the user asked for (`main`, `HEAD~1`), or how the default was chosen. */
  label: string;
  /** The commit, or null for the working tree. */
  commit: string | null;
  /** True for the working tree (uncommitted changes included). */
  workingTree: boolean;
}

/** A changed field, in words ("limits.cpu 1000 -> 2000", "spot removed from capacity types"). */
export interface FieldChange {
  /** The field, relative to the object's spec (`limits.cpu`, `requirements[karpenter.sh/capacity-type]`). */
  field: string;
  summary: string;
  before?: unknown;
  after?: unknown;
}

export interface ObjectDiff {
  kind: ObjectKind;
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** Field changes (for added and removed objects: empty). */
  fields: FieldChange[];
  /** The policy file that defines the object in head (or in base for a removed object). */
  source: string | undefined;
}

export interface NodeSize {
  instanceType: string;
  vcpu: number;
  memoryGiB: number;
  gpus: number;
}

/** What a NodePool may launch against the shipped catalog. */
export interface CapacityEnvelope {
  instanceTypeCount: number;
  families: string[];
  zones: string[];
  capacityTypes: string[];
  smallest: NodeSize | undefined;
  largest: NodeSize | undefined;
  gpu: {
    /** Instance types with at least one GPU. */
    instanceTypeCount: number;
    /** The most GPUs one node can have. */
    maxPerNode: number;
    names: string[];
  };
  /**
   * The most USD per hour the pool can reach at its limits (LP relaxation of the limits
   * over the admitted types at their dearest allowed offering); null when the pool has no
   * limit that bounds spend.
   */
  maxHourlyCostAtLimits: number | null;
  /** The limits that bind at that cost (`cpu`, `memory`, `nodes`, `nvidia.com/gpu`). */
  bindingLimits: string[];
  /** Why the envelope could not be computed (the pool's requirements are invalid), if so. */
  error?: string;
  /**
   * The NodeOverlays that change the prices of this pool's offerings (absent when none
   * does). The envelope is priced with them applied, as the reconciler's solver sees it.
   */
  overlays?: OverlayPriceEffect[];
  /** maxHourlyCostAtLimits at the catalog's own prices, when overlays are in force. */
  maxHourlyCostWithoutOverlays?: number | null;
  /**
   * The capacity reservations the pool's EC2NodeClass selects (absent when it selects
   * none). The shipped catalog has no reservations: what they hold is counted live by the
   * reconciler (EC2NodeClass status.capacityReservations), so the envelope says which are
   * selected and whether the pool may launch into them.
   */
  reserved?: ReservedEnvelope;
}

/** The reserved capacity a pool may launch into. */
export interface ReservedEnvelope {
  nodeClass: string;
  /** The selector terms in words: `id cr-0123...`, `tags team=ml (owner 1234)`. */
  terms: string[];
  /** The pool's karpenter.sh/capacity-type admits reserved: it launches into them first (already paid for). */
  admitted: boolean;
}

/** How one NodeOverlay changes a pool's prices. */
export interface OverlayPriceEffect {
  nodeOverlay: string;
  /** `priceAdjustment -30%`, `price 0.25`. */
  change: string;
  /** Offerings (type x zone x capacity type) it prices. */
  offerings: number;
  /** The instance types it prices, by name. */
  instanceTypes: string[];
}

export interface PoolEnvelope {
  nodePool: string;
  before: CapacityEnvelope | undefined;
  after: CapacityEnvelope | undefined;
}

export type ConsequenceKind =
  | 'new-finding'
  | 'drift'
  | 'pool-removed'
  | 'expire-after-shortened'
  | 'budget-removed'
  | 'budget-weakened'
  | 'consolidation-more-aggressive';

export interface Consequence {
  kind: ConsequenceKind;
  severity: 'error' | 'warning' | 'info';
  objectKind: ObjectKind | undefined;
  name: string | undefined;
  summary: string;
}

export interface StrandedPod {
  /** namespace/name */
  pod: string;
  reason: string;
  /** The workload the pod belongs to: `Deployment web/storefront`, `StatefulSet ml/train`, `Pod batch/x` when it has no owner. */
  owner: string;
}

/** Stranded pods of one owner with one reason. */
export interface StrandedGroup {
  owner: string;
  pods: string[];
  reason: string;
}

export interface SimulationOutcome {
  /** New nodes the pools launch for the workload. */
  nodes: number;
  nodesByPool: Record<string, number>;
  /** USD per hour of those nodes (cheapest offering each). */
  hourlyCost: number;
  podsPlaced: number;
  /** hourlyCost / podsPlaced: what a placed pod costs, so a side that places fewer pods does not look cheaper; null when no pod is placed. */
  costPerPlacedPod: number | null;
  unschedulable: StrandedPod[];
  /** Why the simulation could not run (e.g. the ref did not compile). */
  error?: string;
}

export interface WhatIf {
  /** The snapshot file, or `cluster <context>` for --cluster. */
  source: string;
  pods: number;
  /** Nodes in the snapshot managed by Karpenter (re-provisioned in the simulation). */
  karpenterNodes: number;
  /** Nodes kept as they are (not managed by a NodePool): pods bound there stay. */
  otherNodes: number;
  daemonSets: number;
  /** The re-provisioned nodes as they run now, priced from the catalog by their labels. */
  current: { nodes: number; hourlyCost: number; unpriced: number };
  /** Snapshot nodes head replaces (drift), per pool. */
  drifting: { nodePool: string; nodes: number; total: number; reason: string }[];
  base: SimulationOutcome;
  head: SimulationOutcome;
  /** Pods that fit under base and not under head, with head's reason. */
  noLongerFit: StrandedPod[];
  /** noLongerFit grouped by owner and reason, largest group first. */
  noLongerFitByOwner: StrandedGroup[];
  /** Where the prices come from; spot prices are synthetic unless a snapshot was given. */
  priceModel: { onDemand: string; spot: string; spotSynthetic: boolean };
  /**
   * The cost change in words, honest about stranded pods: a head that costs less because
   * pods no longer fit is not called cheaper (compared per placed pod instead).
   */
  costVerdict: string;
  /** Pods that did not fit under base and fit under head. */
  nowFit: string[];
}

export interface RefResult {
  ref: ResolvedRef;
  /** False when the policies at this ref could not be loaded (errors are in `errors`). */
  compiled: boolean;
  /** Why the ref could not be loaded or compiled: type errors, policies that throw, ... */
  errors: Diagnostic[];
  nodePools: number;
  ec2NodeClasses: number;
}

/** The catalog envelopes, consequences and the what-if were computed against. */
export interface PlanCatalog {
  /** The cluster's region (the ReconcilerDeployment's; us-east-1 without one). */
  region: string;
  /** Set when no catalog is shipped for the region: the one used instead (us-east-1). */
  substitute?: string;
  instanceTypes: number;
  /** Where the on-demand prices come from: list (us-east-1), price-list-api, us-east-1-proxy. */
  onDemandPrices: { kind: 'list' | 'price-list-api' | 'us-east-1-proxy' | 'given'; description: string };
}

export interface PlanReport {
  base: RefResult;
  head: RefResult;
  /** Absent only in reports built by hand (tests); plan always sets it. */
  catalog?: PlanCatalog;
  diff: ObjectDiff[];
  envelopes: PoolEnvelope[];
  consequences: Consequence[];
  /** Guardrail findings and other diagnostics of head, each marked new or already in base. */
  findings: PlanFinding[];
  whatIf: WhatIf | undefined;
  /**
   * Set when base or head declares clusters (defineClusters): the diff, envelopes and
   * consequences of each cluster (the top-level diff, envelopes and consequences are then
   * empty; findings stay top-level, each naming the clusters it was found in).
   */
  clusters?: ClusterPlan[];
  /** 0 clean, 1 an error-level finding is new in head. */
  exitCode: 0 | 1;
}

/** One cluster's part of a plan in a repository of clusters. */
export interface ClusterPlan {
  cluster: string;
  region: string;
  /** added: not in base (or base declares no clusters); removed: not in head. */
  change: 'added' | 'removed' | 'changed' | 'unchanged';
  diff: ObjectDiff[];
  envelopes: PoolEnvelope[];
  consequences: Consequence[];
}
