// Why is this node disruptable right now, or why not? Answered with the disruption
// controller's own pieces, never a copy of them: its pass (pass.ts: candidates with
// do-not-disrupt and PDBs, budgets, the method context, the methods in their order), its
// consolidation policy and timing, and its scheduling simulation through core's solver.
// The same pass the controller would take is run without acting, then each method is
// asked about this node alone, and every rejection it gives is reported.

import type { Pod, PodDisruptionBudget } from '../../core/api/k8s.ts';
import { DISRUPTION_REASONS, type DisruptionReason } from '../../core/contract/disruption.ts';
import { durationOr, formatDuration } from '../../core/disruption/duration.ts';
import { blockingPdb, reschedulablePods, type Candidate, type Rejection } from '../controllers/disruption/candidates.ts';
import { consolidatableNow, consolidateAfterMs, consolidatesUnderutilized, consolidationCommand, consolidationPolicy } from '../controllers/disruption/consolidation.ts';
import { describeScore, type BalancedScore } from '../../core/disruption/balanced.ts';
import type { Command, MethodContext } from '../controllers/disruption/method.ts';
import { firstCommand, preparePass } from '../controllers/disruption/pass.ts';
import type { ControllerContext } from '../runtime/context.ts';
import { buildClusterState, describeDoNotDisrupt, doNotDisruptUntil, hasDoNotDisrupt, parseDoNotDisrupt, isDaemonSetPod, isTerminal, podKey, timestampMs, toleratesTaintKey, type ClusterState, type StateNode } from '../views/cluster-state.ts';
import { indexIntent } from '../views/drift.ts';
import { CloudDriftChecks } from '../cache/cloud-drift.ts';
import { schedulingPools } from '../views/scheduling.ts';
import { ANNOTATION_DO_NOT_DISRUPT, ANNOTATION_REPLACES, TAINT_DISRUPTED } from '../../core/contract/index.ts';
import { healthCause, terminationCause } from './incidents.ts';

/** The answer in one word. */
export type Verdict =
  /** The next disruption pass takes it (after the stabilisation re-check, except expiration). */
  | 'disruptable'
  /** A method would take it on its own, but the next pass acts on other nodes first. */
  | 'waiting'
  /** Nothing may disrupt it now; `reasons` says why. */
  | 'not-disruptable'
  /** Already chosen: a replacement is launching, or the decision waits to be carried out. */
  | 'disrupting'
  /** Its NodeClaim is being deleted: draining or terminating. */
  | 'terminating'
  /** Launching, registering or initializing: not a candidate yet. */
  | 'not-ready'
  /** No NodeClaim: joinery does not manage (or disrupt) this node. */
  | 'not-managed';

type CheckName =
  | 'do-not-disrupt'
  | 'pdb'
  | 'budget'
  | 'drift'
  | 'expiration'
  | 'emptiness'
  | 'consolidation'
  | 'balanced'
  | 'placement'
  | 'cluster'
  | 'drain'
  | 'replacement'
  | 'interruption'
  | 'repair'
  | 'health';

interface Check {
  readonly check: CheckName;
  /** 'blocks': this alone keeps the node from being disrupted (or drained). */
  readonly status: 'ok' | 'blocks' | 'info';
  readonly message: string;
}

interface NodeFacts {
  readonly nodeClaim: string;
  readonly nodePool: string;
  readonly instanceType: string | undefined;
  readonly capacityType: string | undefined;
  readonly zone: string | undefined;
  /** USD per hour; undefined when its offering is not in the catalog. */
  readonly pricePerHour: number | undefined;
  readonly ageMs: number;
  /** Pods that would have to move (not DaemonSet pods, not finished). */
  readonly pods: number;
}

interface PlannedCommand {
  readonly method: Command['method'];
  readonly reason: Command['reason'];
  readonly nodeClaims: readonly string[];
  readonly replacements: number;
  readonly savingsPerHour: number;
  readonly explanation: string;
}

export interface NodeExplanation {
  /** The name asked about (a Node or a NodeClaim). */
  readonly name: string;
  readonly node: string | undefined;
  readonly facts: NodeFacts | undefined;
  /** The intent the answer is relative to. */
  readonly commit: string | undefined;
  readonly verdict: Verdict;
  /** One sentence. */
  readonly summary: string;
  /** What keeps it from being disrupted (or drained): the 'blocks' checks and the methods' rejections. */
  readonly reasons: readonly string[];
  readonly checks: readonly Check[];
  /** What the next disruption pass would do, if anything. */
  readonly nextCommand: PlannedCommand | undefined;
  readonly evaluatedAt: number;
}

export class NodeNotFoundError extends Error {
  constructor(readonly nodeName: string) {
    super(`no Node or NodeClaim named "${nodeName}" in the cluster; list them with: kubectl get nodes,nodeclaims`);
    this.name = 'NodeNotFoundError';
  }
}

export class NoIntentError extends Error {
  constructor(detail: string) {
    super(`no intent to explain against: ${detail}`);
    this.name = 'NoIntentError';
  }
}

function money(usd: number): string {
  return `$${usd.toFixed(4)}/h`;
}

function planned(c: Command): PlannedCommand {
  return {
    method: c.method,
    reason: c.reason,
    nodeClaims: c.candidates.map((x) => x.name),
    replacements: c.replacements.length,
    savingsPerHour: Math.round(c.savings * 1e6) / 1e6,
    explanation: c.explanation,
  };
}

function describeCommand(c: PlannedCommand): string {
  const what = c.replacements > 0 ? `replace ${c.nodeClaims.join(', ')} (${c.replacements} replacement(s) first)` : `delete ${c.nodeClaims.join(', ')}`;
  return `${c.method}: ${what}; ${c.explanation}`;
}

function facts(n: StateNode, price: number | undefined, now: number): NodeFacts {
  return {
    nodeClaim: n.name,
    nodePool: n.nodePool,
    instanceType: n.instanceType,
    capacityType: n.capacityType,
    zone: n.zone,
    pricePerHour: price,
    ageMs: Math.max(0, now - n.createdAtMs),
    pods: reschedulablePods(n.pods).length,
  };
}

/**
 * Explains one node against the intent in force and the cluster as the context's caches
 * hold it. `name` is a Node name or a NodeClaim name. Reads only; decides nothing.
 */
export async function explainNode(ctx: ControllerContext, name: string): Promise<NodeExplanation> {
  const now = ctx.clock.now();
  const state = buildClusterState(ctx.cluster.cache);
  const sn = state.byNodeName.get(name) ?? state.byClaim.get(name);
  const base = { name, evaluatedAt: now, nextCommand: undefined };
  if (!sn) {
    const node = ctx.cluster.cache.get('Node', name);
    if (!node) throw new NodeNotFoundError(name);
    return {
      ...base,
      node: name,
      facts: undefined,
      commit: ctx.intent.current()?.commit,
      verdict: 'not-managed',
      summary: `node ${name} has no NodeClaim: joinery did not launch it and never disrupts it`,
      reasons: ['no NodeClaim owns this node (a managed node group, a Fargate node, or one launched by hand)'],
      checks: [],
    };
  }
  const nodeName = sn.node?.metadata.name;
  const current = ctx.intent.current();
  const view = current ? await schedulingPools(ctx, current) : undefined;
  const f = facts(sn, view?.prices.price(sn.instanceType, sn.zone, sn.capacityType), now);
  const head = { ...base, node: nodeName, facts: f, commit: current?.commit };

  if (sn.deleting) return { ...head, ...explainTermination(ctx, sn, now) };
  // A failing node condition: when node auto-repair replaces it, or why not.
  const pool = current?.nodePools.find((p) => p.metadata.name === sn.nodePool);
  const health = healthCause(sn.node, pool, ctx.options.nodeRepair, ctx.options.repairPolicies, now);
  const answer = await explainActive(ctx, sn, state, head, view, now);
  if (!health) return answer;
  return { ...answer, summary: `${health.short}. ${answer.summary}`, checks: [{ check: health.check, status: 'info', message: health.message }, ...answer.checks] };
}

async function explainActive(
  ctx: ControllerContext,
  sn: StateNode,
  state: ClusterState,
  head: Pick<NodeExplanation, 'name' | 'evaluatedAt' | 'nextCommand' | 'node' | 'facts' | 'commit'>,
  view: Awaited<ReturnType<typeof schedulingPools>> | undefined,
  now: number,
): Promise<NodeExplanation> {
  const current = ctx.intent.current();
  if (sn.disruption) return { ...head, ...explainInFlight(sn, state) };
  if (!sn.initialized || !sn.node) {
    const stage = !sn.launched ? 'launching' : !sn.registered ? 'waiting for its node to register' : 'initializing (startup taints, readiness)';
    return { ...head, verdict: 'not-ready', summary: `NodeClaim ${sn.name} is ${stage}: only initialized nodes are disruption candidates`, reasons: [stage], checks: [] };
  }
  if (!current || !view) throw new NoIntentError('the intent source has accepted no commit yet');

  // The controller's own pass, with its rejections captured instead of logged.
  const captured: Rejection[] = [];
  const idx = indexIntent(current);
  // The cloud provider's drift of resolved values (AMI, subnet, security groups), asked now for this node.
  const cloudDrift = await new CloudDriftChecks(ctx.clock, ctx.cloud, 0).refresh([sn], idx.classes);
  const { candidates, rejections, context: m } = preparePass({ now, state, cache: ctx.cluster.cache, idx, view, options: ctx.options, reject: (r) => captured.push(r), cloudDrift });
  const c = candidates.find((x) => x.name === sn.name);
  if (!c) {
    const r = rejections.find((x) => x.name === sn.name);
    const why = r?.message ?? 'it is not a disruption candidate';
    return { ...head, verdict: 'not-disruptable', summary: why, reasons: [why], checks: [] };
  }

  const settled = clusterSettled(state);

  // The pass the controller would take now: the first method with a command wins.
  const next = firstCommand(candidates, m);
  // Each method about this node alone, collecting its rejections of it.
  captured.length = 0;
  const alone = firstCommand([c], m)?.command;
  const ownRejections = dedupe(captured.filter((r) => r.name === c.name).map((r) => r.message));

  const checks = candidateChecks(c, m, settled, sn, state, ctx.cluster.cache.list('PodDisruptionBudget'));
  const nextCommand = next ? planned(next.command) : undefined;
  const stabilisation = ctx.options.stabilizationMs > 0 ? ` after the ${formatDuration(ctx.options.stabilizationMs)} stabilisation re-check` : '';
  if (next && next.command.candidates.some((x) => x.name === c.name)) {
    const later = next.method.class === 'forceful' ? '' : stabilisation;
    return { ...head, verdict: 'disruptable', summary: `the next disruption pass takes it${later}: ${describeCommand(planned(next.command))}`, reasons: [], checks, nextCommand };
  }
  if (alone) {
    const first = nextCommand ? `, but the next pass acts on other nodes first (${describeCommand(nextCommand)})` : '';
    return {
      ...head,
      verdict: 'waiting',
      summary: `${alone.method} would take it on its own (${alone.explanation})${first}`,
      reasons: nextCommand ? [`the next pass acts on ${nextCommand.nodeClaims.join(', ')} first`] : [],
      checks,
      nextCommand,
    };
  }
  const reasons = dedupe([...checks.filter((k) => k.status === 'blocks').map((k) => k.message), ...ownRejections]);
  if (reasons.length === 0) reasons.push('no disruption method applies: not drifted, not expired, and neither empty nor underutilized enough to consolidate');
  return { ...head, verdict: 'not-disruptable', summary: reasons[0]!, reasons, checks, nextCommand };
}

/**
 * Nothing pending to provision and no non-replacement node launching. Informational only:
 * consolidation does not wait for it, because during a long ramp the cluster is never
 * settled; instead its simulations never move pods onto a node that is not initialized
 * yet (Karpenter's rule).
 */
function clusterSettled(state: ClusterState): boolean {
  if (state.pendingPods.length > 0) return false;
  return !state.nodes.some((n) => !n.initialized && !n.deleting && !n.claim.metadata.annotations?.[ANNOTATION_REPLACES]);
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Every check on a candidate, whichever method would apply. */
function candidateChecks(c: Candidate, m: MethodContext, settled: boolean, sn: StateNode, state: ClusterState, pdbs: readonly PodDisruptionBudget[]): Check[] {
  const checks: Check[] = [];

  // do-not-disrupt: the node, its NodeClaim, or any pod that would have to move.
  const pinnedPods = c.reschedulable.flatMap((p) => {
    const until = doNotDisruptUntil(p, m.now);
    return until === undefined ? [] : [`pod ${podKey(p)} is annotated ${describeDoNotDisrupt(p, until)}`];
  });
  const nodePinned = hasDoNotDisrupt(sn.node?.metadata) || hasDoNotDisrupt(sn.claim.metadata);
  // Annotations that no longer protect (a duration run out) or never did (not "true" nor a duration).
  for (const p of c.reschedulable) checks.push(...lapsedDoNotDisrupt(p, m.now));
  if (nodePinned || pinnedPods.length > 0) {
    const what = [nodePinned ? 'the node is annotated karpenter.sh/do-not-disrupt' : undefined, ...pinnedPods].filter(Boolean);
    checks.push({ check: 'do-not-disrupt', status: 'blocks', message: `${what.join('; ')} (voluntary disruption only; expiration still applies)` });
  } else {
    checks.push({ check: 'do-not-disrupt', status: 'ok', message: 'neither the node nor its pods are protected by karpenter.sh/do-not-disrupt now' });
  }

  // PDBs that allow no eviction of a pod that would have to move.
  const blocked = c.reschedulable.map((p) => ({ pod: p, pdb: blockingPdb(p, pdbs) })).filter((x) => x.pdb);
  if (blocked.length > 0) {
    for (const { pod, pdb } of blocked) {
      checks.push({
        check: 'pdb',
        status: 'blocks',
        message: `PodDisruptionBudget ${pdb!.metadata.namespace}/${pdb!.metadata.name} allows no eviction of ${podKey(pod)} now (disruptionsAllowed ${pdb!.status?.disruptionsAllowed ?? 0})`,
      });
    }
  } else {
    checks.push({ check: 'pdb', status: 'ok', message: c.reschedulable.length > 0 ? 'every pod that would move may be evicted now' : 'no pod would have to move' });
  }

  // Budgets of the node's pool, per reason.
  const pool = c.state.nodePool;
  const budgets = m.budgets;
  for (const reason of DISRUPTION_REASONS) {
    const allowed = budgets.allowed(pool, reason);
    const relevant = relevantReasons(c, m.now).includes(reason);
    checks.push({
      check: 'budget',
      status: allowed > 0 ? 'ok' : relevant ? 'blocks' : 'info',
      message: `${reason}: ${allowed > 0 ? `${allowed} more node(s) of NodePool ${pool} may start` : `NodePool ${pool} may disrupt no more nodes now`} (${budgets.describe(pool, reason)})`,
    });
  }

  // Drift and expiry.
  checks.push(
    c.drift
      ? { check: 'drift', status: 'info', message: `drifted (${c.drift.kind}): ${c.drift.detail}` }
      : { check: 'drift', status: 'ok', message: 'matches the NodePool and EC2NodeClass in force' },
  );
  const expiresAt = c.createdAtMs + c.expireAfterMs;
  checks.push(
    !Number.isFinite(c.expireAfterMs)
      ? { check: 'expiration', status: 'info', message: 'expireAfter is Never' }
      : m.now >= expiresAt
        ? { check: 'expiration', status: 'info', message: `expired ${formatDuration(m.now - expiresAt)} ago (expireAfter ${sn.claim.spec.expireAfter}): replaced regardless of budgets and do-not-disrupt; the drain still honours PDBs until terminationGracePeriod` }
        : { check: 'expiration', status: 'info', message: `expires in ${formatDuration(expiresAt - m.now)} (expireAfter ${sn.claim.spec.expireAfter})` },
  );

  // consolidateAfter, and whether the cluster is settled enough to consolidate.
  const policy = consolidationPolicy(c);
  const afterMs = consolidateAfterMs(c);
  const quietFor = m.now - c.lastPodEventMs;
  const timing = !Number.isFinite(afterMs)
    ? 'consolidateAfter is Never'
    : quietFor >= afterMs
      ? `no pod arrived or left for ${formatDuration(quietFor)} (consolidateAfter ${formatDuration(afterMs)})`
      : `a pod arrived or left ${formatDuration(quietFor)} ago; consolidateAfter ${formatDuration(afterMs)} allows it in ${formatDuration(afterMs - quietFor)}`;
  const waitsForTime = !consolidatableNow(c, m.now);
  if (c.reschedulable.length === 0) {
    checks.push({ check: 'emptiness', status: waitsForTime ? 'blocks' : 'ok', message: `empty (DaemonSet pods only); ${timing}` });
  } else {
    checks.push({ check: 'emptiness', status: 'info', message: `runs ${c.reschedulable.length} pod(s) besides DaemonSets` });
    if (!consolidatesUnderutilized(c)) {
      checks.push({ check: 'consolidation', status: 'blocks', message: `NodePool ${pool} has consolidationPolicy ${policy}: only empty nodes are consolidated` });
    } else if (waitsForTime) {
      checks.push({ check: 'consolidation', status: 'blocks', message: timing });
    } else {
      const a = consolidationCommand([c], m);
      checks.push(
        a.ok
          ? { check: 'consolidation', status: 'ok', message: `${a.command.explanation} (saves ${money(a.command.savings)})` }
          : { check: 'consolidation', status: a.reason === 'pods-fit-nowhere' ? 'info' : 'blocks', message: a.message },
      );
      if (policy === 'Balanced') checks.push(balancedCheck(a.ok ? a.command.balanced : a.balanced, a.ok || a.reason === 'launch-payback'));
    }
  }
  if (!settled) {
    const launching = state.nodes.filter((n) => !n.initialized && !n.deleting).length;
    checks.push({
      check: 'cluster',
      status: 'info',
      message: `not settled: ${state.pendingPods.length} pod(s) pending, ${launching} node(s) launching (no pod is planned onto a node that is not initialized)`,
    });
  }

  // Where its pods would go: the same simulation consolidation and drift run.
  if (c.reschedulable.length > 0) {
    const sim = m.simulate([c]);
    if (sim.unschedulable.length > 0) {
      for (const u of sim.unschedulable) {
        checks.push({ check: 'placement', status: 'blocks', message: `pod ${podKey(u.pod)} would fit nowhere if the node went: ${u.reason}` });
      }
    } else if (sim.newNodes.length === 0) {
      checks.push({ check: 'placement', status: 'ok', message: `its ${c.reschedulable.length} pod(s) fit on the other nodes` });
    } else {
      const cost = sim.newNodes.reduce((s, n) => s + n.price, 0);
      checks.push({
        check: 'placement',
        status: 'info',
        message: `its pods need ${sim.newNodes.length} new node(s) (cheapest ${sim.newNodes.map((n) => n.instanceTypeOptions[0]?.name ?? '?').join(', ')}, ${money(cost)}) against ${money(c.price)} now`,
      });
    }
  }
  return checks;
}

/** A Balanced pool's node: the score of consolidating it alone, against the threshold. */
function balancedCheck(scores: readonly BalancedScore[] | undefined, passed: boolean): Check {
  const s = scores?.[0];
  if (!s) return { check: 'balanced', status: 'info', message: 'no Balanced score: consolidating it alone finds no cheaper placement to score' };
  return { check: 'balanced', status: passed ? 'ok' : 'blocks', message: describeScore(s) };
}

/** Budget reasons that matter for this node: the ones a method could disrupt it for. */
function relevantReasons(c: Candidate, now: number): DisruptionReason[] {
  const out: DisruptionReason[] = [];
  if (c.drift) out.push('Drifted');
  if (now - c.createdAtMs >= c.expireAfterMs) return out; // expiration is not budgeted
  if (c.reschedulable.length === 0) out.push('Empty');
  else if (consolidatesUnderutilized(c)) out.push('Underutilized');
  return out;
}

/** A node whose NodeClaim is being deleted: what its drain waits for. */
function explainTermination(ctx: ControllerContext, sn: StateNode, now: number): Pick<NodeExplanation, 'verdict' | 'summary' | 'reasons' | 'checks'> {
  const pdbs = ctx.cluster.cache.list('PodDisruptionBudget');
  const deletedAt = timestampMs(sn.claim.metadata.deletionTimestamp) ?? timestampMs(sn.node?.metadata.deletionTimestamp) ?? now;
  const tgpMs = durationOr(sn.claim.spec.terminationGracePeriod, Infinity);
  const pods = sn.node ? ctx.cluster.cache.podsOnNode(sn.node.metadata.name!).filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp) : [];
  const drainable = pods.filter((p) => !toleratesTaintKey(p, TAINT_DISRUPTED.key));
  const checks: Check[] = [];
  // The interruption controller or node auto-repair deleted it: say which, and why.
  const cause = terminationCause(sn.claim, ctx.options.repairPolicies);
  if (cause) checks.push({ check: cause.check, status: 'info', message: cause.message });
  const why = sn.disruption ? `${sn.disruption.method} (decided ${sn.disruption.decidedAt})` : (cause?.short ?? 'its NodeClaim was deleted');
  const deadline = Number.isFinite(tgpMs)
    ? `terminationGracePeriod ${sn.claim.spec.terminationGracePeriod}: pods still there at ${new Date(deletedAt + tgpMs).toISOString()} are deleted regardless`
    : 'no terminationGracePeriod: the drain waits as long as PDBs and do-not-disrupt require';
  for (const p of drainable) checks.push(...drainCheck(p, pdbs, now));
  const blocking = checks.filter((k) => k.status === 'blocks').map((k) => k.message);
  checks.push({ check: 'drain', status: 'info', message: deadline });
  if (!sn.node) {
    return { verdict: 'terminating', summary: `terminating (${why}): no node registered; the instance is being terminated`, reasons: [], checks };
  }
  const summary =
    drainable.length === 0
      ? `terminating (${why}): drained; the instance is being terminated`
      : blocking.length > 0
        ? `terminating (${why}), drain blocked: ${blocking[0]}`
        : `terminating (${why}): draining ${drainable.length} pod(s)`;
  return { verdict: 'terminating', summary, reasons: blocking, checks };
}

/** A pod's do-not-disrupt annotation that does not protect it at `now`: run out, or not a value Karpenter reads. */
function lapsedDoNotDisrupt(p: Pod, now: number): Check[] {
  const v = parseDoNotDisrupt(p.metadata.annotations?.[ANNOTATION_DO_NOT_DISRUPT]);
  if (v.kind === 'invalid') return [{ check: 'do-not-disrupt', status: 'info', message: `pod ${podKey(p)}: karpenter.sh/do-not-disrupt "${v.text}" is ignored: neither "true" nor a duration (${v.error})` }];
  if (v.kind === 'duration' && doNotDisruptUntil(p, now) === undefined) {
    const started = timestampMs(p.status?.startTime)!;
    return [{ check: 'do-not-disrupt', status: 'info', message: `pod ${podKey(p)}: karpenter.sh/do-not-disrupt ${v.text} ran out at ${new Date(started + v.durationMs).toISOString()}` }];
  }
  return [];
}

function drainCheck(p: Pod, pdbs: readonly PodDisruptionBudget[], now: number): Check[] {
  const out: Check[] = [];
  const until = doNotDisruptUntil(p, now);
  if (until !== undefined) {
    out.push({
      check: 'do-not-disrupt',
      status: 'blocks',
      message: `pod ${podKey(p)} is annotated ${describeDoNotDisrupt(p, until)}: the drain waits for it (${Number.isFinite(until) ? 'until then, or ' : ''}until terminationGracePeriod)`,
    });
  } else out.push(...lapsedDoNotDisrupt(p, now));
  const pdb = isDaemonSetPod(p) ? undefined : blockingPdb(p, pdbs);
  if (pdb) {
    out.push({ check: 'pdb', status: 'blocks', message: `PodDisruptionBudget ${pdb.metadata.namespace}/${pdb.metadata.name} allows no eviction of ${podKey(p)} now (disruptionsAllowed ${pdb.status?.disruptionsAllowed ?? 0})` });
  }
  if (!out.some((k) => k.status === 'blocks')) out.push({ check: 'drain', status: 'ok', message: `pod ${podKey(p)} may be evicted` });
  return out;
}

/** A node already chosen: which replacements it waits for. */
function explainInFlight(sn: StateNode, state: ClusterState): Pick<NodeExplanation, 'verdict' | 'summary' | 'reasons' | 'checks'> {
  const mark = sn.disruption!;
  const checks: Check[] = mark.replacements.map((r) => {
    const n = state.byClaim.get(r);
    if (!n) return { check: 'replacement', status: 'blocks', message: `replacement ${r} is gone: the decision will be rolled back` };
    if (n.initialized) return { check: 'replacement', status: 'ok', message: `replacement ${r} is initialized` };
    return { check: 'replacement', status: 'info', message: `replacement ${r} is ${!n.launched ? 'launching' : !n.registered ? 'registering' : 'initializing'}` };
  });
  const waiting = checks.filter((k) => k.status !== 'ok').length;
  const summary =
    mark.replacements.length === 0
      ? `chosen for ${mark.method} (${mark.reason}) at ${mark.decidedAt}; being deleted`
      : waiting > 0
        ? `chosen for ${mark.method} (${mark.reason}) at ${mark.decidedAt}; drains once its ${mark.replacements.length} replacement(s) are initialized (${waiting} not yet)`
        : `chosen for ${mark.method} (${mark.reason}) at ${mark.decidedAt}; its replacements are up, draining next`;
  return { verdict: 'disrupting', summary, reasons: [], checks };
}
