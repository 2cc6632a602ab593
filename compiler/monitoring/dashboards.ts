// The Grafana dashboards joinery ships (capacity, cost, rollout), as data: each panel's
// PromQL queries Karpenter's metric names where joinery shares the concept (so a dashboard
// written for Karpenter and these ones read the same series) and joinery's own otherwise.
// Rendered to Grafana's dashboard JSON (schemaVersion 39) with a Prometheus datasource
// variable. test/integration/reconciler-metrics.test.ts scrapes a running reconciler and
// checks that every series these queries name exists.

export interface PanelSpec {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly unit?: string;
  readonly description?: string;
  readonly targets: readonly { readonly expr: string; readonly legend?: string }[];
}

export interface DashboardSpec {
  /** File name stem and Grafana uid suffix. */
  readonly id: 'capacity' | 'cost' | 'rollout';
  readonly title: string;
  readonly description: string;
  readonly panels: readonly PanelSpec[];
}

export const DASHBOARDS: readonly DashboardSpec[] = [
  {
    id: 'capacity',
    title: 'joinery / Capacity',
    description: 'Nodes, allocatable and NodePool usage against limits, pending pods and how fast they start (Karpenter metric names).',
    panels: [
      { title: 'Nodes by NodePool', type: 'timeseries', targets: [{ expr: 'count by (nodepool) (karpenter_nodes_allocatable{resource_type="cpu"})', legend: '{{nodepool}}' }] },
      { title: 'Allocatable CPU by NodePool', type: 'timeseries', unit: 'short', targets: [{ expr: 'sum by (nodepool) (karpenter_nodes_allocatable{resource_type="cpu"})', legend: '{{nodepool}}' }] },
      {
        title: 'NodePool CPU usage / limit',
        type: 'timeseries',
        unit: 'percentunit',
        targets: [{ expr: 'sum by (nodepool) (karpenter_nodepools_usage{resource_type="cpu"}) / sum by (nodepool) (karpenter_nodepools_limit{resource_type="cpu"})', legend: '{{nodepool}}' }],
      },
      {
        title: 'NodePool memory usage / limit',
        type: 'timeseries',
        unit: 'percentunit',
        targets: [{ expr: 'sum by (nodepool) (karpenter_nodepools_usage{resource_type="memory"}) / sum by (nodepool) (karpenter_nodepools_limit{resource_type="memory"})', legend: '{{nodepool}}' }],
      },
      { title: 'Pods by phase', type: 'timeseries', targets: [{ expr: 'sum by (phase) (karpenter_pods_state)', legend: '{{phase}}' }] },
      {
        title: 'Pending pods (scheduler queue depth)',
        type: 'timeseries',
        targets: [
          { expr: 'sum(karpenter_scheduler_queue_depth)', legend: 'queue depth' },
          { expr: 'joinery_pending_pods', legend: 'unschedulable' },
        ],
      },
      {
        title: 'Pod startup time (p50, p95)',
        type: 'timeseries',
        unit: 's',
        targets: [
          { expr: 'histogram_quantile(0.5, sum by (le) (rate(karpenter_pods_startup_duration_seconds_bucket[10m])))', legend: 'p50' },
          { expr: 'histogram_quantile(0.95, sum by (le) (rate(karpenter_pods_startup_duration_seconds_bucket[10m])))', legend: 'p95' },
        ],
      },
      { title: 'NodeClaims created', type: 'timeseries', targets: [{ expr: 'sum by (nodepool, reason) (increase(karpenter_nodeclaims_created_total[1h]))', legend: '{{nodepool}} {{reason}}' }] },
      {
        title: 'Scheduling duration (p95)',
        type: 'timeseries',
        unit: 's',
        targets: [{ expr: 'histogram_quantile(0.95, sum by (le, controller) (rate(karpenter_scheduler_scheduling_duration_seconds_bucket[10m])))', legend: '{{controller}}' }],
      },
      {
        title: 'Cloud provider calls (p95 by method)',
        type: 'timeseries',
        unit: 's',
        targets: [{ expr: 'histogram_quantile(0.95, sum by (le, method) (rate(karpenter_cloudprovider_duration_seconds_bucket[10m])))', legend: '{{method}}' }],
      },
    ],
  },
  {
    id: 'cost',
    title: 'joinery / Cost',
    description: 'What the fleet costs per hour, by NodePool and capacity type, and per allocatable core.',
    panels: [
      { title: 'Fleet $/h', type: 'stat', unit: 'currencyUSD', targets: [{ expr: 'sum(joinery_cost_per_hour_dollars)' }] },
      { title: '$/h by NodePool and capacity type', type: 'timeseries', unit: 'currencyUSD', targets: [{ expr: 'sum by (nodepool, capacity_type) (joinery_cost_per_hour_dollars)', legend: '{{nodepool}} {{capacity_type}}' }] },
      {
        title: '$/h per allocatable core',
        type: 'timeseries',
        unit: 'currencyUSD',
        targets: [{ expr: 'sum by (nodepool) (joinery_cost_per_hour_dollars) / sum by (nodepool) (karpenter_nodes_allocatable{resource_type="cpu"})', legend: '{{nodepool}}' }],
      },
      { title: 'Nodes by capacity type', type: 'timeseries', targets: [{ expr: 'sum by (capacity_type) (joinery_nodes)', legend: '{{capacity_type}}' }] },
      { title: 'Launches', type: 'timeseries', targets: [{ expr: 'sum by (nodepool, capacity_type, result) (increase(joinery_launches_total[1h]))', legend: '{{nodepool}} {{capacity_type}} {{result}}' }] },
    ],
  },
  {
    id: 'rollout',
    title: 'joinery / Rollout',
    description: 'The policy commit in force, and the voluntary disruption that rolls it out: eligible nodes and decisions by reason.',
    panels: [
      { title: 'Policy commit in force', type: 'table', targets: [{ expr: 'joinery_intent_info', legend: '{{commit}}' }] },
      { title: 'Age of the commit in force', type: 'stat', unit: 's', targets: [{ expr: 'time() - joinery_intent_accepted_timestamp_seconds' }] },
      { title: 'Nodes eligible for disruption', type: 'timeseries', targets: [{ expr: 'sum by (reason) (karpenter_voluntary_disruption_eligible_nodes)', legend: '{{reason}}' }] },
      {
        title: 'Disruption decisions',
        type: 'timeseries',
        targets: [{ expr: 'sum by (decision, reason, consolidation_type) (increase(karpenter_voluntary_disruption_decisions_total[1h]))', legend: '{{decision}} {{reason}} {{consolidation_type}}' }],
      },
      { title: 'Rejected policy commits', type: 'stat', targets: [{ expr: 'joinery_intent_rejected_commits_total' }] },
    ],
  },
];

/** The metric names a PromQL expression reads (joinery's and Karpenter's). */
export function seriesOf(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:karpenter|joinery)_[a-z0-9_]+/g) ?? [])].sort();
}

/** Every metric name the shipped dashboards query. */
export function dashboardSeries(dashboards: readonly DashboardSpec[] = DASHBOARDS): Map<string, string[]> {
  return new Map(dashboards.map((d) => [d.id, [...new Set(d.panels.flatMap((p) => p.targets.flatMap((t) => seriesOf(t.expr))))].sort()]));
}

/** Grafana's dashboard JSON. */
export function grafanaDashboard(spec: DashboardSpec): Record<string, unknown> {
  const width = 12;
  const height = 8;
  return {
    title: spec.title,
    uid: `joinery-${spec.id}`,
    description: spec.description,
    tags: ['joinery', 'karpenter'],
    editable: true,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
    },
    panels: spec.panels.map((panel, i) => ({
      id: i + 1,
      title: panel.title,
      type: panel.type,
      ...(panel.description !== undefined ? { description: panel.description } : {}),
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { x: (i % 2) * width, y: Math.floor(i / 2) * height, w: width, h: height },
      fieldConfig: { defaults: { ...(panel.unit !== undefined ? { unit: panel.unit } : {}) }, overrides: [] },
      targets: panel.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: t.expr,
        ...(t.legend !== undefined ? { legendFormat: t.legend } : {}),
        ...(panel.type === 'table' ? { format: 'table', instant: true } : {}),
      })),
    })),
  };
}
