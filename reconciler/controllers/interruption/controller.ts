// Interruption: reacts to the events that take instances away before the cloud does, read
// from the interruption queue (Karpenter's interruption controller, settings.interruptionQueue).
//
// Each reconcile long-polls the queue once. A message is parsed (messages.ts); for every
// instance it names that is one of joinery's NodeClaims:
// - spot interruption warning, scheduled change (AWS Health), state change to stopping,
//   stopped, shutting-down or terminated: the node is tainted karpenter.sh/disrupted
//   (cordoned), replacements for its pods are created at once through the same solver
//   and NodeClaims provisioning uses (within the pools' limits; the interrupted node's own
//   capacity no longer counts), and the NodeClaim is deleted: termination drains it
//   honouring PDBs and terminates the instance. As in Karpenter, the drain does not wait
//   for the replacement (a spot warning leaves 2 minutes); evicted pods land on it when it is up.
// - a spot interruption also marks its offering (type, zone, spot) unavailable for the
//   ICE cooldown, so the replacement avoids it;
// - rebalance recommendation: recorded (an Event on the node, a decision), no action,
//   unless `interruptionActOnRebalance`.
// Then the message is deleted (in one batch per receive). Handling is idempotent: a claim
// already being deleted is left alone, so a message delivered twice acts once. A message
// that cannot be read is logged with its id, counted and deleted; one naming no instance
// of ours is deleted and ignored. A failure while acting leaves that message in the queue
// (it comes back after its visibility timeout): at-least-once.

import type { Pod } from '../../../core/api/k8s.ts';
import { solve } from '../../../core/index.ts';
import { parseResourceList, subtractResources } from '../../../core/resources/resource-list.ts';
import { ANNOTATION_INTERRUPTION, LABEL_NODEPOOL, TAINT_DISRUPTED } from '../../../core/contract/index.ts';
import type { CapacityType } from '../../../core/contract/labels.ts';
import type { EventQueue, QueueMessage } from '../../ports/events.ts';
import type { Controller, ReconcileResult } from '../../runtime/controller.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { clusterState, isDaemonSetPod, isTerminal, toleratesTaintKey, type ClusterState, type StateNode } from '../../views/cluster-state.ts';
import { indexIntent } from '../../views/drift.ts';
import { existingNodes, namespaceLabels, volumeObjects, nodesWithRoom, poolUsage, poolsFor, schedulingPools } from '../../views/scheduling.ts';
import { nodeClaimFor } from '../shared/nodeclaim.ts';
import { MalformedMessageError, actsOn, instanceIdOf, parseMessage, type InterruptionMessage, type MessageKind } from './messages.ts';

export type InterruptionDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'decisions' | 'metrics' | 'logger' | 'catalog' | 'unavailable'> & {
  readonly events: EventQueue;
  readonly options: Pick<ReconcilerOptions, 'interruptionActOnRebalance' | 'maxInstanceTypesPerClaim'>;
};

/** The Kubernetes Event reason Karpenter records on the node for each kind. */
const EVENT_REASON: Readonly<Record<MessageKind, string>> = {
  spot_interrupted: 'SpotInterrupted',
  rebalance_recommendation: 'SpotRebalanceRecommendation',
  scheduled_change: 'InstanceUnhealthy',
  instance_stopped: 'InstanceStopping',
  instance_terminated: 'InstanceTerminating',
  no_op: '',
};

const DESCRIBE: Readonly<Record<MessageKind, string>> = {
  spot_interrupted: 'spot interruption warning',
  rebalance_recommendation: 'rebalance recommendation',
  scheduled_change: 'scheduled change (AWS Health)',
  instance_stopped: 'instance stopping',
  instance_terminated: 'instance terminating',
  no_op: 'no-op',
};

interface Target {
  readonly node: StateNode;
  readonly message: InterruptionMessage;
  readonly queued: QueueMessage;
  readonly instanceId: string;
}

function reschedulable(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !isDaemonSetPod(p) && !isTerminal(p) && !p.metadata.deletionTimestamp && !toleratesTaintKey(p, TAINT_DISRUPTED.key));
}

export class InterruptionController implements Controller {
  readonly name = 'interruption';
  private announced = false;

  constructor(private readonly ctx: InterruptionDeps) {}

  async reconcile(): Promise<ReconcileResult> {
    const { events, logger } = this.ctx;
    if (!this.announced) {
      this.announced = true;
      logger.info('watching the interruption queue', { queue: events.name });
    }
    const received = await events.receive();
    if (received.length === 0) return { requeueAfterMs: events.idleDelayMs };
    const handled = await this.handle(received);
    await this.deleteMessages(handled);
    return { requeueAfterMs: 0 };
  }

  /** Handles one batch; returns the messages done with (to delete). */
  private async handle(batch: readonly QueueMessage[]): Promise<QueueMessage[]> {
    const { cluster, clock, logger, metrics, decisions, unavailable, options } = this.ctx;
    const state = clusterState(cluster);
    const byInstance = new Map<string, StateNode>();
    for (const n of state.nodes) {
      const id = instanceIdOf(n.claim.status?.providerID) ?? instanceIdOf(n.node?.spec?.providerID);
      if (id) byInstance.set(id, n);
    }
    const done: QueueMessage[] = [];
    const act: Target[] = [];
    /** Messages waiting on the claims they name being acted on (a duplicate in the batch waits on the same claim). */
    const waiting = new Map<QueueMessage, string[]>();
    const now = clock.now();
    for (const queued of batch) {
      let message: InterruptionMessage;
      try {
        message = parseMessage(queued.body);
      } catch (err) {
        if (!(err instanceof MalformedMessageError)) throw err;
        metrics.interruptionMalformed.inc();
        logger.warn('malformed interruption message: deleted', { messageId: queued.id, error: err.message, body: queued.body.slice(0, 200) });
        done.push(queued);
        continue;
      }
      metrics.interruptionReceived.inc({ message_type: message.kind });
      if (message.startTimeMs !== undefined) metrics.interruptionQueueSeconds.observe(Math.max(0, now - message.startTimeMs) / 1000);
      const ours = message.instanceIds.map((id) => [id, byInstance.get(id)] as const).filter((e): e is readonly [string, StateNode] => e[1] !== undefined);
      if (message.kind === 'no_op' || ours.length === 0) {
        logger.debug('interruption message for no instance of ours: deleted', { messageId: queued.id, kind: message.kind, instances: message.instanceIds });
        done.push(queued);
        continue;
      }
      for (const [instanceId, node] of ours) {
        const nodeName = node.node?.metadata.name;
        if (nodeName) cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Warning', reason: EVENT_REASON[message.kind], message: `${DESCRIBE[message.kind]} for instance ${instanceId}` });
        if (message.kind === 'spot_interrupted' && node.instanceType && node.zone) {
          unavailable.mark([{ instanceType: node.instanceType, zone: node.zone, capacityType: 'spot' as CapacityType }]);
        }
        if (node.deleting) {
          metrics.interruptionActions.inc({ message_type: message.kind, action: 'already-deleting' });
          continue;
        }
        if (!actsOn(message.kind, options.interruptionActOnRebalance)) {
          metrics.interruptionActions.inc({ message_type: message.kind, action: 'record' });
          decisions.record({
            controller: this.name,
            action: 'record',
            reason: message.kind,
            message: `${DESCRIBE[message.kind]} for ${node.name} (instance ${instanceId}): recorded, no action (rebalance recommendations are acted on only with interruptionActOnRebalance)`,
            nodePool: node.nodePool,
            nodeClaims: [node.name],
            ...(nodeName ? { nodes: [nodeName] } : {}),
            details: { messageId: queued.id, eventId: message.eventId },
          });
          continue;
        }
        if (!act.some((t) => t.node.name === node.name)) act.push({ node, message, queued, instanceId });
        waiting.set(queued, [...(waiting.get(queued) ?? []), node.name]);
      }
      if (!waiting.has(queued)) done.push(queued);
    }
    if (act.length > 0) {
      const acted = await this.cordonReplaceDelete(act, state);
      for (const [queued, claims] of waiting) if (claims.every((c) => acted.has(c))) done.push(queued);
    }
    return done;
  }

  /** Cordons the nodes, pre-spins replacements for their pods, deletes their NodeClaims. Returns the claims acted on. */
  private async cordonReplaceDelete(targets: readonly Target[], state: ClusterState): Promise<Set<string>> {
    const { cluster, clock, decisions, metrics, logger } = this.ctx;
    const nowIso = new Date(clock.now()).toISOString();
    const acted = new Set<string>();
    const cordoned: Target[] = [];
    for (const t of targets) {
      try {
        const nodeName = t.node.node?.metadata.name;
        if (nodeName && !(t.node.node?.spec?.taints ?? []).some((x) => x.key === TAINT_DISRUPTED.key && x.effect === TAINT_DISRUPTED.effect)) {
          await cluster.patchNode(nodeName, { addTaints: [{ ...TAINT_DISRUPTED, timeAdded: nowIso }] });
        }
        await cluster.patchNodeClaim(t.node.name, {
          annotations: { [ANNOTATION_INTERRUPTION]: JSON.stringify({ kind: t.message.kind, messageId: t.queued.id, eventId: t.message.eventId, instanceId: t.instanceId, at: nowIso }) },
        });
        cordoned.push(t);
      } catch (err) {
        logger.warn('could not cordon an interrupted node; its message stays in the queue', { nodeClaim: t.node.name, messageId: t.queued.id, error: (err as Error).message });
      }
    }
    const replacements = await this.preSpin(cordoned, state).catch((err: unknown) => {
      // The replacement is an optimisation: the drain goes on, and provisioning launches for the pods it leaves pending.
      logger.warn('could not pre-spin replacements for interrupted nodes; provisioning will launch for their pods', { error: (err as Error).message });
      return [] as string[];
    });
    for (const t of cordoned) {
      try {
        await cluster.deleteNodeClaim(t.node.name);
      } catch (err) {
        logger.warn('could not delete an interrupted NodeClaim; its message stays in the queue', { nodeClaim: t.node.name, messageId: t.queued.id, error: (err as Error).message });
        continue;
      }
      acted.add(t.node.name);
      metrics.interruptionActions.inc({ message_type: t.message.kind, action: 'cordon-and-drain' });
      const nodeName = t.node.node?.metadata.name;
      if (nodeName) cluster.recordEvent({ involved: { kind: 'Node', name: nodeName }, type: 'Warning', reason: 'TerminatingOnInterruption', message: `Interruption triggered termination for the NodeClaim (${DESCRIBE[t.message.kind]})` });
      decisions.record({
        controller: this.name,
        action: 'delete',
        reason: t.message.kind,
        message: `${DESCRIBE[t.message.kind]} for instance ${t.instanceId}: ${t.node.name}${nodeName ? ` (node ${nodeName})` : ''} cordoned and deleted (drained honouring PDBs), ${t.node.pods.length} pod(s)${replacements.length > 0 ? `; replacement(s) ${replacements.join(', ')} launching` : ''}`,
        nodePool: t.node.nodePool,
        nodeClaims: [t.node.name, ...replacements],
        ...(nodeName ? { nodes: [nodeName] } : {}),
        details: { messageId: t.queued.id, eventId: t.message.eventId, instanceId: t.instanceId, kind: t.message.kind, replacements, ...(t.message.state ? { state: t.message.state } : {}) },
      });
    }
    return acted;
  }

  /**
   * Where the interrupted nodes' pods go: the solver over the other nodes (in flight
   * included) and the pools, within limits with the interrupted nodes' capacity released.
   * Creates a NodeClaim per new node; returns their names.
   */
  private async preSpin(targets: readonly Target[], state: ClusterState): Promise<string[]> {
    const { cluster, intent, decisions, options } = this.ctx;
    const current = intent.current();
    const podsOf = (n: StateNode) => reschedulable(n.node ? cluster.cache.podsOnNode(n.node.metadata.name!) : n.pods);
    const unbind = (p: Pod): Pod => ({ ...p, spec: { ...p.spec, nodeName: undefined } });
    const pods = targets.flatMap((t) => podsOf(t.node)).map(unbind);
    if (!current || pods.length === 0) return [];
    const names = targets.map((t) => t.node.name);
    const removed = new Set(names);
    // As Karpenter's provisioner: the pods of nodes already being deleted are about to need
    // a place too; placing them first fills the replacements already in flight for them,
    // so those are not taken for these pods.
    // Pending pods likewise (evicted ones waiting for their replacement to come up).
    const leaving = [...state.pendingPods, ...state.nodes.filter((n) => n.deleting && !removed.has(n.name)).flatMap(podsOf).map(unbind)];
    const view = await schedulingPools(this.ctx, current);
    const usage = poolUsage(state);
    for (const t of targets) {
      const cap = parseResourceList(t.node.claim.status?.capacity as Record<string, string> | undefined);
      usage[t.node.nodePool] = subtractResources(usage[t.node.nodePool] ?? {}, { ...cap, nodes: 1 });
    }
    const all = [...leaving, ...pods];
    const result = solve({
      pods: all,
      nodes: nodesWithRoom(existingNodes(state, removed, (n) => cluster.cache.podsOnNode(n), cluster.cache), all),
      nodePools: poolsFor(all, view.pools),
      daemonSets: [...cluster.cache.list('DaemonSet')],
      namespaces: namespaceLabels(cluster.cache),
      volumes: volumeObjects(cluster.cache),
      poolUsage: usage,
      options: { maxInstanceTypeOptions: options.maxInstanceTypesPerClaim },
    });
    const idx = indexIntent(current);
    const created: string[] = [];
    const ours = new Set(pods.map((p) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`));
    for (const newNode of result.newNodes) {
      const pool = view.poolManifests.get(newNode.nodePool);
      // A new node only for pods of nodes deleted earlier is provisioning's to launch when they go pending.
      if (!pool || !newNode.pods.some((p) => ours.has(p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`))) continue;
      const claim = await cluster.createNodeClaim(nodeClaimFor({ newNode, pool, intent: idx, replaces: names }));
      created.push(claim.metadata.name!);
      decisions.record({
        controller: this.name,
        action: 'launch',
        reason: 'interruption-replacement',
        message: `${newNode.nodePool}: NodeClaim ${claim.metadata.name} for ${newNode.pods.length} pod(s) of interrupted ${names.join(', ')}, ${newNode.instanceTypeOptions.length} type option(s) from ${newNode.instanceTypeOptions[0]?.name ?? '?'}`,
        nodePool: newNode.nodePool,
        nodeClaims: [claim.metadata.name!],
        details: { replaces: names, pods: newNode.pods.length },
      });
    }
    const unplaced = result.unschedulable.filter((u) => ours.has(u.pod.metadata.uid ?? `${u.pod.metadata.namespace}/${u.pod.metadata.name}`));
    if (unplaced.length > 0) {
      decisions.record({
        controller: this.name,
        action: 'unschedulable',
        reason: 'interruption-replacement',
        message: `${unplaced.length} pod(s) of interrupted ${names.join(', ')} fit on no replacement now (e.g. ${unplaced[0]!.reason}); they go pending when drained`,
        nodeClaims: names,
        nodePool: [...new Set(targets.map((t) => t.node.claim.metadata.labels?.[LABEL_NODEPOOL] ?? t.node.nodePool))].join(','),
      });
    }
    return created;
  }

  private async deleteMessages(messages: readonly QueueMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const { events, metrics, logger } = this.ctx;
    const failed = await events.delete(messages);
    metrics.interruptionDeleted.inc(messages.length - failed.length);
    if (failed.length > 0) logger.warn('some interruption messages could not be deleted; they will be delivered again (handling is idempotent)', { messageIds: failed });
  }
}
