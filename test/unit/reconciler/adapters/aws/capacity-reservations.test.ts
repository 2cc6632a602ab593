// Capacity reservations of an EC2NodeClass: the DescribeCapacityReservations queries its
// selector terms stand for, which described reservations count (expired ones do not; a
// capacity block near its end is expiring), the reserved offerings they add (priced as
// already paid for, available while the reservation has room), and the count of launches a
// reservation still takes. The calls themselves run against moto in
// test/integration/capacity-reservation.test.ts.
import type { CapacityReservation, EC2Client } from '@aws-sdk/client-ec2';
import type { CapacityReservationSelectorTerm, EC2NodeClass } from '../../../../../core/api/karpenter.ts';
import { VirtualClock } from '../../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import type { InstanceType } from '../../../../../core/catalog/instance-types.ts';
import {
  CAPACITY_BLOCK_EXPIRING_MS,
  CapacityReservations,
  RESERVED_PRICE_DIVISOR,
  reservationQueries,
  reservationStatusEntries,
  reservedOfferingsAtLaunch,
  toResolvedReservation,
  withReservedOfferings,
  type ResolvedReservation,
} from '../../../../../reconciler/adapters/aws/capacity-reservations.ts';
import { Ec2Calls } from '../../../../../reconciler/adapters/aws/calls.ts';
import { chooseCapacityType } from '../../../../../reconciler/adapters/aws/fleet.ts';
import { NodeClassResolutionError } from '../../../../../reconciler/adapters/aws/discovery.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const clock = new VirtualClock(NOW);

describe('reservationQueries', () => {
  test('a term with an id is one query by that id; tags, owner and match criteria are one query by filters; every query asks for active reservations', () => {
    const queries = reservationQueries([
      { id: 'cr-0123' },
      { tags: { team: 'ml', env: '*' }, ownerID: '123456789012' },
      { instanceMatchCriteria: 'targeted' },
    ]);
    expect(queries).toEqual([
      { term: 0, id: 'cr-0123', filters: [{ Name: 'state', Values: ['active'] }] },
      {
        term: 1,
        filters: [
          { Name: 'state', Values: ['active'] },
          { Name: 'owner-id', Values: ['123456789012'] },
          { Name: 'tag:team', Values: ['ml'] },
          { Name: 'tag-key', Values: ['env'] },
        ],
      },
      { term: 2, filters: [{ Name: 'state', Values: ['active'] }, { Name: 'instance-match-criteria', Values: ['targeted'] }] },
    ]);
  });
});

describe('toResolvedReservation', () => {
  const described = (extra: Partial<CapacityReservation>): CapacityReservation => ({
    CapacityReservationId: 'cr-1',
    InstanceType: 'm5.large',
    AvailabilityZone: 'us-east-1a',
    OwnerId: '123456789012',
    InstanceMatchCriteria: 'targeted',
    AvailableInstanceCount: 2,
    State: 'active',
    ...extra,
  });

  test('an active reservation with its count; one whose end date has passed is dropped', () => {
    expect(toResolvedReservation(described({}), NOW)).toMatchObject({ id: 'cr-1', instanceType: 'm5.large', zone: 'us-east-1a', available: 2, state: 'active', reservationType: 'default', endTime: undefined });
    expect(toResolvedReservation(described({ EndDate: new Date(NOW - 1) }), NOW)).toBeUndefined();
  });

  test('a capacity block is expiring in its last minutes (EC2 reclaims its instances then), a default reservation never is', () => {
    const end = new Date(NOW + CAPACITY_BLOCK_EXPIRING_MS - 1);
    expect(toResolvedReservation(described({ ReservationType: 'capacity-block', EndDate: end }), NOW)?.state).toBe('expiring');
    expect(toResolvedReservation(described({ ReservationType: 'capacity-block', EndDate: new Date(NOW + 3 * 3_600_000) }), NOW)?.state).toBe('active');
    expect(toResolvedReservation(described({ EndDate: end }), NOW)?.state).toBe('active');
  });

  test('status.capacityReservations in Karpenter\'s shape', () => {
    const r = toResolvedReservation(described({ EndDate: new Date(NOW + 3_600_000) }), NOW)!;
    expect(reservationStatusEntries([r])).toEqual([
      { id: 'cr-1', instanceType: 'm5.large', availabilityZone: 'us-east-1a', ownerID: '123456789012', instanceMatchCriteria: 'targeted', reservationType: 'default', state: 'active', endTime: '2026-12-01T13:00:00.000Z' },
    ]);
  });
});

describe('withReservedOfferings', () => {
  const m5: InstanceType = {
    name: 'm5.large',
    capacity: {},
    allocatable: {},
    labels: {},
    offerings: [
      { zone: 'us-east-1a', capacityType: 'on-demand', price: 0.096, available: true },
      { zone: 'us-east-1b', capacityType: 'on-demand', price: 0.096, available: true },
    ],
  };
  const c5: InstanceType = { ...m5, name: 'c5.large', offerings: [{ zone: 'us-east-1a', capacityType: 'on-demand', price: 0.085, available: true }] };
  const reservation = (id: string, zone: string, extra: Partial<ResolvedReservation> = {}): ResolvedReservation => ({
    id,
    instanceType: 'm5.large',
    zone,
    ownerID: '123456789012',
    instanceMatchCriteria: 'targeted',
    reservationType: 'default',
    interruptible: false,
    state: 'active',
    endTime: undefined,
    available: 1,
    ...extra,
  });

  test('one reserved offering per reservation of the type, in its zone, priced at on-demand / 10^7: cheaper than any spot or on-demand offering', () => {
    const out = withReservedOfferings([c5, m5], [reservation('cr-a', 'us-east-1a'), reservation('cr-b', 'us-east-1b')], () => 1, () => 0.096);
    expect(out[0]).toBe(c5);
    const reserved = out[1]!.offerings.filter((o) => o.capacityType === 'reserved');
    expect(reserved).toEqual([
      { zone: 'us-east-1a', capacityType: 'reserved', price: 0.096 / RESERVED_PRICE_DIVISOR, available: true, reservation: { id: 'cr-a', type: 'default' } },
      { zone: 'us-east-1b', capacityType: 'reserved', price: 0.096 / RESERVED_PRICE_DIVISOR, available: true, reservation: { id: 'cr-b', type: 'default' } },
    ]);
    expect(Math.max(...reserved.map((o) => o.price))).toBeLessThan(Math.min(...m5.offerings.map((o) => o.price)));
  });

  test('a full reservation, an expiring one, and one in a zone the class has no subnet in offer nothing to launch', () => {
    const out = withReservedOfferings([m5], [reservation('cr-full', 'us-east-1a'), reservation('cr-end', 'us-east-1b', { state: 'expiring' }), reservation('cr-c', 'us-east-1c')], (id) => (id === 'cr-full' ? 0 : 1), () => 0.096);
    const reserved = out[0]!.offerings.filter((o) => o.capacityType === 'reserved');
    expect(reserved.map((o) => [o.reservation?.id, o.available])).toEqual([
      ['cr-full', false],
      ['cr-end', false],
    ]);
  });
});

describe('reservedOfferingsAtLaunch (fallback)', () => {
  const claimTypes: InstanceType[] = [
    { name: 'c5.large', capacity: {}, allocatable: {}, labels: {}, offerings: [{ zone: 'us-east-1a', capacityType: 'on-demand', price: 0.085, available: true }] },
    {
      name: 'm5.large',
      capacity: {},
      allocatable: {},
      labels: {},
      offerings: [
        { zone: 'us-east-1a', capacityType: 'on-demand', price: 0.096, available: true },
        { zone: 'us-east-1a', capacityType: 'reserved', price: 0.096 / RESERVED_PRICE_DIVISOR, available: true, reservation: { id: 'cr-1', type: 'default' } },
      ],
    },
  ];

  test('a reservation with room is launched into; one that is full now, or has ended since the catalog was built, falls back to on-demand', () => {
    expect(chooseCapacityType(reservedOfferingsAtLaunch(claimTypes, new Set(['cr-1']), () => 1))).toBe('reserved');
    const full = reservedOfferingsAtLaunch(claimTypes, new Set(['cr-1']), () => 0);
    expect(chooseCapacityType(full)).toBe('on-demand');
    expect(full[1]!.offerings.find((o) => o.capacityType === 'reserved')?.available).toBe(false);
    expect(chooseCapacityType(reservedOfferingsAtLaunch(claimTypes, new Set(), () => 1))).toBe('on-demand');
    // The catalog the claim came from is left as it was.
    expect(claimTypes[1]!.offerings[1]!.available).toBe(true);
  });
});

describe('CapacityReservations', () => {
  function described(id: string, available: number): CapacityReservation {
    return { CapacityReservationId: id, InstanceType: 'm5.large', AvailabilityZone: 'us-east-1a', OwnerId: '123456789012', InstanceMatchCriteria: 'targeted', AvailableInstanceCount: available, State: 'active' };
  }
  /** An EC2 client answering DescribeCapacityReservations from a list, recording each request. */
  function ec2With(list: CapacityReservation[]) {
    const requests: unknown[] = [];
    const client = {
      send: async (command: { input: { CapacityReservationIds?: string[] } }) => {
        requests.push(command.input);
        const ids = command.input.CapacityReservationIds;
        if (ids?.some((id) => !list.some((r) => r.CapacityReservationId === id))) {
          throw Object.assign(new Error(`The capacity reservation ID '${ids[0]}' does not exist`), { name: 'InvalidCapacityReservationId.NotFound' });
        }
        return { CapacityReservations: ids ? list.filter((r) => ids.includes(r.CapacityReservationId!)) : list };
      },
    };
    return { client: client as unknown as EC2Client, requests };
  }
  const nodeClass = (terms: CapacityReservationSelectorTerm[]): EC2NodeClass =>
    ({ apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'gpu' }, spec: { capacityReservationSelectorTerms: terms } }) as EC2NodeClass;

  test('a class without terms makes no call; the counts come from EC2, launches take them, a launch that did not happen gives its slot back', async () => {
    const { client, requests } = ec2With([described('cr-1', 2)]);
    const reservations = new CapacityReservations(client, new Ec2Calls(clock), clock, 60_000);
    expect(await reservations.resolve(nodeClass([]))).toEqual([]);
    expect(requests).toHaveLength(0);
    const found = await reservations.resolve(nodeClass([{ id: 'cr-1' }]));
    expect(found.map((r) => r.id)).toEqual(['cr-1']);
    expect(reservations.remaining('cr-1')).toBe(2);
    expect(reservations.take('cr-1')).toBe(true);
    expect(reservations.take('cr-1')).toBe(true);
    expect(reservations.take('cr-1')).toBe(false);
    reservations.release('cr-1');
    expect(reservations.remaining('cr-1')).toBe(1);
    reservations.exhausted('cr-1');
    expect(reservations.remaining('cr-1')).toBe(0);
  });

  test('an id EC2 does not know: a NodeClassResolutionError naming the term, the id and the fix', async () => {
    const { client } = ec2With([described('cr-1', 1)]);
    const reservations = new CapacityReservations(client, new Ec2Calls(clock), clock, 60_000);
    const err = await reservations.resolve(nodeClass([{ tags: { team: 'ml' } }, { id: 'cr-0000000000000000f' }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeClassResolutionError);
    expect((err as Error).message).toBe(
      'EC2NodeClass gpu: spec.capacityReservationSelectorTerms[1].id "cr-0000000000000000f" is not a capacity reservation EC2 knows in this region and account (InvalidCapacityReservationId.NotFound); use the id of an existing reservation (aws ec2 describe-capacity-reservations), or remove the term',
    );
  });
});
