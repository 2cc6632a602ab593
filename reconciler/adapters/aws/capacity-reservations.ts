// On-Demand Capacity Reservations (and capacity blocks) of an EC2NodeClass, as Karpenter's
// capacityreservation provider finds and counts them:
//   discovery  spec.capacityReservationSelectorTerms, terms ORed: a term with an id is one
//              DescribeCapacityReservations by that id; a term with tags and/or
//              instanceMatchCriteria (and optionally ownerID) is one query by filters
//              (tag:<k> or tag-key for "*", owner-id, instance-match-criteria); every query
//              asks for state "active" only. Results are cached for a TTL; reservations whose
//              end date has passed are dropped. Deliberately stricter than Karpenter, which
//              ignores an id EC2 does not know: such an id is a NodeClassResolutionError
//              naming the term, so the class is not Ready (CapacityReservationsReady=False)
//              and nothing is launched for it on a guess.
//   counting   each reservation's AvailableInstanceCount as EC2 last reported it, minus the
//              launches made into it since (markLaunched), plus the ones given back
//              (release: a launch that did not happen). take() counts a launch before
//              CreateFleet is sent, so two launches racing for the last slot do not both
//              get it. A fresh DescribeCapacityReservations overwrites the count.
//   offerings  one reserved offering per reservation of an instance type, in its zone,
//              priced at the on-demand price / 10,000,000 (Karpenter's: already paid for,
//              yet ordered like on-demand for consolidation), available while the count is
//              above 0 and the reservation is not expiring (a capacity block in its last
//              minutes).

import { DescribeCapacityReservationsCommand, type CapacityReservation, type EC2Client, type Filter } from '@aws-sdk/client-ec2';
import type { CapacityReservationSelectorTerm, EC2NodeClass, EC2NodeClassStatus } from '../../../core/api/karpenter.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Ec2Calls } from './calls.ts';
import { NodeClassResolutionError, tagFilters } from './discovery.ts';
import { awsErrorCode } from './errors.ts';

import { CAPACITY_BLOCK_EXPIRING_MS } from '../../../core/catalog/reservations.ts';
export { CAPACITY_BLOCK_EXPIRING_MS, RESERVED_PRICE_DIVISOR, withReservedOfferings } from '../../../core/catalog/reservations.ts';

export type ReservationType = 'default' | 'capacity-block';

/** A capacity reservation as the class sees it (status.capacityReservations' fields). */
export interface ResolvedReservation {
  readonly id: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly ownerID: string;
  readonly instanceMatchCriteria: 'open' | 'targeted';
  readonly reservationType: ReservationType;
  readonly interruptible: boolean;
  readonly state: 'active' | 'expiring';
  /** ms since the epoch; undefined: no end date. */
  readonly endTime: number | undefined;
  /** AvailableInstanceCount when described. */
  readonly available: number;
}

/** One DescribeCapacityReservations call a selector term stands for (Karpenter's QueriesFromSelectorTerms). */
export interface ReservationQuery {
  /** The term's index, for messages. */
  readonly term: number;
  readonly id?: string;
  readonly filters: Filter[];
}

export function reservationQueries(terms: readonly CapacityReservationSelectorTerm[]): ReservationQuery[] {
  const active: Filter = { Name: 'state', Values: ['active'] };
  const out: ReservationQuery[] = [];
  for (const [i, t] of terms.entries()) {
    if (t.id) out.push({ term: i, id: t.id, filters: [active] });
    if (Object.keys(t.tags ?? {}).length > 0 || t.instanceMatchCriteria) {
      out.push({
        term: i,
        filters: [
          active,
          ...(t.ownerID ? [{ Name: 'owner-id', Values: [t.ownerID] }] : []),
          ...tagFilters(t.tags),
          ...(t.instanceMatchCriteria ? [{ Name: 'instance-match-criteria', Values: [t.instanceMatchCriteria] }] : []),
        ],
      });
    }
  }
  return out;
}


/** A described reservation in joinery's terms; undefined when it is unusable (no type, zone or id, or already ended). */
export function toResolvedReservation(r: CapacityReservation, now: number): ResolvedReservation | undefined {
  if (!r.CapacityReservationId || !r.InstanceType || !r.AvailabilityZone) return undefined;
  const endTime = r.EndDate?.getTime();
  if (endTime !== undefined && endTime <= now) return undefined;
  const reservationType: ReservationType = r.ReservationType === 'capacity-block' ? 'capacity-block' : 'default';
  const expiring = reservationType === 'capacity-block' && endTime !== undefined && endTime - now <= CAPACITY_BLOCK_EXPIRING_MS;
  return {
    id: r.CapacityReservationId,
    instanceType: String(r.InstanceType),
    zone: r.AvailabilityZone,
    ownerID: r.OwnerId ?? '',
    instanceMatchCriteria: r.InstanceMatchCriteria === 'targeted' ? 'targeted' : 'open',
    reservationType,
    interruptible: (r as { Interruptible?: boolean }).Interruptible === true,
    state: expiring ? 'expiring' : 'active',
    endTime,
    available: r.AvailableInstanceCount ?? 0,
  };
}

/** The class's status.capacityReservations (Karpenter's shape). */
export function reservationStatusEntries(reservations: readonly ResolvedReservation[]): NonNullable<EC2NodeClassStatus['capacityReservations']> {
  return reservations.map((r) => ({
    id: r.id,
    instanceType: r.instanceType,
    availabilityZone: r.zone,
    ownerID: r.ownerID,
    instanceMatchCriteria: r.instanceMatchCriteria,
    reservationType: r.reservationType,
    state: r.state,
    ...(r.interruptible ? { interruptible: true } : {}),
    ...(r.endTime !== undefined ? { endTime: new Date(r.endTime).toISOString() } : {}),
  }));
}

/**
 * The claim's instance types as they stand at launch (pure): a reserved offering whose
 * reservation has ended since the claim's catalog was built (no longer among `live`) or is
 * full now is unavailable, so the launch falls back to the claim's spot or on-demand offerings.
 */
export function reservedOfferingsAtLaunch(types: readonly InstanceType[], live: ReadonlySet<string>, remaining: (id: string) => number): InstanceType[] {
  return types.map((t) => ({
    ...t,
    offerings: t.offerings.map((o) => (o.capacityType === 'reserved' && o.available && !(o.reservation && live.has(o.reservation.id) && remaining(o.reservation.id) > 0) ? { ...o, available: false } : o)),
  }));
}

export class CapacityReservations {
  private readonly cache = new Map<string, { at: number; value: Promise<ResolvedReservation[]> }>();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /**
   * The active reservations the class selects (none without selector terms). An id EC2 does
   * not know is a NodeClassResolutionError naming the term.
   */
  resolve(nodeClass: EC2NodeClass): Promise<ResolvedReservation[]> {
    const terms = nodeClass.spec?.capacityReservationSelectorTerms ?? [];
    if (terms.length === 0) return Promise.resolve([]);
    const key = canonicalJson(terms);
    const now = this.clock.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value.then((list) => list.filter((r) => r.endTime === undefined || r.endTime > this.clock.now()));
    const value = this.describe(nodeClass.metadata.name ?? '', terms);
    this.cache.set(key, { at: now, value });
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    return value;
  }

  /** The launches the reservation still takes, as far as this process knows. */
  remaining(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** remaining(), or undefined for a reservation never described. */
  known(id: string): number | undefined {
    return this.counts.get(id);
  }

  /** Counts a launch into the reservation (before CreateFleet); false when it has no room left. */
  take(id: string): boolean {
    const n = this.counts.get(id) ?? 0;
    if (n <= 0) return false;
    this.counts.set(id, n - 1);
    return true;
  }

  /** Gives back a slot take() counted for a launch that did not happen. */
  release(id: string): void {
    const n = this.counts.get(id);
    if (n !== undefined) this.counts.set(id, n + 1);
  }

  /** EC2 said the reservation is full (ReservationCapacityExceeded): nothing left until the next describe. */
  exhausted(id: string): void {
    if (this.counts.has(id)) this.counts.set(id, 0);
  }

  private async describe(nodeClass: string, terms: readonly CapacityReservationSelectorTerm[]): Promise<ResolvedReservation[]> {
    const found = new Map<string, CapacityReservation>();
    for (const q of reservationQueries(terms)) {
      for (const r of await this.query(nodeClass, q)) if (r.CapacityReservationId) found.set(r.CapacityReservationId, r);
    }
    const now = this.clock.now();
    const out: ResolvedReservation[] = [];
    for (const r of found.values()) {
      const resolved = toResolvedReservation(r, now);
      if (!resolved) continue;
      // A fresh count from EC2 replaces what this process counted since the last one.
      this.counts.set(resolved.id, resolved.available);
      out.push(resolved);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private async query(nodeClass: string, q: ReservationQuery): Promise<CapacityReservation[]> {
    const out: CapacityReservation[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.calls.run('DescribeCapacityReservations', () =>
          this.ec2.send(
            new DescribeCapacityReservationsCommand({
              ...(q.id ? { CapacityReservationIds: [q.id] } : { MaxResults: 1000 }),
              Filters: q.filters,
              NextToken: token,
            }),
          ),
        );
      } catch (err) {
        const code = awsErrorCode(err) ?? '';
        if (q.id && (code.startsWith('InvalidCapacityReservationId') || code === 'InvalidParameterValue')) {
          throw new NodeClassResolutionError(
            nodeClass,
            `spec.capacityReservationSelectorTerms[${q.term}].id`,
            `"${q.id}" is not a capacity reservation EC2 knows in this region and account (${code})`,
            'use the id of an existing reservation (aws ec2 describe-capacity-reservations), or remove the term',
          );
        }
        throw err;
      }
      out.push(...(page.CapacityReservations ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }
}
