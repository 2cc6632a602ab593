// The bench:scale cluster written into a real kube-apiserver (`--real-env`): the shape
// bench/lib/scale-cluster.ts gives the simulator (NodePool `scale`, m6i.4xlarge nodes spread
// over three zones, each a NodeClaim launched, registered and initialized joined to a Ready
// Node by providerID, ten workload pods of 1.5 vCPU / 5 GiB bound to each, spread over 50
// Deployments' labels), with what a real control plane needs to leave it alone:
//   - Nodes without kwok's annotation (kwok.x-k8s.io/node=fake): no kubelet plays them, so
//     kube-controller-manager turns them Ready=Unknown after its grace period and taints
//     them unreachable; the pods tolerate not-ready and unreachable (NoExecute, no
//     tolerationSeconds), so taint eviction keeps them.
//   - a NoSchedule taint of the run on every Node (the pods tolerate it): kube-scheduler
//     places no other pod of a shared environment on them.
//   - pods without ownerReferences: no ReplicaSet exists, and the garbage collector would
//     delete a pod whose owner is missing; no status (kubelets write it; the node lifecycle
//     controller would otherwise rewrite every pod's Ready condition).
//   - no finalizers, no DaemonSet pods (no DaemonSet controller in the loop), no NodePool or
//     EC2NodeClass objects (nothing reconciles them here).
// Every object carries the run's label (cleanup by selector) and nodes and claims the run id
// in their names; the pods live in a namespace of the run.
// Writes go `concurrency` at a time over one keep-alive HTTPS agent (client-node makes a new
// agent, so a new TLS connection, per request); a failed write is retried a few times, and a
// write that still fails (a sustained failure) or the time budget stops the seeding: what
// was seeded is what gets listed.

import { Agent } from 'node:https';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type RequestContext, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { buildInstanceTypes, type InstanceType } from '../../core/catalog/instance-types.ts';
import {
  CONDITION_INITIALIZED,
  CONDITION_LAUNCHED,
  CONDITION_REGISTERED,
  KARPENTER_GROUP,
  KARPENTER_VERSION,
  LABEL_CAPACITY_TYPE,
  LABEL_INITIALIZED,
  LABEL_REGISTERED,
  LABEL_ZONE,
} from '../../core/contract/index.ts';
import { formatResourceQuantity } from '../../core/resources/quantity.ts';
import { loadShippedCatalog } from '../../data/catalog.ts';
import { nodeClaimFor } from '../../reconciler/controllers/shared/nodeclaim.ts';
import { indexIntent } from '../../reconciler/views/drift.ts';
import { DEPLOYMENTS, INSTANCE_TYPE, PODS_PER_NODE, nodeClass, pool, replicasOf, workloadTemplate } from './scale-cluster.ts';

export const RUN_LABEL = 'bench.joinery.dev/scale-run';
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Attempts of one write before its failure counts as sustained. */
const ATTEMPTS = 4;

/** A KubeConfig whose API clients share one keep-alive agent. */
class KeepAliveKubeConfig extends KubeConfig {
  private shared: Agent | undefined;
  constructor(private readonly maxSockets: number) {
    super();
  }
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    this.shared ??= new Agent({ ...(context.getAgent() as Agent).options, keepAlive: true, maxSockets: this.maxSockets });
    context.setAgent(this.shared);
  }
}

export function seedingKubeConfig(kubeconfigPath: string, concurrency: number): KubeConfig {
  const kc = new KeepAliveKubeConfig(concurrency);
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

function quantities(list: Record<string, number>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, formatResourceQuantity(k, v)]));
}

/** The objects of node `i` of the run: its NodeClaim (spec, then status) and its Node. */
export interface NodeObjects {
  readonly claim: NodeClaim;
  readonly claimStatus: NonNullable<NodeClaim['status']>;
  /** Typed for client-node, whose serializer wants Dates for time fields. */
  readonly node: V1Node;
}

export class ScaleObjects {
  private readonly type: InstanceType;
  private readonly idx = indexIntent({ commit: 'scale', acceptedAt: 0, nodePools: [pool], nodeClasses: [nodeClass] });
  private readonly created = new Date(Date.now() - 60 * 60_000).toISOString();

  constructor(
    readonly runId: string,
    readonly namespace: string,
  ) {
    const type = buildInstanceTypes(loadShippedCatalog(), { zones: ZONES }).find((t) => t.name === INSTANCE_TYPE);
    if (!type) throw new Error(`bench/lib/real-seed.ts: ${INSTANCE_TYPE} is not in the shipped catalog (data/ec2-us-east-1.json)`);
    this.type = type;
  }

  nodeName(i: number): string {
    return `${this.runId}-node-${i}`;
  }

  /** As reconciler/scenario/fleet.ts restores a node of the simulator's initial fleet. */
  node(i: number): NodeObjects {
    const zone = ZONES[i % ZONES.length]!;
    const offering = this.type.offerings.find((o) => o.zone === zone && o.capacityType === 'on-demand')!;
    const name = this.nodeName(i);
    const claimName = `${this.runId}-claim-${i}`;
    const providerID = `aws:///${zone}/i-${this.runId}${i.toString(16).padStart(8, '0')}`;
    const draft = nodeClaimFor({
      newNode: {
        name,
        nodePool: pool.metadata.name!,
        requirements: [...pool.spec.template.spec.requirements.map((r) => ({ ...r, values: [...(r.values ?? [])] })), { key: LABEL_ZONE, operator: 'In' as const, values: [zone] }],
        labels: {},
        instanceTypeOptions: [{ name: INSTANCE_TYPE, price: offering.price, offerings: [offering] }],
        pods: [],
        requests: {},
        price: offering.price,
      },
      pool,
      intent: this.idx,
    });
    const labels = { ...draft.metadata.labels, ...this.type.labels, [LABEL_ZONE]: zone, [LABEL_CAPACITY_TYPE]: 'on-demand', [RUN_LABEL]: this.runId };
    const claim: NodeClaim = { ...draft, metadata: { name: claimName, labels, annotations: draft.metadata.annotations } };
    const at = this.created;
    const claimStatus: NonNullable<NodeClaim['status']> = {
      providerID,
      nodeName: name,
      imageID: 'ami-0123456789abcdef0',
      capacity: quantities(this.type.capacity),
      allocatable: quantities(this.type.allocatable),
      conditions: [
        { type: CONDITION_LAUNCHED, status: 'True', reason: 'Launched', message: '', lastTransitionTime: at },
        { type: CONDITION_REGISTERED, status: 'True', reason: 'Registered', message: '', lastTransitionTime: at },
        { type: CONDITION_INITIALIZED, status: 'True', reason: 'Initialized', message: '', lastTransitionTime: at },
      ],
      lastPodEventTime: at,
    } as NonNullable<NodeClaim['status']>;
    const node: V1Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { ...labels, 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': INSTANCE_TYPE, [LABEL_REGISTERED]: 'true', [LABEL_INITIALIZED]: 'true' },
      },
      spec: { providerID, taints: [{ key: RUN_LABEL, value: this.runId, effect: 'NoSchedule' }] },
      status: {
        capacity: quantities(this.type.capacity),
        allocatable: quantities(this.type.allocatable),
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: new Date(at), lastHeartbeatTime: new Date(at) }],
      },
    };
    return { claim, claimStatus, node };
  }

  /** Workload pod `j`: replica r of Deployment d as the simulator numbers them, bound to node floor(j / 10). */
  pod(j: number, deployment: number, replica: number): V1Pod {
    const template = workloadTemplate(`svc-${deployment}`, `team-${deployment % 10}`);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `svc-${deployment}-${replica}`, namespace: this.namespace, labels: { ...template.metadata.labels, [RUN_LABEL]: this.runId } },
      spec: {
        ...(template.spec as V1Pod['spec']),
        nodeName: this.nodeName(Math.floor(j / PODS_PER_NODE)),
        terminationGracePeriodSeconds: 0,
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
          { key: RUN_LABEL, operator: 'Exists', effect: 'NoSchedule' },
        ],
      } as V1Pod['spec'],
    };
  }

  /** (deployment, replica) of every pod, in the simulator's order (deployment by deployment). */
  podSlots(pods: number): [number, number][] {
    const out: [number, number][] = [];
    for (let d = 0; d < DEPLOYMENTS; d++) for (let r = 0; r < replicasOf(d, pods); r++) out.push([d, r]);
    return out;
  }
}

export interface SeedProgress {
  nodes: number;
  pods: number;
  /** Objects created (claims, nodes, pods) and write requests sent (claim status included, retries not). */
  objects: number;
  requests: number;
  retries: number;
  /** Why the seeding stopped short; undefined when every object was written. */
  stopped?: string;
}

function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiException && e.code === 409;
}

function describe(e: unknown): string {
  if (e instanceof ApiException) return `HTTP ${e.code}: ${String(e.body).slice(0, 200)}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `task(0..count-1)`, `concurrency` at a time, until all ran or `stop()` names a reason.
 * A task is retried (ATTEMPTS in all, 0.5 s, 1 s, 2 s apart); one that still fails stops the run.
 */
async function bounded(count: number, concurrency: number, progress: SeedProgress, stop: () => string | undefined, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count && progress.stopped === undefined) {
      const why = stop();
      if (why) {
        progress.stopped = why;
        return;
      }
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          await task(i);
          done += 1;
          break;
        } catch (e) {
          if (attempt >= ATTEMPTS) {
            progress.stopped ??= `a write failed ${ATTEMPTS} times: ${describe(e)}`;
            return;
          }
          progress.retries += 1;
          await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done;
}

/** Creates `created` as the API server's answer, treating "already exists" (an earlier attempt's write) as done. */
async function create(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/**
 * Seeds `nodes` nodes (each: NodeClaim, its status, Node) then the pods bound to the nodes
 * seeded, `concurrency` writes in flight. `stop` is asked before every write (time budget,
 * SIGINT). Returns what was written.
 */
export async function seedScaleCluster(kc: KubeConfig, objects: ScaleObjects, want: { nodes: number; pods: number }, concurrency: number, stop: () => string | undefined, log: (line: string) => void): Promise<SeedProgress> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const progress: SeedProgress = { nodes: 0, pods: 0, objects: 0, requests: 0, retries: 0 };
  const ref = { group: KARPENTER_GROUP, version: KARPENTER_VERSION, plural: 'nodeclaims' };
  await core.createNamespace({ body: { metadata: { name: objects.namespace, labels: { [RUN_LABEL]: objects.runId } } } });
  progress.requests += 1;

  progress.nodes = await bounded(want.nodes, concurrency, progress, stop, async (i) => {
    const { claim, claimStatus, node } = objects.node(i);
    await create(() => custom.createClusterCustomObject({ ...ref, body: claim }));
    await custom.patchClusterCustomObjectStatus({ ...ref, name: claim.metadata.name!, body: { status: claimStatus } }, MERGE);
    await create(() => core.createNode({ body: node }));
    progress.objects += 2;
    progress.requests += 3;
  });
  log(`real env: ${progress.nodes} nodes and NodeClaims written${progress.stopped ? ` (stopped: ${progress.stopped})` : ''}`);
  if (progress.stopped) return progress;

  const slots = objects.podSlots(Math.min(want.pods, progress.nodes * PODS_PER_NODE));
  let reported = Date.now();
  progress.pods = await bounded(slots.length, concurrency, progress, stop, async (j) => {
    const [d, r] = slots[j]!;
    await create(() => core.createNamespacedPod({ namespace: objects.namespace, body: objects.pod(j, d, r) }));
    progress.objects += 1;
    progress.requests += 1;
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      log(`real env: ${progress.objects - 2 * progress.nodes} of ${slots.length} pods written`);
    }
  });
  return progress;
}
