// Karpenter's own metric names and labels (Karpenter v1.14's metrics reference,
// karpenter.sh/v1.14/reference/metrics; kubernetes-sigs/karpenter pkg/metrics and the
// disruption, provisioning, scheduling and cloud provider metrics.go), for the concepts
// joinery shares with Karpenter. They sit beside joinery's own joinery_* metrics in the
// same registry, so a dashboard or an alert written for Karpenter keeps working on a
// cluster that runs joinery. Values follow Karpenter's units: cpu in cores, memory in
// bytes, durations in seconds; reasons lower-case as Karpenter writes them.
//
// The interruption metrics (karpenter_interruption_*) are in metrics.ts, with the
// interruption controller's.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Karpenter's DurationBuckets (pkg/metrics): 0.005 s to 600 s. */
export const KARPENTER_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25,
  30, 40, 50, 60, 120, 150, 300, 450, 600,
];

/** The NodeClaims created by provisioning (Karpenter's metrics.ProvisionedReason). */
export const REASON_PROVISIONED = 'provisioned';

/** Label names, as Karpenter spells them. */
export const KARPENTER_NODE_LABELS = ['node_name', 'phase', 'nodepool', 'resource_type', 'instance_type', 'capacity_type', 'zone', 'region', 'arch', 'os'] as const;

/** A resource name as Karpenter writes it in resource_type: lower case, "-" as "_" (ephemeral_storage). */
export function karpenterResourceType(resource: string): string {
  return resource.toLowerCase().replace(/-/g, '_');
}
export const KARPENTER_POD_LABELS = ['name', 'namespace', 'owner', 'node', 'nodepool', 'zone', 'arch', 'capacity_type', 'instance_type', 'phase'] as const;

export class KarpenterMetrics {
  /** karpenter_nodeclaims_created_total{reason, nodepool, min_values_relaxed} */
  readonly nodeClaimsCreated: Counter;
  /** karpenter_nodeclaims_terminated_total{nodepool, capacity_type, zone} */
  readonly nodeClaimsTerminated: Counter;
  /** karpenter_nodeclaims_disrupted_total{reason, nodepool, capacity_type} */
  readonly nodeClaimsDisrupted: Counter;
  /** karpenter_nodes_created_total{nodepool, zone} */
  readonly nodesCreated: Counter;
  /** karpenter_nodes_terminated_total{nodepool, zone} */
  readonly nodesTerminated: Counter;
  /** karpenter_nodes_allocatable{node_name, nodepool, resource_type, instance_type, capacity_type, zone, arch} */
  readonly nodesAllocatable: Gauge;
  /** karpenter_pods_state{name, namespace, owner, node, nodepool, zone, arch, capacity_type, instance_type, phase} */
  readonly podsState: Gauge;
  /** karpenter_pods_startup_duration_seconds: pod creation to Ready. */
  readonly podsStartupDuration: Histogram;
  /** karpenter_nodepools_usage{nodepool, resource_type} */
  readonly nodePoolsUsage: Gauge;
  /** karpenter_nodepools_limit{nodepool, resource_type} */
  readonly nodePoolsLimit: Gauge;
  /** karpenter_voluntary_disruption_decisions_total{decision, reason, consolidation_type} */
  readonly disruptionDecisions: Counter;
  /** karpenter_voluntary_disruption_eligible_nodes{reason} */
  readonly disruptionEligibleNodes: Gauge;
  /** karpenter_cloudprovider_duration_seconds{controller, method, provider} */
  readonly cloudProviderDuration: Histogram;
  /** karpenter_cloudprovider_errors_total{controller, method, provider, error} */
  readonly cloudProviderErrors: Counter;
  /** karpenter_scheduler_scheduling_duration_seconds{controller} */
  readonly schedulingDuration: Histogram;
  /** karpenter_scheduler_queue_depth{controller, scheduling_id} */
  readonly schedulerQueueDepth: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.nodeClaimsCreated = new Counter({
      name: 'karpenter_nodeclaims_created_total',
      help: 'Number of nodeclaims created in total by Karpenter. Labeled by reason the nodeclaim was created, the owning nodepool, and if min values was relaxed for this nodeclaim.',
      labelNames: ['reason', 'nodepool', 'min_values_relaxed'],
      registers,
    });
    this.nodeClaimsTerminated = new Counter({
      name: 'karpenter_nodeclaims_terminated_total',
      help: 'Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.',
      labelNames: ['nodepool', 'capacity_type', 'zone'],
      registers,
    });
    this.nodeClaimsDisrupted = new Counter({
      name: 'karpenter_nodeclaims_disrupted_total',
      help: 'Number of nodeclaims disrupted in total by Karpenter. Labeled by reason the nodeclaim was disrupted and the owning nodepool.',
      labelNames: ['reason', 'nodepool', 'capacity_type'],
      registers,
    });
    this.nodesCreated = new Counter({
      name: 'karpenter_nodes_created_total',
      help: 'Number of nodes created in total by Karpenter. Labeled by owning nodepool and zone.',
      labelNames: ['nodepool', 'zone'],
      registers,
    });
    this.nodesTerminated = new Counter({
      name: 'karpenter_nodes_terminated_total',
      help: 'Number of nodes terminated in total by Karpenter. Labeled by owning nodepool and zone.',
      labelNames: ['nodepool', 'zone'],
      registers,
    });
    this.nodesAllocatable = new Gauge({
      name: 'karpenter_nodes_allocatable',
      help: 'Node allocatable are the resources allocatable by nodes.',
      labelNames: [...KARPENTER_NODE_LABELS],
      registers,
    });
    this.podsState = new Gauge({
      name: 'karpenter_pods_state',
      help: 'Pod state is the current state of pods. Labeled by the pod name, namespace, owner, node, nodepool name, zone, architecture, capacity type, instance type and pod phase.',
      labelNames: [...KARPENTER_POD_LABELS],
      registers,
    });
    this.podsStartupDuration = new Histogram({
      name: 'karpenter_pods_startup_duration_seconds',
      help: 'The time from pod creation until the pod is running.',
      buckets: KARPENTER_DURATION_BUCKETS,
      registers,
    });
    this.nodePoolsUsage = new Gauge({
      name: 'karpenter_nodepools_usage',
      help: 'The amount of resources that have been provisioned for a nodepool. Labeled by nodepool name and resource type.',
      labelNames: ['nodepool', 'resource_type'],
      registers,
    });
    this.nodePoolsLimit = new Gauge({
      name: 'karpenter_nodepools_limit',
      help: 'Limits specified on the nodepool that restrict the quantity of resources provisioned. Labeled by nodepool name and resource type.',
      labelNames: ['nodepool', 'resource_type'],
      registers,
    });
    this.disruptionDecisions = new Counter({
      name: 'karpenter_voluntary_disruption_decisions_total',
      help: 'Number of disruption decisions performed. Labeled by disruption decision, reason, and consolidation type.',
      labelNames: ['decision', 'reason', 'consolidation_type'],
      registers,
    });
    // Zero from the start (as Karpenter initialises its counters), so rate() and increase()
    // see the first decision and a dashboard's query has its series before anything happens.
    for (const decision of ['delete', 'replace']) {
      for (const [reason, consolidation_type] of [['drifted', ''], ['empty', 'empty'], ['underutilized', 'single'], ['underutilized', 'multi']] as const) {
        this.disruptionDecisions.inc({ decision, reason, consolidation_type }, 0);
      }
    }
    this.disruptionEligibleNodes = new Gauge({
      name: 'karpenter_voluntary_disruption_eligible_nodes',
      help: 'Number of nodes eligible for disruption by Karpenter. Labeled by disruption reason.',
      labelNames: ['reason'],
      registers,
    });
    this.cloudProviderDuration = new Histogram({
      name: 'karpenter_cloudprovider_duration_seconds',
      help: 'Duration of cloud provider method calls. Labeled by the controller, method name and provider.',
      labelNames: ['controller', 'method', 'provider'],
      buckets: KARPENTER_DURATION_BUCKETS,
      registers,
    });
    this.cloudProviderErrors = new Counter({
      name: 'karpenter_cloudprovider_errors_total',
      help: 'Total number of errors returned from CloudProvider calls.',
      labelNames: ['controller', 'method', 'provider', 'error'],
      registers,
    });
    this.schedulingDuration = new Histogram({
      name: 'karpenter_scheduler_scheduling_duration_seconds',
      help: 'Duration of scheduling simulations used for deprovisioning and provisioning in seconds.',
      labelNames: ['controller'],
      buckets: KARPENTER_DURATION_BUCKETS,
      registers,
    });
    this.schedulerQueueDepth = new Gauge({
      name: 'karpenter_scheduler_queue_depth',
      help: 'The number of pods currently waiting to be scheduled.',
      labelNames: ['controller', 'scheduling_id'],
      registers,
    });
  }
}
