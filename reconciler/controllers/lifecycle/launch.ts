// Launch (Karpenter's lifecycle/launch.go): create the instance behind a NodeClaim that
// has no Launched condition, then record it on the claim (providerID, capacity, labels,
// Launched). The claim's UID is the client token and a tag on its instance, which the
// cloud adapter looks up before launching, so launching a claim again after a crash or an
// unknown outcome returns the instance already launched for it.
//
// Outcomes: launched; throttled (the claim waits, with jitter, and is tried again);
// outcome unknown (a 5xx or a timeout: EC2 may have launched; the claim is kept and tried
// again after a backoff, and the adapter looks its instance up by tag before launching);
// insufficient capacity or a definite failure (the offerings are avoided for a while and
// the claim is deleted, so provisioning solves its pods again); anything else is thrown
// to the lifecycle driver, which backs off this claim alone.

import { schedulingPools } from '../../views/scheduling.ts';
import type { NodeClaim } from '../../../core/api/karpenter.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import { formatDuration } from '../../../core/disruption/duration.ts';
import { formatResourceQuantity } from '../../../core/resources/quantity.ts';
import { Requirements } from '../../../core/scheduling/requirements.ts';
import {
  InsufficientCapacityError,
  LaunchFailedError,
  LaunchOutcomeUnknownError,
  ThrottledError,
  offeringKeyString,
  type Instance,
} from '../../ports/cloud.ts';
import type { ControllerContext, ReconcilerOptions } from '../../runtime/context.ts';
import { indexIntent } from '../../views/drift.ts';
import {
  ANNOTATION_REPLACES,
  CLUSTER_TAG_VALUE,
  CONDITION_LAUNCHED,
  LABEL_CAPACITY_RESERVATION_ID,
  LABEL_CAPACITY_RESERVATION_TYPE,
  LABEL_CAPACITY_TYPE,
  LABEL_INSTANCE_TYPE,
  LABEL_NODECLASS,
  LABEL_NODEPOOL,
  LABEL_POLICY_COMMIT,
  LABEL_ZONE,
  TAG_NAME,
  TAG_NODECLAIM,
  TAG_NODECLASS,
  TAG_NODEPOOL,
  TAG_POLICY_COMMIT,
  clusterTagKey,
} from '../../../core/contract/index.ts';
import { setCondition } from '../shared/conditions.ts';

const THROTTLE_BASE_MS = 1_000;
/** First wait after a launch whose outcome is unknown; doubles per unknown outcome of the claim, up to a minute. */
const UNKNOWN_OUTCOME_BASE_MS = 2_000;
/** A claim whose EC2NodeClass is missing from the intent is looked at again this often. */
const NODECLASS_MISSING_RETRY_MS = 60_000;

export type LaunchDeps = Pick<
  ControllerContext,
  'clock' | 'cluster' | 'cloud' | 'intent' | 'decisions' | 'metrics' | 'logger' | 'catalog' | 'unavailable'
> &
  Partial<Pick<ControllerContext, 'claimsCreatedHere'>> & {
  readonly options: Pick<ReconcilerOptions, 'clusterName'>;
  /** Jitter for the throttling backoff; injected like every random source, so runs can be replayed. */
  readonly random: () => number;
};

function quantityMap(list: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(list)) out[k] = formatResourceQuantity(k, v);
  return out;
}

export class Launch {
  private readonly throttledUntil = new Map<string, number>();
  /** Throttles in a row across claims: EC2 rate limits the account, not the claim. */
  private throttleFailures = 0;
  /** Unknown outcomes in a row, per claim. */
  private readonly unknownOutcomes = new Map<string, number>();

  constructor(
    private readonly deps: LaunchDeps,
    /** The controller named in decisions. */
    private readonly controller: string,
  ) {}

  /** How long the claim must still wait after being throttled or an unknown outcome; 0 when it may launch now. */
  waitMs(claim: NodeClaim, now: number): number {
    return Math.max(0, (this.throttledUntil.get(claim.metadata.name!) ?? 0) - now);
  }

  /** Launches one claim; returns a retry delay when it is to be tried again. */
  async launch(claim: NodeClaim): Promise<number | undefined> {
    const { cluster, cloud, clock, intent, decisions, metrics, catalog, unavailable, options, random, logger } = this.deps;
    const name = claim.metadata.name!;
    const pool = claim.metadata.labels?.[LABEL_NODEPOOL] ?? '';
    const current = intent.current();
    const nodeClass = current && indexIntent(current).classes.get(claim.spec.nodeClassRef.name);
    const nowIso = new Date(clock.now()).toISOString();
    if (!nodeClass) {
      await cluster.patchNodeClaimStatus(name, {
        conditions: setCondition(claim.status?.conditions, CONDITION_LAUNCHED, 'False', 'NodeClassNotFound', `EC2NodeClass ${claim.spec.nodeClassRef.name} is not in the intent in force`, nowIso),
      });
      return NODECLASS_MISSING_RETRY_MS;
    }
    // With NodeOverlays, the claim's types carry the overlay prices and EC2 is asked to take
    // them in that order (prioritized), as Karpenter does; without, EC2's own lowest price.
    const overlaid = (current.nodeOverlays?.length ?? 0) > 0 ? (await schedulingPools(this.deps, current)).poolTypes.get(pool) : undefined;
    const types = overlaid ?? (await catalog.forNodeClass(nodeClass));
    const allowed = launchOptions(claim, types);
    const commit = claim.metadata.labels?.[LABEL_POLICY_COMMIT] ?? '';
    const avoidedFor = formatDuration(unavailable.ttlMs);
    let instance: Instance;
    try {
      instance = await cloud.create({
        nodeClaim: claim,
        ...(this.deps.claimsCreatedHere?.takeFirstAttempt(claim.metadata.uid) ? { firstAttempt: true } : {}),
        nodeClass,
        instanceTypes: allowed,
        ...(overlaid ? { prioritized: true } : {}),
        tags: {
          ...(nodeClass.spec?.tags ?? {}),
          [clusterTagKey(options.clusterName)]: CLUSTER_TAG_VALUE,
          [TAG_NODEPOOL]: pool,
          [TAG_NODECLAIM]: name,
          [TAG_NODECLASS]: nodeClass.metadata.name ?? '',
          [TAG_POLICY_COMMIT]: commit,
          [TAG_NAME]: `${pool}/${name}`,
        },
      });
      this.throttleFailures = 0;
      this.unknownOutcomes.delete(name);
    } catch (err) {
      if (err instanceof LaunchOutcomeUnknownError) {
        // Not a failure: the instance may be running. The claim stays; its next launch looks
        // the instance up by the claim's tag first and adopts it if it is there.
        const n = (this.unknownOutcomes.get(name) ?? 0) + 1;
        this.unknownOutcomes.set(name, n);
        metrics.cloudApiErrors.inc({ operation: 'create', error: 'outcome-unknown' });
        const backoff = Math.min(60_000, UNKNOWN_OUTCOME_BASE_MS * 2 ** Math.min(5, n - 1));
        const jittered = backoff / 2 + random() * (backoff / 2);
        this.throttledUntil.set(name, clock.now() + jittered);
        logger.warn('launch outcome unknown; keeping the claim and looking its instance up before trying again', {
          nodeClaim: name,
          error: err.message,
          retryInMs: Math.round(jittered),
        });
        return jittered;
      }
      if (err instanceof ThrottledError) {
        metrics.cloudApiThrottles.inc({ operation: err.operation });
        metrics.launchFailures.inc({ nodepool: pool, reason: 'throttled' });
        this.throttleFailures += 1;
        const backoff = Math.min(60_000, (err.retryAfterMs ?? THROTTLE_BASE_MS) * 2 ** Math.min(6, this.throttleFailures - 1));
        const jittered = backoff / 2 + random() * (backoff / 2);
        this.throttledUntil.set(name, clock.now() + jittered);
        logger.warn('launch throttled; backing off', { nodeClaim: name, retryInMs: Math.round(jittered) });
        return jittered;
      }
      const ice = err instanceof InsufficientCapacityError;
      if (!ice && !(err instanceof LaunchFailedError)) {
        // Any other error (of a step before the launch, or an adapter's own): EC2 may have
        // launched. Keep the claim and retry; the adapter's tag lookup returns that instance if so.
        metrics.cloudApiErrors.inc({ operation: 'create', error: 'unknown' });
        throw err;
      }
      const reason = ice ? 'insufficient-capacity' : err.reason;
      if (ice) unavailable.mark(err.offerings);
      metrics.launchFailures.inc({ nodepool: pool, reason });
      metrics.launches.inc({ nodepool: pool, capacity_type: '', result: 'failed' });
      metrics.cloudApiErrors.inc({ operation: 'create', error: reason });
      decisions.record({
        controller: this.controller,
        action: 'launch-failed',
        reason,
        message: `NodeClaim ${name}: ${(err as Error).message}${ice ? `; those offerings are avoided for ${avoidedFor} and the pods solved again` : ''}`,
        nodePool: pool,
        nodeClaims: [name],
      });
      this.unknownOutcomes.delete(name);
      await cluster.deleteNodeClaim(name);
      return undefined;
    }
    const type = types.find((t) => t.name === instance.instanceType);
    metrics.launches.inc({ nodepool: pool, capacity_type: instance.capacityType, result: 'launched' });
    const short = instance.insufficientCapacity ?? [];
    if (short.length > 0) {
      unavailable.mark(short);
      metrics.cloudApiErrors.inc({ operation: 'create', error: 'insufficient-capacity' }, short.length);
    }
    await cluster.patchNodeClaim(name, {
      labels: {
        ...(type?.labels ?? {}),
        [LABEL_INSTANCE_TYPE]: instance.instanceType,
        [LABEL_ZONE]: instance.zone,
        [LABEL_CAPACITY_TYPE]: instance.capacityType,
        [LABEL_NODECLASS]: nodeClass.metadata.name ?? '',
        ...(instance.capacityReservationId ? { [LABEL_CAPACITY_RESERVATION_ID]: instance.capacityReservationId, [LABEL_CAPACITY_RESERVATION_TYPE]: instance.capacityReservationType ?? 'default' } : {}),
      },
    });
    await cluster.patchNodeClaimStatus(name, {
      providerID: instance.providerID,
      ...(instance.imageID ? { imageID: instance.imageID } : {}),
      ...(type ? { capacity: quantityMap(type.capacity), allocatable: quantityMap(type.allocatable) } : {}),
      conditions: setCondition(claim.status?.conditions, CONDITION_LAUNCHED, 'True', 'Launched', `${instance.instanceType} ${instance.capacityType} in ${instance.zone}`, nowIso),
    });
    decisions.record({
      controller: this.controller,
      action: 'launched',
      reason: claim.metadata.annotations?.[ANNOTATION_REPLACES] ? 'replacement' : 'provisioned',
      message: `NodeClaim ${name}: launched ${instance.instanceType} ${instance.capacityType} in ${instance.zone} at $${instance.pricePerHour.toFixed(4)}/h (${instance.id})${
        short.length > 0 ? `; ${short.length} cheaper offering(s) out of capacity (${short.slice(0, 3).map(offeringKeyString).join(', ')}${short.length > 3 ? ', ...' : ''}) avoided for ${avoidedFor}` : ''
      }`,
      nodePool: pool,
      nodeClaims: [name],
      details: {
        instanceType: instance.instanceType,
        capacityType: instance.capacityType,
        zone: instance.zone,
        pricePerHour: instance.pricePerHour,
        instanceId: instance.id,
        ...(short.length > 0 ? { insufficientCapacity: short.map(offeringKeyString) } : {}),
      },
    });
    return undefined;
  }
}

/**
 * The instance types a claim allows, cheapest first, each keeping only the offerings
 * the claim's requirements (zone, capacity type) allow and that are available.
 */
export function launchOptions(claim: NodeClaim, catalog: readonly InstanceType[]): InstanceType[] {
  const reqs = Requirements.of(claim.spec.requirements.map((r) => ({ ...r })), 'spec.requirements');
  const typeSet = reqs.get(LABEL_INSTANCE_TYPE);
  const zones = reqs.get(LABEL_ZONE);
  const capacityTypes = reqs.get(LABEL_CAPACITY_TYPE);
  const out: InstanceType[] = [];
  for (const t of catalog) {
    if (typeSet && !typeSet.has(t.name)) continue;
    const offerings = t.offerings.filter(
      (o) => o.available && (!zones || zones.has(o.zone)) && (!capacityTypes || capacityTypes.has(o.capacityType)),
    );
    if (offerings.length > 0) out.push({ ...t, offerings });
  }
  const cheapest = (t: InstanceType) => Math.min(...t.offerings.map((o) => o.price));
  return out.sort((a, b) => cheapest(a) - cheapest(b) || (a.name < b.name ? -1 : 1));
}
