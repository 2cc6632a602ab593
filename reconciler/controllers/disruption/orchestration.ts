// Carrying out a command (Karpenter's orchestration queue). Replacements are created
// first; each candidate NodeClaim is marked with a joinery.dev/disruption annotation
// naming its method and replacements, and its node tainted, so the decision is durable:
// a restarted reconciler resumes it (deletes the candidates once the replacements are
// initialized) or rolls it back (a replacement failed).

import { disruptionLaunching, disruptionTerminating } from './karpenter-events.ts';
import { karpenterReason, recordDisruptionDecision } from './karpenter-metrics.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import type { ClusterState } from '../../views/cluster-state.ts';
import type { IntentIndex } from '../../views/drift.ts';
import type { SchedulingView } from '../../views/scheduling.ts';
import { ANNOTATION_DISRUPTION, ANNOTATION_MIN_VALUES_RELAXED, TAINT_DISRUPTED, type DisruptionMark } from '../../../core/contract/index.ts';
import { describeShortfall } from '../../../core/catalog/min-values.ts';
import { nodeClaimFor, nodePoolUid } from '../shared/nodeclaim.ts';
import type { Command } from './method.ts';

export type OrchestrationDeps = Pick<ControllerContext, 'cluster' | 'clock' | 'decisions' | 'metrics' | 'logger'>;

const ACTION_REASON: Readonly<Record<Command['method'], string>> = {
  drift: 'drifted',
  removal: 'pool-removed',
  expiration: 'expired',
  emptiness: 'empty',
  consolidation: 'underutilized',
};

export class Orchestrator {
  /** `controller` names the controller in the decisions it records. */
  constructor(
    private readonly deps: OrchestrationDeps,
    private readonly controller: string,
  ) {}

  /** Launches the replacements and marks the candidates; with no replacement, deletes the candidates at once. */
  async start(cmd: Command, idx: IntentIndex, view: SchedulingView): Promise<void> {
    const { cluster, clock, decisions, metrics } = this.deps;
    const nowIso = new Date(clock.now()).toISOString();
    const names = cmd.candidates.map((c) => c.name);
    const replacementNames: string[] = [];
    for (const newNode of cmd.replacements) {
      const pool = view.poolManifests.get(newNode.nodePool);
      if (!pool) continue;
      const manifest = nodeClaimFor({ newNode, pool, intent: idx, replaces: names, poolUid: nodePoolUid(cluster.cache, newNode.nodePool) });
      const relaxed = cmd.minValuesRelaxed?.get(newNode.name);
      if (relaxed) manifest.metadata.annotations = { ...manifest.metadata.annotations, [ANNOTATION_MIN_VALUES_RELAXED]: 'true' };
      const claim = await cluster.createNodeClaim(manifest);
      replacementNames.push(claim.metadata.name!);
      metrics.karpenter.nodeClaimsCreated.inc({ reason: karpenterReason(cmd), nodepool: newNode.nodePool, min_values_relaxed: relaxed ? 'true' : 'false' });
      if (relaxed) {
        // --min-values-policy BestEffort, as provisioning: counted and logged.
        for (const x of relaxed) metrics.minValuesRelaxed.inc({ nodepool: newNode.nodePool, key: x.key });
        this.deps.logger.warn('minValues relaxed (--min-values-policy BestEffort)', {
          nodeClaim: claim.metadata.name,
          nodePool: newNode.nodePool,
          replaces: names.join(','),
          reason: relaxed.map((x) => describeShortfall(newNode.nodePool, x)).join('; '),
        });
      }
    }
    const mark: DisruptionMark = { method: cmd.method, reason: cmd.reason, replacements: replacementNames, decidedAt: nowIso, group: names };
    for (const c of cmd.candidates) {
      await cluster.patchNodeClaim(c.name, { annotations: { [ANNOTATION_DISRUPTION]: JSON.stringify(mark) } });
      const nodeName = c.state.node?.metadata.name;
      if (nodeName) await cluster.patchNode(nodeName, { addTaints: [{ ...TAINT_DISRUPTED, timeAdded: nowIso }] });
    }
    const action = replacementNames.length > 0 ? 'replace' : 'delete';
    metrics.disruptionDecisions.inc({ method: cmd.method, action }, 1);
    recordDisruptionDecision(metrics.karpenter, cmd, action);
    const pools = [...new Set(cmd.candidates.map((c) => c.state.nodePool))];
    const pods = cmd.candidates.reduce((s, c) => s + c.reschedulable.length, 0);
    decisions.record({
      controller: this.controller,
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
      for (const c of cmd.candidates) {
        await cluster.deleteNodeClaim(c.name);
        disruptionTerminating(cluster, c.name, c.state.node?.metadata.name, cmd.reason);
      }
    } else {
      for (const c of cmd.candidates) disruptionLaunching(cluster, c.name, cmd.reason);
    }
  }

  /** Advances commands already decided: delete candidates whose replacements are up, or roll back. Returns whether anything changed. */
  async advance(state: ClusterState): Promise<boolean> {
    const { cluster, decisions, logger } = this.deps;
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
        for (const c of members) {
          await cluster.deleteNodeClaim(c.metadata.name!);
          disruptionTerminating(cluster, c.metadata.name!, state.byClaim.get(c.metadata.name!)?.node?.metadata.name, mark.reason);
        }
        logger.info('replacements initialized; draining the disrupted nodes', { method: mark.method, nodeClaims: members.map((c) => c.metadata.name), replacements: mark.replacements });
        changed = true;
        continue;
      }
      if (missing.length === 0) continue; // still launching
      if (mark.method === 'expiration') {
        // Forceful: expiry does not wait for a replacement that failed; pods go pending and are provisioned for.
        for (const c of members) {
          await cluster.deleteNodeClaim(c.metadata.name!);
          disruptionTerminating(cluster, c.metadata.name!, state.byClaim.get(c.metadata.name!)?.node?.metadata.name, mark.reason);
        }
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
        controller: this.controller,
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
}
