// The simulated kube-scheduler: binds pending pods to nodes, and marks the pods it cannot
// place PodScheduled=False/Unschedulable with kube-scheduler's message (what the
// reconciler provisions for). The decisions are kube-scheduler's default plugins, written
// independently of joinery's solver in kube-scheduler/ (framework.ts): the simulator must
// show where the real scheduler would disagree with joinery's plan, so it never asks the
// solver.
//
// As kube-scheduler: one pod at a time in queue order (priority, then creation), each
// cycle seeing the pods bound before it; terminal pods hold nothing; every node counts,
// and a node that is not Ready carries the node lifecycle controller's
// node.kubernetes.io/not-ready (or unreachable) NoSchedule taint. A pass runs when an
// unbound pod appears, a bound pod goes, or a node changes (the scheduling queue's
// requeue events; and a claim, volume, StorageClass or CSINode that changes while pods
// wait).
//
// Volumes: the filter plugins read the claims, volumes, classes and CSINodes the API
// server holds (VolumeBinding, VolumeZone, NodeVolumeLimits). Binding a pod whose claim
// is unbound and of a WaitForFirstConsumer class provisions its volume as the CSI
// external-provisioner does: a PersistentVolume of the class's provisioner in the node's
// zone (node affinity and label topology.kubernetes.io/zone), bound to the claim.

import type { Node, PersistentVolume, Pod, Taint } from '../../../core/api/k8s.ts';
import type { Clock } from '../../ports/clock.ts';
import type { InMemoryApiServer } from './apiserver.ts';
import { SchedulingFramework, addPod, nodeInfo, queueOrder } from './kube-scheduler/framework.ts';
import type { NodeInfo, Storage } from './kube-scheduler/types.ts';
import { delayedClass, podClaims } from './kube-scheduler/pod-claims.ts';
import { mulberry32 } from './random.ts';

const STORAGE_KINDS: ReadonlySet<string> = new Set(['PersistentVolumeClaim', 'PersistentVolume', 'StorageClass', 'CSINode']);
const LABEL_ZONE = 'topology.kubernetes.io/zone';

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** The node's taints plus the one the node lifecycle controller sets while it is not Ready. */
function effectiveTaints(n: Node): Taint[] {
  const taints = [...(n.spec?.taints ?? [])];
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return taints;
  const key = ready?.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready';
  if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  return taints;
}

export class InMemoryScheduler {
  private scheduled = false;
  private readonly framework: SchedulingFramework;

  constructor(
    private readonly clock: Clock,
    private readonly api: InMemoryApiServer,
    seed = 1,
    /** How long after the event a pass runs (kube-scheduler's queue under load takes seconds); 0 by default. */
    private readonly delayMs = 0,
  ) {
    this.framework = new SchedulingFramework({ random: mulberry32(seed ^ 0x5c4ed) });
    api.watch((e) => {
      if (e.kind === 'Pod') {
        if (e.type === 'ADDED' && !e.object.spec.nodeName) this.soon();
        else if (e.type === 'DELETED' && e.object.spec.nodeName) this.soonIfPending();
      } else if (e.kind === 'Node' || STORAGE_KINDS.has(e.kind)) {
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
    this.clock.setTimer(this.delayMs, () => {
      this.scheduled = false;
      this.pass();
    });
  }

  /** The pod's unbound WaitForFirstConsumer claims get a volume in the node's zone (the external-provisioner's work). */
  private provisionVolumes(pod: Pod, node: NodeInfo, storage: Storage): void {
    const zone = node.labels[LABEL_ZONE];
    for (const c of podClaims(pod, storage)) {
      if (!c.claim || c.claim.spec?.volumeName) continue;
      const sc = delayedClass(c.claim, storage);
      if (!sc) continue;
      const ns = c.claim.metadata.namespace ?? 'default';
      const name = `pvc-${c.claim.metadata.uid ?? `${ns}-${c.name}`}`;
      const pv: PersistentVolume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, ...(zone ? { labels: { [LABEL_ZONE]: zone } } : {}) },
        spec: {
          claimRef: { name: c.name, namespace: ns, ...(c.claim.metadata.uid ? { uid: c.claim.metadata.uid } : {}) },
          ...(sc.metadata.name ? { storageClassName: sc.metadata.name } : {}),
          ...(sc.provisioner ? { csi: { driver: sc.provisioner, volumeHandle: `vol-${name}` } } : {}),
          ...(zone ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_ZONE, operator: 'In', values: [zone] }] }] } } } : {}),
        },
        status: { phase: 'Bound' },
      };
      if (!storage.volume(name)) this.api.create('PersistentVolume', pv);
      this.api.update('PersistentVolumeClaim', c.name, ns, (claim) => {
        claim.spec = { ...claim.spec, volumeName: name };
        claim.status = { ...claim.status, phase: 'Bound' };
      });
    }
  }

  private pass(): void {
    const pending = this.pending().sort(queueOrder);
    if (pending.length === 0) return;
    const nodes: NodeInfo[] = [];
    for (const n of this.api.cache.list('Node')) {
      const info = nodeInfo({ ...n, spec: { ...n.spec, taints: effectiveTaints(n) } }, this.api.cache.podsOnNode(n.metadata.name!).filter((p) => !isTerminal(p)));
      nodes.push(info);
    }
    const cache = this.api.cache;
    const storage: Storage = {
      claim: (ns, name) => cache.get('PersistentVolumeClaim', name, ns),
      volume: (name) => cache.get('PersistentVolume', name),
      storageClass: (name) => cache.get('StorageClass', name),
      csiNode: (name) => cache.get('CSINode', name),
    };
    const cluster = { nodes, storage };
    const now = new Date(this.clock.now()).toISOString();
    for (const pod of pending) {
      const result = this.framework.schedule(pod, cluster);
      if ('node' in result) {
        const bound = this.api.update('Pod', pod.metadata.name!, pod.metadata.namespace, (p) => {
          p.spec.nodeName = result.node.name;
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
        addPod(result.node, bound);
        this.provisionVolumes(bound, result.node, storage);
        continue;
      }
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      // As kube-scheduler: the status is written only when the condition changes.
      if (cond?.status === 'False' && cond.reason === 'Unschedulable' && cond.message === result.message) continue;
      this.api.update('Pod', pod.metadata.name!, pod.metadata.namespace, (p) => {
        p.status = {
          ...p.status,
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: result.message, lastTransitionTime: now }],
        };
      });
    }
  }
}
