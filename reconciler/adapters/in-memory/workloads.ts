// The simulated cluster's own workload controllers: Deployments (ReplicaSet semantics,
// including which pods a scale-down removes), Jobs (pods that run for a while and
// complete), DaemonSets (a pod on every node whose taints they tolerate) and pod
// garbage collection (pods of a deleted node go away and their owners replace them).
// Level-triggered like the real ones: any relevant change schedules one reconcile.

import type { DaemonSet, Node, ObjectMeta, Pod, PodSpec, PodDisruptionBudget } from '../../../core/api/k8s.ts';
import { ANNOTATION_POD_DELETION_COST } from '../../../core/contract/index.ts';
import { toleratesAll } from '../../../core/scheduling/taints.ts';
import type { Clock } from '../../ports/clock.ts';
import type { InMemoryApiServer } from './apiserver.ts';

export interface PodTemplate {
  readonly metadata?: Pick<ObjectMeta, 'labels' | 'annotations'>;
  readonly spec: PodSpec;
}

export interface DeploymentSpec {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly template: PodTemplate;
}

export interface JobSpec {
  readonly name: string;
  readonly namespace: string;
  readonly completions: number;
  readonly parallelism: number;
  /** How long each pod runs once bound before it succeeds. */
  readonly runSeconds: number;
  readonly template: PodTemplate;
}

interface JobState {
  spec: JobSpec;
  succeeded: number;
  startedAt: number;
  completedAt: number | undefined;
}

/** Taints every DaemonSet pod tolerates implicitly (the DaemonSet controller adds them). */
const DAEMONSET_DEFAULT_TOLERATED = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/network-unavailable',
]);

function ownerKey(pod: Pod): string | undefined {
  const o = pod.metadata.ownerReferences?.find((r) => r.controller);
  return o ? `${o.kind}/${pod.metadata.namespace ?? 'default'}/${o.name}` : undefined;
}

/** Deployment pods are owned by its ReplicaSet, named <deployment>-rs here. */
function deploymentKey(namespace: string, name: string): string {
  return `ReplicaSet/${namespace}/${name}-rs`;
}

/** The pod's controller.kubernetes.io/pod-deletion-cost; 0 when unset or not an int32, as the ReplicaSet controller reads it. */
function deletionCost(p: Pod): number {
  const v = p.metadata.annotations?.[ANNOTATION_POD_DELETION_COST];
  if (v === undefined || !/^[-+]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function isLive(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

export class InMemoryWorkloads {
  private readonly deployments = new Map<string, DeploymentSpec>();
  private readonly jobs = new Map<string, JobState>();
  private scheduled = false;
  private readonly jobTimers = new Map<string, string>(); // pod uid -> job key

  constructor(
    private readonly clock: Clock,
    private readonly api: InMemoryApiServer,
  ) {
    api.watch((e) => {
      if (e.kind === 'Pod' && e.type === 'DELETED') this.soon();
      else if (e.kind === 'Node' || e.kind === 'DaemonSet') this.soon();
      else if (e.kind === 'Pod' && e.type === 'MODIFIED' && e.object.spec.nodeName && e.object.status?.phase === 'Running') {
        this.startJobTimer(e.object);
      }
    });
  }

  // ---- the scenario's handles ---------------------------------------------------------

  applyDeployment(spec: DeploymentSpec): void {
    this.deployments.set(deploymentKey(spec.namespace, spec.name), spec);
    this.soon();
  }

  scaleDeployment(namespace: string, name: string, replicas: number): void {
    const key = deploymentKey(namespace, name);
    const d = this.deployments.get(key);
    if (!d) throw new Error(`no Deployment ${namespace}/${name} in the scenario`);
    this.deployments.set(key, { ...d, replicas });
    this.soon();
  }

  deploymentReplicas(namespace: string, name: string): number | undefined {
    return this.deployments.get(deploymentKey(namespace, name))?.replicas;
  }

  startJob(spec: JobSpec): void {
    this.jobs.set(`Job/${spec.namespace}/${spec.name}`, { spec, succeeded: 0, startedAt: this.clock.now(), completedAt: undefined });
    this.soon();
  }

  jobStatus(namespace: string, name: string): { succeeded: number; completions: number; completedAt: number | undefined } | undefined {
    const j = this.jobs.get(`Job/${namespace}/${name}`);
    return j && { succeeded: j.succeeded, completions: j.spec.completions, completedAt: j.completedAt };
  }

  applyDaemonSet(ds: DaemonSet): void {
    this.api.create('DaemonSet', ds);
  }

  applyPodDisruptionBudget(pdb: PodDisruptionBudget): void {
    this.api.create('PodDisruptionBudget', pdb);
  }

  /** Creates a bare pod (no owner): nothing replaces it once it is evicted. */
  createPod(pod: Pod): Pod {
    return this.api.create('Pod', { ...pod, status: { phase: 'Pending' } });
  }

  // ---- reconcile ----------------------------------------------------------------------

  private soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.clock.setTimer(0, () => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    const pods = this.api.cache.list('Pod');
    const nodes = this.api.cache.list('Node');
    const nodeNames = new Set(nodes.map((n) => n.metadata.name!));
    const byOwner = new Map<string, Pod[]>();
    for (const p of pods) {
      // Pod garbage collection: pods bound to a node that no longer exists.
      if (p.spec.nodeName && !nodeNames.has(p.spec.nodeName)) {
        this.api.deletePodNow(p.metadata.namespace ?? 'default', p.metadata.name!);
        continue;
      }
      if (!isLive(p)) continue;
      const k = ownerKey(p);
      if (!k) continue;
      let l = byOwner.get(k);
      if (!l) byOwner.set(k, (l = []));
      l.push(p);
    }
    for (const [key, d] of this.deployments) this.reconcileReplicas(key, d, byOwner.get(key) ?? []);
    for (const [key, j] of this.jobs) this.reconcileJob(key, j, byOwner.get(key) ?? []);
    for (const ds of this.api.cache.list('DaemonSet')) this.reconcileDaemonSet(ds, nodes, byOwner);
  }

  private reconcileReplicas(key: string, d: DeploymentSpec, live: Pod[]): void {
    const diff = d.replicas - live.length;
    if (diff > 0) {
      for (let i = 0; i < diff; i++) this.newPod(d.namespace, d.name, 'ReplicaSet', `${d.name}-rs`, d.template);
    } else if (diff < 0) {
      // ReplicaSet scale-down order (kube-controller-manager's ActivePodsWithRanks):
      // unscheduled first, then the lowest controller.kubernetes.io/pod-deletion-cost
      // (0 when unset), then pods doubled up on a node, then the newest.
      const perNode = new Map<string, number>();
      for (const p of live) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
      const ranked = [...live].sort((a, b) => {
        const ua = a.spec.nodeName ? 1 : 0;
        const ub = b.spec.nodeName ? 1 : 0;
        if (ua !== ub) return ua - ub;
        const ca = deletionCost(a);
        const cb = deletionCost(b);
        if (ca !== cb) return ca - cb;
        const da = perNode.get(a.spec.nodeName ?? '') ?? 0;
        const db = perNode.get(b.spec.nodeName ?? '') ?? 0;
        if (da !== db) return db - da;
        return String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
      });
      for (const p of ranked.slice(0, -diff)) this.api.deletePodNow(p.metadata.namespace ?? 'default', p.metadata.name!);
    }
    void key;
  }

  private reconcileJob(key: string, j: JobState, live: Pod[]): void {
    if (j.completedAt !== undefined) return;
    const remaining = j.spec.completions - j.succeeded;
    if (remaining <= 0) {
      j.completedAt = this.clock.now();
      return;
    }
    const want = Math.min(j.spec.parallelism, remaining) - live.length;
    for (let i = 0; i < want; i++) this.newPod(j.spec.namespace, j.spec.name, 'Job', j.spec.name, j.spec.template);
    void key;
  }

  private startJobTimer(pod: Pod): void {
    const k = ownerKey(pod);
    if (!k?.startsWith('Job/')) return;
    const uid = pod.metadata.uid!;
    if (this.jobTimers.has(uid)) return;
    const job = this.jobs.get(k);
    if (!job) return;
    this.jobTimers.set(uid, k);
    this.clock.setTimer(job.spec.runSeconds * 1000, () => {
      this.jobTimers.delete(uid);
      const current = this.api.cache.get('Pod', pod.metadata.name!, pod.metadata.namespace);
      if (!current || current.metadata.uid !== uid || !current.spec.nodeName) return; // evicted meanwhile: replaced
      job.succeeded += 1;
      // A completed pod releases its node's resources; the simulator drops it at once.
      this.api.deletePodNow(current.metadata.namespace ?? 'default', current.metadata.name!);
    });
  }

  private reconcileDaemonSet(ds: DaemonSet, nodes: readonly Node[], byOwner: Map<string, Pod[]>): void {
    const key = `DaemonSet/${ds.metadata.namespace ?? 'default'}/${ds.metadata.name}`;
    const onNode = new Set((byOwner.get(key) ?? []).map((p) => p.spec.nodeName));
    const tmpl = ds.spec.template;
    for (const n of nodes) {
      const name = n.metadata.name!;
      if (n.metadata.deletionTimestamp || onNode.has(name)) continue;
      const taints = (n.spec?.taints ?? []).filter((t) => !DAEMONSET_DEFAULT_TOLERATED.has(t.key) && t.effect !== 'PreferNoSchedule');
      if (!toleratesAll(taints, tmpl.spec.tolerations)) continue;
      const sel = tmpl.spec.nodeSelector ?? {};
      if (Object.entries(sel).some(([k, v]) => n.metadata.labels?.[k] !== v)) continue;
      const pod = this.newPod(ds.metadata.namespace ?? 'default', ds.metadata.name!, 'DaemonSet', ds.metadata.name!, {
        metadata: tmpl.metadata,
        spec: { ...tmpl.spec, nodeName: name },
      });
      this.api.update('Pod', pod.metadata.name!, pod.metadata.namespace, (p) => {
        p.status = { phase: 'Running', startTime: new Date(this.clock.now()).toISOString(), conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] };
      });
    }
  }

  private newPod(namespace: string, workload: string, ownerKind: string, ownerName: string, template: PodTemplate): Pod {
    return this.api.create('Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${workload}-`,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations: { ...(template.metadata?.annotations ?? {}) },
        ownerReferences: [{ apiVersion: ownerKind === 'Job' ? 'batch/v1' : 'apps/v1', kind: ownerKind, name: ownerName, uid: `${ownerKind}-${namespace}-${ownerName}`, controller: true }],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending' },
    });
  }
}

/**
 * The disruption controller of kube-controller-manager, for PodDisruptionBudgets: keeps
 * status (expected, healthy, desired, disruptionsAllowed) current as pods come and go.
 */
export class InMemoryPdbStatus {
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly api: InMemoryApiServer,
  ) {
    api.watch((e) => {
      if (e.kind === 'Pod' || e.kind === 'Node' || (e.kind === 'PodDisruptionBudget' && e.type === 'ADDED')) this.soon();
    });
  }

  private soon(): void {
    if (this.scheduled || this.api.cache.list('PodDisruptionBudget').length === 0) return;
    this.scheduled = true;
    this.clock.setTimer(1_000, () => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    for (const pdb of this.api.cache.list('PodDisruptionBudget')) {
      const status = this.api.pdbStatus(pdb);
      const s = pdb.status;
      if (s && s.disruptionsAllowed === status.disruptionsAllowed && s.currentHealthy === status.currentHealthy && s.expectedPods === status.expectedPods) continue;
      this.api.update('PodDisruptionBudget', pdb.metadata.name!, pdb.metadata.namespace, (p) => {
        p.status = status;
      });
    }
  }
}
