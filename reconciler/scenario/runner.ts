// Runs a scenario: the production reconciler (every controller, unchanged) against the
// simulated cluster and EC2 on a virtual clock, with the scenario's workloads, policy
// commits and capacity shortages played at their times. Returns what happened.

import type { DaemonSet, Pod, PodSpec } from '../../core/api/k8s.ts';
import type { RawCatalog } from '../../core/index.ts';
import { InMemoryWorld } from '../adapters/in-memory/world.ts';
import { InMemoryEventQueue } from '../adapters/in-memory/events.ts';
import { SimSpotInterruptions } from '../adapters/in-memory/spot-interruptions.ts';
import { mulberry32 } from '../adapters/in-memory/random.ts';
import { readOnlyContext } from '../explain/context.ts';
import { explainNode } from '../explain/explain-node.ts';
import { IncidentRecorder, type Incident } from './incidents.ts';
import type { PodTemplate } from '../adapters/in-memory/workloads.ts';
import type { DecisionRecord } from '../observability/decisions.ts';
import type { LogRecord, LogSink } from '../observability/log.ts';
import type { ReconcilerOptions } from '../runtime/context.ts';
import { createReconciler } from '../reconciler.ts';
import { restoreFleet } from './fleet.ts';
import { applyPolicyCommit, compilePolicyDir, type CommitOutcome, type CompiledIntent } from './policies.ts';
import { ScenarioRecorder, type FleetSample, type RolloutWatch } from './recorder.ts';
import { ScenarioError, type DeploymentWorkload, type JobWorkload, type PodShape, type Scenario, type ScenarioEvent } from './scenario.ts';
import { loadSnapshot } from './snapshot.ts';
import { LABEL_NODEPOOL } from '../../core/contract/index.ts';
import { doNotDisruptUntil } from '../views/cluster-state.ts';

export interface SimulationOptions {
  readonly scenario: Scenario;
  readonly intent: CompiledIntent;
  readonly catalog: RawCatalog;
  /** Project root, for policy commits that compile another directory. */
  readonly root: string;
  readonly typecheck?: boolean;
  readonly onDecision?: (d: DecisionRecord) => void;
  /** Called as virtual time advances (throttled by the caller as it likes). */
  readonly onProgress?: (nowMs: number, sample: FleetSample | undefined) => void;
  /** Every log line of the reconciler (JSON records); default: kept in memory only for warnings. */
  readonly logSink?: LogSink;
  readonly reconcilerOptions?: Partial<ReconcilerOptions>;
  /** Offer only part of the catalog (smaller, faster runs in tests). */
  readonly instanceTypeFilter?: (raw: RawCatalog['instanceTypes'][number]) => boolean;
  /** Things the scenario itself did (operator actions), for the timeline. */
  readonly onNote?: (t: number, message: string) => void;
}

interface CommitRecord {
  readonly t: number;
  readonly commit: string;
  readonly message: string;
  readonly accepted: boolean;
  readonly problems?: readonly string[];
}

export interface SimulationResult {
  readonly scenario: Scenario;
  readonly samples: readonly FleetSample[];
  readonly decisions: readonly DecisionRecord[];
  readonly commits: readonly CommitRecord[];
  readonly totalCost: number;
  readonly costByPool: Readonly<Record<string, number>>;
  readonly podHoursPending: number;
  readonly timeToBindMs: readonly number[];
  readonly stillPending: number;
  readonly rollouts: readonly RolloutWatch[];
  readonly instancesLaunched: number;
  readonly errors: readonly LogRecord[];
  readonly wallMs: number;
  readonly world: InMemoryWorld;
  readonly metricsText: string;
  readonly operatorNotes: readonly { readonly t: number; readonly message: string }[];
  /** NodeClaims still being deleted at the end, with what holds each. */
  readonly stillDraining: readonly { readonly nodeClaim: string; readonly nodePool: string; readonly blockedBy: string }[];
  /** Spot interruptions and nodes gone NotReady, with what the reconciler did and what it cost the pods. */
  readonly incidents: readonly Incident[];
}

function podSpec(shape: PodShape): PodSpec {
  return {
    containers: [{ name: 'main', image: 'registry.example/app:1', resources: { requests: { ...shape.requests } } }],
    ...(shape.tolerations.length > 0 ? { tolerations: shape.tolerations.map((t) => ({ ...t })) } : {}),
    ...(Object.keys(shape.nodeSelector).length > 0 ? { nodeSelector: { ...shape.nodeSelector } } : {}),
    ...(shape.priorityClassName ? { priorityClassName: shape.priorityClassName } : {}),
    ...(shape.claims.length > 0 ? { volumes: shape.claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } : {}),
    terminationGracePeriodSeconds: 30,
  };
}

/**
 * The scenario's claims in the simulated API server: each StorageClass named (EBS CSI,
 * WaitForFirstConsumer), each claim with a zone bound to a PersistentVolume there (node
 * affinity and zone label, as the EBS CSI driver writes them), the others unbound.
 */
function createVolumes(world: InMemoryWorld, sc: Scenario, zones: readonly string[]): void {
  for (const [i, v] of sc.volumes.entries()) {
    if (v.zone !== undefined && !zones.includes(v.zone)) throw new ScenarioError(sc.file, `volumes[${i}].zone`, `"${v.zone}" is not a zone of the cluster (${zones.join(', ')}); put the volume in one of them`);
  }
  for (const name of new Set(sc.volumes.map((v) => v.storageClass))) {
    world.api.create('StorageClass', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer' });
  }
  for (const v of sc.volumes) {
    let volumeName: string | undefined;
    if (v.zone !== undefined) {
      volumeName = `pv-${v.namespace}-${v.claim}`;
      world.api.create('PersistentVolume', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: volumeName, labels: { 'topology.kubernetes.io/zone': v.zone } },
        spec: {
          claimRef: { name: v.claim, namespace: v.namespace },
          storageClassName: v.storageClass,
          csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${v.namespace}-${v.claim}` },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [v.zone] }] }] } },
        },
        status: { phase: 'Bound' },
      });
    }
    world.api.create('PersistentVolumeClaim', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: v.claim, namespace: v.namespace },
      spec: { storageClassName: v.storageClass, ...(volumeName ? { volumeName } : {}) },
      status: { phase: volumeName ? 'Bound' : 'Pending' },
    });
  }
}

function template(shape: PodShape, appLabel: string): PodTemplate {
  const labels = { app: appLabel, ...shape.labels };
  const spec = podSpec(shape);
  if (shape.spreadZones) {
    spec.topologySpreadConstraints = [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: appLabel } } },
    ];
  }
  return { metadata: { labels, annotations: { ...shape.annotations } }, spec };
}

/** Samples are taken this long after each sampling boundary. */
const SAMPLE_OFFSET_MS = 1_000;

/** An autoscaler acts in steps, not per pod: ramps change the replica count every 5 minutes. */
const RAMP_STEP_MS = 5 * 60_000;

/** Replica counts over time as (time, count) changes; ramps in RAMP_STEP_MS steps. */
function replicaTimeline(w: DeploymentWorkload): { atMs: number; replicas: number }[] {
  const out: { atMs: number; replicas: number }[] = [];
  let current = 0;
  for (const s of w.replicas) {
    if (s.toMs === undefined) {
      out.push({ atMs: s.atMs, replicas: s.replicas });
      current = s.replicas;
      continue;
    }
    const span = s.toMs - s.atMs;
    const steps = Math.max(1, Math.round(span / RAMP_STEP_MS));
    for (let i = 1; i <= steps; i++) {
      const r = Math.round(current + ((s.replicas - current) * i) / steps);
      out.push({ atMs: s.atMs + (span * i) / steps, replicas: r });
    }
    current = s.replicas;
  }
  return out;
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const wallStart = performance.now();
  const sc = opts.scenario;
  const worldOptions = {
    startMs: sc.startMs,
    seed: sc.seed,
    catalog: opts.catalog,
    clusterName: sc.cluster.name,
    ...(sc.cluster.zones.length > 0 ? { zones: sc.cluster.zones } : {}),
    kubelet: { bootSeconds: sc.cluster.bootSeconds, readySeconds: sc.cluster.readySeconds },
    shortages: sc.ec2.shortages.map((s) => ({ ...s, fromMs: sc.startMs + s.fromMs, untilMs: sc.startMs + s.untilMs })),
    spotPrice: { seed: sc.seed, minFraction: sc.ec2.spotMin, maxFraction: sc.ec2.spotMax },
    ...(opts.instanceTypeFilter ? { instanceTypeFilter: opts.instanceTypeFilter } : {}),
    reservations: sc.ec2.reservations.map((r) => ({ ...r, ...(r.endMs !== undefined ? { endMs: sc.startMs + r.endMs } : {}) })),
  };
  // A reservation of a type or zone the simulated catalog does not offer is the file's mistake.
  for (const [i, r] of sc.ec2.reservations.entries()) {
    const raw = opts.catalog.instanceTypes.find((t) => t.name === r.instanceType && (!opts.instanceTypeFilter || opts.instanceTypeFilter(t)));
    if (!raw) throw new ScenarioError(sc.file, `ec2.reservations[${i}].instanceType`, `"${r.instanceType}" is not an instance type of the simulated catalog; reserve one the NodePools can launch, e.g. m6i.xlarge`);
    const zones = sc.cluster.zones.length > 0 ? sc.cluster.zones : ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    if (!zones.includes(r.zone)) throw new ScenarioError(sc.file, `ec2.reservations[${i}].zone`, `"${r.zone}" is not a zone of the cluster (${zones.join(', ')}); reserve in one of them`);
  }
  const world = new InMemoryWorld(worldOptions);
  createVolumes(world, sc, sc.cluster.zones.length > 0 ? sc.cluster.zones : ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  const commits: CommitRecord[] = [];
  let current = opts.intent;
  world.intent.accept({ commit: current.commit, nodePools: current.nodePools, nodeClasses: current.nodeClasses });
  commits.push({ t: sc.startMs, commit: current.commit, message: current.message, accepted: true });
  restoreFleet(world, world.intent.current()!, sc.fleet, sc.file);

  for (const ds of sc.daemonSets) {
    const obj: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: ds.name, namespace: ds.namespace },
      spec: {
        selector: { matchLabels: { app: ds.name } },
        template: {
          metadata: { labels: { app: ds.name } },
          spec: {
            containers: [{ name: ds.name, resources: { requests: { ...ds.requests } } }],
            ...(ds.tolerateAll ? { tolerations: [{ operator: 'Exists' }] } : {}),
            priorityClassName: 'system-node-critical',
          },
        },
      },
    };
    world.workloads.applyDaemonSet(obj);
  }

  // The simulated account's interruption queue, fed by EventBridge with EC2's spot
  // interruption warnings and state changes (a seeded rate per spot offering).
  const si = sc.ec2.spotInterruptions;
  const interrupting = si.ratePerHour > 0 || si.offerings.some((o) => o.ratePerHour > 0);
  const queue = interrupting ? new InMemoryEventQueue(world.clock, { name: 'sim-interruption-queue' }) : undefined;
  const spot = queue
    ? new SimSpotInterruptions({ clock: world.clock, ec2: world.ec2, queue, seed: sc.seed, ratePerHour: si.ratePerHour, rules: si.offerings, noticeMs: si.noticeMs, untilMs: sc.startMs + sc.durationMs })
    : undefined;
  const incidents = new IncidentRecorder(world, async (node) => {
    const e = await explainNode(readOnlyContext({ clock: world.clock, cluster: world.api, cloud: world.ec2, intent: world.intent, options: { clusterName: sc.cluster.name, nodeRepair: sc.reconciler.nodeRepair } }), node);
    return e.summary;
  });
  spot?.onInterruption((i) => {
    const incident = incidents.spotInterruption(i);
    opts.onNote?.(i.warnedAt, `EC2: spot interruption warning for ${i.instanceId} (${i.instanceType} spot ${i.zone}, NodeClaim ${incident?.nodeClaim ?? i.nodeClaim}, ${incident?.podsOnNode ?? 0} pod(s)): EC2 reclaims the instance in ${Math.round(si.noticeMs / 1000)} s`);
  });

  const decisions: DecisionRecord[] = [];
  const errors: LogRecord[] = [];
  const reconciler = createReconciler({
    ...(queue && sc.reconciler.interruptionQueue ? { events: queue } : {}),
    clock: world.clock,
    cluster: world.api,
    cloud: world.ec2,
    intent: world.intent,
    logSink: (r) => {
      if (r.level === 'error') errors.push(r);
      opts.logSink?.(r);
    },
    options: {
      clusterName: sc.cluster.name,
      batchWindow: { idleMs: sc.reconciler.batchIdleMs, maxMs: sc.reconciler.batchMaxMs },
      stabilizationMs: sc.reconciler.stabilizationMs,
      spotToSpotConsolidation: sc.reconciler.spotToSpot,
      nodeRepair: sc.reconciler.nodeRepair,
      podDeletionCostManagement: sc.reconciler.podDeletionCost,
      ...opts.reconcilerOptions,
    },
  });
  reconciler.context.decisions.subscribe((d) => {
    decisions.push(d);
    incidents.decision(d);
    opts.onDecision?.(d);
  });
  const recorder = new ScenarioRecorder(world);
  await reconciler.start();

  const at = (offsetMs: number, fn: () => void | Promise<void>) => {
    world.clock.setTimer(Math.max(0, sc.startMs + offsetMs - world.clock.now()), () => void fn());
  };

  for (const w of sc.workloads) {
    if (w.kind === 'Deployment') {
      const tl = replicaTimeline(w);
      const first = tl[0]!;
      at(first.atMs, () => {
        world.workloads.applyDeployment({ name: w.name, namespace: w.namespace, replicas: first.replicas, template: template(w, w.name) });
        if (w.pdb) {
          world.workloads.applyPodDisruptionBudget({
            apiVersion: 'policy/v1',
            kind: 'PodDisruptionBudget',
            metadata: { name: w.name, namespace: w.namespace },
            spec: { selector: { matchLabels: { app: w.name } }, ...w.pdb },
          });
        }
      });
      for (const step of tl.slice(1)) at(step.atMs, () => world.workloads.scaleDeployment(w.namespace, w.name, step.replicas));
    } else if (w.kind === 'Job') {
      const j: JobWorkload = w;
      at(j.atMs, () =>
        world.workloads.startJob({ name: j.name, namespace: j.namespace, completions: j.completions, parallelism: j.parallelism, runSeconds: j.runMs / 1000, template: template(j, j.name) }),
      );
    } else {
      const snapshot = await loadSnapshot(w.file);
      at(w.atMs, () => {
        // Storage first, so the simulated kube-scheduler finds each pod's claims.
        for (const s of snapshot.storageClasses) if (!world.api.cache.get('StorageClass', s.metadata.name!)) world.api.create('StorageClass', s);
        for (const v of snapshot.volumes) if (!world.api.cache.get('PersistentVolume', v.metadata.name!)) world.api.create('PersistentVolume', v);
        for (const c of snapshot.claims) if (!world.api.cache.get('PersistentVolumeClaim', c.metadata.name!, c.metadata.namespace)) world.api.create('PersistentVolumeClaim', c);
        for (const ds of snapshot.daemonSets) world.workloads.applyDaemonSet(ds);
        for (const pdb of snapshot.pdbs) world.workloads.applyPodDisruptionBudget(pdb);
        for (const d of snapshot.deployments) world.workloads.applyDeployment(d);
        for (const p of snapshot.barePods) world.workloads.createPod(p as Pod);
      });
    }
  }

  // Policy commits are validated before the run, in order (each on the intent the
  // previous accepted commits left): the run itself then only plays them at their times,
  // so no real I/O interleaves with virtual time and every run is the same run.
  const outcomes = new Map<ScenarioEvent, CommitOutcome>();
  let base = current;
  for (const e of sc.events) {
    const pc = e.policyCommit;
    if (!pc) continue;
    let outcome: CommitOutcome;
    if (pc.policies) {
      try {
        const compiled = await compilePolicyDir(opts.root, pc.policies, { typecheck: opts.typecheck ?? false });
        outcome = await applyPolicyCommit({ ...compiled, message: pc.message }, pc, sc.file);
      } catch (err) {
        outcome = { ok: false, commit: 'uncompiled', problems: [{ file: pc.policies, field: '(policies)', message: (err as Error).message }] };
      }
    } else {
      outcome = await applyPolicyCommit(base, pc, sc.file);
    }
    if (outcome.ok) base = outcome.intent;
    outcomes.set(e, outcome);
  }

  const operatorNotes: { t: number; message: string }[] = [];
  for (const e of sc.events) {
    const del = e.deleteNodeClaims;
    if (del) {
      at(e.atMs, async () => {
        const claims = world.api.cache.list('NodeClaim').filter((c) => c.metadata.labels?.[LABEL_NODEPOOL] === del.nodePool && !c.metadata.deletionTimestamp);
        for (const c of claims) await world.api.deleteNodeClaim(c.metadata.name!);
        operatorNotes.push({ t: world.clock.now(), message: `operator: kubectl delete nodeclaims -l karpenter.sh/nodepool=${del.nodePool} (${claims.length} claim(s)): ${del.reason}` });
        opts.onNote?.(world.clock.now(), operatorNotes[operatorNotes.length - 1]!.message);
      });
      continue;
    }
    const nr = e.nodeNotReady;
    if (nr) {
      at(e.atMs, () => {
        const note = (message: string) => {
          operatorNotes.push({ t: world.clock.now(), message });
          opts.onNote?.(world.clock.now(), message);
        };
        // A Ready node of the pool that runs pods, picked with the seed.
        const nodes = world.api.cache
          .list('Node')
          .filter((n) => n.metadata.labels?.[LABEL_NODEPOOL] === nr.nodePool && !n.metadata.deletionTimestamp && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .filter((n) => world.api.cache.podsOnNode(n.metadata.name!).some((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet')))
          .map((n) => n.metadata.name!)
          .sort();
        if (nodes.length === 0) return note(`scenario: no Ready node of NodePool ${nr.nodePool} runs pods: none goes NotReady`);
        const name = nodes[Math.floor(mulberry32(sc.seed ^ e.atMs)() * nodes.length)]!;
        world.kubelets.nodeNotReady(name, nr.status, nr.reason);
        const incident = incidents.notReady(name, `Ready=${nr.status} (${nr.reason})`);
        note(`scenario: node ${name} (${incident?.nodeClaim ?? '?'}, ${incident?.offering ?? '?'}) of NodePool ${nr.nodePool} goes NotReady: Ready=${nr.status} (${nr.reason}), ${incident?.podsOnNode ?? 0} pod(s) on it`);
      });
      continue;
    }
    const pc = e.policyCommit!;
    const outcome = outcomes.get(e)!;
    at(e.atMs, () => {
      if (outcome.ok) {
        current = outcome.intent;
        world.intent.accept({ commit: current.commit, nodePools: current.nodePools, nodeClasses: current.nodeClasses });
        commits.push({ t: world.clock.now(), commit: current.commit, message: pc.message, accepted: true });
      } else {
        world.intent.reject(outcome.commit, outcome.problems);
        commits.push({ t: world.clock.now(), commit: outcome.commit, message: pc.message, accepted: false, problems: outcome.problems.map((p) => `${p.file}: ${p.field}: ${p.message}`) });
      }
    });
  }

  let last: FleetSample | undefined;
  const sampleLoop = () => {
    last = recorder.sample();
    opts.onProgress?.(world.clock.now(), last);
    if (world.clock.now() + sc.sampleMs <= sc.startMs + sc.durationMs + SAMPLE_OFFSET_MS) world.clock.setTimer(sc.sampleMs, sampleLoop);
  };
  // Samples are taken just after each boundary, once what the scenario does at that instant has happened.
  world.clock.setTimer(SAMPLE_OFFSET_MS, sampleLoop);

  const end = sc.startMs + sc.durationMs;
  await world.clock.runUntil(end + SAMPLE_OFFSET_MS, (now) => opts.onProgress?.(now, undefined));
  if (!last || last.t < end) recorder.sample();
  await reconciler.stop();
  recorder.stop();
  spot?.stop();
  incidents.stop();
  incidents.finish(end);
  const cost = recorder.totalCost(end);
  const stillDraining = world.api.cache
    .list('NodeClaim')
    .filter((c) => c.metadata.deletionTimestamp)
    .map((c) => {
      const node = world.api.cache.list('Node').find((n) => n.spec?.providerID === c.status?.providerID);
      const pods = node ? world.api.cache.podsOnNode(node.metadata.name!).filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet')) : [];
      const pinned = pods.filter((p) => doNotDisruptUntil(p, end) !== undefined).length;
      return {
        nodeClaim: c.metadata.name!,
        nodePool: c.metadata.labels?.[LABEL_NODEPOOL] ?? '',
        blockedBy: pinned > 0 ? `${pinned} do-not-disrupt pod(s), until terminationGracePeriod ${c.spec.terminationGracePeriod ?? '(none: forever)'}` : pods.length > 0 ? `${pods.length} pod(s) whose PDB allows no eviction` : 'instance shutting down',
      };
    });
  return {
    operatorNotes,
    stillDraining,
    incidents: incidents.incidents,
    scenario: sc,
    samples: recorder.samples,
    decisions,
    commits,
    totalCost: cost.total,
    costByPool: cost.byPool,
    podHoursPending: recorder.podHoursPending(end),
    timeToBindMs: recorder.timeToBindMs,
    stillPending: recorder.stillPending(),
    rollouts: recorder.rolloutWatches(),
    instancesLaunched: world.ec2.allInstances().filter((r) => r.instance.launchTime >= sc.startMs).length,
    errors,
    wallMs: performance.now() - wallStart,
    world,
    metricsText: await reconciler.context.metrics.registry.metrics(),
  };
}
