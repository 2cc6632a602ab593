// Nodes taken away during a simulation: spot interruptions (EC2's warning, then the
// reclaim) and nodes that go NotReady (then repaired, when their pool opts in). For each,
// what the reconciler did (its decision, the replacements it launched), what `joinery
// explain node` said about the node once it acted, and what users of the pods noticed:
//
// - pods rescheduled: pods of the node that left it (evicted, deleted, or collected with
//   the node) and whose workload then had a new pod bound to a node, matched first in,
//   first out per owner;
// - lost capacity, in pod-minutes: for each such pod, from when it stopped serving (evicted
//   or deleted; for a NotReady node, from the moment the node went NotReady) to when its
//   successor was bound. A pod that never got a successor counts until the end of the run.
//
// Counted from the objects and the decision log, not from the controllers' own numbers.

import type { Pod } from '../../core/api/k8s.ts';
import type { InMemoryWorld } from '../adapters/in-memory/world.ts';
import type { SpotInterruption } from '../adapters/in-memory/spot-interruptions.ts';
import type { DecisionRecord } from '../observability/decisions.ts';
import { isDaemonSetPod, isTerminal } from '../views/cluster-state.ts';
import { LABEL_NODEPOOL } from '../../core/contract/index.ts';

export type IncidentKind = 'spot-interruption' | 'not-ready';

export interface Incident {
  readonly kind: IncidentKind;
  /** When the warning was sent, or the node went NotReady. */
  readonly t: number;
  readonly nodeClaim: string;
  readonly node: string | undefined;
  readonly nodePool: string;
  readonly instanceId: string | undefined;
  /** "c7g.2xlarge spot us-east-1a" */
  readonly offering: string;
  /** For a NotReady node: the Ready condition it took. */
  readonly condition?: string;
  /** The reconciler's decision about it (interruption: cordon, replace, delete; repair: force-terminate). */
  handledAt: number | undefined;
  handledBy: string | undefined;
  /** NodeClaims the reconciler launched in advance for its pods (interruption). */
  replacements: string[];
  /** When EC2 reclaimed the instance (spot interruption), if it was still there. */
  reclaimedAt: number | undefined;
  /** When its instance was terminated. */
  goneAt: number | undefined;
  /** Pods on the node (besides DaemonSet pods) when it happened. */
  podsOnNode: number;
  podsRescheduled: number;
  /** Pods that left the node and had no successor bound by the end. */
  podsNotRescheduled: number;
  lostPodMinutes: number;
  /** What `joinery explain node` said about the node right after the reconciler acted. */
  explanation: string | undefined;
}

interface Tracked {
  readonly uid: string;
  readonly incident: Incident;
  readonly owner: string | undefined;
  /** When the pod stopped serving (undefined: still serving). */
  stoppedAt: number | undefined;
  left: boolean;
}

function ownerOf(p: Pod): string | undefined {
  const o = p.metadata.ownerReferences?.find((r) => r.controller);
  return o ? `${p.metadata.namespace ?? 'default'}/${o.kind}/${o.name}` : undefined;
}

function workloadPods(world: InMemoryWorld, node: string): Pod[] {
  return world.api.cache.podsOnNode(node).filter((p) => !isDaemonSetPod(p) && !isTerminal(p) && !p.metadata.deletionTimestamp);
}

export class IncidentRecorder {
  readonly incidents: Incident[] = [];
  private readonly tracked = new Map<string, Tracked>();
  /** Per owner: pods that left an incident's node, waiting for a successor, oldest first. */
  private readonly waiting = new Map<string, { tracked: Tracked; leftAt: number }[]>();
  private readonly bound = new Set<string>();
  private readonly byInstance = new Map<string, Incident>();
  private readonly reclaims = new Map<Incident, SpotInterruption>();
  private readonly unsub: (() => void)[] = [];

  constructor(
    private readonly world: InMemoryWorld,
    /** Asked once the reconciler has acted on a node: what explain says about it. */
    private readonly explain?: (nodeName: string) => Promise<string>,
  ) {
    for (const p of world.api.cache.list('Pod')) if (p.spec.nodeName) this.bound.add(p.metadata.uid!);
    this.unsub.push(
      world.api.watch((e) => {
        if (e.kind === 'Pod') this.onPod(e.object, e.type === 'DELETED');
      }),
      world.ec2.onInstance((event, record) => {
        if (event !== 'terminated') return;
        const i = this.byInstance.get(record.instance.id);
        if (i && i.goneAt === undefined) i.goneAt = this.world.clock.now();
      }),
    );
  }

  stop(): void {
    for (const u of this.unsub.splice(0)) u();
  }

  /** EC2 sent a spot interruption warning. */
  spotInterruption(s: SpotInterruption): Incident | undefined {
    const claim = this.world.api.cache.list('NodeClaim').find((c) => c.status?.providerID === s.providerID);
    const node = this.world.api.cache.list('Node').find((n) => n.spec?.providerID === s.providerID)?.metadata.name;
    return this.open({
      kind: 'spot-interruption',
      nodeClaim: claim?.metadata.name ?? s.nodeClaim,
      node,
      nodePool: s.nodePool,
      instanceId: s.instanceId,
      offering: `${s.instanceType} spot ${s.zone}`,
      stopsServingNow: false,
      reclaim: s,
    });
  }

  /** The scenario turned a node NotReady. */
  notReady(nodeName: string, condition: string): Incident | undefined {
    const node = this.world.api.cache.get('Node', nodeName);
    const claim = this.world.api.cache.list('NodeClaim').find((c) => c.status?.providerID === node?.spec?.providerID);
    if (!node || !claim) return undefined;
    const labels = node.metadata.labels ?? {};
    return this.open({
      kind: 'not-ready',
      nodeClaim: claim.metadata.name!,
      node: nodeName,
      nodePool: claim.metadata.labels?.[LABEL_NODEPOOL] ?? '',
      instanceId: /\/(i-[0-9a-f]+)$/.exec(node.spec?.providerID ?? '')?.[1],
      offering: `${labels['node.kubernetes.io/instance-type'] ?? '?'} ${labels['karpenter.sh/capacity-type'] ?? '?'} ${labels['topology.kubernetes.io/zone'] ?? '?'}`,
      condition,
      stopsServingNow: true,
    });
  }

  /** A decision of the reconciler: the one that acts on an incident's node is recorded with it. */
  decision(d: DecisionRecord): void {
    let incident: Incident | undefined;
    if (d.controller === 'interruption' && d.action === 'delete') {
      const id = d.details?.instanceId as string | undefined;
      incident = this.incidents.find((i) => i.kind === 'spot-interruption' && i.instanceId === id && i.handledAt === undefined);
      if (incident) incident.replacements = [...((d.details?.replacements as string[] | undefined) ?? [])];
    } else if (d.controller === 'node-repair' && d.action === 'repair') {
      incident = this.incidents.find((i) => i.kind === 'not-ready' && i.nodeClaim === d.nodeClaims?.[0] && i.handledAt === undefined);
    }
    if (!incident) return;
    incident.handledAt = d.time;
    incident.handledBy = d.message;
    const node = incident.node;
    if (this.explain && node) {
      const target = incident;
      // Once the decision's writes are done (the same instant, after this call returns).
      this.world.clock.setTimer(0, () => {
        void this.explain!(node).then(
          (text) => (target.explanation = text),
          (err: unknown) => (target.explanation = `explain failed: ${(err as Error).message}`),
        );
      });
    }
  }

  /** Pods still waiting for a successor count as lost up to `endMs`. */
  finish(endMs: number): void {
    for (const [i, s] of this.reclaims) i.reclaimedAt = s.reclaimedAt;
    for (const t of this.tracked.values()) {
      if (t.stoppedAt === undefined) continue;
      t.incident.podsNotRescheduled += 1;
      t.incident.lostPodMinutes += (endMs - t.stoppedAt) / 60_000;
    }
    this.tracked.clear();
    this.waiting.clear();
  }

  private open(o: { kind: IncidentKind; nodeClaim: string; node: string | undefined; nodePool: string; instanceId: string | undefined; offering: string; condition?: string; stopsServingNow: boolean; reclaim?: SpotInterruption }): Incident {
    const now = this.world.clock.now();
    const pods = o.node ? workloadPods(this.world, o.node) : [];
    const incident: Incident = {
      kind: o.kind,
      t: now,
      nodeClaim: o.nodeClaim,
      node: o.node,
      nodePool: o.nodePool,
      instanceId: o.instanceId,
      offering: o.offering,
      ...(o.condition ? { condition: o.condition } : {}),
      handledAt: undefined,
      handledBy: undefined,
      replacements: [],
      reclaimedAt: undefined,
      goneAt: undefined,
      podsOnNode: pods.length,
      podsRescheduled: 0,
      podsNotRescheduled: 0,
      lostPodMinutes: 0,
      explanation: undefined,
    };
    this.incidents.push(incident);
    if (o.instanceId) this.byInstance.set(o.instanceId, incident);
    // The reclaim time is known once EC2 takes the instance (two minutes later).
    if (o.reclaim) this.reclaims.set(incident, o.reclaim);
    for (const p of pods) {
      if (this.tracked.has(p.metadata.uid!)) continue;
      this.tracked.set(p.metadata.uid!, { uid: p.metadata.uid!, incident, owner: ownerOf(p), stoppedAt: o.stopsServingNow ? now : undefined, left: false });
    }
    return incident;
  }

  private onPod(p: Pod, deleted: boolean): void {
    const uid = p.metadata.uid!;
    const now = this.world.clock.now();
    const t = this.tracked.get(uid);
    if (t && !t.left && (deleted || p.metadata.deletionTimestamp || isTerminal(p))) {
      t.left = true;
      t.stoppedAt ??= now;
      if (t.owner) {
        let q = this.waiting.get(t.owner);
        if (!q) this.waiting.set(t.owner, (q = []));
        q.push({ tracked: t, leftAt: now });
      }
      return;
    }
    if (deleted || !p.spec.nodeName || this.bound.has(uid) || isDaemonSetPod(p)) return;
    this.bound.add(uid);
    const owner = ownerOf(p);
    const q = owner ? this.waiting.get(owner) : undefined;
    if (!q || q.length === 0) return;
    const created = Date.parse(String(p.metadata.creationTimestamp ?? ''));
    if (!(created >= q[0]!.leftAt)) return; // created before the pod left: not its successor
    const w = q.shift()!;
    this.tracked.delete(w.tracked.uid);
    w.tracked.incident.podsRescheduled += 1;
    w.tracked.incident.lostPodMinutes += (now - w.tracked.stoppedAt!) / 60_000;
  }
}
