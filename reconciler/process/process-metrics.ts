// Metrics of the process itself, next to the reconciler's (observability/metrics.ts) in
// the same injected registry: leadership, readiness, shutdown, and Node.js runtime
// metrics (CPU, memory, event-loop lag, GC) from prom-client's default collectors.

import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';

export class ProcessMetrics {
  readonly leader: Gauge;
  readonly leaderTransitions: Counter;
  readonly leaseErrors: Counter;
  readonly ready: Gauge;
  readonly kubernetesApiErrors: Counter;
  readonly abandonedOnShutdown: Counter;
  readonly buildInfo: Gauge;
  /** Read at every scrape, so /metrics never disagrees with /readyz. */
  private readinessProbe: () => boolean = () => false;

  constructor(registry: Registry, version: string) {
    const registers = [registry];
    collectDefaultMetrics({ register: registry });
    this.leader = new Gauge({
      name: 'joinery_leader',
      help: '1 while this replica holds the leader Lease and acts, 0 on standby.',
      registers,
    });
    this.leaderTransitions = new Counter({
      name: 'joinery_leader_transitions_total',
      help: 'Times this replica started or stopped leading, by event (acquired, lost, released).',
      labelNames: ['event'],
      registers,
    });
    this.leaseErrors = new Counter({
      name: 'joinery_leader_lease_errors_total',
      help: 'Failed reads and writes of the leader Lease, by operation.',
      labelNames: ['operation'],
      registers,
    });
    const probeReadiness = (): boolean => this.readinessProbe();
    this.ready = new Gauge({
      name: 'joinery_ready',
      help: '1 when intent is loaded, informers are synced and leadership is known.',
      registers,
      collect() {
        this.set(probeReadiness() ? 1 : 0);
      },
    });
    this.kubernetesApiErrors = new Counter({
      name: 'joinery_kubernetes_api_errors_total',
      help: 'Kubernetes API calls of the process that failed, by operation and HTTP status (429: throttled).',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.abandonedOnShutdown = new Counter({
      name: 'joinery_shutdown_abandoned_reconciles_total',
      help: 'Shutdowns whose in-flight reconciles outlived the grace period and were abandoned (resumed by the next leader).',
      registers,
    });
    this.buildInfo = new Gauge({
      name: 'joinery_build_info',
      help: 'Version of the running reconciler (value 1).',
      labelNames: ['version', 'node_version'],
      registers,
    });
    this.buildInfo.set({ version, node_version: process.version }, 1);
  }

  /** The readiness the `joinery_ready` gauge reports (evaluated when scraped). */
  reportReadiness(probe: () => boolean): void {
    this.readinessProbe = probe;
  }
}
