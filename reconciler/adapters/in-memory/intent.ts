// The simulator's IntentSource: commits are published by the scenario (a compiled
// policies/ directory, or a patch on it). It validates like the git adapter does, by
// handing manifests to a validator, and applies accepted NodePools to the simulated
// cluster as Argo CD or Flux would.

import type { Clock } from '../../ports/clock.ts';
import type { Intent, IntentEvent, IntentProblem, IntentRejection, IntentSource } from '../../ports/intent.ts';
import type { InMemoryApiServer } from './apiserver.ts';

export class InMemoryIntentSource implements IntentSource {
  private accepted: Intent | undefined;
  private rejection: IntentRejection | undefined;
  private readonly listeners = new Set<(e: IntentEvent) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly api?: InMemoryApiServer,
  ) {}

  current(): Intent | undefined {
    return this.accepted;
  }

  lastRejection(): IntentRejection | undefined {
    return this.rejection;
  }

  subscribe(listener: (event: IntentEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refresh(): Promise<void> {}

  /** A commit whose manifests validated. */
  accept(intent: Omit<Intent, 'acceptedAt'>): Intent {
    const full: Intent = { ...intent, acceptedAt: this.clock.now() };
    this.accepted = full;
    this.rejection = undefined;
    if (this.api) {
      this.syncNodePools(full);
      this.syncNodeClasses(full);
    }
    for (const l of this.listeners) l({ type: 'accepted', intent: full });
    return full;
  }

  /** A commit that failed to parse or validate: the last good intent stays in force. */
  reject(commit: string, problems: readonly IntentProblem[]): IntentRejection {
    const rejection: IntentRejection = { commit, problems, rejectedAt: this.clock.now() };
    this.rejection = rejection;
    for (const l of this.listeners) l({ type: 'rejected', rejection });
    return rejection;
  }

  /** Argo CD's part, for EC2NodeClasses (the status controller writes their status). */
  private syncNodeClasses(intent: Intent): void {
    const api = this.api!;
    const wanted = new Set(intent.nodeClasses.map((c) => c.metadata.name!));
    for (const existing of api.cache.list('EC2NodeClass')) {
      if (!wanted.has(existing.metadata.name!)) api.delete('EC2NodeClass', existing.metadata.name!);
    }
    for (const nc of intent.nodeClasses) {
      const name = nc.metadata.name!;
      const live = api.cache.get('EC2NodeClass', name);
      if (!live) api.create('EC2NodeClass', { ...structuredClone(nc), status: undefined });
      else if (JSON.stringify(live.spec) !== JSON.stringify(nc.spec)) {
        api.update('EC2NodeClass', name, undefined, (c) => {
          c.spec = structuredClone(nc.spec);
          c.metadata.generation = (c.metadata.generation ?? 1) + 1;
        });
      }
    }
  }

  /** Argo CD's part: the cluster's NodePool objects follow the accepted commit. */
  private syncNodePools(intent: Intent): void {
    const api = this.api!;
    const wanted = new Set(intent.nodePools.map((p) => p.metadata.name!));
    for (const existing of api.cache.list('NodePool')) {
      if (!wanted.has(existing.metadata.name!)) api.delete('NodePool', existing.metadata.name!);
    }
    for (const pool of intent.nodePools) {
      const name = pool.metadata.name!;
      if (api.cache.get('NodePool', name)) {
        api.update('NodePool', name, undefined, (p) => {
          p.spec = structuredClone(pool.spec);
          p.metadata.generation = (p.metadata.generation ?? 1) + 1;
        });
      } else {
        api.create('NodePool', { ...structuredClone(pool), status: undefined });
      }
    }
  }
}
