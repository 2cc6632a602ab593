// Kubernetes Events for decisions, best effort: identical events (same object, reason and
// message) are sent at most once per `dedupeMs`, at most `concurrency` requests run at a
// time, and a backlog beyond `maxQueue` drops the oldest. A failed event is logged at
// debug level and forgotten: events must never slow the reconciler down.

import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import type { Clock } from '../../ports/clock.ts';
import type { ClusterEventRecord, Kind } from '../../ports/cluster.ts';
import type { Logger } from '../../observability/log.ts';
import { apiServerMessage } from './errors.ts';
import { KARPENTER_API_VERSION, KARPENTER_AWS_API_VERSION } from '../../../core/contract/index.ts';

const API_VERSIONS: Readonly<Record<Kind, string>> = {
  Pod: 'v1',
  Node: 'v1',
  NodeClaim: KARPENTER_API_VERSION,
  NodePool: KARPENTER_API_VERSION,
  EC2NodeClass: KARPENTER_AWS_API_VERSION,
  DaemonSet: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  VolumeAttachment: 'storage.k8s.io/v1',
  PersistentVolumeClaim: 'v1',
  Namespace: 'v1',
  PersistentVolume: 'v1',
  StorageClass: 'storage.k8s.io/v1',
  CSINode: 'storage.k8s.io/v1',
};

export interface EventRecorderOptions {
  readonly dedupeMs: number;
  readonly concurrency: number;
  readonly maxQueue: number;
  /** Namespace of events about cluster-scoped objects. */
  readonly namespace: string;
  readonly component: string;
}

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly lastSent = new Map<string, number>();
  private readonly queue: ClusterEventRecord[] = [];
  private running = 0;
  private readonly instance = hostname();

  constructor(
    kc: KubeConfig,
    private readonly clock: Clock,
    private readonly options: EventRecorderOptions,
    private readonly uidOf: (kind: Kind, name: string, namespace?: string) => string | undefined,
    private readonly logger?: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  record(event: ClusterEventRecord): void {
    const now = this.clock.now();
    const key = `${event.involved.kind}/${event.involved.namespace ?? ''}/${event.involved.name}/${event.reason}/${event.message}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.options.dedupeMs) return;
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10_000) {
      for (const [k, t] of this.lastSent) if (now - t >= this.options.dedupeMs) this.lastSent.delete(k);
    }
    this.queue.push(event);
    if (this.queue.length > this.options.maxQueue) this.queue.shift();
    this.pump();
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const event = this.queue.shift()!;
      this.running += 1;
      void this.send(event).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async send(e: ClusterEventRecord): Promise<void> {
    const namespace = e.involved.namespace ?? this.options.namespace;
    const now = new Date(this.clock.now());
    const uid = this.uidOf(e.involved.kind, e.involved.name, e.involved.namespace);
    const body: CoreV1Event = {
      metadata: { generateName: `${e.involved.name}.`, namespace },
      involvedObject: {
        apiVersion: API_VERSIONS[e.involved.kind],
        kind: e.involved.kind,
        name: e.involved.name,
        ...(e.involved.namespace ? { namespace: e.involved.namespace } : {}),
        ...(uid ? { uid } : {}),
      },
      reason: e.reason,
      message: e.message.slice(0, 1024),
      type: e.type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: this.instance,
    };
    try {
      await this.core.createNamespacedEvent({ namespace, body });
    } catch (err) {
      this.logger?.debug('event not recorded', { reason: e.reason, object: `${e.involved.kind}/${e.involved.name}`, error: apiServerMessage(err) });
    }
  }
}
