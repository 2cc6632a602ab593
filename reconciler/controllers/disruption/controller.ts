// Disruption: replace drifted nodes, replace expired ones, remove empty ones and
// consolidate under-used ones, in Karpenter's order and within each NodePool's
// disruption budgets. A decision is re-checked after a stabilisation delay before it
// acts; replacements are launched and initialized before any candidate is drained.
//
// In-flight commands are durable: each candidate NodeClaim carries a joinery.dev/
// disruption annotation naming its method and replacements, so a restarted reconciler
// resumes (deletes the candidates once the replacements are up) or rolls back.

import type { NodeClaim } from '../../../core/api/karpenter.ts';
import { durationOr } from '../../../core/disruption/duration.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { clusterState, podKey, type ClusterState } from '../../state/cluster-state.ts';
import { indexIntent, type IntentIndex } from '../../state/drift.ts';
import { schedulingPools, type SchedulingView } from '../../state/scheduling.ts';
import {
  ANNOTATION_DISRUPTION,
  ANNOTATION_REPLACES,
  TAINT_DISRUPTED,
  type DisruptionMark,
} from '../../../core/contract/index.ts';
import { nodeClaimFor } from '../provisioning/nodeclaim.ts';
import { BudgetTracker } from './budgets.ts';
import { buildCandidates, type Candidate, type Rejection } from './candidates.ts';
import {
  consolidationCommand,
  drift,
  emptiness,
  expiration,
  multiNodeConsolidation,
  singleNodeConsolidation,
  type Command,
  type MethodContext,
} from './methods.ts';
import { simulateRemoval } from './simulate.ts';

/** Failed consolidation attempts are retried after this long even if no capacity was freed. */
const MEMO_TTL_MS = 30 * 60_000;

/** A NodeClaim launched for pending pods (not a replacement) that is not initialized yet. */
function provisioningInFlight(state: ClusterState): boolean {
  return state.nodes.some((n) => !n.initialized && !n.deleting && !n.claim.metadata.annotations?.[ANNOTATION_REPLACES]);
}

/** Even with no change observed, evaluate at least this often (budget windows open and close). */
const FORCED_EVALUATION_MS = 5 * 60_000;

const ACTION_REASON: Readonly<Record<Command['method'], string>> = {
  drift: 'drifted',
  expiration: 'expired',
  emptiness: 'empty',
  consolidation: 'underutilized',
};

/** The disruption methods in the order every pass tries them (shared with `joinery explain`). */
export const DISRUPTION_METHODS = [drift, expiration, emptiness, multiNodeConsolidation, singleNodeConsolidation] as const;

/**
 * Nothing pending to provision and no non-replacement node launching. Informational (shown
 * by `joinery explain`): consolidation does not wait for it, because during a long ramp
 * the cluster is never settled; instead its simulations never move pods onto a node that
 * is not initialized yet (Karpenter's rule).
 */
export function clusterSettled(state: ClusterState): boolean {
  if (state.pendingPods.length > 0) return false;
  return !state.nodes.some((n) => !n.initialized && !n.deleting && !n.claim.metadata.annotations?.[ANNOTATION_REPLACES]);
}

interface PendingCommand {
  readonly command: Command;
  readonly decidedAt: number;
}

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private pending: PendingCommand | undefined;
  private dirty = true;
  private nextTimeTrigger = 0;
  private lastConsolidation = -Infinity;
  /** Failed consolidation attempts, valid until capacity is freed somewhere (see onEvent). */
  private readonly memo = new Map<string, string>();
  private memoKey = '';
  private freedVersion = 0;
  private memoCreatedAt = 0;
  /** Nodes deleting or marked for disruption at the last pass. */
  private disruptingNodes = new Set<string>();
  /** The latest reason each node was not disrupted (for logs once per change, and `explain`). */
  readonly rejections = new Map<string, Rejection>();
  private readonly logged = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: WatchEvent): void {
    if (event.kind === 'Pod' && event.type === 'MODIFIED' && !event.object.spec.nodeName) return;
    if (event.kind === 'DaemonSet') return;
    this.dirty = true;
    // Capacity freed by a pod going away can make a failed consolidation succeed. (A new
    // node's room is usually taken by the pods it was launched for; failed attempts are
    // also retried after MEMO_TTL_MS, which covers the rest.)
    // Pods leaving a node that is itself going away free nothing usable.
    if (event.kind === 'Pod' && event.type === 'DELETED' && event.object.spec.nodeName && !this.disruptingNodes.has(event.object.spec.nodeName)) {
      this.freedVersion += 1;
    }
  }

  onIntent(event: IntentEvent, wake: Wake): void {
    if (event.type === 'accepted') {
      this.dirty = true;
      wake(0);
    }
  }

  async reconcile(): Promise<ReconcileResult> {
    const { clock, cluster, intent, options } = this.ctx;
    const poll = { requeueAfterMs: options.disruptionPollMs };
    const current = intent.current();
    if (!current) return poll;
    const now = clock.now();
    const idx = indexIntent(current);
    let state = clusterState(cluster);
    if (await this.advanceInFlight(state)) state = clusterState(cluster);
    this.disruptingNodes = new Set(state.nodes.filter((n) => (n.deleting || n.disruption) && n.node).map((n) => n.node!.metadata.name!));

    if (this.pending) {
      const due = this.pending.decidedAt + options.stabilizationMs;
      if (now < due) return { requeueAfterMs: due - now };
    } else if (!this.dirty && now < this.nextTimeTrigger) {
      return poll;
    }
    this.dirty = false;

    const view = await schedulingPools(this.ctx, current);
    const memoKey = `${current.commit}/${this.freedVersion}/${this.ctx.unavailable.version}`;
    if (memoKey !== this.memoKey || now - this.memoCreatedAt >= MEMO_TTL_MS) {
      this.memo.clear();
      this.memoKey = memoKey;
      this.memoCreatedAt = now;
    }
    // Consolidation waits while provisioning is launching nodes for pending pods: the
    // cluster is about to change, and the new nodes may take the pods' place.
    const consolidate = now - this.lastConsolidation >= options.consolidationIntervalMs && !provisioningInFlight(state);
    const { candidates, rejections } = buildCandidates(state, cluster.cache, idx, view.prices);
    const budgets = new BudgetTracker(state, idx.pools, now);
    for (const [pool, message] of budgets.errors) this.reject({ name: `nodepool/${pool}`, nodePool: pool, reason: 'invalid-budget', message });
    for (const r of rejections) this.reject(r);
    const m: MethodContext = {
      now,
      sim: { state, cache: cluster.cache, view, maxInstanceTypeOptions: options.maxInstanceTypesPerClaim },
      budgets,
      spotToSpot: options.spotToSpotConsolidation,
      spotToSpotMinTypes: options.spotToSpotMinTypes,
      multiNodeMax: options.multiNodeConsolidationMaxCandidates,
      settled: clusterSettled(state),
      consolidate,
      memo: this.memo,
      reject: (r) => this.reject(r),
    };
    if (consolidate) this.lastConsolidation = now;

    if (this.pending) {
      const pending = this.pending;
      this.pending = undefined;
      const fresh = this.revalidate(pending.command, candidates, m);
      if (typeof fresh === 'string') {
        this.ctx.decisions.record({
          controller: this.name,
          action: 'skip',
          reason: 'changed-during-stabilization',
          message: `${pending.command.method} of ${pending.command.candidates.map((c) => c.name).join(', ')} abandoned after the ${options.stabilizationMs / 1000}s re-check: ${fresh}`,
          nodePool: pending.command.candidates[0]?.state.nodePool,
          nodeClaims: pending.command.candidates.map((c) => c.name),
        });
        this.dirty = true;
        return { requeueAfterMs: 0 };
      }
      await this.execute(fresh, idx, view);
      return { requeueAfterMs: 0 };
    }

    this.nextTimeTrigger = this.timeTrigger(candidates, now);
    for (const method of DISRUPTION_METHODS) {
      const command = method(candidates, m);
      if (!command) continue;
      if (command.method === 'expiration' || options.stabilizationMs <= 0) {
        await this.execute(command, idx, view);
        return { requeueAfterMs: 0 };
      }
      this.pending = { command, decidedAt: now };
      this.ctx.logger.debug('disruption candidate found; re-checking after stabilisation', {
        method: command.method,
        nodeClaims: command.candidates.map((c) => c.name),
        stabilizationMs: options.stabilizationMs,
      });
      return { requeueAfterMs: options.stabilizationMs };
    }
    if (!consolidate) {
      // Come back when consolidation may run again (or at the next poll while provisioning is in flight).
      this.dirty = true;
      const due = this.lastConsolidation + options.consolidationIntervalMs - now;
      return { requeueAfterMs: due > 0 ? Math.min(options.disruptionPollMs, due) : options.disruptionPollMs };
    }
    return poll;
  }

  /** The next instant at which time alone may make a node disruptable (expiry, consolidateAfter). */
  private timeTrigger(candidates: readonly Candidate[], now: number): number {
    let t = now + FORCED_EVALUATION_MS;
    for (const c of candidates) {
      const expiry = c.createdAtMs + c.expireAfterMs;
      if (expiry > now && expiry < t) t = expiry;
      const after = consolidateAfterMs(c);
      if (after === undefined) continue;
      const at = c.lastPodEventMs + after;
      if (at > now && at < t) t = at;
    }
    return t;
  }

  private revalidate(cmd: Command, candidates: readonly Candidate[], m: MethodContext): Command | string {
    const byName = new Map(candidates.map((c) => [c.name, c]));
    const fresh: Candidate[] = [];
    for (const c of cmd.candidates) {
      const f = byName.get(c.name);
      if (!f) return `node ${c.name} is no longer a candidate (deleted, disrupted or not initialized)`;
      if (f.blocked && cmd.method !== 'expiration') return f.blocked;
      fresh.push(f);
    }
    if (cmd.reason !== 'Expired') {
      const perPool = new Map<string, number>();
      for (const c of fresh) perPool.set(c.state.nodePool, (perPool.get(c.state.nodePool) ?? 0) + 1);
      for (const [pool, n] of perPool) {
        if (m.budgets.allowed(pool, cmd.reason) < n) return `the ${cmd.reason} budget of NodePool ${pool} no longer allows it: ${m.budgets.describe(pool, cmd.reason)}`;
      }
    }
    switch (cmd.method) {
      case 'drift': {
        if (fresh.some((c) => !c.drift)) return 'a node is no longer drifted';
        if (fresh.every((c) => c.reschedulable.length === 0)) {
          if (fresh.some((c) => c.reschedulable.length > 0)) return 'a node that was empty now runs pods';
          return { ...cmd, candidates: fresh };
        }
        const sim = simulateRemoval(m.sim, fresh);
        if (sim.unschedulable.length > 0) return `${sim.unschedulable.length} pod(s) would now fit nowhere`;
        return { ...cmd, candidates: fresh, replacements: sim.newNodes };
      }
      case 'emptiness':
        if (fresh.some((c) => c.reschedulable.length > 0)) return `a node now runs pods (${podKey(fresh.find((c) => c.reschedulable.length > 0)!.reschedulable[0]!)})`;
        return { ...cmd, candidates: fresh };
      case 'consolidation': {
        const a = consolidationCommand(fresh, m);
        if (!a.ok) return a.message;
        if (a.command.replacements.length !== cmd.replacements.length) return 'the placement of the pods changed';
        if (a.command.savings + 1e-9 < Math.min(cmd.savings, cmd.savings * 0.99)) return 'the savings shrank';
        return a.command;
      }
      case 'expiration':
        return { ...cmd, candidates: fresh };
    }
  }

  private async execute(cmd: Command, idx: IntentIndex, view: SchedulingView): Promise<void> {
    const { cluster, clock, decisions, metrics } = this.ctx;
    const nowIso = new Date(clock.now()).toISOString();
    const names = cmd.candidates.map((c) => c.name);
    const replacementNames: string[] = [];
    for (const newNode of cmd.replacements) {
      const pool = view.poolManifests.get(newNode.nodePool);
      if (!pool) continue;
      const claim = await cluster.createNodeClaim(nodeClaimFor({ newNode, pool, intent: idx, replaces: names }));
      replacementNames.push(claim.metadata.name!);
    }
    const mark: DisruptionMark = { method: cmd.method, reason: cmd.reason, replacements: replacementNames, decidedAt: nowIso, group: names };
    for (const c of cmd.candidates) {
      await cluster.patchNodeClaim(c.name, { annotations: { [ANNOTATION_DISRUPTION]: JSON.stringify(mark) } });
      const nodeName = c.state.node?.metadata.name;
      if (nodeName) await cluster.patchNode(nodeName, { addTaints: [{ ...TAINT_DISRUPTED, timeAdded: nowIso }] });
      this.rejections.delete(c.name);
    }
    const action = replacementNames.length > 0 ? 'replace' : 'delete';
    metrics.disruptionDecisions.inc({ method: cmd.method, action }, 1);
    const pools = [...new Set(cmd.candidates.map((c) => c.state.nodePool))];
    const pods = cmd.candidates.reduce((s, c) => s + c.reschedulable.length, 0);
    decisions.record({
      controller: this.name,
      action,
      reason: ACTION_REASON[cmd.method],
      message: `${cmd.method}: ${action} ${names.join(', ')}${replacementNames.length > 0 ? ` with ${replacementNames.join(', ')}` : ''} (${pods} pod(s) to move, ${cmd.savings >= 0 ? 'saves' : 'costs'} $${Math.abs(cmd.savings).toFixed(4)}/h): ${cmd.explanation}`,
      nodePool: pools.join(','),
      nodeClaims: [...names, ...replacementNames],
      details: {
        method: cmd.method,
        savingsPerHour: Math.round(cmd.savings * 1e6) / 1e6,
        pods,
        candidates: names.length,
        replacements: replacementNames.length,
        replacementTypes: cmd.replacements.map((r) => r.instanceTypeOptions[0]?.name),
      },
    });
    if (replacementNames.length === 0) {
      for (const c of cmd.candidates) await cluster.deleteNodeClaim(c.name);
    }
  }

  /** Advances commands already decided: delete candidates whose replacements are up, or roll back. Returns whether anything changed. */
  private async advanceInFlight(state: ClusterState): Promise<boolean> {
    const { cluster, decisions, logger } = this.ctx;
    let changed = false;
    const groups = new Map<string, { mark: DisruptionMark; members: NodeClaim[] }>();
    for (const n of state.nodes) {
      if (!n.disruption || n.deleting) continue;
      const key = n.disruption.group.join(',') + '|' + n.disruption.decidedAt;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { mark: n.disruption, members: [] }));
      g.members.push(n.claim);
    }
    for (const { mark, members } of groups.values()) {
      const replacements = mark.replacements.map((r) => state.byClaim.get(r));
      const missing = mark.replacements.filter((_, i) => !replacements[i] || replacements[i]!.deleting);
      if (missing.length === 0 && replacements.every((r) => r!.initialized)) {
        for (const c of members) await cluster.deleteNodeClaim(c.metadata.name!);
        logger.info('replacements initialized; draining the disrupted nodes', { method: mark.method, nodeClaims: members.map((c) => c.metadata.name), replacements: mark.replacements });
        changed = true;
        continue;
      }
      if (missing.length === 0) continue; // still launching
      if (mark.method === 'expiration') {
        // Forceful: expiry does not wait for a replacement that failed; pods go pending and are provisioned for.
        for (const c of members) await cluster.deleteNodeClaim(c.metadata.name!);
        changed = true;
        continue;
      }
      for (const c of members) {
        await cluster.patchNodeClaim(c.metadata.name!, { annotations: { [ANNOTATION_DISRUPTION]: null } });
        const node = state.byClaim.get(c.metadata.name!)?.node;
        if (node) await cluster.patchNode(node.metadata.name!, { removeTaints: [TAINT_DISRUPTED] });
      }
      for (const r of replacements) {
        if (r && !r.deleting && !r.initialized) await cluster.deleteNodeClaim(r.name);
      }
      decisions.record({
        controller: this.name,
        action: 'rollback',
        reason: 'replacement-failed',
        message: `${mark.method} of ${members.map((c) => c.metadata.name).join(', ')} rolled back: replacement ${missing.join(', ')} failed to launch or register`,
        nodeClaims: members.map((c) => c.metadata.name!),
      });
      changed = true;
    }
    // A disrupted taint without a decision behind it (a restart between marking and tainting
    // is impossible, but one between untainting and unmarking is not): remove it.
    for (const n of state.nodes) {
      if (n.deleting || n.disruption || !n.node) continue;
      if ((n.node.spec?.taints ?? []).some((t) => t.key === TAINT_DISRUPTED.key)) {
        await cluster.patchNode(n.node.metadata.name!, { removeTaints: [TAINT_DISRUPTED] });
        changed = true;
      }
    }
    return changed;
  }

  private reject(r: Rejection): void {
    this.rejections.set(r.name, r);
    // Each reason is logged once per node: a candidate that alternates between two reasons
    // (budget, then no cheaper placement, ...) does not flood the log.
    const key = `${r.name}\u0000${r.reason}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    if (this.logged.size > 100_000) this.logged.clear();
    this.ctx.decisions.record({
      controller: this.name,
      action: 'skip',
      reason: r.reason,
      message: `${r.name}: ${r.message}`,
      nodePool: r.nodePool,
      nodeClaims: [r.name],
    });
  }
}

function consolidateAfterMs(c: Candidate): number | undefined {
  try {
    const ms = durationOr(c.pool.spec.disruption?.consolidateAfter, 0);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}
