// Provisioning: batch pending pods, run core's solver once per batch over the pending
// pods, the existing and in-flight nodes and the NodePools, and create one NodeClaim per
// new node it asks for (concurrently, a bounded number at a time). Launching is the
// lifecycle controller's job, so the claim (the durable record) always exists before the
// instance.
//
// Batches stream (deliberately faster than Karpenter's 1 s idle / 10 s window): a batch
// closes after `batchWindow.idleMs` without new pending pods or `batchWindow.maxMs` after
// it opened (defaults 1 s and 1 s); pods arriving while a batch is solved or its claims
// created go into the next batch, which counts the claims in flight as capacity. Pods are
// pending when kube-scheduler marked them Unschedulable, or, before any mark, when they
// provably fit on no Node (early-start.ts). A pod marked again (kube-scheduler filled the
// node planned for it with other pods) opens a batch at once rather than waiting for the
// periodic re-solve. The instance catalog of every EC2NodeClass is fetched as soon as an
// intent is accepted, not by the first batch.

import { REASON_PROVISIONED } from '../../observability/karpenter-metrics.ts';
import type { Pod } from '../../../core/api/k8s.ts';
import type { EC2NodeClass } from '../../../core/api/karpenter.ts';
import { solve } from '../../../core/index.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import { BatchWindow } from '../../runtime/batcher.ts';
import { forEachConcurrently } from '../../runtime/concurrency.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { clusterState, isProvisionable, podKey, type ClusterState } from '../../views/cluster-state.ts';
import { indexIntent } from '../../views/drift.ts';
import { existingNodes, namespaceLabels, volumeObjects, nodesWithRoom, poolUsage, poolsFor, schedulingPools } from '../../views/scheduling.ts';
import { nodeClaimFor, nodePoolUid } from '../shared/nodeclaim.ts';
import { deletingNodePools } from '../../views/removed-pools.ts';
import { applyMinValuesPolicy } from './min-values.ts';
import { describeShortfall } from '../../../core/catalog/min-values.ts';
import { ANNOTATION_MIN_VALUES_RELAXED, ANNOTATION_PLANNED_RESERVATION } from '../../../core/contract/index.ts';
import type { NewNode } from '../../../core/scheduling/types.ts';
import { awaitingScheduler, fitNowhere } from './early-start.ts';
import { fitReservations } from './reservations.ts';
import { ArrivingDemand, isArriving, withoutArriving } from './arriving-demand.ts';

/** What provisioning may touch: it creates NodeClaims and never calls the cloud (lifecycle launches). */
export type ProvisioningDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'decisions' | 'metrics' | 'logger' | 'catalog' | 'unavailable'> & {
  readonly options: Pick<ReconcilerOptions, 'batchWindow' | 'maxInstanceTypesPerClaim'> & Partial<Pick<ReconcilerOptions, 'minValuesPolicy' | 'sizeForArrivingDemand'>>;
};

/** With pods still pending and nothing else happening, solve again this often. */
const PENDING_RESOLVE_MS = 60_000;
/** A claim created here that the cache has not shown for this long is taken as gone. */
const UNSEEN_CLAIM_MS = 60_000;
/** NodeClaims created at once per batch (each is one API call). */
const CREATE_CONCURRENCY = 16;

/** The PodScheduled=False condition as last seen (kube-scheduler writes it only when it changes). */
function markOf(pod: Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c ? `${String(c.lastTransitionTime ?? '')}|${c.message ?? ''}` : undefined;
}

const VOLUME_KINDS: ReadonlySet<string> = new Set(['PersistentVolumeClaim', 'PersistentVolume', 'StorageClass', 'CSINode']);

export class ProvisioningController implements Controller {
  readonly name = 'provisioning';
  private readonly window: BatchWindow;
  /** When each pending pod was first seen pending (uid -> ms), for the latency histogram. */
  private readonly pendingSince = new Map<string, number>();
  /**
   * The pods each NodeClaim created here was planned for (pod uids by claim name). Until
   * the claim's node is initialized its pods are held on it: left out of the next batches
   * and counted on the claim, so streaming batches do not re-pack them onto other claims
   * (Karpenter nominates them). A claim initialized or gone releases them.
   */
  private readonly planned = new Map<string, Set<string>>();
  /**
   * The reservation each claim created here and not launched yet was planned into: its slot
   * is not counted by the provider yet. The claim carries it too
   * (ANNOTATION_PLANNED_RESERVATION), so a reconciler started later counts it; this map
   * covers a claim the cache has not seen yet.
   */
  private readonly reservedClaims = new Map<string, { readonly id: string; readonly at: number }>();
  /** kube-scheduler's last mark per pending pod: a new one means its plan failed (or it is first judged). */
  private readonly marks = new Map<string, string | undefined>();
  /** The unschedulable reason last reported per pod, so each is logged once. */
  private readonly reported = new Map<string, string>();
  private started = false;
  /** With pods still pending after a solve, solve again at this time even without events. */
  private resolveAt: number | undefined;
  private reportedProblems = '';
  private readonly arriving = new ArrivingDemand();

  constructor(private readonly ctx: ProvisioningDeps) {
    this.window = new BatchWindow(ctx.options.batchWindow);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    const now = this.ctx.clock.now();
    if (event.kind === 'Pod') {
      const pod = event.object;
      const uid = pod.metadata.uid ?? podKey(pod);
      if (event.type !== 'DELETED' && (isProvisionable(pod) || awaitingScheduler(pod))) {
        const mark = markOf(pod);
        if (!this.pendingSince.has(uid)) {
          this.pendingSince.set(uid, now);
          this.marks.set(uid, mark);
          this.trigger(wake);
        } else if (this.marks.get(uid) !== mark) {
          // Marked again: the pod did not land where the last solve planned it (another
          // pod took the room), or kube-scheduler judged a pod provisioned for early.
          this.marks.set(uid, mark);
          this.trigger(wake);
        }
      } else {
        this.pendingSince.delete(uid);
        this.marks.delete(uid);
        this.reported.delete(uid);
      }
    } else if (event.kind === 'NodeClaim' && event.type === 'DELETED' && this.pendingSince.size > 0) {
      // A claim that failed to launch (or was deleted) leaves its pods to solve again.
      this.trigger(wake);
    } else if (VOLUME_KINDS.has(event.kind) && this.pendingSince.size > 0) {
      // A claim that binds, or a volume or StorageClass that appears, may change where a
      // pending pod can run, or let a pod that waited for its claim be provisioned for; a
      // CSINode's attach limits change which nodes can take it.
      this.trigger(wake);
    }
  }

  onIntent(event: IntentEvent, wake: Wake): void {
    if (event.type !== 'accepted') return;
    this.warmCatalog();
    if (this.pendingSince.size > 0) this.trigger(wake);
  }

  /** Fetches the catalog of every EC2NodeClass of the intent in the background, so no batch waits for it. */
  private warmCatalog(): void {
    const current = this.ctx.intent.current();
    if (current) void warmCatalog(this.ctx, current.nodeClasses);
  }

  private trigger(wake: Wake): void {
    const now = this.ctx.clock.now();
    const closesAt = this.window.trigger(now);
    wake(closesAt - now);
  }

  async reconcile(): Promise<ReconcileResult> {
    const now = this.ctx.clock.now();
    if (!this.started) {
      // After a restart, pods already pending form the first batch.
      this.started = true;
      this.warmCatalog();
      for (const p of this.ctx.cluster.cache.list('Pod')) {
        if (isProvisionable(p) || awaitingScheduler(p)) {
          this.pendingSince.set(p.metadata.uid ?? podKey(p), now);
          this.marks.set(p.metadata.uid ?? podKey(p), markOf(p));
        }
      }
      if (this.pendingSince.size > 0) this.window.trigger(now);
    }
    const windowClosed = this.window.takeIfClosed(now);
    const resolveDue = this.resolveAt !== undefined && now >= this.resolveAt;
    if (windowClosed || resolveDue) {
      this.resolveAt = undefined;
      await this.provision();
      if (this.pendingSince.size > 0) {
        // Pods left pending (limits, shortages, nothing fits) are solved again when an
        // unavailable offering expires, or in a minute.
        const t = this.ctx.clock.now();
        const expiry = this.ctx.unavailable.nextExpiry();
        this.resolveAt = Math.min(t + PENDING_RESOLVE_MS, expiry !== undefined ? expiry + 1 : Infinity);
      }
    }
    const next = Math.min(this.window.closesAt() ?? Infinity, this.resolveAt ?? Infinity);
    return Number.isFinite(next) ? { requeueAfterMs: Math.max(1, next - this.ctx.clock.now()) } : {};
  }

  private async provision(): Promise<void> {
    const { cluster, clock, intent, decisions, metrics, logger, options } = this.ctx;
    const current = intent.current();
    const state = clusterState(cluster);
    // Pods kube-scheduler has not judged yet join the batch only when they fit on no Node.
    const unplaced = [...state.pendingPods, ...fitNowhere(cluster.cache.list('Pod').filter(awaitingScheduler), cluster.cache)];
    metrics.pendingPods.set(unplaced.length);
    metrics.karpenter.schedulerQueueDepth.set({ controller: 'provisioner', scheduling_id: '' }, unplaced.length);
    const held = this.heldPods(state, unplaced);
    const pending = unplaced.filter((p) => !held.uids.has(p.metadata.uid ?? podKey(p)));
    if (pending.length === 0) return;
    if (!current) {
      logger.warn('pods are pending but no intent has been accepted yet; not provisioning', { pending: pending.length });
      return;
    }
    const idx = indexIntent(current);
    const view = await schedulingPools(this.ctx, current);
    const problemsKey = view.problems.map((p) => `${p.nodePool}:${p.message}`).join('|');
    if (problemsKey !== this.reportedProblems) {
      this.reportedProblems = problemsKey;
      for (const p of view.problems) {
        logger.warn('NodePool cannot provision', { nodePool: p.nodePool, problem: p.message, ...(p.nodeClass ? { nodeClass: p.nodeClass } : {}) });
        if (p.nodeClass !== undefined) {
          decisions.record({
            controller: this.name,
            action: 'skip',
            reason: 'nodeclass-not-ready',
            message: `NodePool ${p.nodePool} launches nothing: ${p.message}`,
            nodePool: p.nodePool,
          });
        }
      }
    }

    const started = performance.now();
    // Rising ReplicaSets: their next step sizes the new nodes too (arriving-demand.ts).
    const demand = options.sizeForArrivingDemand ? this.arriving.expand(pending, clock.now()) : pending;
    const input = {
      pods: demand,
      // existingNodes lists state.nodes first, in order: their held pods count on them.
      nodes: nodesWithRoom(
        existingNodes(state, undefined, (n) => cluster.cache.podsOnNode(n), cluster.cache).map((n, i) => {
          const extra = i < state.nodes.length ? held.byClaim.get(state.nodes[i]!.name) : undefined;
          return extra ? { ...n, pods: [...n.pods, ...extra] } : n;
        }),
        demand,
      ),
      // A NodePool being deleted launches nothing (its nodes are leaving), as in Karpenter.
      nodePools: poolsFor(demand, withoutDeleting(view.pools, deletingNodePools(cluster.cache))),
      daemonSets: [...cluster.cache.list('DaemonSet')],
      namespaces: namespaceLabels(cluster.cache),
      volumes: volumeObjects(cluster.cache),
      poolUsage: poolUsage(state),
      options: { maxInstanceTypeOptions: options.maxInstanceTypesPerClaim },
    };
    const policy = options.minValuesPolicy ?? 'Strict';
    // Reservations' free slots: the provider's live count less the claims planned into
    // them that have not launched yet (./reservations.ts).
    const plannedInto = this.plannedReservations(state);
    const slots = (id: string): number => {
      const known = this.ctx.catalog.reservationFree(id);
      if (known === undefined) return Infinity;
      return known - (plannedInto.get(id) ?? 0);
    };
    const reservedFor = new Map<string, string>();
    const fitted = (inp: typeof input) => {
      const fit = fitReservations(inp, solve(inp), slots, solve);
      for (const [node, id] of fit.reservedFor) reservedFor.set(node, id);
      return fit.result;
    };
    const minValues = applyMinValuesPolicy(policy, fitted(input), view.poolTypes, (without) => fitted({ ...input, pods: input.pods.filter((p) => !without.has(p)) }));
    const result = minValues.result;
    const newNodes = demand === pending ? minValues.newNodes : withoutArriving(minValues.newNodes);
    const solveSeconds = (performance.now() - started) / 1000;
    metrics.provisioningSolveSeconds.observe(solveSeconds);
    metrics.karpenter.schedulingDuration.observe({ controller: 'provisioner' }, solveSeconds);
    logger.debug('solved a batch', {
      pods: pending.length,
      held: held.uids.size,
      early: unplaced.length - state.pendingPods.length,
      newNodes: newNodes.length,
      bindings: result.bindings.length,
      unschedulable: result.unschedulable.length,
      solveMs: Math.round(solveSeconds * 1000),
    });

    const now = clock.now();
    const relaxed = new Map(minValues.relaxed.map((r) => [r.node.name, r]));
    const create = async (newNode: NewNode): Promise<void> => {
      const pool = view.poolManifests.get(newNode.nodePool)!;
      const manifest = nodeClaimFor({ newNode, pool, intent: idx, poolUid: nodePoolUid(cluster.cache, newNode.nodePool) });
      const relax = relaxed.get(newNode.name);
      if (relax) manifest.metadata.annotations = { ...manifest.metadata.annotations, [ANNOTATION_MIN_VALUES_RELAXED]: 'true' };
      const reservation = reservedFor.get(newNode.name);
      if (reservation) manifest.metadata.annotations = { ...manifest.metadata.annotations, [ANNOTATION_PLANNED_RESERVATION]: reservation };
      const claim = await cluster.createNodeClaim(manifest);
      this.planned.set(claim.metadata.name!, new Set(newNode.pods.map((p) => p.metadata.uid ?? podKey(p))));
      if (reservation) this.reservedClaims.set(claim.metadata.name!, { id: reservation, at: clock.now() });
      metrics.karpenter.nodeClaimsCreated.inc({ reason: REASON_PROVISIONED, nodepool: newNode.nodePool, min_values_relaxed: relax ? 'true' : 'false' });
      // Karpenter's Nominated event on the pods the claim is for (at most 20 per claim, as Karpenter rate-limits them).
      for (const p of newNode.pods.slice(0, 20)) {
        cluster.recordEvent({ involved: { kind: 'Pod', name: p.metadata.name!, namespace: p.metadata.namespace }, type: 'Normal', reason: 'Nominated', message: `Pod should schedule on: nodeclaim/${claim.metadata.name}` });
      }
      if (relax) {
        for (const s of relax.shortfalls) metrics.minValuesRelaxed.inc({ nodepool: newNode.nodePool, key: s.key });
        const why = relax.shortfalls.map((s) => describeShortfall(newNode.nodePool, s)).join('; ');
        logger.warn('minValues relaxed (--min-values-policy BestEffort)', { nodeClaim: claim.metadata.name, nodePool: newNode.nodePool, reason: why });
        decisions.record({
          controller: this.name,
          action: 'min-values-relaxed',
          reason: 'min-values',
          message: `${newNode.nodePool}: NodeClaim ${claim.metadata.name} launched with minValues relaxed: ${why}`,
          nodePool: newNode.nodePool,
          nodeClaims: [claim.metadata.name!],
        });
      }
      for (const p of newNode.pods) {
        const since = this.pendingSince.get(p.metadata.uid ?? podKey(p));
        if (since !== undefined) metrics.podDecisionLatencySeconds.observe((now - since) / 1000);
      }
      const cheapest = newNode.instanceTypeOptions[0];
      decisions.record({
        controller: this.name,
        action: 'launch',
        reason: 'pending-pods',
        message: `${newNode.nodePool}: NodeClaim ${claim.metadata.name} for ${newNode.pods.length} pending pod(s), ${newNode.instanceTypeOptions.length} type option(s) from ${cheapest?.name ?? '?'} at $${newNode.price.toFixed(4)}/h`,
        nodePool: newNode.nodePool,
        nodeClaims: [claim.metadata.name!],
        details: {
          pods: newNode.pods.length,
          cheapestType: cheapest?.name,
          pricePerHour: newNode.price,
          options: newNode.instanceTypeOptions.length,
          commit: current.commit,
        },
      });
    };
    // Claims are created a bounded number at a time; one failure does not stop the others
    // (the batch is solved again after the manager's backoff, counting the claims created).
    const errors = await forEachConcurrently(newNodes, CREATE_CONCURRENCY, create);
    if (errors.length > 0) throw errors[0];
    this.reportUnschedulable([...result.unschedulable, ...minValues.blocked].filter((u) => !isArriving(u.pod)));
  }

  /**
   * Claims planned into each reservation and not launched yet (the provider counts a
   * launched one): those the claims record (ANNOTATION_PLANNED_RESERVATION, so claims
   * planned before a restart count) and those created here the cache has not seen yet.
   * Forgets the claims created here that launched or went (or that the cache has not shown
   * for a minute).
   */
  private plannedReservations(state: ClusterState): Map<string, number> {
    const now = this.ctx.clock.now();
    const byClaim = new Map<string, string>();
    for (const n of state.nodes) {
      const id = n.claim.metadata.annotations?.[ANNOTATION_PLANNED_RESERVATION];
      if (id && !n.launched && !n.deleting) byClaim.set(n.name, id);
    }
    for (const [name, r] of this.reservedClaims) {
      const n = state.byClaim.get(name);
      if (n ? n.launched || n.deleting : now - r.at > UNSEEN_CLAIM_MS) this.reservedClaims.delete(name);
      else if (!n) byClaim.set(name, r.id);
    }
    const count = new Map<string, number>();
    for (const id of byClaim.values()) count.set(id, (count.get(id) ?? 0) + 1);
    return count;
  }

  /** Pods still pending that are held on a claim in flight; forgets the plans of claims initialized or gone. */
  private heldPods(state: ClusterState, unplaced: readonly Pod[]): { uids: Set<string>; byClaim: Map<string, Pod[]> } {
    const uids = new Set<string>();
    const byClaim = new Map<string, Pod[]>();
    if (this.planned.size === 0) return { uids, byClaim };
    const byUid = new Map(unplaced.map((p) => [p.metadata.uid ?? podKey(p), p]));
    for (const [claim, pods] of this.planned) {
      const n = state.byClaim.get(claim);
      if (!n || n.initialized || n.deleting) {
        this.planned.delete(claim);
        continue;
      }
      for (const uid of pods) {
        const p = byUid.get(uid);
        if (!p || uids.has(uid)) continue;
        uids.add(uid);
        let l = byClaim.get(claim);
        if (!l) byClaim.set(claim, (l = []));
        l.push(p);
      }
    }
    return { uids, byClaim };
  }

  private reportUnschedulable(list: readonly { pod: Pod; reason: string }[]): void {
    const byReason = new Map<string, Pod[]>();
    for (const u of list) {
      const uid = u.pod.metadata.uid ?? podKey(u.pod);
      if (this.reported.get(uid) === u.reason) continue;
      this.reported.set(uid, u.reason);
      let l = byReason.get(u.reason);
      if (!l) byReason.set(u.reason, (l = []));
      l.push(u.pod);
    }
    for (const [reason, pods] of byReason) {
      const limit = /limit/i.test(reason);
      const minValues = /\(minValues\)/.test(reason);
      this.ctx.decisions.record({
        controller: this.name,
        action: limit ? 'limit-reached' : 'unschedulable',
        reason: limit ? 'nodepool-limit' : minValues ? 'min-values' : 'no-nodepool-fits',
        message: `${pods.length} pod(s) cannot be provisioned for (e.g. ${podKey(pods[0]!)}): ${reason}`,
        details: { pods: pods.slice(0, 10).map(podKey), count: pods.length },
      });
      for (const p of pods.slice(0, 20)) {
        const involved = { kind: 'Pod' as const, name: p.metadata.name!, namespace: p.metadata.namespace };
        this.ctx.cluster.recordEvent({ involved, type: 'Warning', reason: limit ? 'NodePoolLimitReached' : minValues ? 'MinValuesNotMet' : 'FailedProvisioning', message: reason });
        // Karpenter's own Event for the same verdict (its provisioner's PodFailedToScheduleEvent),
        // so alerts on Karpenter's FailedScheduling keep firing.
        this.ctx.cluster.recordEvent({ involved, type: 'Warning', reason: 'FailedScheduling', message: `Failed to schedule pod, ${reason}` });
      }
    }
  }
}

/** Fetches each class's catalog (failures are left to the batch that needs it, which reports them). */
async function warmCatalog(deps: Pick<ProvisioningDeps, 'catalog' | 'logger'>, nodeClasses: readonly EC2NodeClass[]): Promise<void> {
  await Promise.all(
    nodeClasses.map((nc) =>
      deps.catalog.forNodeClass(nc).catch((e: unknown) => {
        deps.logger.debug('could not fetch an instance catalog ahead of the first batch', { nodeClass: nc.metadata.name, error: (e as Error).message });
      }),
    ),
  );
}

function withoutDeleting<P extends { readonly name: string }>(pools: readonly P[], deleting: ReadonlySet<string>): P[] {
  return deleting.size === 0 ? [...pools] : pools.filter((p) => !deleting.has(p.name));
}
