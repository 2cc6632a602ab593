// A node launched into a capacity reservation, judged against its EC2NodeClass's
// status.capacityReservations (what the class selects and EC2 still has active), as
// Karpenter does:
//   drift       the reservation is no longer among the class's (the selector terms changed,
//               or the reservation was cancelled or ended): CapacityReservationDrift
//               (Karpenter's cloudprovider isCapacityReservationDrifted). Decided only while
//               the class's reservations resolve (a status that lists them).
//   expiration  a capacity block's end: its nodes are expired 40 minutes before it (Karpenter's
//               capacityreservation.expiration controller, 10 minutes before EC2 starts
//               reclaiming the instances).

import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import { CAPACITY_BLOCK_EXPIRING_MS } from '../../core/catalog/reservations.ts';
import { LABEL_CAPACITY_RESERVATION_ID, LABEL_CAPACITY_RESERVATION_TYPE } from '../../core/contract/index.ts';
import type { DriftFinding } from './drift.ts';

export interface NodeReservation {
  /** Why the node drifted from its class's reservations, if it did. */
  readonly drift?: DriftFinding;
  /**
   * When a capacity-block node is to be expired (the block's end less the reclaim window),
   * ms since the epoch; undefined for other nodes.
   */
  readonly expireAtMs?: number;
  /** The block's end, for messages. */
  readonly endMs?: number;
}

/**
 * The node's reservation judged against its class (pure): `intentClass` the class in force
 * (its selector terms), `liveClass` the cluster's object (its status).
 */
export function nodeReservation(labels: Readonly<Record<string, string>>, intentClass: EC2NodeClass | undefined, liveClass: EC2NodeClass | undefined): NodeReservation {
  const id = labels[LABEL_CAPACITY_RESERVATION_ID];
  if (!id || !intentClass) return {};
  const className = intentClass.metadata.name ?? '';
  if ((intentClass.spec?.capacityReservationSelectorTerms ?? []).length === 0) {
    return { drift: { kind: 'CapacityReservationDrift', detail: `EC2NodeClass ${className} selects no capacity reservation now (spec.capacityReservationSelectorTerms), and the node runs in ${id}` } };
  }
  const listed = liveClass?.status?.capacityReservations;
  if (!Array.isArray(listed)) return {};
  const entry = listed.find((r) => r.id === id);
  if (!entry) {
    return { drift: { kind: 'CapacityReservationDrift', detail: `capacity reservation ${id} is no longer one EC2NodeClass ${className} selects (spec.capacityReservationSelectorTerms changed, or the reservation was cancelled or ended)` } };
  }
  const type = entry.reservationType ?? labels[LABEL_CAPACITY_RESERVATION_TYPE];
  const endMs = entry.endTime ? Date.parse(entry.endTime) : undefined;
  if (type !== 'capacity-block' || endMs === undefined || Number.isNaN(endMs)) return {};
  return { expireAtMs: endMs - CAPACITY_BLOCK_EXPIRING_MS, endMs };
}
