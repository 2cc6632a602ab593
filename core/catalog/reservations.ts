// Reserved offerings: one per capacity reservation of an instance type, in the
// reservation's zone, priced at the on-demand price / 10,000,000 (Karpenter's: already
// paid for, yet ordered like on-demand for consolidation), available while the
// reservation has room and is not expiring. Shared by the AWS adapter and the simulator.

import type { InstanceType, Offering } from './instance-types.ts';

/** Karpenter's divisor: a reserved offering costs the on-demand price / 10^7. */
export const RESERVED_PRICE_DIVISOR = 10_000_000;

/** How long before a capacity block ends its reservation is "expiring" (EC2 reclaims the instances then). */
export const CAPACITY_BLOCK_EXPIRING_MS = 40 * 60_000;

/** What a reserved offering needs of a reservation. */
export interface ReservedCapacity {
  readonly id: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly reservationType: 'default' | 'capacity-block';
  readonly state: 'active' | 'expiring';
}

/**
 * The instance types with a reserved offering added per reservation of their type in one
 * of their zones (pure). `remaining` is the launches each reservation still takes.
 */
export function withReservedOfferings(
  types: readonly InstanceType[],
  reservations: readonly ReservedCapacity[],
  remaining: (id: string) => number,
  onDemandPrice: (instanceType: string) => number | undefined,
): InstanceType[] {
  if (reservations.length === 0) return [...types];
  const byType = new Map<string, ReservedCapacity[]>();
  for (const r of reservations) byType.set(r.instanceType, [...(byType.get(r.instanceType) ?? []), r]);
  return types.map((t) => {
    const own = byType.get(t.name);
    if (!own) return t;
    const zones = new Set(t.offerings.map((o) => o.zone));
    const base = onDemandPrice(t.name) ?? t.offerings.find((o) => o.capacityType === 'on-demand')?.price ?? 0;
    const reserved: Offering[] = own
      .filter((r) => zones.has(r.zone))
      .map((r) => ({
        zone: r.zone,
        capacityType: 'reserved',
        price: base / RESERVED_PRICE_DIVISOR,
        available: remaining(r.id) > 0 && r.state !== 'expiring',
        reservation: { id: r.id, type: r.reservationType },
      }));
    return reserved.length > 0 ? { ...t, offerings: [...t.offerings, ...reserved] } : t;
  });
}

