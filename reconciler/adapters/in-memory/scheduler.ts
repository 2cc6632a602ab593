// The simulated kube-scheduler: binds pending pods to Ready nodes, and marks the pods it
// cannot place PodScheduled=False/Unschedulable (what the reconciler provisions for).
// Fit is decided by core's solver with no NodePools, i.e. existing nodes only: the same
// resource, taint, affinity and topology rules the reconciler plans with, not a second
// scheduler of our own.

import type { Pod } from '../../../core/api/k8s.ts';
import { solve, parseResourceList, type ExistingNode } from '../../../core/index.ts';
import type { Clock } from '../../ports/clock.ts';
import { isTerminal, nodeReady } from '../../views/cluster-state.ts';
import { nodesWithRoom } from '../../views/scheduling.ts';
import type { InMemoryApiServer } from './apiserver.ts';

export class InMemoryScheduler {
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly api: InMemoryApiServer,
  ) {
    api.watch((e) => {
      if (e.kind === 'Pod') {
        if (e.type === 'ADDED' && !e.object.spec.nodeName) this.soon();
        else if (e.type === 'DELETED' && e.object.spec.nodeName) this.soonIfPending();
      } else if (e.kind === 'Node' && e.type !== 'DELETED') {
        this.soonIfPending();
      }
    });
  }

  private pending(): Pod[] {
    return this.api.cache
      .list('Pod')
      .filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp && !isTerminal(p) && (p.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler');
  }

  private soonIfPending(): void {
    if (!this.scheduled && this.api.cache.list('Pod').some((p) => !p.spec.nodeName)) this.soon();
  }

  private soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.clock.setTimer(0, () => {
      this.scheduled = false;
      this.pass();
    });
  }

  private pass(): void {
    const pending = this.pending();
    if (pending.length === 0) return;
    const nodes: ExistingNode[] = [];
    for (const n of this.api.cache.list('Node')) {
      if (!nodeReady(n) || n.spec?.unschedulable || n.metadata.deletionTimestamp) continue;
      const name = n.metadata.name!;
      nodes.push({
        name,
        labels: { ...(n.metadata.labels ?? {}) },
        taints: [...(n.spec?.taints ?? [])],
        allocatable: parseResourceList(n.status?.allocatable),
        pods: this.api.cache.podsOnNode(name).filter((p) => !isTerminal(p)),
      });
    }
    const result = solve({ pods: pending, nodes: nodesWithRoom(nodes, pending), nodePools: [], daemonSets: [...this.api.cache.list('DaemonSet')] });
    const now = new Date(this.clock.now()).toISOString();
    for (const b of result.bindings) {
      this.api.update('Pod', b.pod.metadata.name!, b.pod.metadata.namespace, (p) => {
        p.spec.nodeName = b.node;
        p.status = {
          ...p.status,
          phase: 'Running',
          startTime: now,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
        };
      });
    }
    for (const u of result.unschedulable) {
      const cond = u.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (cond?.status === 'False' && cond.reason === 'Unschedulable') continue;
      this.api.update('Pod', u.pod.metadata.name!, u.pod.metadata.namespace, (p) => {
        p.status = {
          ...p.status,
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/${nodes.length} nodes are available: ${u.reason}`, lastTransitionTime: now }],
        };
      });
    }
  }
}
