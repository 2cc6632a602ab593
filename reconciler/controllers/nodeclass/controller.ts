// EC2NodeClass status, as Karpenter's nodeclass controller writes it: what the class
// resolves to in EC2 and IAM (status.subnets, securityGroups, amis, instanceProfile,
// capacityReservations) and one condition per part (SubnetsReady, SecurityGroupsReady,
// AMIsReady, InstanceProfileReady, CapacityReservationsReady), ValidationSucceeded, and Ready, True only when all of them are;
// each with the generation it judged. A part that does not resolve says which field and
// term matched nothing (or which role does not exist), and a Warning Event on the class
// says the same when it turns not Ready. Provisioning isolates a class that does not
// resolve on its own (views/scheduling.ts): its pools launch nothing, every other pool
// works. The spec judged is the intent's (from git or the cluster); the status goes on the
// object applied to the cluster, when there is one.

import type { EC2NodeClassStatus, StatusCondition } from '../../../core/api/karpenter.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import {
  CONDITION_AMIS_READY,
  CONDITION_CAPACITY_RESERVATIONS_READY,
  CONDITION_INSTANCE_PROFILE_READY,
  CONDITION_READY,
  CONDITION_SECURITY_GROUPS_READY,
  CONDITION_SUBNETS_READY,
  CONDITION_VALIDATION_SUCCEEDED,
  LABEL_ARCH,
  REASON_AMIS_NOT_FOUND,
  REASON_CAPACITY_RESERVATION_NOT_FOUND,
  REASON_INSTANCE_PROFILE_NOT_FOUND,
  REASON_SECURITY_GROUPS_NOT_FOUND,
  REASON_SUBNETS_NOT_FOUND,
  REASON_UNHEALTHY_DEPENDENTS,
} from '../../../core/contract/index.ts';
import type { NodeClassResolution, Resolved } from '../../ports/cloud.ts';
import type { WatchEvent } from '../../ports/cluster.ts';
import type { IntentEvent } from '../../ports/intent.ts';
import { KeyedBackoff } from '../../runtime/backoff.ts';
import type { ControllerContext } from '../../runtime/context.ts';
import type { Controller, ReconcileResult, Wake } from '../../runtime/controller.ts';
import { setCondition } from '../shared/conditions.ts';

export type NodeClassStatusDeps = Pick<ControllerContext, 'clock' | 'cluster' | 'cloud' | 'intent' | 'logger'>;

/** How often a class is resolved again while nothing changes (discovery caches make it cheap). */
const RESYNC_MS = 60_000;

/** The status an EC2NodeClass's resolution means (pure): the resolved parts and every condition. */
export function nodeClassStatus(resolution: NodeClassResolution, previous: readonly StatusCondition[] | undefined, generation: number | undefined, nowIso: string): EC2NodeClassStatus {
  let conditions = [...(previous ?? [])];
  const part = (type: string, r: Resolved<unknown>, notFound: string) => {
    conditions = r.ok ? setCondition(conditions, type, 'True', type, '', nowIso, generation) : setCondition(conditions, type, 'False', notFound, r.message, nowIso, generation);
  };
  part(CONDITION_SUBNETS_READY, resolution.subnets, REASON_SUBNETS_NOT_FOUND);
  part(CONDITION_SECURITY_GROUPS_READY, resolution.securityGroups, REASON_SECURITY_GROUPS_NOT_FOUND);
  part(CONDITION_AMIS_READY, resolution.amis, REASON_AMIS_NOT_FOUND);
  part(CONDITION_INSTANCE_PROFILE_READY, resolution.instanceProfile, REASON_INSTANCE_PROFILE_NOT_FOUND);
  if (resolution.capacityReservations) part(CONDITION_CAPACITY_RESERVATIONS_READY, resolution.capacityReservations, REASON_CAPACITY_RESERVATION_NOT_FOUND);
  // The spec was validated against the CRD schema and joinery's rules before it came into force.
  conditions = setCondition(conditions, CONDITION_VALIDATION_SUCCEEDED, 'True', CONDITION_VALIDATION_SUCCEEDED, '', nowIso, generation);
  const failing = [resolution.subnets, resolution.securityGroups, resolution.amis, resolution.instanceProfile, ...(resolution.capacityReservations ? [resolution.capacityReservations] : [])].filter((r): r is { ok: false; message: string } => !r.ok);
  conditions = failing.length
    ? setCondition(conditions, CONDITION_READY, 'False', REASON_UNHEALTHY_DEPENDENTS, failing.map((f) => f.message).join('; '), nowIso, generation)
    : setCondition(conditions, CONDITION_READY, 'True', CONDITION_READY, '', nowIso, generation);
  // A part that does not resolve is written as null (a merge patch removes it), as Karpenter clears it.
  const none = null as unknown as undefined;
  return {
    subnets: resolution.subnets.ok ? resolution.subnets.value.map((s) => ({ id: s.id, zone: s.zone, ...(s.zoneID ? { zoneID: s.zoneID } : {}) })) : none,
    securityGroups: resolution.securityGroups.ok ? resolution.securityGroups.value.map((g) => ({ id: g.id, ...(g.name ? { name: g.name } : {}) })) : none,
    amis: resolution.amis.ok
      ? resolution.amis.value.map((a) => ({ id: a.id, ...(a.name ? { name: a.name } : {}), requirements: [{ key: LABEL_ARCH, operator: 'In', values: [a.arch] }] }))
      : none,
    instanceProfile: resolution.instanceProfile.ok ? resolution.instanceProfile.value : none,
    ...(resolution.capacityReservations ? { capacityReservations: resolution.capacityReservations.ok ? resolution.capacityReservations.value : none } : {}),
    conditions,
  };
}

export class NodeClassStatusController implements Controller {
  readonly name = 'nodeclass-status';
  private readonly written = new Map<string, string>();
  private readonly backoff: KeyedBackoff;

  constructor(private readonly ctx: NodeClassStatusDeps) {
    this.backoff = new KeyedBackoff(ctx.clock);
  }

  onEvent(event: WatchEvent, wake: Wake): void {
    if (event.kind === 'EC2NodeClass') wake(0);
  }

  onIntent(_event: IntentEvent, wake: Wake): void {
    wake(0);
  }

  async reconcile(): Promise<ReconcileResult> {
    const { cluster, cloud, clock, intent, logger } = this.ctx;
    const current = intent.current();
    if (!current) return {};
    const nowIso = new Date(clock.now()).toISOString();
    for (const nc of current.nodeClasses) {
      const name = nc.metadata.name ?? '';
      const live = cluster.cache.get('EC2NodeClass', name);
      if (!live || this.backoff.waitMs(name) > 0) continue;
      let resolution: NodeClassResolution;
      try {
        resolution = await cloud.resolveNodeClass(nc);
      } catch (err) {
        // Throttled or unreachable: no condition turns False on it; tried again after a backoff.
        this.backoff.failed(name);
        logger.warn('could not resolve EC2NodeClass; its status is left as it is', { nodeClass: name, error: (err as Error).message });
        continue;
      }
      this.backoff.succeeded(name);
      const status = nodeClassStatus(resolution, live.status?.conditions, live.metadata.generation, nowIso);
      const signature = canonicalJson({ ...status, conditions: status.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })) });
      if (this.written.get(name) === signature) continue;
      const wasReady = live.status?.conditions?.find((c) => c.type === CONDITION_READY);
      const ready = status.conditions!.find((c) => c.type === CONDITION_READY)!;
      if (ready.status === 'False' && (wasReady?.status !== 'False' || wasReady.message !== ready.message)) {
        cluster.recordEvent({ involved: { kind: 'EC2NodeClass', name }, type: 'Warning', reason: 'NodeClassNotReady', message: ready.message ?? '' });
      }
      if (await cluster.patchEC2NodeClassStatus(name, status)) this.written.set(name, signature);
    }
    this.backoff.retainOnly(new Set(current.nodeClasses.map((c) => c.metadata.name ?? '')));
    return { requeueAfterMs: RESYNC_MS };
  }
}
