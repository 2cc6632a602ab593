// What the simulation measured: the fleet (nodes and $/h by pool and capacity type) and
// the LP lower bound of the workload over time (plain, and pool-aware), how long pods waited, the exact cost of
// every instance, and the most nodes a drift rollout disrupted at once against its budget.

import { isWindowActive, parseCron } from '../../core/disruption/cron.ts';
import { parseDuration } from '../../core/disruption/duration.ts';
import type { NodeClaim, NodePool } from '../../core/api/karpenter.ts';
import {
  costLowerBound,
  nodePoolFromManifest,
  parseResourceList,
  podRequests,
  subtractResources,
  addResources,
  type BoundInstanceType,
  type Pod,
  type ResourceList,
  type SchedulingNodePool,
} from '../../core/index.ts';
import { poolAwareBound } from '../../core/scheduling/pool-bound.ts';
import type { InMemoryWorld } from '../adapters/in-memory/world.ts';
import type { Intent } from '../ports/intent.ts';
import { isDaemonSetPod, isTerminal } from '../views/cluster-state.ts';
import {
  ANNOTATION_DISRUPTION,
  CONDITION_INITIALIZED,
  CONDITION_INSTANCE_TERMINATING,
  LABEL_NODEPOOL,
  TAG_NODEPOOL,
  parseDisruptionMark,
} from '../../core/contract/index.ts';

export interface FleetSample {
  readonly t: number;
  /** "pool|capacityType" -> nodes */
  readonly nodes: Readonly<Record<string, number>>;
  /** "pool|capacityType" -> USD per hour */
  readonly cost: Readonly<Record<string, number>>;
  readonly totalNodes: number;
  readonly totalCost: number;
  readonly pods: number;
  readonly pending: number;
  /** LP lower bound of the $/h of any fleet that could run these pods under the policies. */
  readonly lowerBound: number;
  /** The same with each pod restricted to the pools it tolerates and selects (core's pool-aware bound): at least lowerBound. */
  readonly poolAwareBound: number;
}

export interface RolloutWatch {
  readonly nodePool: string;
  readonly maxConcurrent: number;
  readonly capAtMax: number;
  readonly violations: number;
  readonly replaced: number;
}

const LB_RESOURCES = ['cpu', 'memory', 'nvidia.com/gpu'];

export class ScenarioRecorder {
  readonly samples: FleetSample[] = [];
  private readonly pendingSince = new Map<string, number>();
  private pendingMs = 0;
  readonly timeToBindMs: number[] = [];
  private readonly rollouts = new Map<string, { max: number; cap: number; violations: number; last: number; replaced: Set<string> }>();
  private boundTypes: { commit: string; types: BoundInstanceType[] } | undefined;
  private schedulingPools: { commit: string; pools: SchedulingNodePool[] } | undefined;
  private intent: Intent | undefined;
  private readonly unsub: (() => void)[] = [];

  constructor(private readonly world: InMemoryWorld) {
    this.unsub.push(
      world.api.watch((e) => {
        const now = world.clock.now();
        if (e.kind === 'Pod') {
          const p = e.object;
          const uid = p.metadata.uid!;
          if (isDaemonSetPod(p)) return;
          const since = this.pendingSince.get(uid);
          if (e.type === 'ADDED' && !p.spec.nodeName) this.pendingSince.set(uid, now);
          else if (since !== undefined && (e.type === 'DELETED' || p.spec.nodeName || isTerminal(p))) {
            this.pendingSince.delete(uid);
            this.pendingMs += now - since;
            if (p.spec.nodeName) this.timeToBindMs.push(now - since);
          }
        } else if (e.kind === 'NodeClaim') {
          this.watchRollout();
        }
      }),
      world.intent.subscribe((ev) => {
        if (ev.type === 'accepted') this.intent = ev.intent;
      }),
    );
    this.intent = world.intent.current();
  }

  stop(): void {
    for (const u of this.unsub.splice(0)) u();
  }

  /** Pod-hours spent pending up to `nowMs` (pods still pending count up to now). */
  podHoursPending(nowMs: number): number {
    let ms = this.pendingMs;
    for (const since of this.pendingSince.values()) ms += nowMs - since;
    return ms / 3_600_000;
  }

  stillPending(): number {
    return this.pendingSince.size;
  }

  rolloutWatches(): RolloutWatch[] {
    return [...this.rollouts].map(([nodePool, r]) => ({ nodePool, maxConcurrent: r.max, capAtMax: r.cap, violations: r.violations, replaced: r.replaced.size }));
  }

  /**
   * Drift rollouts per pool, checked at every NodeClaim change against the pool's Drifted
   * budget as the pool stands at that instant (see poolDisruption: counted from the objects,
   * not taken from the reconciler).
   */
  private watchRollout(): void {
    const intent = this.intent;
    if (!intent) return;
    const claims = this.world.api.cache.list('NodeClaim');
    const drifting = new Map<string, string[]>();
    for (const c of claims) {
      if (parseDisruptionMark(c.metadata.annotations?.[ANNOTATION_DISRUPTION])?.method !== 'drift') continue;
      const pool = c.metadata.labels?.[LABEL_NODEPOOL] ?? '';
      let l = drifting.get(pool);
      if (!l) drifting.set(pool, (l = []));
      l.push(c.metadata.name!);
    }
    // Pools rolling out now, and those that did (their count moves on between rollouts).
    for (const pool of new Set([...drifting.keys(), ...this.rollouts.keys()])) {
      const spec = intent.nodePools.find((p) => p.metadata.name === pool);
      if (!spec) continue;
      const { disrupting, cap } = poolDisruption(spec, claims, 'Drifted', this.world.clock.now());
      let r = this.rollouts.get(pool);
      if (!r) this.rollouts.set(pool, (r = { max: 0, cap, violations: 0, last: 0, replaced: new Set() }));
      const names = drifting.get(pool);
      if (!names) {
        r.last = disrupting; // no rollout now: other disruptions are not held to the Drifted budget here
        continue;
      }
      for (const n of names) r.replaced.add(n);
      if (disrupting > r.max) {
        r.max = disrupting;
        r.cap = cap;
      }
      // Over budget: a node started disrupting while more were disrupting than the budget
      // allows. (A pool that shrinks under nodes already disrupting, because their
      // replacements are fewer and larger, makes no new disruption.)
      if (disrupting > cap && disrupting > r.last) r.violations += 1;
      r.last = disrupting;
    }
  }

  /** Instance types any pool of the intent may launch, at their cheapest allowed offering, net of DaemonSet overhead. */
  private boundTypesFor(intent: Intent): BoundInstanceType[] {
    if (this.boundTypes?.commit === intent.commit) return this.boundTypes.types;
    const catalog = this.world.ec2.catalog();
    let overhead: ResourceList = {};
    for (const ds of this.world.api.cache.list('DaemonSet')) {
      for (const c of ds.spec.template.spec.containers) overhead = addResources(overhead, parseResourceList(c.resources?.requests));
    }
    const best = new Map<string, BoundInstanceType>();
    for (const manifest of intent.nodePools) {
      const pool = nodePoolFromManifest(manifest, catalog);
      for (const t of pool.instanceTypes) {
        const price = Math.min(...t.offerings.map((o) => o.price));
        if (!Number.isFinite(price)) continue;
        const prev = best.get(t.name);
        if (!prev || price < prev.price) best.set(t.name, { name: t.name, price, capacity: subtractResources(t.allocatable, overhead) });
      }
    }
    const types = [...best.values()].filter((t) => (t.capacity.cpu ?? 0) > 0 && (t.capacity.memory ?? 0) > 0);
    this.boundTypes = { commit: intent.commit, types };
    return types;
  }

  /** The LP lower bound of the $/h needed by these pods' requests. */
  lowerBound(pods: readonly { requests: ResourceList }[]): number {
    const intent = this.intent;
    if (!intent || pods.length === 0) return 0;
    let demand: ResourceList = {};
    for (const p of pods) demand = addResources(demand, p.requests);
    const b = costLowerBound(demand, this.boundTypesFor(intent), LB_RESOURCES.filter((r) => (demand[r] ?? 0) > 0));
    return Number.isFinite(b.cost) ? b.cost : 0;
  }

  /** The pool-aware bound of these pods' $/h under the pools in force (0 when none can run them all). */
  poolAwareBound(pods: readonly Pod[]): number {
    const intent = this.intent;
    if (!intent || pods.length === 0) return 0;
    if (this.schedulingPools?.commit !== intent.commit) {
      const catalog = this.world.ec2.catalog();
      this.schedulingPools = { commit: intent.commit, pools: intent.nodePools.map((m) => nodePoolFromManifest(m, catalog)) };
    }
    const b = poolAwareBound(pods, this.schedulingPools.pools, this.world.api.cache.list('DaemonSet'));
    return Number.isFinite(b.cost) ? b.cost : 0;
  }

  sample(): FleetSample {
    const now = this.world.clock.now();
    const nodes: Record<string, number> = {};
    const cost: Record<string, number> = {};
    let totalNodes = 0;
    let totalCost = 0;
    for (const r of this.world.ec2.allInstances()) {
      if (r.instance.state === 'terminated') continue;
      const key = `${r.instance.tags[TAG_NODEPOOL] ?? '(none)'}|${r.instance.capacityType}`;
      nodes[key] = (nodes[key] ?? 0) + 1;
      cost[key] = (cost[key] ?? 0) + r.instance.pricePerHour;
      totalNodes += 1;
      totalCost += r.instance.pricePerHour;
    }
    const workload: { requests: ResourceList }[] = [];
    const pods: Pod[] = [];
    let pending = 0;
    for (const p of this.world.api.cache.list('Pod')) {
      if (isTerminal(p) || isDaemonSetPod(p) || p.metadata.deletionTimestamp) continue;
      if (!p.spec.nodeName) pending += 1;
      workload.push({ requests: podRequests(p) });
      pods.push(p);
    }
    const lowerBound = this.lowerBound(workload);
    const s: FleetSample = { t: now, nodes, cost, totalNodes, totalCost, pods: workload.length, pending, lowerBound, poolAwareBound: Math.max(lowerBound, this.poolAwareBound(pods)) };
    this.samples.push(s);
    return s;
  }

  /** Exact cost of every instance from launch to termination (or `endMs`), USD. */
  totalCost(endMs: number): { total: number; byPool: Record<string, number> } {
    let total = 0;
    const byPool: Record<string, number> = {};
    for (const r of this.world.ec2.allInstances()) {
      const end = Math.min(r.terminatedAt ?? endMs, endMs);
      const start = Math.max(r.instance.launchTime, this.samples[0]?.t ?? r.instance.launchTime);
      if (end <= start) continue;
      const c = (r.instance.pricePerHour * (end - start)) / 3_600_000;
      total += c;
      const pool = r.instance.tags[TAG_NODEPOOL] ?? '(none)';
      byPool[pool] = (byPool[pool] ?? 0) + c;
    }
    return { total, byPool };
  }
}

function claimCondition(c: NodeClaim, type: string): boolean {
  return c.status?.conditions?.some((x) => x.type === type && x.status === 'True') ?? false;
}

/**
 * How many of a pool's nodes are being disrupted right now, and how many its budgets for
 * `reason` allow at once, counted from the NodeClaims alone (deliberately not with the
 * reconciler's BudgetTracker, so that the check is independent of the code it checks):
 *
 * - the pool's size: its initialized NodeClaims that are not being deleted (a replacement
 *   still booting does not count, nor a node already going away);
 * - disrupting: its initialized NodeClaims marked for disruption or being deleted, until
 *   their instance is terminating (then nothing of theirs is left to disrupt);
 * - the cap: the smallest of the active budgets that apply to `reason` (a percentage of the
 *   size rounded up, or a count); without any, the whole pool.
 */
export function poolDisruption(pool: NodePool, claims: readonly NodeClaim[], reason: string, nowMs: number): { size: number; disrupting: number; cap: number } {
  let size = 0;
  let disrupting = 0;
  for (const c of claims) {
    if (c.metadata.labels?.[LABEL_NODEPOOL] !== pool.metadata.name) continue;
    if (!claimCondition(c, CONDITION_INITIALIZED) || claimCondition(c, CONDITION_INSTANCE_TERMINATING)) continue;
    const deleting = c.metadata.deletionTimestamp !== undefined;
    if (!deleting) size += 1;
    if (deleting || c.metadata.annotations?.[ANNOTATION_DISRUPTION] !== undefined) disrupting += 1;
  }
  const budgets = pool.spec.disruption?.budgets;
  let cap = Number.POSITIVE_INFINITY;
  for (const b of budgets && budgets.length > 0 ? budgets : [{ nodes: '10%' }]) {
    if (b.reasons && b.reasons.length > 0 && !(b.reasons as readonly string[]).includes(reason)) continue;
    if (b.schedule !== undefined && b.duration !== undefined && !isWindowActive(parseCron(b.schedule), parseDuration(b.duration), nowMs)) continue;
    const nodes = String(b.nodes ?? '10%').trim();
    const n = nodes.endsWith('%') ? Math.ceil((Number(nodes.slice(0, -1)) * size) / 100) : Number(nodes);
    cap = Math.min(cap, n);
  }
  return { size, disrupting, cap: Number.isFinite(cap) ? cap : size };
}
