// Disruption: replace drifted nodes, replace expired ones, remove empty ones and
// consolidate under-used ones, in Karpenter's order and within each NodePool's
// disruption budgets. A thin driver: each pass (pass.ts) asks the methods (one file each)
// for a command; a graceful command is re-checked after a stabilisation delay
// (validation.ts) before it acts; orchestration.ts launches replacements before any
// candidate is drained, durably, so a restarted reconciler resumes or rolls back.

import { recordEligibleNodes } from './karpenter-metrics.ts';
import { disruptionBlocked, nodePoolDisruptionBlocked, unconsolidatable } from './karpenter-events.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { clusterState, type ClusterState } from '../../views/cluster-state.ts';
import { indexIntent } from '../../views/drift.ts';
import { schedulingPools } from '../../views/scheduling.ts';
import { CloudDriftChecks } from '../../cache/cloud-drift.ts';
import { ANNOTATION_REPLACES } from '../../../core/contract/index.ts';
import type { Candidate, Rejection } from './candidates.ts';
import { consolidateAfterMs } from './consolidation.ts';
import type { Command } from './method.ts';
import { Orchestrator } from './orchestration.ts';
import { firstCommand, preparePass } from './pass.ts';
import type { SimulationStats } from './scheduling-simulation.ts';
import { revalidate } from './validation.ts';

/** What the controller uses of the reconciler's context (catalog: through schedulingPools). */
export type DisruptionDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'cloud' | 'intent' | 'options' | 'decisions' | 'logger' | 'metrics' | 'unavailable' | 'catalog'>;

/** Failed consolidation attempts are retried after this long even if no capacity was freed. */
const MEMO_TTL_MS = 30 * 60_000;

/** Even with no change observed, evaluate at least this often (budget windows open and close). */
const FORCED_EVALUATION_MS = 5 * 60_000;

/** A NodeClaim launched for pending pods (not a replacement) that is not initialized yet. */
function provisioningInFlight(state: ClusterState): boolean {
  return state.nodes.some((n) => !n.initialized && !n.deleting && !n.claim.metadata.annotations?.[ANNOTATION_REPLACES]);
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
  /** Rejections already logged, by node and reason. */
  private readonly logged = new Set<string>();
  /** Node name by NodeClaim name, as of the last pass (for the Events of rejected candidates). */
  private nodeOfClaim = new Map<string, string | undefined>();
  /** SimulateScheduling runs over the controller's lifetime (read by bench:consolidation). */
  readonly simulations: SimulationStats = { runs: 0, wallMs: 0 };
  private readonly orchestrator: Orchestrator;
  /** AMI, subnet and security-group drift, asked of the cloud provider per claim on a period. */
  private readonly cloudDrift: CloudDriftChecks;

  constructor(private readonly deps: DisruptionDeps) {
    this.orchestrator = new Orchestrator(deps, this.name);
    this.cloudDrift = new CloudDriftChecks(deps.clock, deps.cloud, deps.options.cloudDriftIntervalMs, deps.logger);
  }

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
    const { clock, cluster, intent, options } = this.deps;
    const poll = { requeueAfterMs: options.disruptionPollMs };
    const current = intent.current();
    if (!current) return poll;
    const now = clock.now();
    const idx = indexIntent(current);
    let state = clusterState(cluster);
    if (await this.orchestrator.advance(state)) state = clusterState(cluster);
    this.disruptingNodes = new Set(state.nodes.filter((n) => (n.deleting || n.disruption) && n.node).map((n) => n.node!.metadata.name!));

    if (this.pending) {
      const due = this.pending.decidedAt + options.stabilizationMs;
      if (now < due) return { requeueAfterMs: due - now };
    } else if (!this.dirty && now < this.nextTimeTrigger) {
      return poll;
    }
    this.dirty = false;

    const view = await schedulingPools(this.deps, current);
    const cloudDrift = await this.cloudDrift.refresh(state.nodes, idx.classes);
    const memoKey = `${current.commit}/${this.freedVersion}/${this.deps.unavailable.version}`;
    if (memoKey !== this.memoKey || now - this.memoCreatedAt >= MEMO_TTL_MS) {
      this.memo.clear();
      this.memoKey = memoKey;
      this.memoCreatedAt = now;
    }
    // Consolidation waits while provisioning is launching nodes for pending pods: the
    // cluster is about to change, and the new nodes may take the pods' place.
    const consolidate = now - this.lastConsolidation >= options.consolidationIntervalMs && !provisioningInFlight(state);
    this.nodeOfClaim = new Map(state.nodes.map((n) => [n.name, n.node?.metadata.name]));
    const reject = (r: Rejection) => this.reject(r);
    const pass = preparePass({ now, state, cache: cluster.cache, idx, view, options, reject, consolidate, memo: this.memo, stats: this.simulations, cloudDrift });
    for (const [pool, message] of pass.budgets.errors) this.reject({ name: `nodepool/${pool}`, nodePool: pool, reason: 'invalid-budget', message });
    for (const r of pass.rejections) this.reject(r);
    if (consolidate) this.lastConsolidation = now;
    recordEligibleNodes(this.deps.metrics.karpenter, pass.candidates);

    if (this.pending) {
      const pending = this.pending;
      this.pending = undefined;
      const fresh = revalidate(pending.command, pass.candidates, pass.context);
      if (typeof fresh === 'string') {
        this.deps.decisions.record({
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
      await this.orchestrator.start(fresh, idx, view);
      return { requeueAfterMs: 0 };
    }

    this.nextTimeTrigger = this.timeTrigger(pass.candidates, now);
    const next = firstCommand(pass.candidates, pass.context);
    if (next) {
      const { method, command } = next;
      if (method.class === 'forceful' || options.stabilizationMs <= 0) {
        await this.orchestrator.start(command, idx, view);
        return { requeueAfterMs: 0 };
      }
      this.pending = { command, decidedAt: now };
      this.deps.logger.debug('disruption candidate found; re-checking after stabilisation', {
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

  /** The next instant at which time alone may make a node disruptable (expiry, consolidateAfter, a do-not-disrupt duration). */
  private timeTrigger(candidates: readonly Candidate[], now: number): number {
    // Resolved values (a new AMI behind an alias) change with nothing observed: look at least as often as they are checked.
    let t = now + Math.min(FORCED_EVALUATION_MS, this.deps.options.cloudDriftIntervalMs);
    for (const c of candidates) {
      const expiry = c.createdAtMs + c.expireAfterMs;
      if (expiry > now && expiry < t) t = expiry;
      // A do-not-disrupt duration running out frees the node.
      if (c.blockedUntilMs !== undefined && c.blockedUntilMs > now && c.blockedUntilMs < t) t = c.blockedUntilMs;
      const after = consolidateAfterOrUndefined(c);
      if (after === undefined) continue;
      const at = c.lastPodEventMs + after;
      if (at > now && at < t) t = at;
    }
    return t;
  }

  private reject(r: Rejection): void {
    // Each reason is logged once per node: a candidate that alternates between two reasons
    // (budget, then no cheaper placement, ...) does not flood the log.
    const key = `${r.name}\u0000${r.reason}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    if (this.logged.size > 100_000) this.logged.clear();
    // Karpenter's DisruptionBlocked on the Node and NodeClaim a PodDisruptionBudget keeps, and
    // on the NodePool whose budget allows nothing now; Unconsolidatable where consolidation left a node.
    if (r.reason === 'pdb') disruptionBlocked(this.deps.cluster, r.name, this.nodeOfClaim.get(r.name), r.message);
    if (r.reason === 'budget') nodePoolDisruptionBlocked(this.deps.cluster, r.nodePool);
    if (r.unconsolidatable) unconsolidatable(this.deps.cluster, r.name, this.nodeOfClaim.get(r.name), r.message);
    this.deps.decisions.record({
      controller: this.name,
      action: 'skip',
      reason: r.reason,
      message: `${r.name}: ${r.message}`,
      nodePool: r.nodePool,
      nodeClaims: [r.name],
    });
  }
}

/** consolidateAfter for the time trigger: none when it is Never or malformed (the methods report a malformed one). */
function consolidateAfterOrUndefined(c: Candidate): number | undefined {
  try {
    const ms = consolidateAfterMs(c);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}
