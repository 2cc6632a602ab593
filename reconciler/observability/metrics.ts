// The reconciler's Prometheus metrics. The registry is injected (one per reconciler
// process, or per simulated run and test), never prom-client's global default.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { KarpenterMetrics } from './karpenter-metrics.ts';

export class ReconcilerMetrics {
  /** Karpenter's metric names for the concepts joinery shares (./karpenter-metrics.ts). */
  readonly karpenter: KarpenterMetrics;
  readonly pendingPods: Gauge;
  readonly decisions: Counter;
  readonly provisioningSolveSeconds: Histogram;
  readonly podDecisionLatencySeconds: Histogram;
  readonly launches: Counter;
  readonly launchFailures: Counter;
  readonly nodes: Gauge;
  readonly costPerHour: Gauge;
  readonly disruptionDecisions: Counter;
  readonly intentInfo: Gauge;
  readonly intentAcceptedAtSeconds: Gauge;
  readonly rejectedCommits: Counter;
  readonly cloudApiErrors: Counter;
  readonly cloudApiThrottles: Counter;
  readonly reconcileSeconds: Histogram;
  readonly reconcileErrors: Counter;
  readonly evictions: Counter;
  /** Karpenter's names (karpenter_interruption_*), so existing dashboards keep working. */
  readonly interruptionReceived: Counter;
  readonly interruptionDeleted: Counter;
  readonly interruptionQueueSeconds: Histogram;
  readonly interruptionMalformed: Counter;
  readonly interruptionActions: Counter;
  readonly nodeRepairs: Counter;
  readonly minValuesRelaxed: Counter;
  readonly nodeRepairBlocked: Gauge;
  readonly unhealthyNodes: Gauge;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.karpenter = new KarpenterMetrics(registry);
    this.pendingPods = new Gauge({
      name: 'joinery_pending_pods',
      help: 'Pods the scheduler marked Unschedulable that the reconciler may provision for.',
      registers,
    });
    this.decisions = new Counter({
      name: 'joinery_decisions_total',
      help: 'Every decision taken, by controller, decision and reason.',
      labelNames: ['controller', 'decision', 'reason'],
      registers,
    });
    this.provisioningSolveSeconds = new Histogram({
      name: 'joinery_provisioning_solve_duration_seconds',
      help: 'Wall time of one provisioning solve over a batch of pending pods.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.podDecisionLatencySeconds = new Histogram({
      name: 'joinery_provisioning_pod_decision_latency_seconds',
      help: 'From a pod becoming pending to the NodeClaim that will host it being created.',
      buckets: [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300],
      registers,
    });
    this.launches = new Counter({
      name: 'joinery_launches_total',
      help: 'Instance launches by NodePool, capacity type and result.',
      labelNames: ['nodepool', 'capacity_type', 'result'],
      registers,
    });
    this.launchFailures = new Counter({
      name: 'joinery_launch_failures_total',
      help: 'Failed launches by NodePool and reason (insufficient-capacity, launch-failed, throttled).',
      labelNames: ['nodepool', 'reason'],
      registers,
    });
    this.nodes = new Gauge({
      name: 'joinery_nodes',
      help: 'Nodes (NodeClaims launched and not yet terminated) by NodePool and capacity type.',
      labelNames: ['nodepool', 'capacity_type'],
      registers,
    });
    this.costPerHour = new Gauge({
      name: 'joinery_cost_per_hour_dollars',
      help: 'Price per hour of the running fleet by NodePool and capacity type (USD).',
      labelNames: ['nodepool', 'capacity_type'],
      registers,
    });
    this.disruptionDecisions = new Counter({
      name: 'joinery_disruption_decisions_total',
      help: 'Disruption decisions by method (drift, expiration, emptiness, consolidation) and action.',
      labelNames: ['method', 'action'],
      registers,
    });
    this.intentInfo = new Gauge({
      name: 'joinery_intent_info',
      help: 'The policy commit in force (value 1, commit in the label).',
      labelNames: ['commit'],
      registers,
    });
    this.intentAcceptedAtSeconds = new Gauge({
      name: 'joinery_intent_accepted_timestamp_seconds',
      help: 'When the intent in force was accepted (epoch seconds); its age is time() minus this.',
      registers,
    });
    this.rejectedCommits = new Counter({
      name: 'joinery_intent_rejected_commits_total',
      help: 'Policy commits that failed to parse or validate and were not applied.',
      registers,
    });
    this.cloudApiErrors = new Counter({
      name: 'joinery_cloud_api_errors_total',
      help: 'Cloud provider API errors by operation and error.',
      labelNames: ['operation', 'error'],
      registers,
    });
    this.cloudApiThrottles = new Counter({
      name: 'joinery_cloud_api_throttles_total',
      help: 'Cloud provider API calls that were throttled, by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'joinery_reconcile_duration_seconds',
      help: 'Wall time of one reconcile, by controller.',
      labelNames: ['controller'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'joinery_reconcile_errors_total',
      help: 'Reconciles that threw, by controller.',
      labelNames: ['controller'],
      registers,
    });
    this.evictions = new Counter({
      name: 'joinery_evictions_total',
      help: 'Eviction API calls during drains, by result (evicted, blocked-by-pdb, not-found, forced).',
      labelNames: ['result'],
      registers,
    });
    this.interruptionReceived = new Counter({
      name: 'karpenter_interruption_received_messages_total',
      help: 'Count of messages received from the interruption queue, by message type (malformed: could not be read).',
      labelNames: ['message_type'],
      registers,
    });
    this.interruptionDeleted = new Counter({
      name: 'karpenter_interruption_deleted_messages_total',
      help: 'Count of messages deleted from the interruption queue.',
      registers,
    });
    this.interruptionQueueSeconds = new Histogram({
      name: 'karpenter_interruption_message_queue_duration_seconds',
      help: 'Time from the event (its EventBridge time) to its message being handled.',
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.interruptionMalformed = new Counter({
      name: 'joinery_interruption_malformed_messages_total',
      help: 'Interruption queue messages that were not EventBridge events joinery can read (logged with the message id, deleted).',
      registers,
    });
    this.interruptionActions = new Counter({
      name: 'joinery_interruption_actions_total',
      help: 'What the interruption controller did per NodeClaim named by a message, by message type and action (cordon-and-drain, record, already-deleting).',
      labelNames: ['message_type', 'action'],
      registers,
    });
    this.minValuesRelaxed = new Counter({
      name: 'joinery_nodeclaims_min_values_relaxed_total',
      help: 'NodeClaims launched with minValues relaxed (--min-values-policy BestEffort), by NodePool and requirement key.',
      labelNames: ['nodepool', 'key'],
      registers,
    });
    this.nodeRepairs = new Counter({
      name: 'joinery_node_repairs_total',
      help: 'Unhealthy nodes force-terminated by node auto-repair, by NodePool and the condition that failed.',
      labelNames: ['nodepool', 'condition'],
      registers,
    });
    this.nodeRepairBlocked = new Gauge({
      name: 'joinery_node_repair_blocked',
      help: '1 while a NodePool has more unhealthy nodes than node auto-repair may replace at once (more than 20%), else 0.',
      labelNames: ['nodepool'],
      registers,
    });
    this.unhealthyNodes = new Gauge({
      name: 'joinery_nodepool_unhealthy_nodes',
      help: 'Nodes of a NodePool (with auto-repair) whose Ready or node-monitoring condition is failing past its toleration.',
      labelNames: ['nodepool'],
      registers,
    });
  }
}
