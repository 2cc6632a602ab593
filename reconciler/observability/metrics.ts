// The reconciler's Prometheus metrics. The registry is injected (one per reconciler
// process, or per simulated run and test), never prom-client's global default.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class ReconcilerMetrics {
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

  constructor(readonly registry: Registry) {
    const registers = [registry];
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
  }
}
