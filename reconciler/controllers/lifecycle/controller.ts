// NodeClaim lifecycle: launch the instance behind each new NodeClaim, match the Node
// that registers to its claim by providerID, mark it Registered and Initialized, and
// give up on claims whose node never registers. Also records the last pod event on each
// claim (status.lastPodEventTime), which consolidateAfter is measured from.
//
// Everything it needs to resume lives in the NodeClaim: a claim without the Launched
// condition is launched (again) with its UID as the client token, so a crash between
// creating the claim and recording the launch never launches twice.

import type { Node } from '../../../core/api/k8s.ts';
import type { NodeClaim, StatusCondition } from '../../../core/api/karpenter.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import { formatResourceQuantity } from '../../../core/resources/quantity.ts';
import { Requirements } from '../../../core/scheduling/requirements.ts';
import {
  InsufficientCapacityError,
  LaunchFailedError,
  ThrottledError,
  offeringKeyString,
  type Instance,
} from '../../ports/cloud.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { conditionTrue, nodeReady, timestampMs } from '../../state/cluster-state.ts';
import { indexIntent } from '../../state/drift.ts';
import {
  CLUSTER_TAG_VALUE,
  CONDITION_INITIALIZED,
  CONDITION_LAUNCHED,
  CONDITION_REGISTERED,
  FINALIZER_TERMINATION,
  LABEL_CAPACITY_TYPE,
  LABEL_INITIALIZED,
  LABEL_INSTANCE_TYPE,
  LABEL_NODECLASS,
  LABEL_NODEPOOL,
  LABEL_POLICY_COMMIT,
  LABEL_REGISTERED,
  LABEL_ZONE,
  TAG_NAME,
  TAG_NODECLAIM,
  TAG_NODECLASS,
  TAG_NODEPOOL,
  TAG_POLICY_COMMIT,
  TAINT_UNREGISTERED,
  clusterTagKey,
  ANNOTATION_REPLACES,
} from '../../../core/contract/index.ts';

/** The pod-event timestamp is written at most this often per claim (Karpenter dedupes too). */
const POD_EVENT_DEDUPE_MS = 10_000;
const THROTTLE_BASE_MS = 1_000;

export function setCondition(
  conditions: readonly StatusCondition[] | undefined,
  type: string,
  status: StatusCondition['status'],
  reason: string,
  message: string,
  nowIso: string,
): StatusCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: StatusCondition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowIso,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

function quantityMap(list: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(list)) out[k] = formatResourceQuantity(k, v);
  return out;
}

export class LifecycleController implements Controller {
  readonly name = 'lifecycle';
  readonly watches = ['NodeClaim', 'Node'] as const;
  private readonly throttledUntil = new Map<string, number>();
  private throttleFailures = 0;
  /** Pods seen bound, by uid, to tell a new binding from a status update. */
  private readonly boundPods = new Map<string, string>();
  /** Nodes with a pod event not yet written: node name -> event time. */
  private readonly podEvents = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind !== 'Pod') return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    const node = pod.spec.nodeName;
    if (event.type === 'DELETED' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      const was = this.boundPods.get(uid);
      this.boundPods.delete(uid);
      if (was) {
        this.podEvents.set(was, this.ctx.clock.now());
        wake(POD_EVENT_DEDUPE_MS);
      }
      return;
    }
    if (node && !this.boundPods.has(uid)) {
      this.boundPods.set(uid, node);
      // Pods listed at start-up are not events: only bindings observed live are.
      if (event.type === 'MODIFIED') {
        this.podEvents.set(node, this.ctx.clock.now());
        wake(POD_EVENT_DEDUPE_MS);
      }
    }
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, clock, options } = this.ctx;
    const now = clock.now();
    const nodesByProvider = new Map<string, Node>();
    for (const n of cluster.cache.list('Node')) if (n.spec?.providerID) nodesByProvider.set(n.spec.providerID, n);

    let requeue = Infinity;
    const toLaunch: NodeClaim[] = [];
    for (const claim of cluster.cache.list('NodeClaim')) {
      if (claim.metadata.deletionTimestamp) continue;
      const name = claim.metadata.name!;
      if (!conditionTrue(claim, CONDITION_LAUNCHED)) {
        const until = this.throttledUntil.get(name) ?? 0;
        if (until > now) requeue = Math.min(requeue, until - now);
        else toLaunch.push(claim);
        continue;
      }
      if (!conditionTrue(claim, CONDITION_REGISTERED)) {
        const node = claim.status?.providerID ? nodesByProvider.get(claim.status.providerID) : undefined;
        if (node) {
          await this.register(claim, node);
          continue;
        }
        const launchedAt = timestampMs(claim.status?.conditions?.find((c) => c.type === CONDITION_LAUNCHED)?.lastTransitionTime) ?? now;
        const deadline = launchedAt + options.registrationTimeoutMs;
        if (now >= deadline) {
          this.ctx.decisions.record({
            controller: this.name,
            action: 'registration-timeout',
            reason: 'node-not-registered',
            message: `NodeClaim ${name}: no node registered within ${Math.round(options.registrationTimeoutMs / 60_000)}m of launch; terminating its instance`,
            nodePool: claim.metadata.labels?.[LABEL_NODEPOOL],
            nodeClaims: [name],
          });
          await cluster.deleteNodeClaim(name);
        } else {
          requeue = Math.min(requeue, deadline - now);
        }
        continue;
      }
      if (!conditionTrue(claim, CONDITION_INITIALIZED)) {
        const node = claim.status?.providerID ? nodesByProvider.get(claim.status.providerID) : undefined;
        if (node) await this.maybeInitialize(claim, node);
      }
    }

    for (let i = 0; i < toLaunch.length; i += options.launchConcurrency) {
      const results = await Promise.all(toLaunch.slice(i, i + options.launchConcurrency).map((c) => this.launch(c)));
      for (const r of results) if (r !== undefined) requeue = Math.min(requeue, r);
    }

    await this.writePodEvents(now);
    return Number.isFinite(requeue) ? { requeueAfterMs: Math.max(1, requeue) } : {};
  }

  /** Launches one claim; returns a retry delay when throttled. */
  private async launch(claim: NodeClaim): Promise<number | undefined> {
    const { cluster, cloud, clock, intent, decisions, metrics, catalog, unavailable, options } = this.ctx;
    const name = claim.metadata.name!;
    const pool = claim.metadata.labels?.[LABEL_NODEPOOL] ?? '';
    const current = intent.current();
    const nodeClass = current && indexIntent(current).classes.get(claim.spec.nodeClassRef.name);
    const nowIso = new Date(clock.now()).toISOString();
    if (!nodeClass) {
      await cluster.patchNodeClaimStatus(name, {
        conditions: setCondition(claim.status?.conditions, CONDITION_LAUNCHED, 'False', 'NodeClassNotFound', `EC2NodeClass ${claim.spec.nodeClassRef.name} is not in the intent in force`, nowIso),
      });
      return 60_000;
    }
    const types = await catalog.forNodeClass(nodeClass);
    const options_ = launchOptions(claim, types);
    const commit = claim.metadata.labels?.[LABEL_POLICY_COMMIT] ?? '';
    let instance: Instance;
    try {
      instance = await cloud.create({
        nodeClaim: claim,
        nodeClass,
        instanceTypes: options_,
        tags: {
          ...(nodeClass.spec?.tags ?? {}),
          [clusterTagKey(options.clusterName)]: CLUSTER_TAG_VALUE,
          [TAG_NODEPOOL]: pool,
          [TAG_NODECLAIM]: name,
          [TAG_NODECLASS]: nodeClass.metadata.name ?? '',
          [TAG_POLICY_COMMIT]: commit,
          [TAG_NAME]: `${pool}/${name}`,
        },
      });
      this.throttleFailures = 0;
    } catch (err) {
      if (err instanceof ThrottledError) {
        metrics.cloudApiThrottles.inc({ operation: err.operation });
        metrics.launchFailures.inc({ nodepool: pool, reason: 'throttled' });
        this.throttleFailures += 1;
        const backoff = Math.min(60_000, (err.retryAfterMs ?? THROTTLE_BASE_MS) * 2 ** Math.min(6, this.throttleFailures - 1));
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        this.throttledUntil.set(name, clock.now() + jittered);
        this.ctx.logger.warn('launch throttled; backing off', { nodeClaim: name, retryInMs: Math.round(jittered) });
        return jittered;
      }
      const ice = err instanceof InsufficientCapacityError;
      if (!ice && !(err instanceof LaunchFailedError)) {
        // Unknown outcome (a timeout, a dropped connection): EC2 may have launched. Keep the
        // claim and retry with the same client token, which returns that instance if so.
        metrics.cloudApiErrors.inc({ operation: 'create', error: 'unknown' });
        throw err;
      }
      const reason = ice ? 'insufficient-capacity' : err.reason;
      if (ice) unavailable.mark(err.offerings);
      metrics.launchFailures.inc({ nodepool: pool, reason });
      metrics.launches.inc({ nodepool: pool, capacity_type: '', result: 'failed' });
      metrics.cloudApiErrors.inc({ operation: 'create', error: reason });
      decisions.record({
        controller: this.name,
        action: 'launch-failed',
        reason,
        message: `NodeClaim ${name}: ${(err as Error).message}${ice ? '; those offerings are avoided for 3m and the pods solved again' : ''}`,
        nodePool: pool,
        nodeClaims: [name],
      });
      await cluster.deleteNodeClaim(name);
      return undefined;
    }
    const type = types.find((t) => t.name === instance.instanceType);
    metrics.launches.inc({ nodepool: pool, capacity_type: instance.capacityType, result: 'launched' });
    const short = instance.insufficientCapacity ?? [];
    if (short.length > 0) {
      unavailable.mark(short);
      metrics.cloudApiErrors.inc({ operation: 'create', error: 'insufficient-capacity' }, short.length);
    }
    await cluster.patchNodeClaim(name, {
      labels: {
        ...(type?.labels ?? {}),
        [LABEL_INSTANCE_TYPE]: instance.instanceType,
        [LABEL_ZONE]: instance.zone,
        [LABEL_CAPACITY_TYPE]: instance.capacityType,
        [LABEL_NODECLASS]: nodeClass.metadata.name ?? '',
      },
    });
    await cluster.patchNodeClaimStatus(name, {
      providerID: instance.providerID,
      ...(instance.imageID ? { imageID: instance.imageID } : {}),
      ...(type ? { capacity: quantityMap(type.capacity), allocatable: quantityMap(type.allocatable) } : {}),
      conditions: setCondition(claim.status?.conditions, CONDITION_LAUNCHED, 'True', 'Launched', `${instance.instanceType} ${instance.capacityType} in ${instance.zone}`, nowIso),
    });
    decisions.record({
      controller: this.name,
      action: 'launched',
      reason: claim.metadata.annotations?.[ANNOTATION_REPLACES] ? 'replacement' : 'provisioned',
      message: `NodeClaim ${name}: launched ${instance.instanceType} ${instance.capacityType} in ${instance.zone} at $${instance.pricePerHour.toFixed(4)}/h (${instance.id})${
        short.length > 0 ? `; ${short.length} cheaper offering(s) out of capacity (${short.slice(0, 3).map(offeringKeyString).join(', ')}${short.length > 3 ? ', ...' : ''}) avoided for 3m` : ''
      }`,
      nodePool: pool,
      nodeClaims: [name],
      details: {
        instanceType: instance.instanceType,
        capacityType: instance.capacityType,
        zone: instance.zone,
        pricePerHour: instance.pricePerHour,
        instanceId: instance.id,
        ...(short.length > 0 ? { insufficientCapacity: short.map(offeringKeyString) } : {}),
      },
    });
    return undefined;
  }

  private async register(claim: NodeClaim, node: Node): Promise<void> {
    const { cluster, clock } = this.ctx;
    const name = claim.metadata.name!;
    const nodeName = node.metadata.name!;
    const labels: Record<string, string> = { ...(claim.metadata.labels ?? {}), [LABEL_REGISTERED]: 'true' };
    await cluster.patchNode(nodeName, {
      labels,
      addFinalizers: [FINALIZER_TERMINATION],
      addTaints: claim.spec.taints ?? [],
      removeTaints: [TAINT_UNREGISTERED],
    });
    await cluster.patchNodeClaimStatus(name, {
      nodeName,
      conditions: setCondition(claim.status?.conditions, CONDITION_REGISTERED, 'True', 'Registered', `node ${nodeName}`, new Date(clock.now()).toISOString()),
    });
    this.ctx.logger.debug('node registered', { nodeClaim: name, node: nodeName });
  }

  private async maybeInitialize(claim: NodeClaim, node: Node): Promise<void> {
    if (!nodeReady(node)) return;
    const taints = node.spec?.taints ?? [];
    if (taints.some((t) => t.key === TAINT_UNREGISTERED.key)) return;
    // Startup taints are removed by their own agents, never by us.
    if ((claim.spec.startupTaints ?? []).some((s) => taints.some((t) => t.key === s.key && t.effect === s.effect))) return;
    // Extended resources the claim asked for (GPUs) must be advertised before pods can use them.
    const requested = claim.spec.resources?.requests ?? {};
    const allocatable = node.status?.allocatable ?? {};
    for (const k of Object.keys(requested)) {
      if (k.includes('/') && !allocatable[k]) return;
    }
    const { cluster, clock } = this.ctx;
    await cluster.patchNode(node.metadata.name!, { labels: { [LABEL_INITIALIZED]: 'true' } });
    await cluster.patchNodeClaimStatus(claim.metadata.name!, {
      conditions: setCondition(claim.status?.conditions, CONDITION_INITIALIZED, 'True', 'Initialized', 'node ready, startup taints removed', new Date(clock.now()).toISOString()),
    });
  }

  private async writePodEvents(now: number): Promise<void> {
    if (this.podEvents.size === 0) return;
    const { cluster } = this.ctx;
    const claimByNode = new Map<string, NodeClaim>();
    for (const c of cluster.cache.list('NodeClaim')) if (c.status?.nodeName) claimByNode.set(c.status.nodeName, c);
    for (const [nodeName, at] of this.podEvents) {
      const claim = claimByNode.get(nodeName);
      this.podEvents.delete(nodeName);
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const last = timestampMs(claim.status?.lastPodEventTime) ?? 0;
      if (at - last < POD_EVENT_DEDUPE_MS && last <= now) continue;
      await cluster.patchNodeClaimStatus(claim.metadata.name!, { lastPodEventTime: new Date(at).toISOString() });
    }
  }
}

/**
 * The instance types a claim allows, cheapest first, each keeping only the offerings
 * the claim's requirements (zone, capacity type) allow and that are available.
 */
export function launchOptions(claim: NodeClaim, catalog: readonly InstanceType[]): InstanceType[] {
  const reqs = Requirements.of(claim.spec.requirements.map((r) => ({ ...r })), 'spec.requirements');
  const typeSet = reqs.get(LABEL_INSTANCE_TYPE);
  const zones = reqs.get(LABEL_ZONE);
  const capacityTypes = reqs.get(LABEL_CAPACITY_TYPE);
  const out: InstanceType[] = [];
  for (const t of catalog) {
    if (typeSet && !typeSet.has(t.name)) continue;
    const offerings = t.offerings.filter(
      (o) => o.available && (!zones || zones.has(o.zone)) && (!capacityTypes || capacityTypes.has(o.capacityType)),
    );
    if (offerings.length > 0) out.push({ ...t, offerings });
  }
  const cheapest = (t: InstanceType) => Math.min(...t.offerings.map((o) => o.price));
  return out.sort((a, b) => cheapest(a) - cheapest(b) || (a.name < b.name ? -1 : 1));
}
