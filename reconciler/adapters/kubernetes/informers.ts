// One informer per kind: @kubernetes/client-node's ListWatch (list once, then watch from
// that resourceVersion; relist on 410 Gone), feeding the InformerStore. ListWatch gives up
// on other errors, so a failed informer is replaced by a fresh one after a backoff. Every
// `resyncMs` each informer is replaced too (a full relist), which repairs anything a
// dropped watch may have missed, as client-go's periodic resync is meant to.

import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock, TimerHandle } from '../../ports/clock.ts';
import type { Kind, ObjectsByKind } from '../../ports/cluster.ts';
import type { Logger } from '../../observability/log.ts';
import type { KindResource } from './resources.ts';
import type { InformerStore } from './store.ts';
import { withoutManagedFields } from './plain.ts';

export interface InformerOptions {
  /** Full relist period per kind (default 10 min). */
  readonly resyncMs: number;
  /** Items per page of a list. */
  readonly pageSize: number;
  /** First retry delay after an informer fails (doubles up to 1 min). */
  readonly retryMs: number;
}

type AnyObject = ObjectsByKind[Kind];

class KindInformer {
  private current: ListWatch<KubernetesObject> | undefined;
  private generation = 0;
  private failures = 0;
  private retryTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private stopped = false;
  synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    private readonly resource: KindResource,
    private readonly watch: Watch,
    private readonly store: InformerStore,
    private readonly clock: Clock,
    private readonly options: InformerOptions,
    private readonly logger: Logger | undefined,
    private readonly random: () => number,
  ) {}

  start(): void {
    this.stopped = false;
    this.run();
  }

  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.resyncTimer?.cancel();
    const lw = this.current;
    this.current = undefined;
    await lw?.stop();
  }

  /** Replaces the informer with a fresh one (a new list, then a watch). */
  private run(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const old = this.current;
    void old?.stop();
    const kind = this.resource.kind;
    const live = () => generation === this.generation && !this.stopped;
    const listFn = async () => {
      const list = await this.resource.list(this.options.pageSize);
      if (live()) {
        this.store.replace(kind, list.items as unknown as AnyObject[]);
        this.failures = 0;
        if (!this.synced) {
          this.synced = true;
          for (const w of this.syncWaiters.splice(0)) w();
        }
      }
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: list.resourceVersion }, items: list.items as unknown as KubernetesObject[] };
    };
    const lw = new ListWatch<KubernetesObject>(this.resource.path, this.watch, listFn, false);
    // Objects here are plain already (list items from listFn, parsed watch JSON): stored as is.
    const upsert = (o: KubernetesObject) => live() && this.store.upsert(kind, withoutManagedFields(o) as unknown as AnyObject);
    lw.on('add', upsert);
    lw.on('update', upsert);
    lw.on('delete', (o) => live() && this.store.remove(kind, o as unknown as AnyObject));
    lw.on('error', (err: unknown) => {
      if (!live()) return;
      this.failures += 1;
      const delay = Math.min(60_000, this.options.retryMs * 2 ** Math.min(6, this.failures - 1)) * (0.5 + this.random() / 2);
      this.logger?.warn('informer failed; restarting with a fresh list', { kind, error: (err as Error)?.message ?? String(err), retryInMs: Math.round(delay) });
      this.retryTimer?.cancel();
      this.retryTimer = this.clock.setTimer(delay, () => this.run());
    });
    this.current = lw;
    void lw.start();
    // Resync, spread over time so the kinds do not all relist together.
    this.resyncTimer?.cancel();
    this.resyncTimer = this.clock.setTimer(this.options.resyncMs * (0.9 + 0.2 * this.random()), () => this.run());
  }
}

export class Informers {
  private readonly informers: KindInformer[];

  constructor(
    kc: KubeConfig,
    resources: readonly KindResource[],
    store: InformerStore,
    clock: Clock,
    options: InformerOptions,
    logger?: Logger,
    random: () => number = Math.random,
  ) {
    const watch = new Watch(kc);
    this.informers = resources.map((r) => new KindInformer(r, watch, store, clock, options, logger, random));
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.whenSynced()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
