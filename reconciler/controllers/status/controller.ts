// NodePool status and fleet gauges: node count and resources in use per pool, the
// progress of a drift rollout after a policy commit (nodes total, up to date, drifted,
// being replaced) with a condition that turns True when the rollout is done (so an
// Argo CD or Flux health check can gate on it), and whether the latest commit was
// accepted. Writes only what changed.

import type { NodePoolStatus, StatusCondition } from '../../../core/api/karpenter.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import { addResources, parseResourceList, type ResourceList } from '../../../core/resources/resource-list.ts';
import { formatResourceQuantity } from '../../../core/resources/quantity.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import { clusterState } from '../../views/cluster-state.ts';
import { findDrift, indexIntent } from '../../views/drift.ts';
import { PriceBook } from '../../cache/pricing.ts';
import { setCondition } from '../shared/conditions.ts';
import { isStaticPool, staticPoolCount } from '../../views/static-pools.ts';
import { staticReplicasCondition } from '../static/status.ts';
import {
  CONDITION_COMMIT_ACCEPTED,
  CONDITION_NODECLASS_READY,
  CONDITION_READY,
  CONDITION_ROLLED_OUT,
  REASON_COMMIT_ACCEPTED,
  REASON_COMMIT_REJECTED,
  REASON_NODECLASS_NOT_FOUND,
  REASON_NODECLASS_NOT_READY,
  REASON_NODECLASS_READY,
  REASON_READY,
  REASON_ROLLED_OUT,
  REASON_ROLLING_OUT,
} from '../../../core/contract/index.ts';

/** Status is written at most this often while NodeClaims change (as Karpenter's status resync). */
const DEBOUNCE_MS = 30_000;

/** What status may touch: it reads the cached catalog for prices and writes NodePool status and gauges. */
export type StatusDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'intent' | 'catalog' | 'metrics'>;

export class StatusController implements Controller {
  readonly name = 'status';
  private readonly written = new Map<string, string>();
  private lastGaugeKeys = new Set<string>();
  private exportedCommit = '';

  constructor(private readonly ctx: StatusDeps) {}

  onEvent(event: { kind: string }, wake: Wake): void {
    if (event.kind === 'NodeClaim' || event.kind === 'NodePool') wake(DEBOUNCE_MS);
  }

  onIntent(event: IntentEvent, wake: Wake): void {
    if (event.type === 'rejected') this.ctx.metrics.rejectedCommits.inc();
    wake(0);
  }

  /** The commit in force, as a gauge (also for an intent accepted before the reconciler started). */
  private exportIntent(commit: string, acceptedAt: number): void {
    if (commit === this.exportedCommit) return;
    this.exportedCommit = commit;
    this.ctx.metrics.intentInfo.reset();
    this.ctx.metrics.intentInfo.set({ commit }, 1);
    this.ctx.metrics.intentAcceptedAtSeconds.set(acceptedAt / 1000);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, clock, intent, catalog, metrics } = this.ctx;
    const current = intent.current();
    if (!current) return {};
    this.exportIntent(current.commit, current.acceptedAt);
    const idx = indexIntent(current);
    const state = clusterState(cluster);
    const nowIso = new Date(clock.now()).toISOString();
    const rejection = intent.lastRejection();

    const prices = new PriceBook(current.nodeClasses.map((c) => catalog.cached(c.metadata.name ?? '') ?? []));
    const gauges = new Map<string, { nodes: number; cost: number }>();
    // Each EC2NodeClass's discovery (through the catalog, cached as provisioning reads it):
    // a class that does not resolve makes only its own pools NodeClassReady=False.
    const classProblems = new Map<string, string>();
    for (const nc of current.nodeClasses) {
      try {
        await catalog.forNodeClass(nc);
      } catch (e) {
        classProblems.set(nc.metadata.name ?? '', (e as Error).message);
      }
    }

    for (const pool of current.nodePools) {
      const name = pool.metadata.name!;
      const nodes = state.nodes.filter((n) => n.nodePool === name && n.launched);
      let resources: ResourceList = {};
      let upToDate = 0;
      let drifted = 0;
      let replacing = 0;
      for (const n of nodes) {
        resources = addResources(resources, parseResourceList(n.claim.status?.capacity as Record<string, string> | undefined));
        const ct = n.capacityType ?? 'unknown';
        const g = gauges.get(`${name}|${ct}`) ?? { nodes: 0, cost: 0 };
        g.nodes += 1;
        g.cost += prices.nodePrice(n);
        gauges.set(`${name}|${ct}`, g);
        const drift = findDrift(n, idx);
        if (n.disruption?.method === 'drift' || (n.deleting && drift)) replacing += 1;
        else if (drift) drifted += 1;
        else if (!n.deleting) upToDate += 1;
      }

      const live = cluster.cache.get('NodePool', name);
      const generation = live?.metadata.generation;
      let conditions: StatusCondition[] = [...(live?.status?.conditions ?? [])];
      const className = pool.spec.template.spec.nodeClassRef.name;
      const classProblem = !idx.classes.has(className)
        ? { reason: REASON_NODECLASS_NOT_FOUND, message: `EC2NodeClass ${className} is not in commit ${current.commit.slice(0, 12)}` }
        : classProblems.has(className)
          ? { reason: REASON_NODECLASS_NOT_READY, message: classProblems.get(className)! }
          : undefined;
      conditions = classProblem
        ? setCondition(conditions, CONDITION_NODECLASS_READY, 'False', classProblem.reason, classProblem.message, nowIso, generation)
        : setCondition(conditions, CONDITION_NODECLASS_READY, 'True', REASON_NODECLASS_READY, `EC2NodeClass ${className} resolved`, nowIso, generation);
      conditions = classProblem
        ? setCondition(conditions, CONDITION_READY, 'False', classProblem.reason, classProblem.message, nowIso, generation)
        : setCondition(conditions, CONDITION_READY, 'True', REASON_READY, '', nowIso, generation);
      const done = drifted === 0 && replacing === 0;
      conditions = setCondition(
        conditions,
        CONDITION_ROLLED_OUT,
        done ? 'True' : 'False',
        done ? REASON_ROLLED_OUT : REASON_ROLLING_OUT,
        `commit ${current.commit.slice(0, 12)}: ${upToDate}/${nodes.length} nodes up to date, ${drifted} drifted, ${replacing} being replaced`,
        nowIso,
        generation,
      );
      conditions = rejection
        ? setCondition(
            conditions,
            CONDITION_COMMIT_ACCEPTED,
            'False',
            REASON_COMMIT_REJECTED,
            `commit ${rejection.commit.slice(0, 12)} rejected, ${current.commit.slice(0, 12)} stays in force: ${rejection.problems
              .slice(0, 3)
              .map((p) => `${p.file}: ${p.field}: ${p.message}`)
              .join('; ')}`,
            nowIso,
            generation,
          )
        : setCondition(conditions, CONDITION_COMMIT_ACCEPTED, 'True', REASON_COMMIT_ACCEPTED, `commit ${current.commit.slice(0, 12)} in force`, nowIso, generation);
      if (isStaticPool(pool)) {
        const c = staticReplicasCondition(staticPoolCount(state, pool));
        conditions = setCondition(conditions, c.type, c.status, c.reason, c.message, nowIso, generation);
      }
      const status: NodePoolStatus = {
        nodes: nodes.length,
        resources: Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, formatResourceQuantity(k, v)])),
        conditions,
      };
      // Compare without transition times, so an unchanged status is not rewritten.
      const signature = canonicalJson({ ...status, conditions: conditions.map((c) => ({ ...c, lastTransitionTime: undefined })) });
      if (this.written.get(name) === signature) continue;
      if (await cluster.patchNodePoolStatus(name, status)) this.written.set(name, signature);
    }

    const keys = new Set<string>();
    for (const [key, g] of gauges) {
      const [nodepool, capacity_type] = key.split('|') as [string, string];
      metrics.nodes.set({ nodepool, capacity_type }, g.nodes);
      metrics.costPerHour.set({ nodepool, capacity_type }, Math.round(g.cost * 1e6) / 1e6);
      keys.add(key);
    }
    for (const key of this.lastGaugeKeys) {
      if (keys.has(key)) continue;
      const [nodepool, capacity_type] = key.split('|') as [string, string];
      metrics.nodes.set({ nodepool, capacity_type }, 0);
      metrics.costPerHour.set({ nodepool, capacity_type }, 0);
    }
    this.lastGaugeKeys = keys;
    metrics.pendingPods.set(state.pendingPods.length);
    return { requeueAfterMs: 60_000 };
  }
}
